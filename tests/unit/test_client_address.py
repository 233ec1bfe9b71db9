"""The socket.io channel's client address: chosen by the connection, not by the client."""

from __future__ import annotations

from bot.channels.client_address import address_ref, client_address, trusted_proxies


def test_the_peer_is_the_address_without_trusted_proxies() -> None:
    environ = {"REMOTE_ADDR": "203.0.113.9", "HTTP_X_FORWARDED_FOR": "198.51.100.1"}
    assert client_address(environ, ()) == "203.0.113.9"  # a forged header is ignored


def test_behind_a_trusted_proxy_the_nearest_untrusted_hop_counts() -> None:
    environ = {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "1.2.3.4, 198.51.100.7, 10.0.0.3"}
    assert client_address(environ, ("10.0.0.0/8",)) == "198.51.100.7"
    assert client_address({"REMOTE_ADDR": "10.0.0.2"}, ("10.0.0.0/8",)) == "10.0.0.2"
    assert client_address({}, ()) is None


def test_the_reference_is_a_keyed_hash_never_the_address() -> None:
    ref = address_ref("secret-one", "198.51.100.7")
    assert ref and "198" not in ref and len(ref) == 32
    assert ref == address_ref("secret-one", "198.51.100.7")
    assert ref != address_ref("secret-two", "198.51.100.7")
    assert address_ref("secret-one", None) is None


def test_trusted_proxies_are_read_like_the_web_app_reads_them() -> None:
    assert trusted_proxies({"TRUSTED_PROXIES": "10.0.0.1, 192.168.0.0/16"}) == (
        "10.0.0.1",
        "192.168.0.0/16",
    )
