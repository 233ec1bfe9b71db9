"""A small client for the public NPPES NPI Registry API v2.1 (no key).

Facts from ../shared/notes/nppes-format.md: errors come back with HTTP 200 as `{"Errors": [...]}`;
`number` is an integer in old records and a string in new ones; `taxonomies[].desc` wording
changed over time, so results are filtered on `taxonomies[].code` only; `result_count` is the
size of one page. Requests go through one `requests.Session` (connection pooling) with a short
timeout and retries with backoff on 429/5xx. Answers are cached for a day. The patient's location
is never logged: only the status of a failed call is.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

log = logging.getLogger(__name__)


class _RedactQueryStrings(logging.Filter):
    """urllib3 logs request URLs at DEBUG; ours carry the patient's ZIP code and city."""

    _QUERY = re.compile(r"\?[^\s'\"]*")

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self._QUERY.sub("?[redacted]", record.getMessage())
        record.args = ()
        return True


for _logger in ("urllib3.connectionpool", "urllib3.util.retry"):
    logging.getLogger(_logger).addFilter(_RedactQueryStrings())

API_VERSION = "2.1"
MAX_LIMIT = 200
MAX_SKIP = 1000
CACHE_SECONDS = 24 * 60 * 60
# The whole answer must come within the patient's patience: a slow registry is an offline one.
TIMEOUT_SECONDS = 3.0


class RegistryError(Exception):
    """The registry could not answer (offline, unreachable, slow, an error reply)."""


@dataclass(frozen=True)
class Address:
    line: str
    city: str
    state: str
    postal_code: str
    phone: str


@dataclass(frozen=True)
class Provider:
    """One NPI record, reduced to what a patient needs to make contact."""

    npi: str
    is_person: bool
    name: str
    credential: str
    organisation: str
    taxonomy_codes: tuple[str, ...]
    address: Address | None


def _clean(value: Any) -> str:
    text = "" if value is None else str(value).strip()
    return "" if text in ("--", "-") else text


def _name(basic: Mapping[str, Any], is_person: bool) -> str:
    if not is_person:
        return _clean(basic.get("organization_name"))
    parts = [_clean(basic.get(key)) for key in ("first_name", "middle_name", "last_name")]
    joined = " ".join(p.title() if p.isupper() else p for p in parts if p)
    return joined or _clean(basic.get("name"))  # `name` exists only in old records


def _address(addresses: Any) -> Address | None:
    """The practice location (not the mailing address); US addresses only."""
    usable = [
        a for a in (addresses or [])
        if isinstance(a, dict) and _clean(a.get("address_type")) != "FGN"
    ]
    usable.sort(key=lambda a: _clean(a.get("address_purpose")) != "LOCATION")
    if not usable:
        return None
    first = usable[0]
    parts = (_clean(first.get("address_1")), _clean(first.get("address_2")))
    line = ", ".join(p for p in parts if p)
    postal = _clean(first.get("postal_code"))
    return Address(
        line=line.title() if line.isupper() else line,
        city=_clean(first.get("city")).title(),
        state=_clean(first.get("state")).upper(),
        postal_code=postal[:5],
        phone=_clean(first.get("telephone_number")),
    )


def parse_provider(record: Mapping[str, Any]) -> Provider | None:
    """One result object, read leniently; None when it has no usable NPI number."""
    number = _clean(record.get("number"))
    if not (number.isdigit() and len(number) == 10):
        return None
    basic = record.get("basic") or {}
    is_person = _clean(record.get("enumeration_type")) != "NPI-2"
    codes = tuple(
        _clean(t.get("code")) for t in record.get("taxonomies") or [] if isinstance(t, dict)
    )
    return Provider(
        npi=number,
        is_person=is_person,
        name=_name(basic, is_person),
        credential=_clean(basic.get("credential")) if is_person else "",
        organisation="" if is_person else _clean(basic.get("organizational_subpart")),
        taxonomy_codes=tuple(c for c in codes if c),
        address=_address(record.get("addresses")),
    )


@dataclass(frozen=True)
class Query:
    """One search. `taxonomy_code` filters the results (the API itself searches descriptions)."""

    taxonomy_code: str
    taxonomy_description: str
    state: str = ""
    city: str = ""
    postal_code: str = ""
    enumeration_type: str = ""  # "NPI-1" people, "NPI-2" organisations, "" both

    def params(self, limit: int, skip: int) -> dict[str, str]:
        params = {
            "version": API_VERSION,
            "taxonomy_description": self.taxonomy_description,
            "limit": str(min(max(limit, 1), MAX_LIMIT)),
            "skip": str(min(max(skip, 0), MAX_SKIP)),
        }
        optional = {
            "state": self.state, "city": self.city, "postal_code": self.postal_code,
            "enumeration_type": self.enumeration_type,
        }
        params.update({k: v for k, v in optional.items() if v})
        return params


def make_session(retries: int = 2, backoff: float = 0.2) -> requests.Session:
    session = requests.Session()
    retry = Retry(
        total=retries, connect=retries, read=retries, status=retries,
        backoff_factor=backoff, status_forcelist=(429, 500, 502, 503, 504),
        allowed_methods=frozenset({"GET"}), raise_on_status=False,
    )
    adapter = HTTPAdapter(max_retries=retry, pool_connections=4, pool_maxsize=8)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


class NppesClient:
    """Search the registry; `offline=True` answers every search with RegistryError."""

    def __init__(
        self,
        base_url: str,
        offline: bool = False,
        session: requests.Session | None = None,
        timeout: float = TIMEOUT_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.base_url = base_url
        self.offline = offline
        self.session = session or make_session()
        self.timeout = timeout
        self._clock = clock
        self._cache: dict[tuple[tuple[str, str], ...], tuple[float, list[dict[str, Any]]]] = {}

    def search(self, query: Query, wanted: int = 20, page_size: int = 50) -> list[Provider]:
        """Page through results until `wanted` matches, a short page, or the API's skip limit."""
        found: list[Provider] = []
        skip = 0
        while len(found) < wanted and skip <= MAX_SKIP:
            records = self._get(query.params(page_size, skip))
            for record in records:
                provider = parse_provider(record) if isinstance(record, dict) else None
                if provider and query.taxonomy_code in provider.taxonomy_codes:
                    found.append(provider)
            if len(records) < page_size:
                break
            skip += page_size
        return found[:wanted]

    def _get(self, params: dict[str, str]) -> list[dict[str, Any]]:
        if self.offline:
            raise RegistryError("the registry is switched off (NPPES_OFFLINE)")
        key = tuple(sorted(params.items()))
        cached = self._cache.get(key)
        if cached and self._clock() - cached[0] < CACHE_SECONDS:
            return cached[1]
        try:
            response = self.session.get(self.base_url, params=params, timeout=self.timeout)
        except requests.RequestException as error:
            log.warning("NPI Registry unreachable: %s", type(error).__name__)
            raise RegistryError("the registry did not answer") from error
        if response.status_code != 200:
            log.warning("NPI Registry answered HTTP %s", response.status_code)
            raise RegistryError(f"HTTP {response.status_code}")
        try:
            body = response.json()
        except ValueError as error:
            raise RegistryError("the registry's answer was not JSON") from error
        if not isinstance(body, dict):
            raise RegistryError("the registry's answer had an unexpected shape")
        if body.get("Errors"):
            codes = [str(e.get("number", "?")) for e in body["Errors"] if isinstance(e, dict)]
            log.warning("NPI Registry refused the query: error %s", ",".join(codes))
            raise RegistryError(f"registry error {','.join(codes)}")
        records = body.get("results") or []
        if not isinstance(records, list):
            raise RegistryError("the registry's answer had an unexpected shape")
        self._cache[key] = (self._clock(), records)
        return records
