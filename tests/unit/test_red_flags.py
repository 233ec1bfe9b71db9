"""The keyword safety net catches emergencies and stays quiet on ordinary second-opinion talk."""

from __future__ import annotations

import pytest

from bot.guidance import red_flags
from bot.guidance.red_flags import (
    detect_red_flag,
    detect_red_flags,
    emergency_guidance,
    only_mentions_emergency_signs,
)

CATEGORIES = [
    "stroke", "chest_pain", "breathing", "fainting", "vision", "confusion", "severe_pain",
    "bleeding", "blood", "self_harm", "cauda_equina", "urgent_report",
]


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("my face is drooping", "stroke"),
        ("the left side of her face is drooping", "stroke"),
        ("he has slurred speech", "stroke"),
        ("slurred speech", "stroke"),
        ("my arm suddenly went weak", "stroke"),
        ("I think I'm having a stroke", "stroke"),
        ("she can't speak properly", "stroke"),
        ("chest pain", "chest_pain"),
        ("I have chest pain right now", "chest_pain"),
        ("crushing pressure in my chest", "chest_pain"),
        ("I've had chest pain since last month", "chest_pain"),
        ("I can't breathe", "breathing"),
        ("I'm very short of breath", "breathing"),
        ("I passed out", "fainting"),
        ("I fainted this morning", "fainting"),
        ("my dad collapsed", "fainting"),
        ("I lost my vision in one eye", "vision"),
        ("sudden double vision", "vision"),
        ("my mom is suddenly confused", "confusion"),
        ("she is disoriented", "confusion"),
        ("worst headache of my life", "severe_pain"),
        ("sudden severe pain in my belly", "severe_pain"),
        ("the bleeding won't stop", "bleeding"),
        ("coughing up blood", "blood"),
        ("I've been vomiting blood", "blood"),
        ("I want to kill myself", "self_harm"),
        ("I have thoughts of suicide", "self_harm"),
        ("I tried to kill myself last year", "self_harm"),
        ("numb between my legs", "cauda_equina"),
        ("saddle numbness", "cauda_equina"),
        ("my back hurts and I can't control my bladder", "cauda_equina"),
        ("lower back pain and now my legs are giving out", "cauda_equina"),
        ("report says critical, call immediately", "urgent_report"),
        ("the radiologist called and said it is urgent", "urgent_report"),
        ("my doctor told me to go to the ER", "urgent_report"),
        ("I don't know, I can't breathe", "breathing"),
        ("my dad's words are coming out jumbled all of a sudden", "stroke"),
        ("i woke up and half my face is numb", "stroke"),
        ("i cant move my right side", "stroke"),
        ("everything went black and i fell down", "fainting"),
        ("the room is spinning so bad i can't walk", "fainting"),
        ("my son hit his head, keeps vomiting and is really sleepy", "confusion"),
        ("they found an aneurysm and now I have a sudden splitting headache", "severe_pain"),
        ("severe headache, stiff neck and a high fever", "severe_pain"),
        ("i took too many pills on purpose", "self_harm"),
        ("my legs are getting weak and i lost control of my bowels", "cauda_equina"),
        ("i got a portal message saying my results are critical", "urgent_report"),
    ],
)
def test_detects_red_flags(text: str, category: str) -> None:
    flag = detect_red_flag(text)
    assert flag is not None, text
    assert flag.category == category
    assert flag.matched


@pytest.mark.parametrize(
    "text",
    [
        "CT of my chest",
        "chest x-ray",
        "I had a chest CT",
        "I had a brain MRI for headaches last year",
        "my back MRI shows a bulging disc",
        "the report was unclear",
        "stroke protocol MRI from 2019",
        "I had a stroke in 2015 and want a second opinion",
        "I'm confused by the report",
        "I can't see anything on the CD",
        "the report mentions a faint shadow",
        "collapsed vertebra on my MRI",
        "I had a CT for chest pain last year",
        "the CT was for chest pain",
        "no chest pain",
        "I don't have chest pain",
        "I can't talk to my doctor until Monday",
        "is it urgent to get a second opinion?",
        "the report says not urgent",
        "the doctor said it is not an emergency",
        "my knee MRI shows a torn meniscus",
        "bladder ultrasound",
        "blood test results",
        "my doctor wants a biopsy",
        "I have had back pain for years",
        "I had chest pain two years ago",
        "I have had severe headaches for years",
        "the results are not critical",
        "the report came back, my doctor will call me next week",
        "I feel a bit sleepy after the sedation yesterday",
        "",
        None,
    ],
)
def test_ordinary_second_opinion_talk_is_not_a_red_flag(text: str | None) -> None:
    assert detect_red_flag(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I can't control my bladder", None),
        ("my legs feel weak", None),
        ("sciatica and I can't control my bladder", "cauda_equina"),
        ("my leg has gone weak and i can't hold my pee", "cauda_equina"),
        ("my back is killing me and my legs are weak", "cauda_equina"),
    ],
)
def test_cauda_equina_signs_count_in_combination(text: str, expected: str | None) -> None:
    flag = detect_red_flag(text)
    assert (flag.category if flag else None) == expected


@pytest.mark.parametrize("category", [*CATEGORIES, None, "unknown_category"])
def test_guidance_always_starts_with_the_emergency_instruction(category: str | None) -> None:
    text = emergency_guidance(category)
    first_sentence = text.split(". ")[0]
    assert "911" in first_sentence
    assert "nearest emergency department now" in first_sentence
    assert "Don't wait for a second opinion." in text


@pytest.mark.parametrize(
    ("category", "phrases"),
    [
        ("stroke", ("even if the symptoms pass", "note the time")),
        ("self_harm", ("988", "Suicide & Crisis Lifeline")),
        ("cauda_equina", ("emergency department today",)),
        ("urgent_report", ("doctor who ordered the scan now", "can't reach them")),
        ("chest_pain", ("Chest pain",)),
    ],
)
def test_category_specific_guidance(category: str, phrases: tuple[str, ...]) -> None:
    text = emergency_guidance(category)
    for phrase in phrases:
        assert phrase in text


def test_every_category_has_its_own_advice() -> None:
    generic = emergency_guidance(None)
    for category in CATEGORIES:
        assert emergency_guidance(category) != generic, category



# --- everyday phrasings, by class (issue 14). Not the held-out sentences: other words for the
# same kind of message, so the net learns the class and the held-out set still measures it.
@pytest.mark.parametrize(
    ("text", "category"),
    [
        # self-harm said indirectly
        ("there's no point in going on like this", "self_harm"),
        ("I see no reason to carry on anymore", "self_harm"),
        ("my family would be better off if I wasn't here", "self_harm"),
        ("honestly they'd all be better off without me", "self_harm"),
        ("I've been stockpiling my painkillers for weeks", "self_harm"),
        ("tonight I'm going to swallow the entire pack", "self_harm"),
        ("I just want to fall asleep and never wake up again", "self_harm"),
        ("my wife says she doesn't want to exist", "self_harm"),
        ("I'm planning to end things after the appointment", "self_harm"),
        ("I've set the day and written notes for my family", "self_harm"),
        ("there's a gun in the closet and I keep thinking of using it", "self_harm"),
        ("I keep having dark thoughts since the biopsy", "self_harm"),
        ("she's been in a really dark place since the scan", "self_harm"),
        # stroke signs described by a relative
        ("Mom's sentences are making no sense since she woke up", "stroke"),
        ("grandpa is babbling nonsense and can't stand", "stroke"),
        ("her mouth is sagging on the left", "stroke"),
        ("the side of his smile has dropped", "stroke"),
        ("my father can't grasp the fork, it just started", "stroke"),
        ("his right arm has gone limp", "stroke"),
        ("she keeps dropping her cup and her voice sounds strange", "stroke"),
        ("he couldn't get the words out at dinner an hour ago", "stroke"),
        ("my aunt sounds like she is drunk and she doesn't drink", "stroke"),
        # heart attack pictures
        ("there's a heavy weight on my chest and I feel sick", "chest_pain"),
        ("tightness under my breastbone that won't go away", "chest_pain"),
        ("the pressure is spreading down my left arm", "chest_pain"),
        ("he's grabbing his chest and sweating", "chest_pain"),
        ("my chest has been aching for an hour", "chest_pain"),
        ("my chest is killing me", "chest_pain"),
        ("his chest is really killing him", "chest_pain"),
        # cauda equina
        ("sciatica for months, now no feeling around my bottom and I can't pee properly",
         "cauda_equina"),
        ("slipped disc, and my groin has gone numb", "cauda_equina"),
        ("bad back and I can't control going to the bathroom", "cauda_equina"),
        # others
        ("he can barely speak a few words between breaths", "breathing"),
        ("her fingertips look blue and she's wheezing", "breathing"),
        ("we can't get her to wake up properly", "fainting"),
        ("the wound keeps bleeding through the dressing", "bleeding"),
        ("dad doesn't know which day it is since his fall this morning", "confusion"),
        ("a dark shadow moved across my vision in one eye", "vision"),
        ("I got a headache out of the blue, like being kicked in the head", "severe_pain"),
    ],
)
def test_everyday_phrasings_by_class(text: str, category: str) -> None:
    assert category in {flag.category for flag in detect_red_flags(text)}, text


@pytest.mark.parametrize(
    "text",
    [
        "my mother had a stroke years ago, now they found a spot on her MRI",
        "she had a heart attack in 2019 and now a cardiac MRI",
        "no chest pain, the report was just vague",
        "I'm not suicidal, just frustrated with the imaging center",
        "this insurance stuff is killing me",
        "we picked the date for the surgery",
        "I won't be here next week, I'm travelling",
        "the second opinion made no sense to me",
        "I can't see the point of paying twice for a read",
        "I take all my meds every morning",
        "I'm collecting my pills from the pharmacy later",
        "the report's wording makes no sense",
        "dad's numb feet are from diabetes, he's had it for years",
        "the CT for chest pressure last spring was normal",
        "Grace Faint",
        "I have a cardiac MRI after a heart attack last year",
        "the portal keeps dropping the connection",
        # Neck, shoulder and wrist patients describe their limbs too (no sudden onset).
        "my left hand is numb and tingly, that's why I had the neck MRI",
        "I can't raise my arm above my head since the shoulder injury",
        "I can't grip anything because of carpal tunnel",
        "my right leg feels weak since the hip surgery",
        "my fingers feel numb at night",
    ],
)
def test_ordinary_talk_with_emergency_words_is_quiet(text: str) -> None:
    assert detect_red_flags(text) == ()


@pytest.mark.parametrize(
    ("text", "expected", "not_expected"),
    [
        # Issue 14 class 8: the numb arm belongs to the heart attack, not to a stroke.
        ("crushing chest pain ... my left arm is numb", {"chest_pain"}, {"stroke"}),
        ("chest feels heavy and my arm went weak", {"chest_pain"}, {"stroke"}),
        ("lower back pain and both legs suddenly numb", {"cauda_equina"}, {"stroke"}),
        # Several emergencies get advice for each.
        ("her face drooped and now she's coughing up blood", {"stroke", "blood"}, set()),
        ("chest pain and I keep thinking I'd be better off dead", {"chest_pain", "self_harm"},
         {"stroke"}),
        # A face or speech sign stays a stroke sign even with chest pain.
        ("chest pain and his speech is slurred", {"chest_pain", "stroke"}, set()),
        # Without chest pain, a limb that suddenly goes numb is a stroke sign.
        ("my left arm suddenly went numb", {"stroke"}, {"chest_pain"}),
    ],
)
def test_the_advice_matches_the_most_specific_emergencies(
    text: str, expected: set[str], not_expected: set[str]
) -> None:
    found = {flag.category for flag in detect_red_flags(text)}
    assert expected <= found
    assert not found & not_expected


def test_chest_pain_with_a_numb_arm_gets_heart_advice_not_stroke_advice() -> None:
    flags = detect_red_flags("crushing chest pain for an hour, my left arm is numb")
    text = emergency_guidance([flag.category for flag in flags])
    assert text.startswith("Please call 911")
    assert "heart attack" in text
    assert "stroke" not in text.lower()


def test_guidance_for_several_emergencies_names_each_once_after_the_911_line() -> None:
    text = emergency_guidance(["stroke", "self_harm", "stroke"])
    assert text.startswith("Please call 911")
    assert text.count("signs of a stroke") == 1
    assert "988" in text
    assert text.index("stroke") < text.index("988")
    assert emergency_guidance(["urgent_report", "chest_pain"]).startswith("Please call 911")
    assert emergency_guidance([]) == emergency_guidance(None)


def test_detect_red_flag_is_the_first_of_detect_red_flags() -> None:
    text = "my dad's face is drooping and he's coughing up blood"
    assert detect_red_flag(text) == detect_red_flags(text)[0]
    assert detect_red_flag("hello") is None


def _training_examples() -> list[tuple[str, str]]:
    """(intent, text) of every NLU example, entity annotations removed."""
    import re
    from pathlib import Path

    import yaml

    annotation = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\})")
    found = []
    for path in sorted((Path(__file__).resolve().parents[2] / "data" / "nlu").glob("*.yml")):
        for item in yaml.safe_load(path.read_text()).get("nlu", []):
            if "intent" not in item:
                continue
            for line in item["examples"].splitlines():
                line = line.strip()
                if line.startswith("- "):
                    found.append((item["intent"], annotation.sub(r"\1", line[2:])))
    return found


def test_the_net_never_overrides_a_training_example_of_another_intent() -> None:
    """Inside Rasa the net overrides the NLU on every message, so it must stay quiet on what
    patients say about everything else (4,400+ examples)."""
    examples = _training_examples()
    assert len(examples) > 4000
    fired = [
        (intent, text)
        for intent, text in examples
        if intent != "red_flag" and detect_red_flags(text)
    ]
    assert fired == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # The message itself says the words are not an emergency now: the NLU's red_flag yields.
        ("I'm not suicidal, just tired of waiting for the report", True),
        ("they did a CT angiogram for chest pain last spring, is the read right?", True),
        ("my right hand has been numb for 8 months, which is why I had the neck MRI", True),
        ("mom's legs have been weak for years from her neuropathy", True),
        ("I can't raise my arm over my head since the fall in March, the MRI says a tear", True),
        ("I haven't been able to lift my arm since yesterday", False),
        ("no dark thoughts or anything, just fed up with the portal", True),
        # Hyperbole about the errand, no sign named.
        ("the billing department is killing me", True),
        ("honestly the waiting is slowly killing me", True),
        ("these forms are driving me up the wall", True),
        ("my back is killing me", False),
        ("this headache is killing me", False),
        ("the wait is killing me, and my chest hurts", False),
        ("all this back and forth with the insurer is giving me a headache", True),
        ("waiting for the results is giving me a migraine lol", True),
        ("this is giving me the worst headache of my life", False),
        ("it's giving me a headache and now i can't see out of one eye", False),
        # A finding the scan calls old or stable, no sign named.
        ("the surgeon says the bleeding on the mri is old and stable. should someone confirm?",
         True),
        ("the report mentions an old stroke on the ct, is that right?", True),
        ("the bleeding on the ct is old but he is confused and slurring", False),
        ("the mri shows a bleed and now she can't wake up", False),
        # Now, again or suddenly: never.
        ("the CT for chest pain was normal but the pain is back again right now", False),
        ("I've had numbness for years but suddenly my face is drooping", False),
        # The net finds an emergency, or no sign is named at all: never.
        ("crushing chest pain", False),
        ("something is badly wrong with me", False),
        ("Grace Faint", False),
        ("", False),
        (None, False),
    ],
)
def test_only_mentions_emergency_signs(text: str | None, expected: bool) -> None:
    assert only_mentions_emergency_signs(text) is expected


def test_no_red_flag_training_example_is_ruled_out_by_its_own_words() -> None:
    red = [text for intent, text in _training_examples() if intent == "red_flag"]
    assert len(red) > 300
    assert [text for text in red if only_mentions_emergency_signs(text)] == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Grace Faint", True),
        ("Robert Payne", True),
        ("Mary-Jane O'Neil", True),
        ("Ann McDonald", True),
        ("José Álvarez", True),
        ("Cant Go On", False),  # capitalised, but a sentence
        ("I Want To Die", False),
        ("Chest Pain Now", False),
        ("John Hurt", False),  # a surname that is also a symptom word: the safe mistake
        ("grace faint", False),  # not written as a name
        ("Grace", False),  # one word
        ("Anna Maria Louisa Grace Faint", False),  # five words
        ("", False),
        (None, False),
    ],
)
def test_reads_as_a_name(text: str | None, expected: bool) -> None:
    assert red_flags.reads_as_a_name(text) is expected
