"""No console route answers 500, whatever arrives in its path, query or form (a stand-in for
schemathesis, which is not installed: the routes come from the app itself)."""

from __future__ import annotations

import re
from urllib.parse import quote

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from bot.web.console.services import ConsoleServices
from tests.console.conftest import csrf_of
from tests.console.rasa_events import sample_chats, store
from tests.console.test_security import routes
from tests.console.test_takeover import RecordingTakeover

FIELDS = ["q", "channel", "since", "until", "intent", "flag", "review", "tag", "page", "status",
          "subspecialty", "age", "assigned", "actor", "action", "target", "conversation", "days",
          "to", "note", "username", "body", "text", "next"]
text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)
values = st.one_of(text, st.sampled_from(["", "0", "-1", "2026-03-01", "reviewed", "new",
                                          "fallback", "99999999999999999999", "conv-plain"]))
segments = st.one_of(st.sampled_from(["conv-plain", "SR-2026-000000-0", "1", "0", "-5"]),
                     text.filter(lambda s: s and "/" not in s and s not in (".", "..")))


@settings(max_examples=200, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_no_500s(
    admin: TestClient, engine: Engine, services: ConsoleServices, data: st.DataObject
) -> None:
    if not getattr(admin, "_seeded", False):
        store(engine, *sample_chats())
        services.takeover = RecordingTakeover(engine)  # type: ignore[assignment]
        admin._seeded = True  # type: ignore[attr-defined]
        admin._csrf = csrf_of(admin)  # type: ignore[attr-defined]
    console = [(m, p) for m, p, _ in routes(admin.app) if p.startswith("/console")]  # type: ignore[arg-type]
    method, path = data.draw(st.sampled_from(console))
    concrete = re.sub(r"\{[^}]+\}", lambda _: quote(data.draw(segments), safe=""), path)
    fields = data.draw(st.dictionaries(st.sampled_from(FIELDS), values, max_size=4))
    if path == "/console/logout":
        return  # would end the session the other examples use
    if method == "GET":
        response = admin.get(concrete, params=fields)
    else:
        fields["csrf_token"] = admin._csrf  # type: ignore[attr-defined]
        response = admin.post(concrete, data=fields)
    assert response.status_code < 500, (method, concrete, fields, response.status_code)
