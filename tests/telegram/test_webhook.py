"""`python -m bot.telegram` in webhook mode: the secret token header is required."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.integration.stack import ROOT, free_port
from tests.telegram.fake_api import TOKEN, FakeTelegram
from tests.telegram.fake_backend import SECRET, FakeBackend

CHAT = 5151
WEBHOOK_SECRET = "Webhook_secret-42"


@contextmanager
def bridge_process(env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot.telegram"], cwd=ROOT, env=env, stdout=out, stderr=out
        )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


def bridge_env(tmp_path: Path, telegram: FakeTelegram, backend: FakeBackend) -> dict[str, str]:
    return dict(
        os.environ,
        VAR_DIR=str(tmp_path),
        RASA_URL=backend.url,
        PUBLIC_URL=backend.url,
        SECONDREAD_SECRET_KEY=SECRET,
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE_URL=telegram.api_url,
    )


async def test_webhook_refuses_a_wrong_or_missing_secret_and_answers_the_right_one(
    tmp_path: Path, telegram: FakeTelegram, backend: FakeBackend
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram/hook"
    env = bridge_env(tmp_path, telegram, backend)
    env.update(
        TELEGRAM_WEBHOOK_URL=url,
        TELEGRAM_WEBHOOK_SECRET=WEBHOOK_SECRET,
        TELEGRAM_WEBHOOK_PORT=str(port),
    )
    log = tmp_path / "bridge.log"
    with bridge_process(env, log) as proc:
        await telegram.wait_until(lambda: telegram.webhook is not None, 30, "setWebhook")
        assert telegram.webhook == {
            "url": url,
            "secret_token": WEBHOOK_SECRET,
            "allowed_updates": ["message", "callback_query"],
            "max_connections": 40,
        }
        update = telegram.text(CHAT, "hi over the webhook")
        headers = {"Content-Type": "application/json"}
        async with httpx.AsyncClient(timeout=10) as client:
            # The listener may need a moment after setWebhook.
            await telegram.wait_until(lambda: _listening(port), 10, "webhook listener")
            missing = await client.post(url, content=json.dumps(update), headers=headers)
            wrong = await client.post(
                url,
                content=json.dumps(update),
                headers={**headers, "X-Telegram-Bot-Api-Secret-Token": "guess"},
            )
            assert (missing.status_code, wrong.status_code) == (403, 403)
            right = {**headers, "X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
            for _ in range(2):  # Telegram retrying a delivery: answered once
                response = await client.post(url, content=json.dumps(update), headers=right)
                assert response.status_code == 200
        await telegram.wait_for_sent(CHAT, 1)
        await telegram.wait_until(lambda: len(backend.rasa_bodies) >= 1)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
    assert backend.messages() == ["hi over the webhook"]
    assert telegram.texts(CHAT) == ["you said: hi over the webhook"]
    # PHI never reaches the log: not the text, and not the bot token either.
    text = log.read_text()
    assert "hi over the webhook" not in text and TOKEN not in text


def _listening(port: int) -> bool:
    try:
        httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
    except httpx.HTTPError:
        return False
    return True


def test_without_a_token_the_bridge_says_so_and_exits(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TELEGRAM_")}
    env["VAR_DIR"] = str(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "bot.telegram"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "TELEGRAM_BOT_TOKEN is not set" in result.stderr
