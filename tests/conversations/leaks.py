"""Whether a test turn was copied from the training data: the held-out conversations
(test_heldout_set.py) and the Rasa test stories (tests/unit/test_story_turns.py) must be
written fresh, or they measure memory instead of understanding."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def training_lines() -> list[str]:
    """Every list item of data/ (NLU examples, and some steps: harmless extra text)."""
    return [
        line.strip()[2:]
        for path in sorted((ROOT / "data").rglob("*.yml"))
        for line in path.read_text().splitlines()
        if line.strip().startswith("- ")
    ]


ANNOTATION = re.compile(r"\[([^\]]*)\](\([^)]*\)|\{[^}]*\})")


def normalized(text: str) -> str:
    """Lower-case words only, with entity annotations ("[MRI](exam_type)") read as their text."""
    return " ".join(re.sub(r"[^a-z0-9]+", " ", ANNOTATION.sub(r"\1", text).lower()).split())


def training_clauses(lines: list[str] | None = None) -> set[str]:
    """Each clause of every training line on its own: a turn that is a whole clause of a long
    example ("..., who should re-read it") was copied as surely as a whole line."""
    return {
        normalized(clause)
        for line in (training_lines() if lines is None else lines)
        for clause in re.split(r"[,;.?!]\s", f"{line} ")
    } - {""}


def is_copied(turn: str, examples: set[str], clauses: set[str] | None = None) -> bool:
    """A leak: the turn is an example or a whole clause of one, or a run of words making up at
    least half of an example.

    Short answers ("mri", "yes thats fine") are everyone's words, so turns under four words never
    count; a long example that merely contains a short turn ("it was an mri" in a nine-word
    example) is not a copy either.
    """
    words = normalized(turn)
    size = len(words.split())
    if size < 4:
        return False
    if clauses and words in clauses:
        return True
    return any(
        f" {words} " in f" {example} " and 2 * size >= len(example.split()) for example in examples
    )
