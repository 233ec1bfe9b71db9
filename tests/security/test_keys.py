"""No default keys (issue 13, point 7): a process started without real keys refuses to start,
unless SECONDREAD_DEV_MODE=1, which generates per-machine keys into VAR_DIR instead of using
public ones."""

from __future__ import annotations

import base64
import re
import subprocess
from pathlib import Path

import pytest

from bot.config import BUILTIN_SECRET_KEY, ConfigError, Settings
from tests.security.servers import PYTHON, ROOT, bare_env, keyed_env

PROCESSES = {
    "action server": [PYTHON, "-m", "bot.actions.server"],
    "web app": [PYTHON, "-m", "bot.web"],
    "Telegram bridge": [PYTHON, "-m", "bot.telegram"],
    "Rasa server": [str(ROOT / ".venv-rasa/bin/python"), str(ROOT / "scripts/rasa-serve")],
}


def start(cmd: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # A process that does start would run until the timeout, which fails the test.
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("name", PROCESSES)
def test_a_process_without_keys_refuses_to_start(name: str, tmp_path: Path) -> None:
    done = start(PROCESSES[name], bare_env(tmp_path, TELEGRAM_BOT_TOKEN="123:abc"))
    assert done.returncode == 2, done.stderr[-2000:]
    assert "refusing to start without real keys" in done.stderr
    for variable in ("SECONDREAD_SECRET_KEY", "SECONDREAD_STORAGE_KEY", "ACTION_SERVER_TOKEN"):
        assert variable in done.stderr
    assert list(tmp_path.iterdir()) == []  # nothing generated, nothing written


@pytest.mark.parametrize("name", ["action server", "web app"])
def test_the_built_in_keys_are_refused_too(name: str, tmp_path: Path) -> None:
    env = keyed_env(
        tmp_path,
        SECONDREAD_SECRET_KEY=BUILTIN_SECRET_KEY,
        SECONDREAD_STORAGE_KEY=base64.b64encode(bytes(32)).decode(),
    )
    done = start(PROCESSES[name], env)
    assert done.returncode == 2
    assert "SECONDREAD_SECRET_KEY" in done.stderr and "SECONDREAD_STORAGE_KEY" in done.stderr
    assert "ACTION_SERVER_TOKEN" not in done.stderr  # that one was given
    assert env["ACTION_SERVER_TOKEN"] not in done.stderr  # values are never printed


def test_real_keys_pass(tmp_path: Path) -> None:
    settings = Settings.load(keyed_env(tmp_path))
    assert not settings.dev_mode and len(settings.action_server_token) >= 32


def test_development_mode_generates_private_keys_once(tmp_path: Path) -> None:
    env = bare_env(tmp_path, SECONDREAD_DEV_MODE="1")
    first, again = Settings.load(env), Settings.load(env)
    assert first == again
    assert first.secret_key != BUILTIN_SECRET_KEY and first.storage_key != bytes(32)
    for name in ("secret-key", "storage-key", "action-server-token", "rasa-api-token"):
        assert (tmp_path / name).stat().st_mode & 0o077 == 0
    other = Settings.load(bare_env(tmp_path / "other", SECONDREAD_DEV_MODE="1"))
    assert other.secret_key != first.secret_key  # per machine, not a shared public value


def test_dev_mode_keys_match_the_ones_scripts_env_sh_generates(tmp_path: Path) -> None:
    """Rasa reads the keys from the environment (scripts/env.sh), Python processes from
    Settings: in development both must find the same files."""
    script = f"VAR_DIR={tmp_path} && source scripts/env.sh && echo $ACTION_SERVER_TOKEN"
    out = subprocess.run(
        ["bash", "-c", script], cwd=ROOT, env=bare_env(tmp_path), capture_output=True, text=True
    )
    settings = Settings.load(bare_env(tmp_path, SECONDREAD_DEV_MODE="1"))
    assert out.stdout.strip() == settings.action_server_token
    assert base64.b64decode(settings.secret_key) and len(settings.storage_key) == 32


def test_a_malformed_storage_key_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="SECONDREAD_STORAGE_KEY"):
        Settings.load(keyed_env(tmp_path, SECONDREAD_STORAGE_KEY="c2hvcnQ="))


def test_processes_read_settings_through_load() -> None:
    """from_env() does not check keys: in bot/ only the modules that need no key use it."""
    # The shared file store (bot/storage/files.py) holds ciphertext only: the key stays with
    # the encryption code, which reads it through load().
    allowed = {"bot/config.py", "bot/db.py", "bot/storage/__init__.py", "bot/storage/files.py"}
    users = {
        str(path.relative_to(ROOT))
        for path in (ROOT / "bot").rglob("*.py")
        if re.search(r"\bfrom_env\(", path.read_text())
    }
    assert users <= allowed
