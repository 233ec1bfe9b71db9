"""Sizes with their units and the standard reporting categories. Pure."""

from __future__ import annotations

import re
from dataclasses import dataclass

_NUMBER = r"(\d+(?:\.\d+)?)"
_BY = r"\s*(?:x|×|by)\s*"
SIZE = re.compile(
    rf"{_NUMBER}(?:{_BY}{_NUMBER})?(?:{_BY}{_NUMBER})?\s*(mm|cm|millimet(?:er|re)s?|"
    rf"centimet(?:er|re)s?)\b"
)


def sizes_mm(text: str) -> list[tuple[int, int, tuple[float, ...]]]:
    """(offset, length, dimensions in mm) of every measurement in the text."""
    found: list[tuple[int, int, tuple[float, ...]]] = []
    for match in SIZE.finditer(text):
        factor = 10.0 if match.group(4).startswith(("cm", "centi")) else 1.0
        dims = tuple(round(float(n) * factor, 1) for n in match.groups()[:3] if n is not None)
        found.append((match.start(), match.end() - match.start(), dims))
    return found


def size_text(dims: tuple[float, ...]) -> str:
    return " x ".join(f"{d:g}" for d in dims) + " mm"


def sizes_differ(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    """The largest dimensions differ by more than 2 mm and more than 20 %: more than the usual
    variation between two readers measuring the same thing."""
    big_a, big_b = max(a), max(b)
    return abs(big_a - big_b) > 2 and abs(big_a - big_b) > 0.2 * max(big_a, big_b)


@dataclass(frozen=True)
class Category:
    system: str  # "BI-RADS", "LI-RADS", "Lung-RADS", "PI-RADS", "TI-RADS", "O-RADS"
    value: str  # "4A", "3", "LR-5" is "5"

    @property
    def label(self) -> str:
        return f"{self.system} {self.value}"


_SYSTEMS = (
    ("BI-RADS", r"bi-?rads"),
    ("LI-RADS", r"li-?rads|\blr(?=-?\d)"),
    ("Lung-RADS", r"lung-?rads"),
    ("PI-RADS", r"pi-?rads"),
    ("TI-RADS", r"(?:acr )?ti-?rads|\btr(?=\d)"),
    ("O-RADS", r"o-?rads"),
)
_SHORT = {"lr": "LI-RADS", "tr": "TI-RADS"}
CATEGORY = re.compile(
    r"(?i)(" + "|".join(p for _, p in _SYSTEMS) + r")\s*(?:category|score|assessment)?\s*[:-]?\s*"
    r"(\d[abcx]?|[mx])\b"
)

# Categories that say "act soon": the patient hears "contact your doctor promptly" first.
URGENT = {
    "BI-RADS": {"4", "4A", "4B", "4C", "5", "6"},
    "LI-RADS": {"5", "M"},
    "Lung-RADS": {"4A", "4B", "4X"},
    "PI-RADS": {"4", "5"},
    "TI-RADS": {"5"},
    "O-RADS": {"4", "5"},
}


def categories(text: str) -> list[Category]:
    found: list[Category] = []
    for match in CATEGORY.finditer(text):
        raw = match.group(1).lower().removeprefix("acr ").replace("-", "")
        system = _SHORT.get(raw) or next(
            name for name, _ in _SYSTEMS if name.lower().replace("-", "") == raw
        )
        category = Category(system, match.group(2).upper())
        if category not in found:
            found.append(category)
    return found


def is_urgent(category: Category) -> bool:
    return category.value in URGENT.get(category.system, set())
