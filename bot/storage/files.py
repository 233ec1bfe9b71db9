"""Where the bytes of stored uploads live: this host's directory (the default) or PostgreSQL,
which every web app, action server and inspection worker of a cluster reaches.

The encrypted format (bot.storage.encrypted, resumable) is the same on both: these classes only
move ciphertext, so the storage key never leaves the app and the database sees sealed chunks.
`UPLOAD_STORAGE=database` (PostgreSQL only) keeps each file as rows of PAGE_SIZE bytes in
`stored_file_pages` under its path relative to the uploads directory, with its length in
`stored_files`; a write is durable once the file is flushed or closed (each flush one
transaction: its pages and its new length together). Directories are implicit (path prefixes).
Paths outside the uploads directory (other encrypted files, such as letters) stay local.

Why PostgreSQL and not S3 (README, "Shared upload storage"): it is already every node's shared
server, and no S3-compatible server that tests could run for real is packaged for us.
"""

from __future__ import annotations

import io
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any, BinaryIO, Protocol, cast

from sqlalchemy import Connection, Engine, delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError

from bot.config import Settings
from bot.storage.tables import STORED_FILE_PAGES, STORED_FILES

PAGE_SIZE = 1024 * 1024
DIRTY_PAGES_HELD = 4  # written out beyond this: a file is never held whole in memory
READ_AHEAD_PAGES = 4  # pages fetched at once by a reader going through a file in order


class FileStore(Protocol):
    def create(self, path: Path) -> BinaryIO:
        """A new, empty file open for writing; FileExistsError if it exists (never overwrite)."""

    def open_read(self, path: Path) -> BinaryIO:
        """Seekable, unbuffered; FileNotFoundError if missing."""

    def open_update(self, path: Path) -> BinaryIO:
        """Read, seek, write, truncate; FileNotFoundError if missing."""

    def size(self, path: Path) -> int: ...

    def exists(self, path: Path) -> bool: ...

    def replace(self, source: Path, target: Path) -> None:
        """Atomically: `target` becomes `source`'s content, `source` is gone."""

    def unlink(self, path: Path) -> None:
        """Remove a file; a missing one counts as removed."""

    def make_dir(self, path: Path, exist_ok: bool = False) -> None: ...

    def remove_tree(self, path: Path) -> None:
        """Remove a directory and everything under it (or a single file); missing is fine."""


class LocalFiles:
    def create(self, path: Path) -> BinaryIO:
        return open(path, "xb")

    def open_read(self, path: Path) -> BinaryIO:
        return cast(BinaryIO, open(path, "rb", buffering=0))

    def open_update(self, path: Path) -> BinaryIO:
        return open(path, "r+b")

    def size(self, path: Path) -> int:
        return path.stat().st_size

    def exists(self, path: Path) -> bool:
        return path.exists()

    def replace(self, source: Path, target: Path) -> None:
        os.replace(source, target)

    def unlink(self, path: Path) -> None:
        path.unlink(missing_ok=True)

    def make_dir(self, path: Path, exist_ok: bool = False) -> None:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        path.mkdir(mode=0o700, exist_ok=exist_ok)

    def remove_tree(self, path: Path) -> None:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)


class DatabaseFiles:
    """Files under `root` as rows in PostgreSQL; anything else on this host's disk."""

    def __init__(self, engine: Engine, root: Path, page_size: int = PAGE_SIZE) -> None:
        self.engine = engine
        self._root = Path(os.path.abspath(root))
        self._page_size = page_size
        self._local = LocalFiles()

    def _key(self, path: Path) -> str | None:
        try:
            return Path(os.path.abspath(path)).relative_to(self._root).as_posix()
        except ValueError:
            return None

    def create(self, path: Path) -> BinaryIO:
        key = self._key(path)
        if key is None:
            return self._local.create(path)
        try:
            with self.engine.begin() as connection:
                connection.execute(STORED_FILES.insert().values(path=key, size=0))
        except IntegrityError:
            raise FileExistsError("stored file exists") from None
        return self._open(key, 0, writable=True)

    def open_read(self, path: Path) -> BinaryIO:
        key = self._key(path)
        if key is None:
            return self._local.open_read(path)
        return self._open(key, self.size(path), writable=False)

    def open_update(self, path: Path) -> BinaryIO:
        key = self._key(path)
        if key is None:
            return self._local.open_update(path)
        return self._open(key, self.size(path), writable=True)

    def _open(self, key: str, size: int, *, writable: bool) -> BinaryIO:
        raw = DatabaseFile(self.engine, key, size, self._page_size, writable=writable)
        return cast(BinaryIO, raw)

    def size(self, path: Path) -> int:
        key = self._key(path)
        if key is None:
            return self._local.size(path)
        with self.engine.connect() as connection:
            size = connection.scalar(select(STORED_FILES.c.size).where(STORED_FILES.c.path == key))
        if size is None:
            raise FileNotFoundError("no such stored file")
        return int(size)

    def exists(self, path: Path) -> bool:
        key = self._key(path)
        if key is None:
            return self._local.exists(path)
        with self.engine.connect() as connection:
            found = connection.scalar(
                select(STORED_FILES.c.path).where(
                    (STORED_FILES.c.path == key)
                    | STORED_FILES.c.path.startswith(key + "/", autoescape=True)
                ).limit(1)
            )
        return found is not None or key in ("", ".")

    def replace(self, source: Path, target: Path) -> None:
        old, new = self._key(source), self._key(target)
        if old is None or new is None:
            self._local.replace(source, target)
            return
        with self.engine.begin() as connection:
            connection.execute(delete(STORED_FILES).where(STORED_FILES.c.path == new))
            moved = connection.execute(
                update(STORED_FILES).where(STORED_FILES.c.path == old).values(path=new)
            )
            if moved.rowcount != 1:
                raise FileNotFoundError("no such stored file")

    def unlink(self, path: Path) -> None:
        key = self._key(path)
        if key is None:
            self._local.unlink(path)
            return
        with self.engine.begin() as connection:
            connection.execute(delete(STORED_FILES).where(STORED_FILES.c.path == key))

    def make_dir(self, path: Path, exist_ok: bool = False) -> None:
        if self._key(path) is None:
            self._local.make_dir(path, exist_ok)
        # Directories are path prefixes here: nothing to make.

    def remove_tree(self, path: Path) -> None:
        key = self._key(path)
        if key is None:
            self._local.remove_tree(path)
            return
        with self.engine.begin() as connection:
            connection.execute(
                delete(STORED_FILES).where(
                    (STORED_FILES.c.path == key)
                    | STORED_FILES.c.path.startswith(key + "/", autoescape=True)
                )
            )


class DatabaseFile(io.RawIOBase):
    """One stored file's bytes in pages; writes are held (a few pages) until flushed."""

    def __init__(
        self, engine: Engine, key: str, size: int, page_size: int, *, writable: bool
    ) -> None:
        super().__init__()
        self._engine = engine
        self._key = key
        self._size = size
        self._page_size = page_size
        self._writable = writable
        self._pos = 0
        self._dirty: dict[int, bytearray] = {}
        self._cached: dict[int, bytes] = {}
        self._last_loaded = -2

    # --- io.RawIOBase ------------------------------------------------------------------------

    def readable(self) -> bool:
        return True

    def writable(self) -> bool:
        return self._writable

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        if base + offset < 0:
            raise ValueError("negative seek position")
        self._pos = base + offset
        return self._pos

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        with memoryview(buffer) as view, view.cast("B") as target:
            done = 0
            while done < len(target) and self._pos < self._size:
                index, offset = divmod(self._pos, self._page_size)
                page = self._page(index)
                take = min(len(page) - offset, len(target) - done, self._size - self._pos)
                if take <= 0:
                    break
                target[done : done + take] = page[offset : offset + take]
                done += take
                self._pos += take
            return done

    def write(self, data: bytes | bytearray | memoryview) -> int:  # type: ignore[override]
        if not self._writable:
            raise io.UnsupportedOperation("not writable")
        if self._pos > self._size:
            raise ValueError("writing past the end would leave a hole")
        with memoryview(data) as view, view.cast("B") as source:
            done = 0
            while done < len(source):
                index, offset = divmod(self._pos, self._page_size)
                page = self._dirty.get(index)
                if page is None:
                    page = self._dirty[index] = bytearray(self._page(index))
                take = min(self._page_size - offset, len(source) - done)
                page[offset : offset + take] = source[done : done + take]
                done += take
                self._pos += take
                self._size = max(self._size, self._pos)
            if len(self._dirty) > DIRTY_PAGES_HELD:
                self.flush()
            return done

    def flush(self) -> None:
        if self._dirty and not self.closed:
            with self._engine.begin() as connection:
                for index, page in sorted(self._dirty.items()):
                    statement = pg_insert(STORED_FILE_PAGES).values(
                        path=self._key, page=index, data=bytes(page)
                    )
                    connection.execute(
                        statement.on_conflict_do_update(
                            index_elements=["path", "page"], set_={"data": statement.excluded.data}
                        )
                    )
                self._set_size(connection)
            self._dirty.clear()
            self._cached.clear()

    def truncate(self, size: int | None = None) -> int:
        self.flush()
        size = self._pos if size is None else size
        if size > self._size:
            raise ValueError("truncate cannot grow a stored file")
        last = (size - 1) // self._page_size if size else -1
        with self._engine.begin() as connection:
            connection.execute(
                delete(STORED_FILE_PAGES).where(
                    STORED_FILE_PAGES.c.path == self._key, STORED_FILE_PAGES.c.page > last
                )
            )
            if size % self._page_size and last >= 0:
                kept = self._load(last)[: size % self._page_size]
                connection.execute(
                    update(STORED_FILE_PAGES)
                    .where(STORED_FILE_PAGES.c.path == self._key, STORED_FILE_PAGES.c.page == last)
                    .values(data=kept)
                )
            self._size = size
            self._set_size(connection)
        self._cached.clear()
        return size

    def close(self) -> None:
        if not self.closed:
            try:
                self.flush()
            finally:
                self._dirty.clear()
                self._cached.clear()
                super().close()

    # --- pages -------------------------------------------------------------------------------

    def _set_size(self, connection: Connection) -> None:
        connection.execute(
            update(STORED_FILES).where(STORED_FILES.c.path == self._key).values(size=self._size)
        )

    def _page(self, index: int) -> bytes | bytearray:
        if (dirty := self._dirty.get(index)) is not None:
            return dirty
        if (cached := self._cached.get(index)) is not None:
            return cached
        # Reading on from the last page loaded: fetch a few at once (one query, not one per
        # page). A jump (a DICOM header here, an end of file there) loads just its page.
        count = READ_AHEAD_PAGES if index == self._last_loaded + 1 else 1
        self._cached = self._load_pages(index, count)
        self._last_loaded = index + len(self._cached) - 1
        return self._cached.get(index, b"")

    def _load(self, index: int) -> bytes:
        return self._load_pages(index, 1).get(index, b"")

    def _load_pages(self, first: int, count: int) -> dict[int, bytes]:
        with self._engine.connect() as connection:
            # psycopg's binary result format: bytea as it is, not hex text (2.5x the speed).
            driver = cast(Any, connection.connection.dbapi_connection)
            with driver.cursor(binary=True) as cursor:
                cursor.execute(
                    "SELECT page, data FROM stored_file_pages"
                    " WHERE path = %s AND page >= %s AND page < %s",
                    (self._key, first, first + count),
                )
                rows = cursor.fetchall()
            connection.rollback()
        return {page: bytes(data) for page, data in rows}


# --- the process's store ---------------------------------------------------------------------

_override: FileStore | None = None


@lru_cache(maxsize=1)
def _configured() -> FileStore:
    settings = Settings.from_env()
    if settings.upload_storage != "database":
        return LocalFiles()
    from bot.db import make_engine  # the database only when it is the store

    return DatabaseFiles(make_engine(settings.database), settings.uploads_dir)


def file_store() -> FileStore:
    """The store this process uses (UPLOAD_STORAGE), or the one a test put in place."""
    return _override if _override is not None else _configured()


@contextmanager
def using_file_store(store: FileStore) -> Iterator[FileStore]:
    """Tests: run a block with another store (the storage tests run on both)."""
    global _override
    previous, _override = _override, store
    try:
        yield store
    finally:
        _override = previous
