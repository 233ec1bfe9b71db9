"""What the report recommends: follow-up imaging (which exam, in how long), a biopsy, a
referral, or nothing further. Pure. "Clinical correlation" is boilerplate, not a plan."""

from __future__ import annotations

import re
from dataclasses import dataclass

_SAYS_TO_DO = re.compile(
    r"\b(?:recommend\w*|suggest\w*|advis\w*|should be (?:considered|obtained|performed)|"
    r"consider|follow-?up|biopsy|referral|refer|correlat\w* with|no (?:further )?follow-?up)\b"
)
_RECOMMENDS = re.compile(r"\b(?:recommend\w*|suggest\w*|advis\w*|consider|should be)\b")
_ACTIONS = (
    ("no follow-up", re.compile(r"\bno (?:further |routine )?(?:follow-?up|imaging)\b|"
                                r"follow-?up (?:is )?not (?:needed|required|recommended)")),
    ("biopsy", re.compile(r"\b(?:biops\w*|tissue sampling|fna|fine needle aspiration)\b")),
    ("referral", re.compile(r"\b(?:referr?al|refer\w*|consultation|consult)\b")),
    ("follow-up imaging", re.compile(r"\b(?:follow-?up|repeat|short[- ]interval|surveillance|"
                                     r"re-?imag\w*|further (?:evaluation|imaging))\b")),
)
_MODALITIES = (
    ("PET/CT", r"pet(?:/| )?ct|pet"),
    ("MRI", r"mri|mr\b|magnetic resonance"),
    ("CT", r"\bct\b|computed tomography|cat scan"),
    ("ultrasound", r"ultrasound|sonograph\w*|\bus\b"),
    ("mammogram", r"mammogra\w*|(?:diagnostic|additional|magnification) (?:\w+ )?views|"
                  r"spot compression"),
    ("X-ray", r"x-?rays?|radiograph\w*"),
)
_INTERVAL = re.compile(
    r"\b(\d{1,2}|one|two|three|four|six|twelve)[- ](month|months|year|years|week|weeks)\b"
)
_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "six": 6, "twelve": 12}


@dataclass(frozen=True)
class Recommendation:
    action: str  # "follow-up imaging", "biopsy", "referral", "no follow-up"
    modality: str | None
    months: float | None
    text: str  # the sentence, verbatim

    @property
    def key(self) -> tuple[str, str | None, float | None]:
        return (self.action, self.modality, self.months)

    @property
    def label(self) -> str:
        parts = [self.action]
        if self.modality:
            parts.append(self.modality)
        if self.months:
            parts.append(f"in {self.months:g} months")
        return " ".join(parts)


def _months(text: str) -> float | None:
    match = _INTERVAL.search(text)
    if match is None:
        return None
    number = _NUMBERS.get(match.group(1)) or float(match.group(1))
    unit = match.group(2)
    return float(number) * (12 if unit.startswith("year") else 0.25 if unit.startswith("week")
                            else 1)


def recommendations(sentences: list[str]) -> list[Recommendation]:
    """One recommendation per sentence that says to do something (the first action named)."""
    found: list[Recommendation] = []
    for sentence in sentences:
        clean = sentence.lower()
        if not _SAYS_TO_DO.search(clean):
            continue
        # "ultrasound-guided biopsy": the exam guides the biopsy, it is not a second exam.
        unguided = re.sub(r"\b[\w/]+[- ]guided\b", "", clean)
        modality = next((name for name, p in _MODALITIES if re.search(p, unguided)), None)
        actions = [name for name, pattern in _ACTIONS if pattern.search(clean)]
        if "no follow-up" in actions:
            actions = ["no follow-up"]
        elif modality and "follow-up imaging" not in actions and _RECOMMENDS.search(clean):
            actions.append("follow-up imaging")  # "Recommend MRI for further evaluation."
        for action in actions:
            imaging = action == "follow-up imaging"
            recommendation = Recommendation(
                action, modality if imaging else None, _months(clean) if imaging else None,
                sentence.strip(),
            )
            if recommendation.key not in {r.key for r in found}:
                found.append(recommendation)
    return found
