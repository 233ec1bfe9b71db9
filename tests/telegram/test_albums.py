from __future__ import annotations

import asyncio

from telegram import Document

from bot.telegram.albums import Albums


def doc(n: int) -> Document:
    return Document(file_id=f"f{n}", file_unique_id=f"u{n}")


async def test_the_first_file_waits_for_the_others_and_takes_them_all() -> None:
    albums = Albums(quiet_seconds=0.2)
    albums.add("c:a", 1, doc(1))
    first = asyncio.create_task(albums.take("c:a", 1))
    await asyncio.sleep(0.1)
    albums.add("c:a", 2, doc(2))
    albums.add("c:a", 2, doc(2))  # a redelivery
    assert [d.file_id for d in await first] == ["f1", "f2"]
    assert await albums.take("c:a", 2) == []  # already taken with the first


async def test_a_straggler_after_the_quiet_window_is_its_own_upload() -> None:
    albums = Albums(quiet_seconds=0.05)
    albums.add("c:a", 1, doc(1))
    assert len(await albums.take("c:a", 1)) == 1
    albums.add("c:a", 3, doc(3))
    assert [d.file_id for d in await albums.take("c:a", 3)] == ["f3"]
    assert await albums.take("c:other", 9) == []
