"""The held-out conversation set itself: well formed, big enough, and kept out of training data."""

from __future__ import annotations

import re
from pathlib import Path

from tests.conversations.runner import Turn, check_turn, load_conversations

ROOT = Path(__file__).resolve().parents[2]


_ANNOTATION = re.compile(r"\[([^\]]*)\](\([^)]*\)|\{[^}]*\})")


def _normalized(text: str) -> str:
    """Lower-case words only, with entity annotations ("[MRI](exam_type)") read as their text."""
    return " ".join(re.sub(r"[^a-z0-9]+", " ", _ANNOTATION.sub(r"\1", text).lower()).split())


def _is_copied(turn: str, examples: set[str]) -> bool:
    """A leak: the turn is an example, or a run of words making up at least half of one.

    Short answers ("mri", "yes thats fine") are everyone's words, so turns under four words never
    count; a long example that merely contains a short turn ("it was an mri" in a nine-word
    example) is not a copy either.
    """
    words = _normalized(turn)
    size = len(words.split())
    if size < 4:
        return False
    return any(
        f" {words} " in f" {example} " and 2 * size >= len(example.split()) for example in examples
    )


def test_the_set_has_the_red_flags_the_issue_asks_for() -> None:
    conversations = load_conversations()
    red = [c for c in conversations if c.category == "red_flag"]
    assert len(red) >= 40
    # Every red-flag conversation checks that emergency guidance comes first.
    assert all(any(t.first for t in c.turns) for c in red)
    # Several are typed into the middle of a form.
    in_form = [c for c in red if len(c.turns) > 1]
    assert len(in_form) >= 15
    assert len(conversations) - len(red) >= 60


def test_no_held_out_sentence_is_in_the_training_data() -> None:
    """No held-out message is a training example or most of one, and no long one is part of one."""
    lines = [
        line.strip()[2:]
        for path in sorted((ROOT / "data").rglob("*.yml"))
        for line in path.read_text().splitlines()
        if line.strip().startswith("- ")
    ]
    examples = {_normalized(line) for line in lines}
    training = " ".join(examples)
    leaked = [
        t.user
        for c in load_conversations()
        for t in c.turns
        if not t.user.startswith("/")
        and (
            _is_copied(t.user, examples)
            or (len(t.user.split()) >= 8 and _normalized(t.user) in training)
        )
    ]
    assert leaked == []


def test_check_turn_reports_each_kind_of_miss() -> None:
    turn = Turn(
        user="x", say=("911",), say_any=("dicom", "report"), not_say=("stroke",), first=("call",)
    )
    assert check_turn(turn, ["Please call 911.", "the REPORT"]) == []
    problems = check_turn(turn, ["Stroke advice", "then 911"])
    assert problems == ["none of ['dicom', 'report']", "said 'stroke'", "first reply lacks 'call'"]
    assert check_turn(turn, []) == [
        "missing '911'",
        "none of ['dicom', 'report']",
        "first reply lacks 'call'",
    ]


def test_a_short_turn_inside_a_short_example_is_a_leak() -> None:
    examples = {_normalized("are you a [robot](x) or a real person"), "it was an mri of my brain"}
    assert _is_copied("Are you a robot?", examples)
    assert _is_copied("it was an MRI of my brain", examples)
    assert not _is_copied("it was an MRI", {"it was an mri of my brain with and without contrast"})
    assert not _is_copied("a robot", examples)
