"""Start our own processes (not Rasa) on free loopback ports, with production-like keys."""

from __future__ import annotations

import base64
import os
import secrets
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.integration.stack import ROOT, free_port, stop

PYTHON = str(ROOT / ".venv/bin/python")
# What a process inherits from the test run that is not ours to pass on (keys, dev mode).
OURS = (
    "SECONDREAD_", "ACTION_SERVER_TOKEN", "RASA_API_TOKEN", "TRUSTED_PROXIES",
    "FORWARDED_ALLOW_IPS", "DATABASE_URL", "VAR_DIR", "TELEGRAM_",
)  # fmt: skip


def bare_env(var_dir: Path, **extra: str) -> dict[str, str]:
    """The test run's environment without any of our keys or settings, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(OURS)}
    env.update(VAR_DIR=str(var_dir), DATABASE_URL=f"sqlite:///{var_dir / 'secondread.db'}")
    env.update(extra)
    return env


def keyed_env(var_dir: Path, **extra: str) -> dict[str, str]:
    """Every key given, not in development mode: how production starts a process."""
    keys = {
        "SECONDREAD_DEV_MODE": "0",
        "SECONDREAD_SECRET_KEY": secrets.token_urlsafe(32),
        "SECONDREAD_STORAGE_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
        "ACTION_SERVER_TOKEN": secrets.token_urlsafe(32),
        "RASA_API_TOKEN": secrets.token_urlsafe(32),
    }
    return bare_env(var_dir, **{**keys, **extra})


def migrate(env: dict[str, str]) -> None:
    subprocess.run([PYTHON, "-m", "bot.db"], cwd=ROOT, env=env, check=True, timeout=120)


def wait_for(url: str, seconds: float, alive: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if alive is not None and alive.poll() is not None:
            raise RuntimeError(f"exited with {alive.returncode} before {url} answered")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer within {seconds} s")


@contextmanager
def process(cmd: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield proc
    finally:
        stop(proc)


__all__ = ["PYTHON", "ROOT", "bare_env", "free_port", "keyed_env", "migrate", "process", "wait_for"]
