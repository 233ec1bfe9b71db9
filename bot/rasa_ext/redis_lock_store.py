"""Rasa's Redis lock store, with every change of a conversation's lock made atomically.

Several Rasa servers share one Redis so that a conversation is processed by one server at a
time. Rasa's own RedisLockStore (3.6) changes a lock by GET, change in Python, SET: two servers
doing that at once overwrite each other's tickets (RasaHQ/rasa#9213; Rasa's atomic store is in
Rasa Pro only). Seen here with two servers and two messages of one conversation at the same
moment: a ticket lost while the other server re-created the lock without it, and the message
waited, unanswered, until the client gave up (tests/cluster/test_lock_store.py shows it).

Here each change (issuing a ticket, dropping expired ones, finishing) is one optimistic Redis
transaction (WATCH the key, read, MULTI, write, EXEC; again if another server changed the key
in between), so no change is lost; a lock with no tickets left is deleted, never written back;
a waiter whose ticket is gone (expired) gets Rasa's LockError instead of waiting forever; a
live waiter renews its own ticket while it waits, so only a dead server's tickets expire (the
turn ahead may outlast a ticket: a dead server's ticket running out, then the turn itself); and
every lock key expires by itself a minute after its last ticket would have, so a server that
died holding a lock leaves nothing behind. The tickets are Rasa's own TicketLock, unchanged.

endpoints.yml: `lock_store: type: ${LOCK_STORE}`, where scripts/rasa-serve reads LOCK_STORE=redis
as this class (README "Production"); url/port/db/password as for Rasa's RedisLockStore.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

import redis  # type: ignore[import-not-found]  # Rasa's dependency (only in .venv-rasa)
from rasa.core.lock import TicketLock  # type: ignore[import-not-found]
from rasa.core.lock_store import (  # type: ignore[import-not-found]
    LOCK_LIFETIME,
    LockError,
    RedisLockStore,
)

logger = logging.getLogger(__name__)

T = TypeVar("T")
# A lock key outlives its last ticket by this much, then Redis drops it.
KEY_GRACE_SECONDS = 60.0


class AtomicRedisLockStore(RedisLockStore):  # type: ignore[misc]
    """RedisLockStore whose read-modify-write steps are Redis transactions."""

    def __init__(self, endpoint_config: Any = None, **kwargs: Any) -> None:
        # Rasa builds a custom lock store as `cls(endpoint_config=...)`; tests pass kwargs.
        if endpoint_config is not None:
            kwargs = {"host": endpoint_config.url or "localhost", **endpoint_config.kwargs}
        super().__init__(**kwargs)
        # Each waiting ticket's lifetime, to renew it by (Rasa passes it only when issuing).
        self._lifetimes: dict[tuple[str, int], float] = {}

    # -- the transactions ----------------------------------------------------------------------

    def _change(
        self,
        conversation_id: str,
        change: Callable[[TicketLock | None], tuple[T, bool]],
        create: bool = False,
    ) -> T:
        """Apply `change` to the stored lock (a new one when there is none and `create`)
        atomically. `change` edits the lock it gets and returns (result, write): when `write`,
        that lock is stored, or deleted when it has no tickets left."""
        key = self.key_prefix + conversation_id
        with self.red.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(key)
                    raw = pipe.get(key)
                    lock = TicketLock.from_dict(json.loads(raw)) if raw else None
                    if lock is None and create:
                        lock = self.create_lock(conversation_id)
                    result, write = change(lock)
                    if not write or lock is None:
                        pipe.unwatch()
                        return result
                    pipe.multi()
                    if lock.tickets:
                        last_expiry = max(ticket.expires for ticket in lock.tickets)
                        expire_at_ms = int((last_expiry + KEY_GRACE_SECONDS) * 1000)
                        pipe.set(key, lock.dumps(), pxat=expire_at_ms)
                    else:
                        pipe.delete(key)
                    pipe.execute()
                    return result
                except redis.WatchError:
                    continue  # another server changed the lock meanwhile: read it again

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        def issue(lock: TicketLock | None) -> tuple[int, bool]:
            assert lock is not None
            return lock.issue_ticket(lock_lifetime), True

        try:
            ticket: int = self._change(conversation_id, issue, create=True)
        except Exception as error:
            raise LockError(f"Error while acquiring lock: {type(error).__name__}") from error
        self._lifetimes[(conversation_id, ticket)] = lock_lifetime
        return ticket

    def keep_waiting(self, conversation_id: str, ticket: int) -> None:
        """Renew this live waiter's ticket, then drop the expired ones (a dead server's)."""
        lifetime = self._lifetimes.get((conversation_id, ticket), LOCK_LIFETIME)

        def renew(lock: TicketLock | None) -> tuple[None, bool]:
            mine = None if lock is None else lock._ticket_for_ticket_number(ticket)
            if lock is None or mine is None:
                return None, False  # already gone: the next look raises LockError
            mine.expires = time.time() + lifetime
            lock.remove_expired_tickets()
            return None, True

        self._change(conversation_id, renew)

    def update_lock(self, conversation_id: str) -> None:
        def drop_expired(lock: TicketLock | None) -> tuple[None, bool]:
            if lock is None:
                return None, False  # never re-create a lock someone deleted
            before = len(lock.tickets)
            lock.remove_expired_tickets()
            return None, len(lock.tickets) != before

        self._change(conversation_id, drop_expired)

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        def finish(lock: TicketLock | None) -> tuple[None, bool]:
            if lock is None:
                return None, False
            lock.remove_ticket_for(ticket_number)
            return None, True

        self._change(conversation_id, finish)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        # finish_serving deletes the lock when nobody else holds a ticket, in the same step.
        self._lifetimes.pop((conversation_id, ticket_number), None)
        self.finish_serving(conversation_id, ticket_number)

    async def _acquire_lock(
        self, conversation_id: str, ticket: int, wait_time_in_seconds: float
    ) -> TicketLock:
        while True:
            lock = self.get_lock(conversation_id)
            if lock is None or lock._ticket_for_ticket_number(ticket) is None:
                # Expired while waiting (the turns before it took longer than its lifetime):
                # Rasa's loop would wait for it forever.
                raise LockError("the ticket expired while waiting for the lock")
            if not lock.is_locked(ticket):
                return lock
            await asyncio.sleep(wait_time_in_seconds)
            self.keep_waiting(conversation_id, ticket)
