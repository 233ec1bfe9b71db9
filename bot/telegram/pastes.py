"""A long paste (a whole radiology report) becomes one message again.

Telegram's apps split a text over 4,096 characters into several messages sent one after
another. To the bot each part would be a message of its own: a report pasted to be compared
would be read as report A (its first part) and report B (the rest). Like albums of files, each
text is registered on arrival; the handler of a long text waits a moment for the parts that
follow it and sends them as one; the handlers of the parts it took find nothing left to do.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

# Telegram splits at 4,096 characters, near a line or word break: a part this long was split.
SPLIT_AT = 3800
QUIET_SECONDS = 1.5
FORGET_SECONDS = 600.0


@dataclass
class _Paste:
    parts: dict[int, str] = field(default_factory=dict)  # by update id, arrival order
    last_added: float = 0.0


class LongPastes:
    def __init__(self, quiet_seconds: float = QUIET_SECONDS) -> None:
        self._quiet = quiet_seconds
        self._pastes: dict[int, _Paste] = {}  # by chat: the paste being collected
        self._sent: set[tuple[int, int]] = set()  # (chat, update) sent as part of a paste

    def add(self, chat_id: int, update_id: int, text: str) -> None:
        """Called on arrival, before the update waits for its chat's turn: a long text starts
        a paste, and the text right after a long part continues it."""
        now = time.monotonic()
        for old in [c for c, p in self._pastes.items() if now - p.last_added > FORGET_SECONDS]:
            del self._pastes[old]
        paste = self._pastes.get(chat_id)
        if paste is None or len(list(paste.parts.values())[-1]) < SPLIT_AT:
            if len(text) < SPLIT_AT:
                return
            paste = self._pastes[chat_id] = _Paste()
        paste.parts[update_id] = text
        paste.last_added = now

    async def take(self, chat_id: int, update_id: int, text: str) -> str | None:
        """The whole paste when this update starts one (once its parts stop arriving), the text
        itself for an ordinary message, None for a part an earlier update already sent."""
        if (chat_id, update_id) in self._sent:
            self._sent.discard((chat_id, update_id))
            return None
        paste = self._pastes.get(chat_id)
        if paste is None or next(iter(paste.parts), None) != update_id:
            return text
        while (wait := paste.last_added + self._quiet - time.monotonic()) > 0:
            await asyncio.sleep(wait)
        del self._pastes[chat_id]
        later = list(paste.parts)[1:]
        self._sent.update((chat_id, part) for part in later)
        return "\n".join(part.strip("\n") for part in paste.parts.values())
