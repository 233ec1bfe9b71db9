"""Rasa's SQL tracker store, except that "delete my data" also erases Rasa's stored events, at
the end of the very turn that asked for it.

Rasa writes a turn's events when the turn ends, so an erasure made from inside the turn (by the
action server) is undone when Rasa saves the conversation. Here the action's marker, a `SlotSet`
of the `personal_data_erased` slot (ERASURE_SLOT), is seen in the events being saved: every
stored row of that conversation is deleted and only the events after the marker are stored, in
one transaction. The marker itself is never stored, so a conversation read back from the
database never carries it and later turns are saved as usual. Saving the same tracker again in
the same turn repeats the erasure, which changes nothing.

endpoints.yml: `tracker_store: type: bot.rasa_ext.erasing_tracker_store.ErasingSQLTrackerStore`
(with the same `url` and `dialect` as Rasa's `SQL` type).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from typing import Any

from rasa.core.tracker_store import SQLTrackerStore  # type: ignore[import-not-found]
from rasa.shared.core.events import SlotSet  # type: ignore[import-not-found]

logger = logging.getLogger(__name__)

# Also named in domain.yml (slots) and bot/actions/erasure.py (which sets it); a test checks.
ERASURE_SLOT = "personal_data_erased"


def erasure_index(events: Iterable[Any]) -> int | None:
    """The position of the last erasure marker among the events, if any."""
    found = None
    for position, event in enumerate(events):
        if isinstance(event, SlotSet) and event.key == ERASURE_SLOT and event.value:
            found = position
    return found


class ErasingSQLTrackerStore(SQLTrackerStore):  # type: ignore[misc]
    """SQLTrackerStore whose save erases the conversation when the turn holds the marker."""

    async def save(self, tracker: Any) -> None:
        events = list(tracker.events)
        marker = erasure_index(events)
        if marker is None:
            await super().save(tracker)
            return
        # Nothing is streamed to an event broker: the erased events must not leave either.
        kept = events[marker + 1 :]
        with self.session_scope() as session:
            erased = (
                session.query(self.SQLEvent)
                .filter(self.SQLEvent.sender_id == tracker.sender_id)
                .delete(synchronize_session=False)
            )
            self._add_rows(session, tracker.sender_id, kept)
            session.commit()
        # Counts only: the sender id may be a phone-like chat id.
        logger.info("erased a conversation's stored events: %d removed, %d kept", erased, len(kept))

    def _add_rows(self, session: Any, sender_id: str, events: Sequence[Any]) -> None:
        """The rows exactly as SQLTrackerStore.save writes them."""
        for event in events:
            data = event.as_dict()
            session.add(
                self.SQLEvent(
                    sender_id=sender_id,
                    type_name=event.type_name,
                    timestamp=data.get("timestamp"),
                    intent_name=data.get("parse_data", {}).get("intent", {}).get("name"),
                    action_name=data.get("name"),
                    data=json.dumps(data),
                )
            )
