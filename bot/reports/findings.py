"""Reading one radiology report: its sections, exam and date, findings, categories and
recommendations. Pure.

A finding is a kind ("nodule") with where it is (organ, site such as "right lower lobe", side),
its size in mm, whether the report says it is there (present / absent / uncertain, see
context.py) and how it changed ("new", "stable"...). The same finding stated in the findings and
again in the impression is kept once, with what each statement adds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date

from bot.imaging.exam import exam_from_text
from bot.imaging.pdf import exam_date
from bot.reports import context
from bot.reports.measures import Category, categories, sizes_mm
from bot.reports.recommendations import Recommendation, recommendations
from bot.reports.sections import Sections, split_sections
from bot.reports.vocabulary import (
    KIND_PATTERNS,
    ORGAN_PATTERNS,
    SIDE_WORD,
    SITE,
    same_family,
    side_in,
    site_name,
    sites_compatible,
    subtype_of,
)

_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9])|\n+")
# "a lesion, likely a cyst": the second name says what the first is, it is not a second finding.
_CHARACTERIZES = re.compile(
    r"(?:likely|probably|consistent with|compatible with|representing|suggestive of|"
    r"most likely|in keeping with|suspicious (?:for|of)|concerning for|worrisome for|"
    r"may represent|could represent)\s+(?:an?\s+|the\s+)?(?:\w+\s+){0,2}$"
)


@dataclass(frozen=True)
class Finding:
    kind: str
    organ: str | None
    site: str | None
    side: str | None
    size_mm: tuple[float, ...]
    assertion: str  # context.PRESENT / ABSENT / UNCERTAIN
    change: str | None
    text: str  # the sentence it was read from, verbatim

    @property
    def name(self) -> str:
        """ "nodule, right lower lobe" — what the patient and the doctor call it."""
        organ = None if self.organ and self.organ.startswith(self.kind) else self.organ
        where = self.site or (f"{self.side} {organ}" if self.side and organ else organ)
        if where is None and self.side:
            where = self.side
        return f"{self.kind}, {where}" if where else self.kind


@dataclass(frozen=True)
class ReadReport:
    sections: Sections
    exam_type: str | None
    body_part: str | None
    exam_date: date | None
    findings: tuple[Finding, ...]
    categories: tuple[Category, ...]
    recommendations: tuple[Recommendation, ...]

    @property
    def impression(self) -> str:
        return self.sections.impression or self.sections.get("findings")


def sentences(text: str) -> list[str]:
    return [s.strip(" -•*\t") for s in _SENTENCE.split(text) if s.strip(" -•*\t")]


def _nearest(spans: list[tuple[int, int, str]], at: int) -> str | None:
    if not spans:
        return None
    return min(spans, key=lambda span: min(abs(span[0] - at), abs(span[1] - at)))[2]


_SEPARATOR = re.compile(r",|\band\b|\bwith\b|\bor\b")


def _owner(mentions: list[tuple[int, int, str]], clause: str, start: int, end: int) -> int:
    """The mention a size, site or side at clause[start:end] describes: the closest one, not
    across a comma, "and", "with" or "or" when another is closer on its own side."""

    def distance(mention: tuple[int, int, str]) -> int:
        left, right = (mention[1], start) if mention[1] <= start else (end, mention[0])
        between = clause[left:right] if left < right else ""
        return max(0, right - left) + (100 if _SEPARATOR.search(between) else 0)

    return min(mentions, key=distance)[0]


def _findings_in(sentence: str) -> list[Finding]:
    lowered = sentence.lower()
    found: list[Finding] = []
    for _start, clause in context.clauses(lowered):
        mentions: list[tuple[int, int, str]] = []
        for kind, pattern in KIND_PATTERNS:
            for match in pattern.finditer(clause):
                overlaps = any(s < match.end() and match.start() < e for s, e, _ in mentions)
                if not overlaps:
                    mentions.append((match.start(), match.end(), kind))
        if not mentions:
            continue
        organs = [(m.start(), m.end(), organ) for organ, p in ORGAN_PATTERNS
                  for m in p.finditer(clause)]
        # Findings named inside the organ word ("lymph node" in "lymph") are not its organ.
        organs = [o for o in organs if not any(s <= o[0] < e for s, e, _ in mentions)]
        sites = [(m.start(), m.end(), m.group(0)) for m in SITE.finditer(clause)]
        sizes = sizes_mm(clause)
        mentions.sort()
        mentions = [
            m for i, m in enumerate(mentions)
            if not any(same_family(m[2], earlier[2]) for earlier in mentions[:i])
            or not _CHARACTERIZES.search(clause[: m[0]])
        ]
        sides = [(m.start(), m.end(), m.group(0)) for m in SIDE_WORD.finditer(clause)]
        for start, end, kind in mentions:
            # A size, a site or a side belongs to the mention it is closest to.
            own_sizes = [dims for at, length, dims in sizes
                         if _owner(mentions, clause, at, at + length) == start]
            own_sites = [span for span in sites
                         if _owner(mentions, clause, span[0], span[1]) == start]
            own_sides = [span for span in sides
                         if _owner(mentions, clause, span[0], span[1]) == start]
            own_organs = [span for span in organs
                          if _owner(mentions, clause, span[0], span[1]) == start]
            site = site_name(_nearest(own_sites, start))
            found.append(Finding(
                kind=kind,
                organ=_nearest(own_organs, start),
                site=site,
                side=side_in(site or "") or side_in(_nearest(own_sides, start) or ""),
                size_mm=own_sizes[0] if own_sizes else (),
                assertion=context.assertion(clause, start, end),
                change=context.change(clause),
                text=sentence.strip(),
            ))
    return found


def _merge(findings: list[Finding]) -> list[Finding]:
    """One finding per (kind, organ, side, site): later statements (the impression) fill in
    what earlier ones left out and decide present / absent / uncertain."""
    merged: list[Finding] = []
    for finding in findings:
        # "Right lower lobe nodule" in the impression joins the findings' nodule with its site.
        index = next((i for i, earlier in enumerate(merged) if _one(earlier, finding)), None)
        if index is None:
            merged.append(finding)
            continue
        earlier = merged[index]
        merged[index] = replace(
            earlier,
            kind=finding.kind if len(finding.kind) > len(earlier.kind) else earlier.kind,
            organ=earlier.organ or finding.organ,
            site=_longer(earlier.site, finding.site),
            side=earlier.side or finding.side,
            size_mm=earlier.size_mm or finding.size_mm,
            change=earlier.change or finding.change,
            assertion=finding.assertion,
        )
    return merged


def _one(a: Finding, b: Finding) -> bool:
    return (
        subtype_of(a.kind, b.kind)
        and (a.organ is None or b.organ is None or a.organ == b.organ)
        and (a.side is None or b.side is None or a.side == b.side)
        and sites_compatible(a.site, b.site)
    )


def _longer(a: str | None, b: str | None) -> str | None:
    if a is None or b is None:
        return a or b
    return a if len(a) >= len(b) else b


def read_report(text: str) -> ReadReport:
    sections = split_sections(text)
    exam_type, body_part = exam_from_text(sections.get("exam") or sections.header or text[:200])
    body = sections.body or text
    said = [finding for sentence in sentences(body) for finding in _findings_in(sentence)]
    recommended = recommendations(sentences(body))
    return ReadReport(
        sections=sections,
        exam_type=exam_type,
        body_part=body_part,
        exam_date=exam_date(text),
        findings=tuple(_merge(said)),
        categories=tuple(categories(body)),
        recommendations=tuple(recommended),
    )
