"""`make run` supervises (issue 13, point 5): a server that dies comes back, the event is logged,
and everything stops together only when supervisord is told to stop (Ctrl-C).

supervisord runs the configuration `make run` uses (scripts/supervisord-conf), limited to the
action server and the web app on free ports: Rasa would add a minute of model loading and
nothing that the supervision of the other two does not show.
"""

from __future__ import annotations

import itertools
import os
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest

from tests.integration.stack import stop
from tests.security.servers import PYTHON, ROOT, free_port, keyed_env, migrate, wait_for

SUPERVISORD = str(ROOT / ".venv/bin/supervisord")
SUPERVISORCTL = str(ROOT / ".venv/bin/supervisorctl")


@dataclass
class Supervised:
    conf: Path
    var: Path
    proc: subprocess.Popen[bytes]
    urls: dict[str, str]

    def pid(self, program: str) -> int:
        out = subprocess.run(
            [SUPERVISORCTL, "-c", str(self.conf), "pid", program],
            capture_output=True, text=True, timeout=30,
        )  # fmt: skip
        return int(out.stdout.strip() or 0)

    def log(self) -> str:
        path = self.var / "logs" / "supervisord.log"
        return path.read_text() if path.exists() else ""


def start_supervisord(var: Path, env: dict[str, str], programs: str) -> Supervised:
    """supervisord with scripts/supervisord-conf's configuration for `programs`."""
    conf = var / "supervisord.conf"
    generated = subprocess.run(
        [PYTHON, str(ROOT / "scripts/supervisord-conf"), "--programs", programs],
        cwd=ROOT, env=env, check=True, capture_output=True, text=True,
    )  # fmt: skip
    conf.write_text(generated.stdout)
    with (var / "logs" / "terminal.log").open("wb") as out:
        proc = subprocess.Popen([SUPERVISORD, "-c", str(conf)], cwd=ROOT, env=env, stdout=out,
                                stderr=subprocess.STDOUT)  # fmt: skip
    urls = {
        "actions": f"http://127.0.0.1:{env['ACTION_PORT']}/health",
        "web": f"http://127.0.0.1:{env['WEB_PORT']}/healthz",
    }
    return Supervised(conf, var, proc, {p: urls[p] for p in programs.split(",")})


def supervisor_env(var: Path) -> dict[str, str]:
    (var / "logs").mkdir(parents=True)
    return keyed_env(
        var, BIND_HOST="127.0.0.1", ACTION_PORT=str(free_port()), WEB_PORT=str(free_port())
    )


@pytest.fixture
def supervised(tmp_path: Path) -> Iterator[Supervised]:
    env = supervisor_env(tmp_path / "var")
    migrate(env)
    running = start_supervisord(tmp_path / "var", env, "actions,web")
    try:
        for url in running.urls.values():
            wait_for(url, 90, running.proc)
        yield running
    finally:
        stop(running.proc)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie has exited too (its parent has not reaped it yet).
    return "State:\tZ" not in Path(f"/proc/{pid}/status").read_text()


@pytest.mark.parametrize("program", ["actions", "web"])
def test_a_killed_server_comes_back_and_it_is_logged(supervised: Supervised, program: str) -> None:
    before = supervised.pid(program)
    other = next(p for p in supervised.urls if p != program)
    other_pid = supervised.pid(other)
    assert before > 0
    os.kill(before, signal.SIGKILL)
    deadline = time.monotonic() + 60
    while supervised.pid(program) in (0, before) and time.monotonic() < deadline:
        time.sleep(0.3)
    after = supervised.pid(program)
    assert after not in (0, before)
    wait_for(supervised.urls[program], 60)
    assert f"exited: {program} (terminated by SIGKILL; not expected)" in supervised.log()
    assert supervised.log().count(f"spawned: '{program}'") == 2
    # The other server was left alone, and supervisord is still there.
    assert supervised.pid(other) == other_pid
    assert supervised.proc.poll() is None


def test_a_server_that_keeps_failing_is_retried_with_backoff(tmp_path: Path) -> None:
    """One that exits at once (here: no keys) is started again after 1, then 2 ... s, not in a
    tight loop, and each exit is logged."""
    env = supervisor_env(tmp_path / "var")
    del env["ACTION_SERVER_TOKEN"]
    running = start_supervisord(tmp_path / "var", env, "actions")
    try:
        deadline = time.monotonic() + 60
        while running.log().count("spawned: 'actions'") < 3 and time.monotonic() < deadline:
            time.sleep(0.5)
        log = running.log()
    finally:
        stop(running.proc)
    stamps = re.findall(r"^(\S+ \S+) \w+ (spawned|exited): '?actions", log, re.MULTILINE)
    times = [(datetime.strptime(t, "%Y-%m-%d %H:%M:%S,%f"), what) for t, what in stamps]
    waits = [
        (later - exited).total_seconds()
        for (exited, what), (later, then) in itertools.pairwise(times)
        if what == "exited" and then == "spawned"
    ]
    assert len(waits) >= 2, log
    assert waits[0] >= 0.9 and waits[1] >= 1.9, waits  # supervisord's backoff: 1 s, 2 s, ...
    assert "exited: actions (exit status 2; not expected)" in log
    assert "refusing to start without real keys" in (tmp_path / "var/logs/actions.log").read_text()


def test_ctrl_c_stops_everything(supervised: Supervised) -> None:
    pids = [supervised.pid(p) for p in supervised.urls]
    supervised.proc.send_signal(signal.SIGINT)
    supervised.proc.wait(timeout=60)
    deadline = time.monotonic() + 10
    while any(alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(alive(pid) for pid in pids)
    assert "stopped: actions" in supervised.log() and "stopped: web" in supervised.log()


def test_no_key_is_written_into_the_configuration(supervised: Supervised) -> None:
    conf = supervised.conf.read_text()
    env = keyed_env(supervised.var)  # fresh values: none of them may appear either way
    assert "TOKEN" not in conf and "KEY" not in conf
    assert env["ACTION_SERVER_TOKEN"] not in conf


UNITS = ROOT / "deploy" / "systemd"


@pytest.mark.parametrize("program", ["actions", "rasa", "web", "telegram"])
def test_production_units_run_the_same_entry_points(program: str) -> None:
    """deploy/systemd documents the processes `make run` supervises: same entry points, always
    restarted, configuration from the environment file only, no secret in the unit."""
    unit = (UNITS / f"secondread-{program}.service").read_text()
    entry = {
        "actions": "-m bot.actions.server",
        "rasa": "scripts/rasa-serve",
        "web": "-m bot.web",
        "telegram": "-m bot.telegram",
    }[program]
    conf = subprocess.run(
        [PYTHON, str(ROOT / "scripts/supervisord-conf"), "--model", "m.tar.gz",
         "--programs", program],
        cwd=ROOT, check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    assert entry in conf and entry in unit
    assert "Restart=always" in unit and "StartLimitIntervalSec=0" in unit
    assert "EnvironmentFile=/etc/secondread/secondread.env" in unit
    assert "--auth-token" not in unit and "TOKEN=" not in unit and "KEY=" not in unit
    assert f"secondread-{program}.service" in (UNITS / "secondread.target").read_text()
