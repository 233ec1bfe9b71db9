"""Separate hosts on one machine: Linux network namespaces on one bridge, made and removed by
the tests (iproute2's `ip netns`, `ip link`; needs root, as here and in CI).

Each host is a namespace with its own loopback, one veth into the bridge and its own address;
the test process stays in the machine's own namespace, which the bridge's address (.1) puts on
the same network as a client would be. A process started on a host (`Host.popen`) sees only that
host's addresses, so a server that listens on 127.0.0.1 or reaches a peer through "localhost"
fails here as it would in production. The subnet is a free 10.231.X.0/24 (X random), so several
test runs side by side do not collide; nothing is routed beyond the bridge.

`Network.close()` kills whatever still runs in its namespaces (only processes started there by
the tests), deletes the namespaces and the bridge: call it from a fixture finalizer.
"""

from __future__ import annotations

import os
import random
import secrets
import shutil
import signal
import subprocess
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

from tests.needs import need

PREFIX_LENGTH = 24


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["ip", *args], capture_output=True, text=True, check=check, timeout=30)


def can_make_hosts() -> tuple[bool, str]:
    """Whether this machine lets the tests make namespaces (root and iproute2)."""
    if shutil.which("ip") is None:
        return False, "iproute2 (`ip`; `make deps` installs it)"
    if os.geteuid() != 0:
        return False, "root, to make network namespaces (as in CI)"
    return True, ""


@dataclass
class Host:
    name: str  # a label for messages ("rasa1")
    namespace: str
    address: str

    def command(self, argv: Sequence[str]) -> list[str]:
        """`argv` run inside this host (`ip netns exec` execs it: the pid is the program's)."""
        return ["ip", "netns", "exec", self.namespace, *argv]

    def popen(self, argv: Sequence[str], log: Path, **kwargs: object) -> subprocess.Popen[bytes]:
        with log.open("ab") as out:
            return subprocess.Popen(  # type: ignore[call-overload, no-any-return]
                self.command(argv), stdout=out, stderr=subprocess.STDOUT, **kwargs
            )

    def connections(self, port: int) -> int:
        """Open TCP connections to this host's `port`: requests in flight (nginx opens one per
        request to an upstream)."""
        out = subprocess.run(
            self.command(["ss", "-Htn", "state", "established", f"( sport = :{port} )"]),
            capture_output=True, text=True, check=False, timeout=10,
        )  # fmt: skip
        return len(out.stdout.splitlines())

    def pids(self) -> list[int]:
        out = _ip("netns", "pids", self.namespace, check=False).stdout
        return [int(pid) for pid in out.split()]


@dataclass
class Network:
    bridge: str
    subnet: str  # "10.231.X"
    hosts: dict[str, Host] = field(default_factory=dict)

    @property
    def gateway(self) -> str:
        """The test process's own address on the network (the bridge)."""
        return f"{self.subnet}.1"

    @property
    def cidr(self) -> str:
        return f"{self.subnet}.0/{PREFIX_LENGTH}"

    def add_host(self, name: str) -> Host:
        number = len(self.hosts) + 2
        tag = secrets.token_hex(3)
        host = Host(name, f"sr-{name}-{tag}", f"{self.subnet}.{number}")
        outside, inside = f"sr{tag}{number}", "eth0"
        _ip("netns", "add", host.namespace)
        self.hosts[name] = host
        _ip("link", "add", outside, "type", "veth", "peer", "name", inside,
            "netns", host.namespace)  # fmt: skip
        _ip("link", "set", outside, "master", self.bridge, "up")
        _ip("-n", host.namespace, "addr", "add", f"{host.address}/{PREFIX_LENGTH}", "dev", inside)
        _ip("-n", host.namespace, "link", "set", inside, "up")
        _ip("-n", host.namespace, "link", "set", "lo", "up")
        return host

    def close(self) -> None:
        for host in self.hosts.values():
            for pid in host.pids():
                with suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        for host in self.hosts.values():
            _ip("netns", "del", host.namespace, check=False)
        _ip("link", "del", self.bridge, check=False)


def _free_subnet() -> str:
    used = _ip("-4", "addr").stdout
    for _ in range(100):
        subnet = f"10.231.{random.randrange(1, 255)}"
        if f" {subnet}." not in used:
            return subnet
    raise RuntimeError("no free 10.231.X.0/24 subnet for the test hosts")


@contextmanager
def network(names: Sequence[str]) -> Iterator[Network]:
    """A bridge and one namespace per name, removed at the end whatever happened."""
    present, what = can_make_hosts()
    need(present, what)
    net = Network(bridge=f"srbr{secrets.token_hex(3)}", subnet=_free_subnet())
    try:
        _ip("link", "add", net.bridge, "type", "bridge")
        _ip("addr", "add", f"{net.gateway}/{PREFIX_LENGTH}", "dev", net.bridge)
        _ip("link", "set", net.bridge, "up")
        for name in names:
            net.add_host(name)
        yield net
    finally:
        net.close()
