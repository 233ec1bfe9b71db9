"""Rasa sender ids for Telegram chats: `telegram:<chat id>`."""

from __future__ import annotations

PREFIX = "telegram:"


def conversation_id(chat_id: int) -> str:
    return f"{PREFIX}{chat_id}"


def chat_id_of(sender_id: str) -> int:
    """The chat id of a Telegram conversation; ValueError for any other sender id."""
    if not sender_id.startswith(PREFIX):
        raise ValueError("not a Telegram conversation")
    return int(sender_id.removeprefix(PREFIX))


def is_telegram(sender_id: str) -> bool:
    return sender_id.startswith(PREFIX)
