"""Debian's nginx in front of the web apps, the Rasa servers and the action servers, as
docs/deploy.md describes it: the configuration the multi-host test and bench/cluster.py run.

Three listeners:
- PUBLIC (the only one an internet user reaches): the web app, and Rasa's socket.io for the
  widget (its connection is bound to a conversation token). Nothing else of Rasa: its REST
  channel and HTTP API stay inside.
- RASA_INTERNAL: Rasa's REST channel and HTTP API for the Telegram bridge, the web apps
  (RASA_URL) and scripted clients.
- ACTIONS_INTERNAL: the action servers for the Rasa servers (ACTION_ENDPOINT_URL): Rasa names
  one action endpoint, so nginx gives it failover.

Stickiness. The widget opens socket.io with `transports: ["websocket"]`: one TCP connection for
the whole session, which nginx keeps on one Rasa server by itself, so WebSocket connections are
balanced freely (least_conn). Engine.IO's long-polling transport (other socket.io clients, or a
proxy that blocks WebSockets) is several HTTP requests for one session, which only the server
that made the session knows: those requests (`?transport=polling`) go to a second upstream with
ip_hash. Cookie hashing would need Engine.IO's `io` cookie, which Rasa does not set.

Retries (proxy_next_upstream). nginx moves a request to the next server when it could not
connect (`error`, `timeout`) or got 502/503/504 from it; a POST that a server may already have
processed is retried only where doing it twice is harmless:
- web apps: not retried after sending (an upload or a new session could be made twice); GETs
  are.
- Rasa: never retried after sending (the message could be processed twice); the client retries
  on 502/503/504, as bot/telegram/rasa_client.py does, once nginx has failed over.
- action servers: `non_idempotent`: Rasa sends the whole tracker each time and our actions'
  side effects are idempotent per conversation (one case per conversation, a unique column), so
  a call lost with a dying action server is run again on the other.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.cluster.hosts import Host
from tests.integration.stack import stop
from tests.needs import need

PUBLIC, RASA_INTERNAL, ACTIONS_INTERNAL = 80, 8082, 8081
# How long a server that refused a connection is skipped before nginx tries it again.
FAIL_TIMEOUT = "10s"
# Longer than a turn that waits for a dead server's lock ticket to expire (TICKET_LOCK_LIFETIME).
RASA_READ_TIMEOUT = "120s"


@dataclass(frozen=True)
class Upstreams:
    web: Sequence[str]  # "host:port"
    rasa: Sequence[str]
    actions: Sequence[str]


def _servers(addresses: Sequence[str]) -> str:
    return "\n".join(
        f"        server {a} max_fails=1 fail_timeout={FAIL_TIMEOUT};" for a in addresses
    )


def config(listen: str, up: Upstreams, folder: Path) -> str:
    """nginx.conf for a proxy listening on `listen` (an address), files under `folder`."""
    temp = "\n".join(
        f"    {kind}_temp_path {folder}/{kind};" for kind in
        ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )  # fmt: skip
    return f"""
# The test's folders are its own (mode 0700): the workers run as the user that started nginx
# (root in the sandbox), not www-data. In production keep Debian's `user www-data;`.
user root;
worker_processes 1;
daemon off;
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
events {{ worker_connections 1024; }}
http {{
{temp}
    # The path only ($uri): upload links carry a token in their query string.
    log_format upstreams '$remote_addr "$request_method $uri" $status'
                         ' upstream=$upstream_addr upstream_status=$upstream_status'
                         ' seconds=$request_time';
    access_log {folder}/access.log upstreams;
    client_max_body_size 0;  # the web app enforces its own upload limits
    proxy_http_version 1.1;
    proxy_set_header Host $host;
    # Our address for the client, replacing whatever the client claimed (TRUSTED_PROXIES).
    proxy_set_header X-Forwarded-For $remote_addr;
    proxy_set_header X-Forwarded-Proto $scheme;
    proxy_next_upstream error timeout http_502 http_503 http_504;
    proxy_next_upstream_tries 3;
    proxy_connect_timeout 2s;

    map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}
    # Long-polling needs every request of a session on one server; a WebSocket does not.
    map $arg_transport $rasa_socket {{ polling rasa_sticky; default rasa_any; }}

    upstream web {{
{_servers(up.web)}
    }}
    upstream rasa_any {{
        least_conn;
{_servers(up.rasa)}
    }}
    upstream rasa_sticky {{
        ip_hash;
{_servers(up.rasa)}
    }}
    upstream actions {{
{_servers(up.actions)}
    }}

    server {{
        listen {listen}:{PUBLIC};
        location /socket.io/ {{
            proxy_pass http://$rasa_socket;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_read_timeout 1h;
        }}
        location / {{
            proxy_pass http://web;
            proxy_set_header Connection "";
        }}
    }}
    server {{
        listen {listen}:{RASA_INTERNAL};
        location / {{
            proxy_pass http://rasa_any;
            proxy_set_header Connection "";
            proxy_read_timeout {RASA_READ_TIMEOUT};
        }}
    }}
    server {{
        listen {listen}:{ACTIONS_INTERNAL};
        location / {{
            proxy_pass http://actions;
            proxy_set_header Connection "";
            proxy_next_upstream error timeout http_502 http_503 http_504 non_idempotent;
        }}
    }}
}}
"""


def nginx_binary() -> str:
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    need(Path(binary).exists(), "Debian's nginx (`make deps` installs it)")
    return binary


@contextmanager
def running_nginx(host: Host, up: Upstreams, folder: Path) -> Iterator[Path]:
    """nginx on `host` (its address, the three ports above); yields its access log."""
    binary = nginx_binary()
    folder.mkdir(parents=True, exist_ok=True)
    conf = folder / "nginx.conf"
    conf.write_text(config(host.address, up, folder))
    checked = subprocess.run(  # on its host: the check binds the listeners
        host.command([binary, "-t", "-c", str(conf), "-e", str(folder / "error.log")]),
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert checked.returncode == 0, checked.stderr
    proc = host.popen([binary, "-c", str(conf), "-e", str(folder / "error.log")],
                      folder / "stdout.log")  # fmt: skip
    try:
        deadline = time.monotonic() + 20
        while True:
            assert proc.poll() is None, (folder / "error.log").read_text()
            try:
                httpx.get(f"http://{host.address}:{PUBLIC}/", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield folder / "access.log"
    finally:
        stop(proc, seconds=10)
