"""Rasa conversation ids of Telegram chats.

New chats are `telegram:<32 hex characters>`, an HMAC-SHA256 of the chat id keyed with the
server secret (SECONDREAD_SECRET_KEY, truncated to 128 bits): whoever knows a chat id cannot
name its conversation. Chats that started before that are `telegram:<chat id>` ("legacy") and
keep their conversation: renaming a conversation would mean rewriting Rasa's events, the cases,
uploads and review notes that name it, while Rasa runs. The chat of a conversation is looked up
in BridgeState (VAR_DIR/telegram.db), never computed from the id.
"""

from __future__ import annotations

import hashlib
import hmac
import re

PREFIX = "telegram:"
_LEGACY = re.compile(r"^telegram:(-?\d{1,20})$")


def keyed_conversation_id(chat_id: int, secret_key: str) -> str:
    digest = hmac.new(secret_key.encode(), f"telegram-chat:{chat_id}".encode(), hashlib.sha256)
    return f"{PREFIX}{digest.hexdigest()[:32]}"


def legacy_conversation_id(chat_id: int) -> str:
    return f"{PREFIX}{chat_id}"


def legacy_chat_id(sender_id: str) -> int | None:
    """The chat id in a legacy `telegram:<chat id>` conversation id, else None."""
    match = _LEGACY.match(sender_id)
    return int(match[1]) if match else None


def is_telegram(sender_id: str) -> bool:
    return sender_id.startswith(PREFIX)
