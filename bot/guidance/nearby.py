"""Radiologists near the patient: reading a ZIP code, ranking by distance, wording the cards.

Pure: the directory service (bot/directory/service.py) looks providers up and finds the ZIP
codes' centroids; this module only compares and words them. Without coordinates the order is
same city, then same state, then the rest. No taxonomy code is ever printed here.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.guidance.normalize import normalize_text

EARTH_RADIUS_MILES = 3958.8
CARDS_PER_PAGE = 4

_ZIP = re.compile(r"(?<![\d-])(\d{5})(?:-\d{4})?(?![\d-])")
_SKIP = re.compile(
    r"^(?:skip|no|nope|no thanks|not now|rather not|id rather not|i dont want to|prefer not|"
    r"dont want to say|pass)\b"
)


def parse_zip(text: str | None) -> str | None:
    """ "19104", "my zip is 19104-3246" -> "19104"; two different ZIP codes -> None."""
    found = {m.group(1) for m in _ZIP.finditer(text or "")}
    return found.pop() if len(found) == 1 else None


_STATE_CODES = (
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH "
    "NJ NM NY NC ND OH OK OR PA PR RI SC SD TN TX UT VT VA WA WV WI WY"
)
_STATES = frozenset(_STATE_CODES.split())
_CITY_STATE = re.compile(
    r"^(?:i live in |we live in |in |near )?([a-z][a-z .'-]*?),?\s+([a-z]{2})\.?$"
)


def parse_city_state(text: str | None) -> tuple[str, str] | None:
    """ "Boston, MA", "near austin tx" -> ("Boston", "MA"); a two-letter state code is needed."""
    found = _CITY_STATE.match(" ".join((text or "").lower().split()))
    if found is None or found.group(2).upper() not in _STATES:
        return None
    return found.group(1).strip().title(), found.group(2).upper()


# "I'd prefer not to tell you where I live", "not comfortable sharing my zip code", "leave my
# zip out of this".
_DECLINE = re.compile(
    r"\b(?:rather not|prefer not to|(?:dont|do not) (?:really )?want to|not comfortable|wont|"
    r"will not|"
    r"not going to) (?:\w+ ){0,2}(?:give|giving|share|sharing|say|saying|tell|telling|provide|"
    r"type|enter)\b|"
    # "I'd prefer to leave my zip out of this", "keep my location private".
    r"\b(?:leave|keep) (?:\w+ ){0,3}(?:out of (?:it|this)|private|to myself)\b"
)


def wants_to_skip(text: str | None) -> bool:
    clean = normalize_text(text)
    return bool(_SKIP.match(clean) or _DECLINE.search(clean))


@dataclass(frozen=True)
class Place:
    city: str
    state: str
    latitude: float | None = None
    longitude: float | None = None


@dataclass(frozen=True)
class Candidate:
    """A provider as the patient will read it."""

    name: str
    credential: str
    organisation: str
    address: str
    city: str
    state: str
    postal_code: str
    phone: str
    listed_as: str  # the matched taxonomy, in words ("Neuroradiology")
    place: Place | None = None  # the centroid of the provider's ZIP code, when known


@dataclass(frozen=True)
class Ranked:
    candidate: Candidate
    miles: float | None


def distance_miles(a: Place, b: Place) -> float | None:
    """Great-circle distance between two centroids (None without coordinates)."""
    if None in (a.latitude, a.longitude, b.latitude, b.longitude):
        return None
    lat1, lon1, lat2, lon2 = (
        math.radians(float(v))  # type: ignore[arg-type]
        for v in (a.latitude, a.longitude, b.latitude, b.longitude)
    )
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(
        (lon2 - lon1) / 2
    ) ** 2
    return 2 * EARTH_RADIUS_MILES * math.asin(math.sqrt(h))


def rank(candidates: Sequence[Candidate], origin: Place) -> list[Ranked]:
    """Nearest first; without distances, same city, then same state, then the rest."""

    def key(item: Ranked) -> tuple[int, float, str]:
        c = item.candidate
        if item.miles is not None:
            return (0, item.miles, c.name)
        same_city = c.city.lower() == origin.city.lower() and c.state == origin.state
        return (1 if same_city else 2 if c.state == origin.state else 3, 0.0, c.name)

    ranked = [
        Ranked(c, distance_miles(origin, c.place) if c.place else None) for c in candidates
    ]
    return sorted(ranked, key=key)


def card(item: Ranked) -> str:
    """One provider in a few short lines; empty fields are left out, never "None"."""
    c = item.candidate
    title = ", ".join(p for p in (c.name, c.credential) if p)
    place = ", ".join(p for p in (c.address, f"{c.city}, {c.state} {c.postal_code}".strip()) if p)
    lines = [title]
    if c.organisation:
        lines.append(c.organisation)
    lines.append(place)
    if c.phone:
        lines.append(f"Phone: {c.phone}")
    lines.append(f"Listed as: {c.listed_as}")
    if item.miles is not None:
        miles = item.miles
        lines.append(f"About {miles:.0f} miles away" if miles >= 1 else "Under a mile away")
    return "\n".join(lines)


REGISTRY_SEARCH_PAGE = "https://npiregistry.cms.hhs.gov/search"


def search_hint(listed_as: str, postal_code: str) -> str:
    """How to run the same search on the registry's own website."""
    where = f" and the ZIP code {postal_code}" if postal_code else " and your state"
    return f"{REGISTRY_SEARCH_PAGE} (taxonomy description \"{listed_as}\"{where})"
