"""The held-out conversation set itself: well formed, big enough, and kept out of training data."""

from __future__ import annotations

from tests.conversations.leaks import is_copied, normalized, training_clauses, training_lines
from tests.conversations.runner import Turn, check_turn, load_conversations


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
    examples = {normalized(line) for line in training_lines()}
    clauses = training_clauses()
    training = " ".join(examples)
    leaked = [
        t.user
        for c in load_conversations()
        for t in c.turns
        if not t.user.startswith("/")
        and (
            is_copied(t.user, examples, clauses)
            or (len(t.user.split()) >= 8 and normalized(t.user) in training)
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
    examples = {normalized("are you a [robot](x) or a real person"), "it was an mri of my brain"}
    assert is_copied("Are you a robot?", examples)
    assert is_copied("it was an MRI of my brain", examples)
    assert not is_copied("it was an MRI", {"it was an mri of my brain with and without contrast"})
    assert not is_copied("a robot", examples)


def test_a_turn_that_is_a_whole_clause_of_a_long_example_is_a_leak() -> None:
    lines = ["our baby had an [ultrasound](x) of the [hip](y) at the clinic, who should re-read it"]
    examples, clauses = {normalized(line) for line in lines}, training_clauses(lines)
    assert is_copied("who should re-read it?", examples, clauses)
    assert not is_copied("who should re-read it?", examples)
    assert not is_copied("who should re-read my scan", examples, clauses)
    assert not is_copied("our baby had an ultrasound", examples, clauses)
