from __future__ import annotations

from fastapi.testclient import TestClient

from bot.config import Settings
from bot.web.app import create_app


def test_health_and_home_page() -> None:
    settings = Settings.from_env({"RASA_URL": "http://127.0.0.1:5999/"})
    client = TestClient(create_app(settings))
    assert client.get("/healthz").json() == {"status": "ok"}
    page = client.get("/")
    assert page.status_code == 200
    assert "http://127.0.0.1:5999/webhooks/rest/webhook" in page.text
    assert "911" in page.text
