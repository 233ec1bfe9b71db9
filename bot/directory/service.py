"""Radiologists near the patient's ZIP code, from the NPI Registry.

The subspecialty's taxonomy code (bot/guidance/subspecialty.py) is what results are filtered on;
its description is what the registry is asked for. The search widens step by step (the ZIP code,
then its city, then its state) until there are enough listings, and the listings are ranked by
the distance between ZIP-code centroids (the bundled `zipcodes` dataset, MIT licence, US Census
centroids). The patient's ZIP code is never logged.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace

import zipcodes  # type: ignore[import-untyped]

from bot.config import Settings
from bot.directory.nppes import NppesClient, Provider, Query, RegistryError
from bot.guidance.nearby import Candidate, Place, Ranked, rank
from bot.guidance.subspecialty import SUBSPECIALTIES

ENOUGH = 12


@dataclass(frozen=True)
class NearbyResult:
    listed_as: str  # the taxonomy in words: "Neuroradiology"
    postal_code: str
    state: str
    ranked: tuple[Ranked, ...]
    reachable: bool  # False: the registry could not be asked (offline, down, slow, an error)


@functools.lru_cache(maxsize=50_000)
def zip_place(postal_code: str) -> Place | None:
    """The ZIP code's city, state and centroid; None for an unknown code."""
    try:
        found = zipcodes.matching(postal_code[:5])
    except (TypeError, ValueError):
        return None
    if not found:
        return None
    entry = found[0]
    try:
        latitude, longitude = float(entry["lat"]), float(entry["long"])
    except (KeyError, TypeError, ValueError):
        latitude = longitude = None  # type: ignore[assignment]
    return Place(str(entry.get("city", "")), str(entry.get("state", "")), latitude, longitude)


def zip_for_city(city: str, state: str) -> str | None:
    """A ZIP code of the city (its first standard one), so "Boston, MA" can be searched too."""
    try:
        found = zipcodes.filter_by(city=city, state=state)
    except (TypeError, ValueError):
        return None
    standard = [z for z in found if z.get("zip_code_type") == "STANDARD"] or found
    return str(standard[0]["zip_code"]) if standard else None


def listed_as(subspecialty_key: str | None) -> tuple[str, str]:
    """(taxonomy code, its description in words) for a subspecialty; Diagnostic Radiology when
    the subspecialty has no code of its own or is unknown."""
    entry = SUBSPECIALTIES.get(subspecialty_key or "")
    code, name = (entry.nucc_code, entry.nucc_name) if entry else (
        "2085R0202X", "Radiology, Diagnostic Radiology"
    )
    return code, name.removeprefix("Radiology, ")


def _candidate(provider: Provider, description: str) -> Candidate:
    address = provider.address
    return Candidate(
        name=provider.name,
        credential=provider.credential,
        organisation=provider.organisation,
        address=address.line if address else "",
        city=address.city if address else "",
        state=address.state if address else "",
        postal_code=address.postal_code if address else "",
        phone=address.phone if address else "",
        listed_as=description,
        place=zip_place(address.postal_code) if address and address.postal_code else None,
    )


def find_nearby(
    client: NppesClient, subspecialty_key: str | None, postal_code: str
) -> NearbyResult:
    """Listings for the subspecialty near the ZIP code, nearest first."""
    code, description = listed_as(subspecialty_key)
    origin = zip_place(postal_code) or Place("", "")
    base = Query(taxonomy_code=code, taxonomy_description=description)
    steps = [replace(base, postal_code=postal_code)]
    if origin.state:
        steps.append(replace(base, city=origin.city, state=origin.state))
        steps.append(replace(base, state=origin.state))
    providers: dict[str, Provider] = {}
    try:
        for query in steps:
            for provider in client.search(query, wanted=ENOUGH * 2):
                providers.setdefault(provider.npi, provider)
            if len(providers) >= ENOUGH:
                break
    except RegistryError:
        return NearbyResult(description, postal_code, origin.state, (), reachable=False)
    candidates = [_candidate(p, description) for p in providers.values()]
    return NearbyResult(
        description, postal_code, origin.state, tuple(rank(candidates, origin)), reachable=True
    )


@functools.lru_cache(maxsize=1)
def default_client() -> NppesClient:
    """One client (one connection pool, one cache) per process, configured from the environment."""
    settings = Settings.load()
    return NppesClient(settings.nppes_url, offline=settings.nppes_offline)
