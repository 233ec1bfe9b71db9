"""One stand-in for a Rasa server taking one conversation's lock again and again, as Rasa does
for each message (`async with lock_store.lock(conversation)`). Run with the Rasa environment's
Python (.venv-rasa) by tests/cluster/test_lock_store.py, several at once, against one Redis.

Usage: lock_worker.py STORE PORT START_AT TURNS CONCURRENCY SECONDS (REDIS_PASSWORD from the
environment), STORE being `rasa` (Rasa's RedisLockStore) or `ours` (AtomicRedisLockStore); no
turn starts after SECONDS. Prints one JSON line: turns done, overlaps (another holder inside at
the same time), lock errors, and turns still waiting after HANG_SECONDS (counted as hung, then
given up).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from rasa.core.lock_store import LockError, RedisLockStore

from bot.rasa_ext.redis_lock_store import AtomicRedisLockStore

CONVERSATION = "web-lock-test"
INSIDE = "lock-test:inside"  # in db 0, apart from the locks in db 1
HANG_SECONDS = 2.0


async def main() -> None:
    kind, port, start_at, turns, concurrency, seconds = sys.argv[1:7]
    stop_at = float(start_at) + float(seconds)
    store_class = AtomicRedisLockStore if kind == "ours" else RedisLockStore
    options = {"port": int(port), "db": 1, "password": os.environ["REDIS_PASSWORD"]}
    store = store_class(host="127.0.0.1", **options)
    counter = RedisLockStore(host="127.0.0.1", **{**options, "db": 0}).red
    result = {"done": 0, "overlaps": 0, "lock_errors": 0, "hangs": 0}

    async def turn() -> None:
        async with store.lock(CONVERSATION, lock_lifetime=30, wait_time_in_seconds=0.002):
            if counter.incr(INSIDE) != 1:
                result["overlaps"] += 1
            await asyncio.sleep(0.001)  # the turn's work: others wait meanwhile
            counter.decr(INSIDE)

    async def worker(count: int) -> None:
        for _ in range(count):
            if time.time() > stop_at:
                return
            try:
                await asyncio.wait_for(turn(), HANG_SECONDS)
                result["done"] += 1
            except LockError:
                result["lock_errors"] += 1
            except asyncio.TimeoutError:  # noqa: UP041  (Python 3.10: not the builtin one)
                result["hangs"] += 1

    await asyncio.sleep(max(0.0, float(start_at) - time.time()))
    share = int(turns) // int(concurrency)
    await asyncio.gather(*(worker(share) for _ in range(int(concurrency))))
    print(json.dumps(result))


if __name__ == "__main__":
    asyncio.run(main())
