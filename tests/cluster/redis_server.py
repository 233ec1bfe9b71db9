"""A throwaway Redis server for the tests: Debian's redis-server on a free loopback port, in a
temp folder, nothing saved to disk, and a password (internal listeners are authenticated).

The password goes to the server in a config file readable by its owner only, never on a command
line. `RedisClient` speaks just enough of RESP over a socket for the tests to look inside (INFO,
KEYS, GET): the Redis client library lives in the Rasa environment, not in ours.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.integration.stack import stop

INSTALL_HINT = "Run `make deps` (scripts/install-apt-deps installs Debian's redis-server)."

Reply = bytes | int | str | list["Reply"] | None


class RedisError(Exception):
    """An error reply (-ERR ..., -NOAUTH ..., -WRONGPASS ...)."""


class RedisClient:
    """One connection; `command` sends a command and returns its parsed reply."""

    def __init__(
        self,
        port: int,
        password: str | None = None,
        db: int = 0,
        timeout: float = 5.0,
        host: str = "127.0.0.1",
    ) -> None:
        self._sock = socket.create_connection((host, port), timeout=timeout)
        self._buffer = b""
        if password is not None:
            self.command("AUTH", password)
        if db:
            self.command("SELECT", db)

    def close(self) -> None:
        self._sock.close()

    def __enter__(self) -> RedisClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def command(self, *args: bytes | str | int) -> Reply:
        parts = [a if isinstance(a, bytes) else str(a).encode() for a in args]
        out = b"*%d\r\n" % len(parts) + b"".join(
            b"$%d\r\n%s\r\n" % (len(part), part) for part in parts
        )
        self._sock.sendall(out)
        return self._reply()

    def info(self, section: str) -> dict[str, str]:
        text = self.command("INFO", section)
        assert isinstance(text, bytes)
        pairs = (line.split(":", 1) for line in text.decode().splitlines() if ":" in line)
        return {key: value for key, value in pairs}

    def command_calls(self) -> dict[str, int]:
        """Calls per command since the server started (INFO commandstats)."""
        calls = {}
        for key, value in self.info("commandstats").items():
            fields = dict(field.split("=", 1) for field in value.split(","))
            calls[key.removeprefix("cmdstat_")] = int(fields["calls"])
        return calls

    def _line(self) -> bytes:
        while b"\r\n" not in self._buffer:
            chunk = self._sock.recv(65536)
            if not chunk:
                raise ConnectionError("Redis closed the connection")
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\r\n", 1)
        return line

    def _exactly(self, size: int) -> bytes:
        while len(self._buffer) < size + 2:
            chunk = self._sock.recv(65536)
            if not chunk:
                raise ConnectionError("Redis closed the connection")
            self._buffer += chunk
        data, self._buffer = self._buffer[:size], self._buffer[size + 2 :]
        return data

    def _reply(self) -> Reply:
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            raise RedisError(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            size = int(rest)
            return None if size < 0 else self._exactly(size)
        if kind == b"*":
            count = int(rest)
            return None if count < 0 else [self._reply() for _ in range(count)]
        raise RedisError(f"unexpected reply type {kind!r}")


@dataclass(frozen=True)
class RedisServer:
    port: int
    password: str
    host: str = "127.0.0.1"

    def client(self, db: int = 0) -> RedisClient:
        return RedisClient(self.port, self.password, db, host=self.host)


def _free_loopback_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def running_redis(
    startup_seconds: float = 20.0, host: str = "127.0.0.1", inside: Sequence[str] = ()
) -> Iterator[RedisServer]:
    """A server listening on `host`; `inside` prefixes its command (`ip netns exec NS` to run it
    on a test host, tests/cluster/hosts.py)."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail(f"redis-server not found. {INSTALL_HINT}", pytrace=False)
    folder = Path(tempfile.mkdtemp(prefix="secondread-redis-"))
    port = _free_loopback_port() if host == "127.0.0.1" else 6379
    password = secrets.token_urlsafe(24)
    config = folder / "redis.conf"
    fd = os.open(config, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(
            f"bind {host}\nport {port}\nprotected-mode yes\ndir {folder}\n"
            'save ""\nappendonly no\ndaemonize no\n'
            f"logfile {folder / 'redis.log'}\nrequirepass {password}\n"
        )
    proc = subprocess.Popen(
        [*inside, binary, str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + startup_seconds
        while True:
            if proc.poll() is not None:
                log = folder / "redis.log"
                pytest.fail(
                    f"redis-server exited: {proc.stderr.read() if proc.stderr else ''!r}\n"
                    + (log.read_text()[-2000:] if log.exists() else ""),
                    pytrace=False,
                )
            try:
                with RedisClient(port, password, timeout=1, host=host) as probe:
                    if probe.command("PING") == "PONG":
                        break
            except (OSError, RedisError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        yield RedisServer(port=port, password=password, host=host)
    finally:
        stop(proc, seconds=10)
        shutil.rmtree(folder, ignore_errors=True)
