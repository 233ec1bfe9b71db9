"""The picture of the patient's situation (bot.guidance.situation) and what a message states
(bot.guidance.mentions): pure functions, no Rasa."""

from __future__ import annotations

import pytest

from bot.guidance import mentions
from bot.guidance.parsing import combine_exams, parse_exam_types
from bot.guidance.situation import (
    BOTH,
    CONFLICT,
    FILES,
    PATIENT,
    Fact,
    Said,
    build_picture,
    mismatch_choices,
    mismatch_message,
    patient_said,
    read_message,
    with_article,
)
from bot.guidance.subspecialty import subspecialty_key

# --- what one message states -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("my 8 year old had an MRI", "child"),
        ("my daughter, 15, had a CT", "child"),
        ("my daughter's 6 and got x-rayed", "child"),
        ("my son's 34, he had a CT", "adult"),
        ("my 10 year old's PET/CT", "child"),
        ("our baby had an ultrasound", "child"),
        ("my 18 month old", "child"),
        ("I'm 45 and had a knee MRI", "adult"),
        ("my dad is 80", "adult"),
        ("my husband (61) had a ct scan of his lungs", "adult"),
        ("mom, 82, had an MRI", "adult"),
        ("my dad is 80 miles away", None),
        ("my MRI 3 months ago", None),
        ("the nodule is 12 mm", None),
        ("case SR-2026-7KQ3MX-4", None),
        ("born 03/14/1980", None),
        ("my son had a CT", None),  # adult sons exist: ask
    ],
)
def test_age_is_read_only_from_age_phrases(text: str, expected: str | None) -> None:
    assert mentions.mentioned_age_group(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I don't have insurance", "none"),
        ("I'm uninsured", "none"),
        ("I'm on Medicare", "medicare"),
        ("my Medicare Advantage plan", "medicare_advantage"),
        ("Medi-Cal", "medicaid"),
        ("Blue Cross PPO", "ppo"),
        ("how much would I pay out of pocket?", None),
        ("the other radiologist said", None),
        ("can I pay cash", None),
        # Self-pay offered as the other choice of a question states no plan.
        ("will my insurance cover it or do I self pay", None),
        ("i'm self pay", "none"),
    ],
)
def test_a_plan_is_read_only_when_named(text: str, expected: str | None) -> None:
    assert mentions.mentioned_plan_type(text) == expected


@pytest.mark.parametrize(
    ("text", "doctor", "surgery", "network"),
    [
        (
            "My surgeon asked for a second opinion, surgery is scheduled for March and the "
            "center is in network.",
            "yes", "yes", "yes",
        ),
        ("my doctor wants me to get an MRI", None, None, None),
        ("my doctor didn't ask for it, no surgery planned, they're out-of-network", "no", "no",
         "no"),
        ("they want to operate on my back, is it worth it?", None, "yes", None),
        ("he needs a second read before the knee surgery that is booked for May", None, "yes",
         None),
        ("the hip operation which is scheduled next week", None, "yes", None),
        ("is the radiologist in network? does it need surgery?", None, None, None),
    ],
)
def test_insurance_facts_are_read_from_statements_not_questions(
    text: str, doctor: str | None, surgery: str | None, network: str | None
) -> None:
    assert mentions.mentioned_physician_request(text) == doctor
    assert mentions.mentioned_surgery(text) == surgery
    assert mentions.mentioned_network(text) == network


@pytest.mark.parametrize(
    ("text", "exams", "combined"),
    [
        ("PET/CT", ("pet", "ct"), "pet"),
        ("PET-MRI of the pelvis", ("pet", "mri"), "pet"),
        ("SPECT/CT", ("nuclear", "ct"), "nuclear"),
        ("CT angiogram", ("angiogram", "ct"), "angiogram"),
        ("it wasn't an MRI, it was a CT", ("ct",), "ct"),
        ("not sure", (), None),
    ],
)
def test_every_exam_of_a_message_and_the_exam_they_make(
    text: str, exams: tuple[str, ...], combined: str | None
) -> None:
    assert parse_exam_types(text) == exams
    assert combine_exams(exams) == combined


@pytest.mark.parametrize(
    ("text", "entities", "key"),
    [
        ("my PET/CT of the chest", {"exam_type": ["pet", "ct"]}, "nuclear_radiology"),
        ("PET/CT", {"exam_type": ["ct"]}, "nuclear_radiology"),  # the last entity alone
        ("a PET/MR of the brain", {}, "nuclear_radiology"),
        ("SPECT/CT of the spine", {}, "nuclear_radiology"),
        ("CTA of the head and neck", {}, "neuroradiology"),
        ("MRA of my brain", {}, "neuroradiology"),
        ("cardiac CT", {}, "cardiothoracic"),
        ("cardiac MRI", {}, "cardiothoracic"),
        ("my 6 year old's chest CT", {}, "pediatric"),
    ],
)
def test_hybrid_and_compound_exams_map_to_their_reader(
    text: str, entities: dict[str, list[str]], key: str
) -> None:
    said = read_message(text, entities)
    assert subspecialty_key(said.exam_type, said.body_part, said.age_group or "adult") == key


def test_a_body_part_counts_only_next_to_an_exam() -> None:
    assert read_message("I have chest pain").body_part is None
    assert read_message("my son's brain MRI").body_part == "brain"
    assert read_message("hi", {"body_part": ["knee"]}).body_part == "knee"


def test_a_button_speaks_through_its_entities() -> None:
    said = read_message('/inform{"exam_type":"mri"}', {"exam_type": ["mri"]})
    assert said == Said(exam_type="mri")


def test_later_messages_change_earlier_ones_and_silence_changes_nothing() -> None:
    said = patient_said(
        [
            ("my 8 year old had a CT of the head, I have no insurance", {}),
            ("sorry, it was an MRI", {}),
            ("who should read it?", {}),
        ]
    )
    assert (said.exam_type, said.age_group, said.plan_type) == ("mri", "child", "none")
    assert said.body_part == "brain"


# --- the picture -----------------------------------------------------------------------------


def test_each_fact_says_where_it_came_from() -> None:
    assert Fact("mri", None).source == PATIENT
    assert Fact(None, "ct").source == FILES
    assert Fact("ct", "ct").source == BOTH
    assert Fact("ct", "pet").source == BOTH  # a PET/CT is also "a CT" to a patient
    assert Fact("brain", "head_neck").source == BOTH
    assert Fact("mri", "ct").source == CONFLICT
    assert Fact(None, None).source is None


def test_files_beat_chat_and_a_difference_is_said_plainly() -> None:
    picture = build_picture(Said(exam_type="mri", body_part="brain"), "ct", "chest")
    assert (picture.exam_type.value, picture.body_part.value) == ("ct", "chest")
    assert picture.disagrees
    assert mismatch_message(picture) == (
        "You mentioned a brain MRI, but the files you sent are a chest CT scan. Which study is "
        "the second opinion for? If it's the brain MRI, please send its files too."
    )
    assert [c["payload"] for c in mismatch_choices(picture)] == [
        '/inform{"exam_type":"ct","body_part":"chest"}',
        '/inform{"exam_type":"mri","body_part":"brain"}',
    ]


def test_no_difference_no_message() -> None:
    assert mismatch_message(build_picture(Said(exam_type="ct"), "ct", "chest")) is None
    assert mismatch_message(build_picture(Said(), "ct", "chest")) is None
    assert mismatch_message(build_picture(Said(exam_type="mri"), None, None)) is None


def test_the_reason_comes_from_the_latest_answer_or_the_earlier_one() -> None:
    assert build_picture(Said(), reason="unclear_report").reason.value == "unclear_report"
    assert (
        build_picture(Said(situation="surgery_planned"), reason="unclear_report").reason.value
        == "surgery_planned"
    )


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [("brain MRI", "a brain MRI"), ("MRI", "an MRI"), ("X-ray", "an X-ray"),
     ("ultrasound", "an ultrasound"), ("chest CT scan", "a chest CT scan"),
     ("abdomen CT scan", "an abdomen CT scan")],
)
def test_articles(phrase: str, expected: str) -> None:
    assert with_article(phrase) == expected


@pytest.mark.parametrize(
    ("text", "entity", "expected"),
    [
        ("wud my insurence pay for this or is it out of pocket", "out of pocket", None),
        ("is it covered or will it be cash", "cash", None),
        ("would medicare pay or do i have to pay it myself", "myself", "medicare"),
        ("no insurance, i pay out of pocket", "out of pocket", "none"),
        ("I'll be paying cash", "cash", "none"),
        ("ppo, or do i pay out of pocket?", "ppo", "ppo"),
    ],
)
def test_self_pay_offered_as_a_choice_is_not_stated(
    text: str, entity: str, expected: str | None
) -> None:
    assert read_message(text, {"plan_type": [entity]}).plan_type == expected
