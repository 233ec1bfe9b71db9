"""The Rasa test stories (tests/test_stories.yml, `make test-stories`) send their free-text turns
through the trained NLU: a turn copied from the training data would pass by memory, so every one
is written fresh (not an example, nor most of one; short replies not an example either)."""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.conversations.leaks import is_copied, normalized, training_clauses, training_lines

ROOT = Path(__file__).resolve().parents[2]


def free_text_turns() -> list[str]:
    stories = yaml.safe_load((ROOT / "tests" / "test_stories.yml").read_text())["stories"]
    return [
        step["user"].strip()
        for story in stories
        for step in story["steps"]
        if "user" in step and not step["user"].strip().startswith("/")  # "/intent": a button
    ]


def test_the_stories_type_words_of_their_own() -> None:
    turns = free_text_turns()
    assert len(turns) >= 30
    examples = {normalized(line) for line in training_lines()}
    clauses = training_clauses()
    copied = [t for t in turns if normalized(t) in examples or is_copied(t, examples, clauses)]
    assert copied == []
