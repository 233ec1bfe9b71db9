"""The test hosts are separate and leave nothing behind (tests/cluster/hosts.py)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.cluster.hosts import network

pytestmark = pytest.mark.integration

SERVE = [sys.executable, "-m", "http.server", "--bind"]


def _namespaces() -> str:
    return subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout


def _wait_for(url: str) -> None:
    deadline = time.monotonic() + 20
    while True:
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_hosts_reach_each_other_by_address_only_and_vanish_after_a_failure(
    tmp_path: Path,
) -> None:
    names, bridge, proc = [], "", None
    with pytest.raises(RuntimeError, match="a failing test"), network(["a", "b"]) as net:
        a, b = net.hosts["a"], net.hosts["b"]
        names, bridge = [a.namespace, b.namespace], net.bridge
        assert a.address != b.address and a.address.startswith(net.subnet)
        proc = a.popen([*SERVE, a.address, "8000"], tmp_path / "a.log", cwd=tmp_path)
        _wait_for(f"http://{a.address}:8000/")  # from the test process, over the bridge
        probe = "import socket,sys; socket.create_connection((sys.argv[1], 8000), timeout=3)"
        assert subprocess.run(b.command([sys.executable, "-c", probe, a.address])).returncode == 0
        # b's loopback is its own: a server on a is not there.
        refused = subprocess.run(b.command([sys.executable, "-c", probe, "127.0.0.1"]),
                                 capture_output=True)  # fmt: skip
        assert refused.returncode != 0
        assert a.connections(8000) == 0
        raise RuntimeError("a failing test")
    assert proc is not None and proc.wait(timeout=10) != 0, "the server on a was not stopped"
    listed = _namespaces()
    assert not any(name in listed for name in names)
    links = subprocess.run(["ip", "-br", "link"], capture_output=True, text=True).stdout
    assert bridge not in links
