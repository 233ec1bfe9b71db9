"""The hand-written report pairs of tests/fixtures/reports/ against bot.reports.compare:
precision and recall of the differences found. `python -m tests.reports.pairs` prints them
(`make eval` runs it) with each pair's misses and extras."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.reports.compare import Difference, compare
from bot.reports.findings import read_report

PAIRS = Path(__file__).resolve().parents[1] / "fixtures" / "reports"

Key = tuple[str, str | None]


@dataclass(frozen=True)
class Scored:
    name: str
    expected: Counter[Key]
    found: Counter[Key]

    @property
    def missed(self) -> Counter[Key]:
        return self.expected - self.found

    @property
    def extra(self) -> Counter[Key]:
        return self.found - self.expected


def key(difference: Difference) -> Key:
    if difference.kind == "recommendation":
        return ("recommendation", None)
    if difference.kind == "category":
        return ("category", difference.subject)
    return (difference.kind, difference.finding_kind)


def score_pairs() -> list[Scored]:
    scored: list[Scored] = []
    for path in sorted(PAIRS.glob("*.yml")):
        pair = yaml.safe_load(path.read_text())
        expected = Counter(
            (d["kind"], d.get("finding")) for d in pair.get("differences") or []
        )
        comparison = compare(read_report(pair["a"]), read_report(pair["b"]))
        scored.append(Scored(path.stem, expected, Counter(map(key, comparison.differences))))
    return scored


def precision_recall(scored: list[Scored]) -> tuple[float, float]:
    hits = sum(sum((s.expected & s.found).values()) for s in scored)
    found = sum(sum(s.found.values()) for s in scored)
    expected = sum(sum(s.expected.values()) for s in scored)
    return (hits / found if found else 1.0, hits / expected if expected else 1.0)


def main() -> None:
    scored = score_pairs()
    precision, recall = precision_recall(scored)
    print(f"report comparison on {len(scored)} pairs: precision {precision:.2f}, "
          f"recall {recall:.2f}")
    for s in scored:
        if s.missed or s.extra:
            print(f"- {s.name}: missed {sorted(s.missed.elements())}, "
                  f"extra {sorted(s.extra.elements(), key=str)}")


if __name__ == "__main__":
    main()
