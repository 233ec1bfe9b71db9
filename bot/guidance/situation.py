"""One picture of the patient's situation: what the patient said, what the files say, and where
each fact came from.

The patient's messages are read whole (`read_message`), later messages overriding earlier ones
(`patient_said`): a patient who changes an answer is believed. The files' headers say what was
scanned, so for the exam and the body part the files beat the chat (`Fact.value`); when the two
disagree the patient is told so in plain words and asked which study the second opinion is for
(`mismatch_message`), instead of one silently replacing the other.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from typing import Final

from bot.guidance import mentions
from bot.guidance.parsing import (
    combine_exams,
    known,
    parse_age_group,
    parse_body_part,
    parse_exam_type,
    parse_exam_types,
    parse_plan_type,
    parse_situation,
)
from bot.guidance.vocabulary import describe_scan

PATIENT: Final = "patient said"
FILES: Final = "files say"
BOTH: Final = "both agree"
CONFLICT: Final = "they disagree"

# A compound exam agrees with its parts: a patient calls a PET/CT "a CT", a CT angiogram "a CT".
_EXAM_PARTS: Final[dict[str, frozenset[str]]] = {
    "pet": frozenset({"ct", "mri"}),
    "nuclear": frozenset({"ct"}),
    "angiogram": frozenset({"ct", "mri"}),
}
# Body parts a patient and a scanner may name differently for the same study.
_NEIGHBOURS: Final = frozenset(
    frozenset(pair)
    for pair in (
        ("brain", "head_neck"), ("head_neck", "spine"), ("chest", "heart"),
        ("chest", "abdomen"), ("abdomen", "pelvis"), ("chest", "breast"),
        ("spine", "pelvis"), ("knee", "extremity"), ("shoulder", "extremity"),
        ("hip", "extremity"), ("hip", "pelvis"),
    )
)


@dataclass(frozen=True)
class Said:
    """What the patient stated; None where they said nothing about it."""

    exam_type: str | None = None
    body_part: str | None = None
    age_group: str | None = None
    plan_type: str | None = None
    physician_requested: str | None = None
    surgery_planned: str | None = None
    in_network: str | None = None
    situation: str | None = None

    def then(self, later: Said) -> Said:
        """This, updated with what a later message stated."""
        changes = {f.name: getattr(later, f.name) for f in fields(later) if getattr(later, f.name)}
        return replace(self, **changes)

    def get(self, name: str) -> str | None:
        value = getattr(self, name, None)
        return value if isinstance(value, str) else None


def _first(values: Iterable[str | None]) -> str | None:
    return next((value for value in values if value), None)


def _stated_plan(value: str, words: str) -> str | None:
    """The plan an NLU entity names, unless it is self-pay only offered as a choice ("will my
    insurance pay or is it out of pocket?")."""
    plan = parse_plan_type(value)
    if plan == "none" and mentions.offers_self_pay_as_a_choice(words):
        return None
    return plan


def read_message(text: str | None, entities: Mapping[str, Sequence[str]] | None = None) -> Said:
    """Everything one message states. `entities` are the NLU's (or a button's) values by name.

    A button payload ("/inform{...}") speaks through its entities only. A body part in free text
    counts only next to an exam ("my son's brain MRI"): "chest pain" names no scan.
    """
    entities = entities or {}
    words = "" if (text or "").lstrip().startswith("/") else (text or "")
    exam = combine_exams(
        [known(parse_exam_type(value)) for value in entities.get("exam_type", ())]
        + list(parse_exam_types(words))
    )
    body = _first(known(parse_body_part(value)) for value in entities.get("body_part", ()))
    if body is None and exam is not None:
        body = known(parse_body_part(words))
    if exam == "mammogram":
        body = "breast"
    return Said(
        exam_type=exam,
        body_part=body,
        age_group=_first(parse_age_group(v) for v in entities.get("age_group", ()))
        or mentions.mentioned_age_group(words),
        plan_type=_first(_stated_plan(v, words) for v in entities.get("plan_type", ()))
        or mentions.mentioned_plan_type(words),
        physician_requested=mentions.mentioned_physician_request(words),
        surgery_planned=mentions.mentioned_surgery(words),
        in_network=mentions.mentioned_network(words),
        situation=_first(parse_situation(v) for v in entities.get("situation", ()))
        or parse_situation(mentions.statements(words)),
    )


def patient_said(messages: Iterable[tuple[str | None, Mapping[str, Sequence[str]]]]) -> Said:
    """What the patient's messages state, oldest first; a later statement replaces an earlier one.

    The situation is left out: it is read only from the message that answers its question.
    """
    said = Said()
    for text, entities in messages:
        said = said.then(replace(read_message(text, entities), situation=None))
    return said


@dataclass(frozen=True)
class Fact:
    """One fact, as the patient said it and as the files say it."""

    said: str | None = None
    files: str | None = None

    @property
    def value(self) -> str | None:
        """Files beat chat: they record what was actually scanned."""
        return self.files or self.said

    @property
    def source(self) -> str | None:
        if self.said and self.files:
            return BOTH if _agree(self.said, self.files) else CONFLICT
        if self.files:
            return FILES
        return PATIENT if self.said else None


def _agree(said: str, files: str) -> bool:
    if said == files:
        return True
    if said in _EXAM_PARTS.get(files, ()) or files in _EXAM_PARTS.get(said, ()):
        return True
    return frozenset((said, files)) in _NEIGHBOURS or "whole_body" in (said, files)


@dataclass(frozen=True)
class Picture:
    exam_type: Fact
    body_part: Fact
    age_group: Fact
    plan_type: Fact
    reason: Fact

    @property
    def disagrees(self) -> bool:
        """The files are not the study the patient described."""
        return CONFLICT in (self.exam_type.source, self.body_part.source)

    def scan_said(self) -> str:
        return describe_scan(self.exam_type.said, self.body_part.said)

    def scan_in_files(self) -> str:
        return describe_scan(self.exam_type.files, self.body_part.files)


def build_picture(
    said: Said,
    files_exam: str | None = None,
    files_body_part: str | None = None,
    reason: str | None = None,
) -> Picture:
    """The picture from the patient's statements and the files' headers (None: no files)."""
    return Picture(
        exam_type=Fact(said.exam_type, known(files_exam)),
        body_part=Fact(said.body_part, known(files_body_part)),
        age_group=Fact(said.age_group),
        plan_type=Fact(said.plan_type),
        reason=Fact(said.situation or reason),
    )


def with_article(phrase: str) -> str:
    """"a brain MRI", "an MRI", "an X-ray", "an ultrasound"."""
    first = phrase.split(" ", 1)[0]
    vowel_sound = first[:1].lower() in "aeiou" or (
        first.isupper() and first[:1] in "FHLMNRSX"
    ) or first.startswith("X-")
    return f"{'an' if vowel_sound else 'a'} {phrase}"


def mismatch_message(picture: Picture) -> str | None:
    """Plain words for files that are not the study the patient described; None when they fit."""
    if not picture.disagrees:
        return None
    return (
        f"You mentioned {with_article(picture.scan_said())}, but the files you sent are "
        f"{with_article(picture.scan_in_files())}. Which study is the second opinion for? "
        f"If it's the {picture.scan_said()}, please send its files too."
    )


def mismatch_choices(picture: Picture) -> list[dict[str, str]]:
    """Buttons answering `mismatch_message`: each sets the exam and body part it names."""
    choices = []
    for title, exam, part in (
        (f"The {picture.scan_in_files()} I sent", picture.exam_type.files, picture.body_part.files),
        (f"The {picture.scan_said()}", picture.exam_type.said, picture.body_part.said),
    ):
        values = {k: v for k, v in (("exam_type", exam), ("body_part", part)) if v}
        payload = ",".join(f'"{k}":"{v}"' for k, v in values.items())
        choices.append({"title": title, "payload": f"/inform{{{payload}}}"})
    return choices
