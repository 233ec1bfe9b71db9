"""`python -m bot.telegram` in webhook mode: the secret token header is required, the
configuration is checked before anything starts, and malformed updates get a 400."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import httpx

from bot.config import Settings, TelegramSettings
from bot.telegram.checks import problems
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
        RASA_API_TOKEN="a-rasa-api-token-for-tests",
        SECONDREAD_DEV_MODE="1",
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
        TELEGRAM_WEBHOOK_ALLOW_HTTP="1",  # the fake Bot API calls no one: plain http is fine
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
            # Malformed updates are the sender's fault (400), not a crash (500).
            for body in (b"{not json", b"\xff\xfe", b"[1, 2]", b'{"no": "update id"}'):
                bad = await client.post(url, content=body, headers=right)
                assert bad.status_code == 400, body
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
    assert "not json" not in text and "Traceback" not in text


def _listening(port: int) -> bool:
    try:
        httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
    except httpx.HTTPError:
        return False
    return True


def test_without_a_token_the_bridge_says_so_and_exits(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TELEGRAM_")}
    env.update(VAR_DIR=str(tmp_path), SECONDREAD_DEV_MODE="1")
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


def run_bridge(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.telegram", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_configuration_errors_are_named_before_anything_starts(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "RASA_API"))}
    # Nothing listens there: a bridge that got as far as calling Telegram would hang, not exit.
    env.update(
        VAR_DIR=str(tmp_path),
        SECONDREAD_SECRET_KEY=SECRET,
        SECONDREAD_DEV_MODE="1",
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE_URL=f"http://127.0.0.1:{free_port()}",
        RASA_API_TOKEN="a-rasa-api-token-for-tests",
    )
    cases = {
        "TELEGRAM_WEBHOOK_SECRET": (
            {"TELEGRAM_WEBHOOK_URL": "https://bot.example/tg", "TELEGRAM_WEBHOOK_SECRET": "a b!"}
        ),
        "https://": {"TELEGRAM_WEBHOOK_URL": "http://bot.example/tg"},
        "port 9000": {"TELEGRAM_WEBHOOK_URL": "https://bot.example:9000/tg"},
        "TELEGRAM_BOT_TOKEN does not look": {"TELEGRAM_BOT_TOKEN": "not a token"},
    }
    for expected, changes in cases.items():
        for args in ((), ("--check-config",)):
            result = run_bridge({**env, **changes}, *args)
            assert result.returncode == 2, (expected, args, result.stderr)
            assert expected in result.stderr, (args, result.stderr)
            assert "Traceback" not in result.stderr
    ok = run_bridge({**env, "TELEGRAM_WEBHOOK_URL": "https://bot.example/tg"}, "--check-config")
    assert (ok.returncode, ok.stdout.strip()) == (0, "Telegram: configuration ok (webhook)")
    allowed = {
        "TELEGRAM_WEBHOOK_URL": "http://127.0.0.1:8443/tg",
        "TELEGRAM_WEBHOOK_ALLOW_HTTP": "1",
    }
    assert run_bridge({**env, **allowed}, "--check-config").returncode == 0


def test_check_config_refuses_what_would_keep_verdicts_from_the_chats(tmp_path: Path) -> None:
    """The web app delivers slow upload verdicts to Telegram: it needs the bot token and Rasa's
    API token (to ask Rasa for the verdict). Without a bot token Telegram is simply off."""
    settings = Settings(
        var_dir=tmp_path,
        rasa_url="http://127.0.0.1:5005",
        web_port=8000,
        secret_key=SECRET,
        telegram=TelegramSettings(bot_token=TOKEN),
    )
    (problem,) = problems(settings)
    assert problem.startswith("RASA_API_TOKEN is not set") and "Telegram chat" in problem
    assert problems(replace(settings, rasa_api_token="a-rasa-api-token")) == []
    env = {k: v for k, v in os.environ.items() if not k.startswith("TELEGRAM_")}
    env.update(VAR_DIR=str(tmp_path), SECONDREAD_DEV_MODE="1")
    off = run_bridge(env, "--check-config")
    assert (off.returncode, off.stdout.strip()) == (
        0,
        "Telegram: off (TELEGRAM_BOT_TOKEN is not set)",
    )
