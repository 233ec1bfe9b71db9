"""A file made on a thread of its own and sent while it is being written (the de-identified copy's
ZIP): the download starts as soon as the first image is ready instead of after the whole study,
so staff see it coming and no proxy times out on a silent request, and a large study is never
held in memory or on disk whole.

The maker writes into a `PipeWriter` (a write-only, unseekable file: zipfile then writes its
sizes after each entry instead of seeking back); blocks wait in a small bounded queue, so the
maker runs at most a few MiB ahead of the client. Closing the pipe (the client went away, the
response is done) stops the maker at its next write.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

T = TypeVar("T")

logger = logging.getLogger(__name__)

BLOCK_SIZE = 1024 * 1024
QUEUED_BLOCKS = 4  # how far (in blocks) the maker may run ahead of the client
_POLL = 0.25  # seconds between looks at whether the other side gave up
_END = b""


class PipeClosed(BaseException):
    """Raised inside the maker when the reader has gone: a BaseException, so that the maker's own
    per-file `except Exception` cannot swallow it and go on reading the study."""


class CopyFailed(Exception):
    """The maker failed after the first bytes were sent: the download must break, not end."""


class PipeWriter(Generic[T]):
    """`make(pipe)` runs on a thread started by `start()`; `ready()` waits for it to say it has
    something worth sending (`mark_ready()`, or a first full block) or to finish; iterating
    yields the bytes written; `close()` stops it. `result` and `error` are set once it has
    finished."""

    def __init__(self, make: Callable[[PipeWriter[T]], T], name: str) -> None:
        self._make = make
        self._blocks: queue.Queue[bytes] = queue.Queue(maxsize=QUEUED_BLOCKS)
        self._buffer = bytearray()
        self._ready = threading.Event()
        self._finished = threading.Event()
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self.result: T | None = None
        self.error: BaseException | None = None

    # --- the maker's side: a write-only file -------------------------------------------------

    def write(self, data: bytes | bytearray | memoryview) -> int:
        if self._closed.is_set():
            raise PipeClosed()
        self._buffer += data
        while len(self._buffer) >= BLOCK_SIZE:
            # A full block is worth sending even before the maker says so (a first image larger
            # than the queue would otherwise wait for a reader that waits for it).
            self._ready.set()
            self._put(bytes(self._buffer[:BLOCK_SIZE]))
            del self._buffer[:BLOCK_SIZE]
        return len(data)

    def flush(self) -> None:
        """Nothing to do: blocks leave when full or when the maker returns."""

    def mark_ready(self) -> None:
        self._ready.set()

    def _put(self, block: bytes) -> None:
        while True:
            if self._closed.is_set():
                raise PipeClosed()
            try:
                self._blocks.put(block, timeout=_POLL)
                return
            except queue.Full:
                continue

    def _run(self) -> None:
        try:
            self.result = self._make(self)
            if self._buffer:
                self._put(bytes(self._buffer))
            self._put(_END)
        except PipeClosed:
            pass
        except BaseException as error:  # handed to the reader, raised there
            if not self._closed.is_set():  # else a side effect of stopping (zipfile closing)
                self.error = error
        finally:
            self._finished.set()

    # --- the reader's side -------------------------------------------------------------------

    def start(self) -> None:
        self._thread.start()

    def ready(self) -> bool:
        """Wait until the maker marked itself ready (True) or ended without doing so (False);
        an error of the maker before it was ready is raised here."""
        while not self._ready.wait(_POLL):
            if self._finished.is_set():
                break
        if self._ready.is_set():
            return True  # a later error breaks the download while it is read
        if self.error is not None:
            raise self.error
        return False

    def __iter__(self) -> Iterator[bytes]:
        while True:
            try:
                block = self._blocks.get(timeout=_POLL)
            except queue.Empty:
                if self._finished.is_set() and self._blocks.empty():
                    # Ended without its end mark: it failed (or was closed) mid-way. The client
                    # must see a broken download, never a short file that looks whole. Only the
                    # error's type is logged: its text may quote what was being read.
                    failure = type(self.error).__name__ if self.error else "closed"
                    logger.warning("%s failed mid-way (%s)", self._thread.name, failure)
                    raise CopyFailed(f"{self._thread.name} failed mid-way") from None
                continue
            if not block:
                return
            yield block

    def close(self) -> None:
        """Tell the maker to stop; safe to call more than once, from any thread. It does not
        wait: it may run on the event loop (a dropped generator), and the maker only notices at
        its next write, after the image it is on. The maker's own `with` blocks close what it
        opened."""
        self._closed.set()
        while True:  # unblock a maker waiting for room
            try:
                self._blocks.get_nowait()
            except queue.Empty:
                break

    @property
    def finished(self) -> bool:
        return self._finished.is_set()
