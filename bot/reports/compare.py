"""Two reports of the same study, finding by finding. Pure.

Findings are matched across the reports (the same kind or family of kind, the same organ; the
same site and side preferred), then each pair is compared: agree, present vs absent (or
uncertain), side, size. What one report states as present and the other does not mention is
"only in A" / "only in B"; a finding one report rules out and the other does not mention is not
a difference (readers list different negatives). Categories are compared system by system and
recommendations as sets. Nothing here says which report is right.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.reports.context import ABSENT
from bot.reports.findings import Finding, ReadReport
from bot.reports.measures import Category, is_urgent, size_text, sizes_differ
from bot.reports.vocabulary import same_family, subtype_of

# The kinds of difference, in the order a patient should read them.
KINDS = ("presence", "only_in_a", "only_in_b", "side", "size", "category", "recommendation")
URGENT_WORDS = ("urgent", "critical", "emergent", "immediate attention", "stat ")


@dataclass(frozen=True)
class Difference:
    kind: str  # one of KINDS
    subject: str  # "nodule, right lower lobe", "BI-RADS", "recommendation"
    a: str  # what report A says about it ("" when it says nothing)
    b: str
    finding_kind: str | None = None  # the finding's kind, for findings

    @property
    def urgent(self) -> bool:
        text = f"{self.a} {self.b}".lower()
        return any(word in text for word in URGENT_WORDS) or (
            self.kind == "category" and _urgent_label(self.a, self.b)
        )


@dataclass(frozen=True)
class Agreement:
    subject: str
    a: str
    b: str


@dataclass(frozen=True)
class Comparison:
    differences: tuple[Difference, ...]
    agreements: tuple[Agreement, ...]

    @property
    def urgent(self) -> bool:
        return any(difference.urgent for difference in self.differences)


def _urgent_label(*labels: str) -> bool:
    for label in labels:
        system, _, value = label.rpartition(" ")
        if system and is_urgent(Category(system, value)):
            return True
    return False


def describe(finding: Finding) -> str:
    """What the report says about the finding, in a few words."""
    words = {"present": "present", "absent": "not present", "uncertain": "possible"}
    parts = [words[finding.assertion]]
    if finding.size_mm:
        parts.append(size_text(finding.size_mm))
    if finding.change:
        parts.append(finding.change)
    if finding.side and finding.side not in (finding.site or ""):
        parts.append(finding.side)
    return ", ".join(parts)


def _score(a: Finding, b: Finding) -> int | None:
    """How well two findings match; None when they cannot be the same finding."""
    if not same_family(a.kind, b.kind):
        return None
    # "No mass" does not answer for "a lesion"; "no calcifications" does for microcalcifications.
    if ABSENT in (a.assertion, b.assertion) and not subtype_of(a.kind, b.kind):
        return None
    if a.organ and b.organ and a.organ != b.organ:
        return None
    score = 4 if a.kind == b.kind else 2
    score += 2 if a.organ and a.organ == b.organ else 0
    if a.site and b.site:
        score += 3 if a.site == b.site else -1
    if a.side and b.side:
        score += 2 if a.side == b.side else -2
    return score


def _pairs(a: list[Finding], b: list[Finding]) -> list[tuple[Finding, Finding]]:
    scored = sorted(
        ((score, i, j) for i, x in enumerate(a) for j, y in enumerate(b)
         if (score := _score(x, y)) is not None),
        reverse=True,
    )
    used_a: set[int] = set()
    used_b: set[int] = set()
    pairs: list[tuple[int, int]] = []
    for _, i, j in scored:
        if i not in used_a and j not in used_b:
            used_a.add(i)
            used_b.add(j)
            pairs.append((i, j))
    return [(a[i], b[j]) for i, j in sorted(pairs)]


def _compare_pair(x: Finding, y: Finding) -> list[Difference]:
    subject = x.name if len(x.name) >= len(y.name) else y.name
    kind = x.kind if len(x.kind) >= len(y.kind) else y.kind  # the more specific name
    found: list[Difference] = []
    if x.assertion != y.assertion:
        found.append(Difference("presence", subject, describe(x), describe(y), kind))
    if x.side and y.side and x.side != y.side and x.side != "bilateral" != y.side:
        found.append(Difference("side", kind, describe(x) + f" ({x.side})",
                                describe(y) + f" ({y.side})", kind))
    if x.size_mm and y.size_mm and sizes_differ(x.size_mm, y.size_mm):
        found.append(Difference("size", subject, size_text(x.size_mm), size_text(y.size_mm),
                                kind))
    return found


def _categories(a: ReadReport, b: ReadReport) -> tuple[list[Difference], list[Agreement]]:
    differences: list[Difference] = []
    agreements: list[Agreement] = []
    systems = dict.fromkeys([c.system for c in (*a.categories, *b.categories)])
    for system in systems:
        in_a = [c.label for c in a.categories if c.system == system]
        in_b = [c.label for c in b.categories if c.system == system]
        if in_a == in_b:
            agreements.append(Agreement(system, in_a[0], in_b[0]))
        else:
            differences.append(Difference("category", system, ", ".join(in_a) or "not given",
                                          ", ".join(in_b) or "not given"))
    return differences, agreements


def compare(a: ReadReport, b: ReadReport) -> Comparison:
    differences: list[Difference] = []
    agreements: list[Agreement] = []
    pairs = _pairs(list(a.findings), list(b.findings))
    paired_a = {id(x) for x, _ in pairs}
    paired_b = {id(y) for _, y in pairs}
    for x, y in pairs:
        found = _compare_pair(x, y)
        differences += found
        if not found and x.assertion != ABSENT:
            agreements.append(Agreement(x.name, describe(x), describe(y)))
    for x in a.findings:
        if id(x) not in paired_a and x.assertion != ABSENT:
            differences.append(Difference("only_in_a", x.name, describe(x), "", x.kind))
    for y in b.findings:
        if id(y) not in paired_b and y.assertion != ABSENT:
            differences.append(Difference("only_in_b", y.name, "", describe(y), y.kind))
    category_differences, category_agreements = _categories(a, b)
    differences += category_differences
    agreements += category_agreements
    plans_a = {r.key for r in a.recommendations}
    plans_b = {r.key for r in b.recommendations}
    if plans_a != plans_b:
        differences.append(Difference(
            "recommendation", "recommendation",
            "; ".join(r.label for r in a.recommendations) or "none",
            "; ".join(r.label for r in b.recommendations) or "none",
        ))
    differences.sort(key=lambda d: KINDS.index(d.kind))
    return Comparison(tuple(differences), tuple(agreements))
