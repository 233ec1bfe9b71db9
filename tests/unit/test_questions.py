"""bot.guidance.questions: telling a question from an answer, its topic, and "not ours"."""

from __future__ import annotations

import pytest

from bot.guidance import questions


@pytest.mark.parametrize(
    "text",
    [
        "do I need a referral?",
        "hmm do I need a referral first",
        "wait, who will see this",
        "ok so how long does it take",
        "MRI?",
    ],
)
def test_questions_are_recognised(text: str) -> None:
    assert questions.is_question(text)


@pytest.mark.parametrize(
    "text", ["a CT of my belly", "the report was vague", "no", "I'm 45", "what a mess. MRI", ""]
)
def test_answers_are_not_questions(text: str) -> None:
    assert not questions.is_question(text)
    assert questions.question_reply(text) is None


@pytest.mark.parametrize(
    ("text", "reply"),
    [
        ("will my employer see any of this?", questions.GENERIC_REPLY),
        ("who gets to read my details?", "utter_privacy"),
        ("who will see my scans?", "utter_privacy"),  # privacy wins over records
        ("do I need a referral for this?", "utter_referral_note"),
        ("does the prior auth come first?", "utter_referral_note"),
        ("is the CD they gave me enough?", "utter_records_brief"),
        ("what if the plan won't pay?", "utter_cost_note"),
        ("what's a treating doctor?", "utter_form_help"),
        ("why do you ask?", "utter_form_help"),
    ],
)
def test_a_question_gets_the_reply_of_its_topic(text: str, reply: str) -> None:
    assert questions.question_reply(text) == reply


def test_an_answer_that_goes_on_asking_starts_with_the_answer() -> None:
    assert questions.starts_with_answer("yes, but do I need a referral?")
    assert questions.starts_with_answer("not sure, does it matter?")
    assert not questions.starts_with_answer("do I need a referral?")


@pytest.mark.parametrize(
    ("text", "ours"),
    [
        ("whats a PACS link", True),
        ("how much for a cd of my mri", True),
        ("is a second opinion covered by medicare", True),
        ("recommend me a good pizza place", False),
        ("what's the weather tomorrow", False),
        ("book me a dentist appointment", False),
    ],
)
def test_our_subjects(text: str, ours: bool) -> None:
    assert questions.mentions_our_subjects(text) is ours


@pytest.mark.parametrize(
    ("text", "pictures"),
    [
        ("the portal only gives me jpegs", True),
        ("I only have screenshots of the MRI", True),
        ("can I send photos of the screen?", True),
        ("the app saves the scan pictures as .jpg files", True),
        ("I have the DICOM files and some jpgs", False),
        ("how do I send my dicom files", False),
        ("can I send a photo of my report", False),
    ],
)
def test_only_pictures(text: str, pictures: bool) -> None:
    assert questions.only_pictures(text) is pictures


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("is it worth getting another set of eyes on this?", True),
        ("should a different radiologist look at it?", True),
        ("could somebody else reread my scan", True),
        ("what does T2 hyperintense mean?", False),
        ("I already had a second opinion.", False),  # not a question
        ("", False),
    ],
)
def test_asks_for_a_second_read(text: str, expected: bool) -> None:
    assert questions.asks_for_a_second_read(text) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("where do I even start getting my scans out of the hospital's system?", True),
        ("how can I pull my MRI off the clinic's portal", True),
        ("what do I do to get the CD from the imaging center", True),
        ("how do we download his images from mychart", True),
        # A second read of scans that came from somewhere, or no question at all.
        ("should I get my scans from the hospital looked at by someone else?", False),
        ("how do I get a second opinion on the scans from the hospital", False),
        ("I got my images from the hospital yesterday", False),
        ("", False),
        (None, False),
    ],
)
def test_asks_how_to_get_the_images(text: str | None, expected: bool) -> None:
    assert questions.asks_how_to_get_the_images(text) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("could you draft a note for radiology so they hand over my films", "letter_form"),
        ("please word a message to the clinic asking for my mri files", "letter_form"),
        ("I want to write a poem", None),  # writing, but nothing to do with a center
        ("my uncle is 70, had a ct in march. how do we get a second opinion", "worthwhile_form"),
        ("The scan was last week, should somebody else look at it", "worthwhile_form"),
        ("the mri report notes a small cyst. what is that?", "utter_disclaimer"),
        ("my ultrasound showed a nodule, is that bad", "utter_disclaimer"),
        # Whether a finding is bad, asked about the finding itself.
        ("is a 6mm lung nodule cancer", "utter_disclaimer"),
        ("could the 2 cm spot on her liver be malignant?", "utter_disclaimer"),
        ("does a small cyst on the kidney mean cancer", "utter_disclaimer"),
        ("might the 9 mm shadow near my father's left lung be a tumor", "utter_disclaimer"),
        ("is a second opinion a bad idea?", "worthwhile_form"),  # about the read, no finding
        ("is the radiology office open on saturday?", None),
        ("what is the weather like", None),  # asks, but not about a report
        # A long story with the real question at the end, or asked indirectly.
        ("my girl is 6 and broke her arm at soccer, they did xrays. which type of radiologist "
         "ought to go over them?", "subspecialist_form"),
        ("Long day. She had an MRI of the pelvis in June and the GP is vague. Anyway I'd like to "
         "know if medicare would pay for a second read.", "insurance_form"),
        ("we are wondering whether somebody else should read his chest ct", "worthwhile_form"),
        ("my knee mri was in april, i want to know who should review it", "subspecialist_form"),
        ("my name is Kim", None),
        ("", None),
    ],
)
def test_fallback_route(text: str, expected: str | None) -> None:
    assert questions.fallback_route(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("we had a scan in May. how does this work", True),  # the second sentence asks
        ("fine, and what happens next", True),
        ("it was in May", False),
        ("what I really want to know is whether my plan covers it", True),
        ("I'm wondering if the report is enough", True),
        ("I know what you mean", False),
        ("my dad is 81", False),
    ],
)
def test_asks_anywhere(text: str, expected: bool) -> None:
    assert questions.asks_anywhere(text) is expected


@pytest.mark.parametrize(
    ("text", "asks"),
    [
        ("they won't send it until I sign their form, which form is that?", True),
        ("what paperwork do they need from me", True),
        ("the release form is already signed and faxed", False),
        ("I signed the form three weeks ago and still nothing", False),
        ("which scan was it", False),
    ],
)
def test_asks_which_form(text: str, asks: bool) -> None:
    assert questions.asks_which_form(text) is asks
