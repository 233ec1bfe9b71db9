"""`make run` refuses a Telegram configuration that could not deliver, before starting anything."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.integration.stack import ROOT


def test_make_run_refuses_a_plain_http_webhook(tmp_path: Path) -> None:
    env = dict(
        os.environ,
        VAR_DIR=str(tmp_path),
        SECONDREAD_DEV_MODE="1",
        TELEGRAM_BOT_TOKEN="123456:" + "A" * 35,
        TELEGRAM_WEBHOOK_URL="http://bot.example.org/telegram",
        TELEGRAM_WEBHOOK_SECRET="s3cret_value",
    )
    env.pop("TELEGRAM_WEBHOOK_ALLOW_HTTP", None)
    run = subprocess.run(
        [str(ROOT / "scripts" / "run")], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert run.returncode == 1
    assert "https://" in run.stderr
    assert not (tmp_path / "supervisord.conf").exists()  # nothing was started
