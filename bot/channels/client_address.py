"""Which address a browser's socket.io connection comes from, as a keyed hash.

The case-status lookup is limited per client address as well as per case number
(bot/actions/case_status.py reads `metadata.client_address`). The channel sets that value itself and
overwrites anything the client sent, so a caller cannot choose its own address. It is a keyed
hash (HMAC-SHA256 with the server secret), so Rasa's tracker never stores an IP address.
`X-Forwarded-For` is believed only from the proxies named in TRUSTED_PROXIES (as the web app
does); otherwise every patient behind one proxy would share one limit, and any client could pick
its address.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import os
from collections.abc import Mapping, Sequence
from typing import Any

from bot.config import parse_trusted_proxies

KEY = "client_address"


def _networks(trusted: Sequence[str]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(item, strict=False) for item in trusted if item]


def _is_trusted(address: str, networks: Sequence[Any]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_address(environ: Mapping[str, Any], trusted: Sequence[str]) -> str | None:
    """The client's address: the peer, or the nearest untrusted hop behind trusted proxies."""
    peer = str(environ.get("REMOTE_ADDR") or "")
    networks = _networks(trusted)
    if not peer or not _is_trusted(peer, networks):
        return peer or None
    hops = [h.strip() for h in str(environ.get("HTTP_X_FORWARDED_FOR") or "").split(",")]
    for hop in reversed([h for h in hops if h]):
        if not _is_trusted(hop, networks):
            return hop
    return peer


def address_ref(secret: str, address: str | None) -> str | None:
    if not address:
        return None
    return hmac.new(secret.encode(), address.encode(), hashlib.sha256).hexdigest()[:32]


def trusted_proxies(env: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """TRUSTED_PROXIES, read as bot/config.py reads it (its one parser)."""
    return parse_trusted_proxies((os.environ if env is None else env).get("TRUSTED_PROXIES", ""))
