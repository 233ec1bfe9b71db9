"""The keyword safety net catches emergencies and stays quiet on ordinary second-opinion talk."""

from __future__ import annotations

import dataclasses

import pytest

from bot.guidance.red_flags import RedFlag, detect_red_flag, emergency_guidance

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


def test_red_flag_is_frozen() -> None:
    flag = RedFlag(category="stroke", matched="slurred")
    with pytest.raises(dataclasses.FrozenInstanceError):
        flag.category = "chest_pain"  # type: ignore[misc]
