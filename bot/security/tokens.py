"""Signed, expiring tokens that bind a client to one conversation.

They are HS256 JWTs so that Rasa's socket.io channel (``jwt_key`` in credentials.yml) can check
the same token the web app issues. The scope says what the holder may do:
``conversation`` (the widget: chat, history and uploads), ``upload`` (uploads by a channel
bridge, which then tells the bot itself) or ``link`` (an upload page link sent in a chat: the
web app tells the bot when the check is done, since no chat message follows) or ``letter``
(a download link for the conversation's records-request letter, bot/web/letters_api.py) or
``resume`` (kept by the widget on the patient's own device after a records request, when they
ask to be reminded there: it can only be swapped for a fresh ``conversation`` token while the
request is on record, bot/web/sessions_api.py).
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

import jwt

ALGORITHM = "HS256"
SCOPES = ("conversation", "upload", "link", "letter", "resume")


class InvalidToken(Exception):
    """Missing, malformed, tampered with, wrong scope or expired."""


@dataclass(frozen=True)
class TokenClaims:
    conversation_id: str
    scope: str
    expires_at: int
    token_id: str


def issue_token(
    secret: str,
    conversation_id: str,
    scope: str,
    ttl_seconds: int,
    now: float | None = None,
) -> str:
    if scope not in SCOPES:
        raise ValueError(f"unknown token scope {scope!r}")
    issued = int(time.time() if now is None else now)
    payload = {
        "sub": conversation_id,
        "scope": scope,
        "iat": issued,
        "exp": issued + ttl_seconds,
        "jti": secrets.token_urlsafe(12),
    }
    return jwt.encode(payload, secret, algorithm=ALGORITHM)


def verify_token(
    secret: str, token: str, scopes: tuple[str, ...], now: float | None = None
) -> TokenClaims:
    """The claims of a valid token whose scope is one of ``scopes``; otherwise InvalidToken."""
    if token.startswith("Bearer "):
        token = token.removeprefix("Bearer ")
    try:
        payload = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            options={"require": ["sub", "exp", "scope", "jti"], "verify_exp": False},
        )
    except jwt.PyJWTError as error:
        raise InvalidToken("token is not valid") from error
    current = time.time() if now is None else now
    if int(payload["exp"]) < current:
        raise InvalidToken("token has expired")
    if payload["scope"] not in scopes:
        raise InvalidToken("token does not allow this")
    return TokenClaims(
        conversation_id=str(payload["sub"]),
        scope=str(payload["scope"]),
        expires_at=int(payload["exp"]),
        token_id=str(payload["jti"]),
    )
