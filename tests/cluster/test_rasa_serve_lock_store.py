"""scripts/rasa-serve and the lock store: a Redis lock store (several Rasa servers) needs
REDIS_PASSWORD outside development mode, like every internal listener, and is refused before
Rasa loads anything without one; the refusal names the variable, never a value. (The default,
one server with an in-memory lock store and no REDIS_* variables at all, is what every other
Rasa test starts; tests/cluster/test_two_rasa_nodes.py starts the Redis one.)"""

from __future__ import annotations

import os
import subprocess
from importlib.machinery import SourceFileLoader
from pathlib import Path
from types import ModuleType

import pytest

from tests.needs import need
from tests.security.servers import ROOT, keyed_env

RASA_PYTHON = ROOT / ".venv-rasa" / "bin" / "python"


def serve(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    need(RASA_PYTHON.exists(), "the Rasa environment (.venv-rasa)")
    # A server that does start would run until the timeout, which fails the test.
    return subprocess.run(
        [str(RASA_PYTHON), str(ROOT / "scripts/rasa-serve"), "--model", "/nonexistent.tar.gz"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


@pytest.mark.parametrize("password", [None, "", "short-secret"])
def test_a_redis_lock_store_without_a_real_password_is_refused(
    tmp_path: Path, password: str | None
) -> None:
    env = keyed_env(tmp_path, LOCK_STORE="redis", REDIS_HOST="127.0.0.1", REDIS_PORT="6390")
    env.pop("REDIS_PASSWORD", None)
    if password is not None:
        env["REDIS_PASSWORD"] = password
    done = serve(env)
    assert done.returncode == 2, done.stderr[-2000:]
    assert "Rasa server not started" in done.stderr and "REDIS_PASSWORD" in done.stderr
    if password:
        assert password not in done.stderr + done.stdout


def rasa_serve() -> ModuleType:
    """scripts/rasa-serve as a module (its lock store settings are plain Python)."""
    loader = SourceFileLoader("rasa_serve", str(ROOT / "scripts/rasa-serve"))
    module = ModuleType(loader.name)
    module.__file__ = loader.path
    loader.exec_module(module)
    return module


def test_the_default_needs_no_redis_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("LOCK_STORE", "REDIS_HOST", "REDIS_PORT", "REDIS_DB", "REDIS_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    assert rasa_serve().configure_lock_store(dev_mode=False) is None
    assert os.environ["LOCK_STORE"] == "in_memory"
    # endpoints.yml names them all: Rasa refuses a file with an unset ${VARIABLE}.
    assert (os.environ["REDIS_PORT"], os.environ["REDIS_DB"], os.environ["REDIS_PASSWORD"]) == (
        "6379",
        "1",
        "",
    )


def test_redis_means_our_atomic_lock_store(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOCK_STORE", "redis")
    monkeypatch.setenv("REDIS_PASSWORD", "a-long-enough-redis-password-0123")
    module = rasa_serve()
    assert module.configure_lock_store(dev_mode=False) is None
    assert os.environ["LOCK_STORE"] == "bot.rasa_ext.redis_lock_store.AtomicRedisLockStore"
    assert os.environ["LOCK_STORE"] == module.ATOMIC_REDIS_LOCK_STORE


def test_development_mode_takes_redis_without_a_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOCK_STORE", "redis")
    monkeypatch.delenv("REDIS_PASSWORD", raising=False)
    assert rasa_serve().configure_lock_store(dev_mode=True) is None
