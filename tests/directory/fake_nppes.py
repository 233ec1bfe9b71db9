"""A fake NPI Registry on 127.0.0.1: records in the documented shapes, fictional names.

`FakeRegistry.records` are filtered like the real API does (taxonomy description as a
substring of any `desc`, state, city, postal-code prefix) and paged with limit/skip. `replies`
can be queued to answer the next requests with an error status, a 200-with-Errors body, or a
delay, to test retries and timeouts. Every request's query is kept in `requests`.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse


def person(
    number: str | int, first: str, last: str, code: str, desc: str, city: str, state: str,
    postal: str, credential: str = "MD", phone: str = "215-555-0100", *, old: bool = False,
) -> dict[str, Any]:
    """An NPI-1 record; `old=True` uses the older shape (integer number, `gender`, no
    practiceLocations/endpoints, the old description wording)."""
    record: dict[str, Any] = {
        "number": int(number) if old else str(number),
        "enumeration_type": "NPI-1",
        "basic": {"first_name": first.upper(), "last_name": last.upper(), "credential": credential,
                  ("gender" if old else "sex"): "F", "status": "A", "name_suffix": "--"},
        "addresses": [
            {"address_purpose": "MAILING", "address_type": "DOM", "address_1": "PO BOX 1",
             "city": "ELSEWHERE", "state": "ZZ", "postal_code": "000000000"},
            {"address_purpose": "LOCATION", "address_type": "DOM",
             "address_1": "100 MAIN ST", "address_2": "", "city": city.upper(), "state": state,
             "postal_code": postal, "telephone_number": phone},
        ],
        "taxonomies": [{"code": code, "desc": desc, "primary": True, "taxonomy_group": ""}],
    }
    if not old:
        record["practiceLocations"] = []
        record["endpoints"] = []
    return record


def organisation(number: str, name: str, code: str, desc: str, city: str, state: str,
                 postal: str) -> dict[str, Any]:
    return {
        "number": number,
        "enumeration_type": "NPI-2",
        "basic": {"organization_name": name, "organizational_subpart": "NO", "status": "A"},
        "addresses": [{"address_purpose": "LOCATION", "address_type": "DOM",
                       "address_1": "1 HOSPITAL WAY", "city": city.upper(), "state": state,
                       "postal_code": postal, "telephone_number": "215-555-0199"}],
        "taxonomies": [{"code": code, "desc": desc, "primary": True,
                        "taxonomy_group": "193400000X SINGLE SPECIALTY  GROUP"}],
    }


@dataclass
class FakeRegistry:
    records: list[dict[str, Any]] = field(default_factory=list)
    replies: list[tuple[int, Any, float]] = field(default_factory=list)  # status, body, delay
    requests: list[dict[str, str]] = field(default_factory=list)
    url: str = ""

    def answer(self, query: dict[str, str]) -> tuple[int, Any, float]:
        self.requests.append(query)
        if self.replies:
            return self.replies.pop(0)
        if not any(query.get(k) for k in ("taxonomy_description", "postal_code", "city")):
            return 200, {"Errors": [{"description": "No valid search criteria", "number": "04"}]}, 0
        found = [r for r in self.records if self._matches(r, query)]
        skip, limit = int(query.get("skip", 0)), min(int(query.get("limit", 10)), 200)
        page = found[skip: skip + limit]
        return 200, {"result_count": len(page), "results": page}, 0

    @staticmethod
    def _matches(record: dict[str, Any], query: dict[str, str]) -> bool:
        wanted = query.get("taxonomy_description", "").lower()
        if wanted and not any(wanted in t["desc"].lower() for t in record["taxonomies"]):
            return False
        location = next(a for a in record["addresses"] if a["address_purpose"] == "LOCATION")
        if query.get("state") and location["state"] != query["state"]:
            return False
        if query.get("city") and location["city"].lower() != query["city"].lower():
            return False
        return not (query.get("postal_code")
                    and not location["postal_code"].startswith(query["postal_code"]))


@contextmanager
def serve(registry: FakeRegistry) -> Iterator[FakeRegistry]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            query = {k: v[0] for k, v in parse_qs(urlparse(self.path).query).items()}
            status, body, delay = registry.answer(query)
            if delay:
                time.sleep(delay)
            data = json.dumps(body).encode() if not isinstance(body, bytes) else body
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a timeout test)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    registry.url = f"http://127.0.0.1:{server.server_address[1]}/api/"
    try:
        yield registry
    finally:
        server.shutdown()
        server.server_close()
