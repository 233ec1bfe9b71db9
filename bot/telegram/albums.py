"""Documents sent together (a Telegram album, up to 10 files) become one upload.

Each file of an album arrives as its own update with the same media_group_id. A series of DICOM
files is one study, so the first handler waits until no file has arrived for a moment and takes
them all; the handlers of the files it took find nothing left to do.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from telegram import Document

QUIET_SECONDS = 1.5
FORGET_SECONDS = 600.0


@dataclass
class _Album:
    pending: dict[int, Document] = field(default_factory=dict)  # by update id, arrival order
    last_added: float = 0.0


class Albums:
    def __init__(self, quiet_seconds: float = QUIET_SECONDS) -> None:
        self._quiet = quiet_seconds
        self._albums: dict[str, _Album] = {}

    def add(self, key: str, update_id: int, document: Document) -> None:
        """Called on arrival, before the update waits for its chat's turn."""
        now = time.monotonic()
        for old in [k for k, a in self._albums.items() if now - a.last_added > FORGET_SECONDS]:
            del self._albums[old]
        album = self._albums.setdefault(key, _Album())
        album.pending.setdefault(update_id, document)
        album.last_added = now

    async def take(self, key: str, update_id: int) -> list[Document]:
        """All pending files of the album once it is quiet; [] if another update took this one."""
        album = self._albums.get(key)
        if album is None or update_id not in album.pending:
            return []
        while (wait := album.last_added + self._quiet - time.monotonic()) > 0:
            await asyncio.sleep(wait)
        taken = list(album.pending.values())
        album.pending.clear()
        return taken
