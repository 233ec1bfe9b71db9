"""A throwaway PostgreSQL server for the tests: initdb + pg_ctl in a temp folder, loopback only.

initdb refuses to run as root, so as root (here and in CI) the server runs as the `postgres`
OS user through runuser.
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

SERVER_USER = "postgres"
INSTALL_HINT = "Run `make deps` (scripts/install-apt-deps installs Debian's postgresql)."


@dataclass(frozen=True)
class PostgresServer:
    port: int
    user: str
    host: str = "127.0.0.1"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{self.user}@{self.host}:{self.port}/{database}"


def find_bin_dir() -> Path:
    """The newest /usr/lib/postgresql/<version>/bin with initdb, or $PG_BINDIR."""
    if override := os.environ.get("PG_BINDIR"):
        candidates = [Path(override)]
    else:
        candidates = sorted(
            Path("/usr/lib/postgresql").glob("*/bin"),
            key=lambda path: [int(part) for part in re.findall(r"\d+", path.parent.name)],
        )
    for bin_dir in reversed(candidates):
        if (bin_dir / "initdb").is_file() and (bin_dir / "pg_ctl").is_file():
            return bin_dir
    pytest.fail(
        f"PostgreSQL server binaries (initdb, pg_ctl) not found. {INSTALL_HINT}", pytrace=False
    )


def _as_server_user() -> list[str]:
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam(SERVER_USER)
    except KeyError:
        pytest.fail(
            f"running as root but there is no `{SERVER_USER}` OS user. {INSTALL_HINT}",
            pytrace=False,
        )
    return ["runuser", "-u", SERVER_USER, "--"]


def _free_loopback_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _run(command: list[str]) -> None:
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    if result.returncode != 0:
        pytest.fail(f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}", pytrace=False)


@contextmanager
def running_postgres(
    host: str = "127.0.0.1", inside: Sequence[str] = (), clients: str | None = None
) -> Iterator[PostgresServer]:
    """A server listening on `host`; `inside` prefixes its commands (`ip netns exec NS` to run
    it on a test host, tests/cluster/hosts.py) and `clients` (a CIDR) may connect over TCP
    without a password, like loopback."""
    bin_dir = find_bin_dir()
    prefix = [*inside, *_as_server_user()]
    folder = Path(tempfile.mkdtemp(prefix="secondread-pg-"))
    if prefix:
        account = pwd.getpwnam(SERVER_USER)
        os.chown(folder, account.pw_uid, account.pw_gid)
    data = folder / "data"
    port = _free_loopback_port() if host == "127.0.0.1" else 5432
    superuser = "postgres"
    try:
        _run([*prefix, str(bin_dir / "initdb"), "-D", str(data), "-U", superuser,
              "--auth=trust", "--encoding=UTF8", "--no-sync"])  # fmt: skip
        if clients:
            with (data / "pg_hba.conf").open("a") as hba:
                hba.write(f"host all all {clients} trust\n")
        # Durability is pointless for a throwaway server; turning it off keeps the suite fast.
        options = (
            f"-c listen_addresses={host} -p {port} -k {folder} -c fsync=off"
            " -c synchronous_commit=off -c full_page_writes=off"
        )
        _run([*prefix, str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options,
              "-l", str(folder / "server.log"), "-w", "-t", "60", "start"])  # fmt: skip
        try:
            yield PostgresServer(port=port, user=superuser, host=host)
        finally:
            _run([*prefix, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"])
    finally:
        shutil.rmtree(folder, ignore_errors=True)
