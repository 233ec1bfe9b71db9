"""Receiving one upload: a streamed multipart body goes straight into encrypted files.

Nothing is held whole in memory or written in plaintext. Limits are enforced before reading
(Content-Length) and while streaming (bytes actually received, files, the conversation's
total). Any failure, including a client that goes away mid-body, abandons the upload: the row
never leaves `receiving` and the files are removed.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import AsyncIterator, Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import ParamSpec, TypeVar

from bot.cases.records import StorageUnavailable
from bot.config import Settings
from bot.storage import member_name
from bot.storage.encrypted import WrittenFile
from bot.storage.files import file_store
from bot.uploads import errors
from bot.uploads.multipart import (
    Field,
    FileData,
    FileEnd,
    FileStart,
    MalformedForm,
    StreamingForm,
    boundary_of,
)
from bot.uploads.naming import clean_relative_path, summary_kind
from bot.uploads.records import (
    ConversationQuotaExceeded,
    LinkAlreadyUsed,
    NewUpload,
    StoredFile,
    UploadGone,
    UploadRecord,
)
from bot.uploads.service import UploadService
from bot.uploads.writing import BackgroundWriter, result_of

logger = logging.getLogger(__name__)
P = ParamSpec("P")
T = TypeVar("T")

TOKEN_FIELD = "token"
FRAMING_ALLOWANCE = 64 * 1024
MAX_CLOSING_FILES = 64
MAX_CLOSING_BYTES = 8 * 1024 * 1024
PATH_FIELD = "path"  # a folder upload's relative path, one per file, in file order


@dataclass
class _Incoming:
    name: str  # the part's filename (maybe a relative path)
    writer: BackgroundWriter
    position: int


@dataclass
class _State:
    conversation_id: str | None
    via_link: bool = False  # sent from an upload page: no chat message will follow
    link_token_id: str | None = None  # upload links are one-time
    stored_before: int = 0
    upload: NewUpload | None = None
    executor: ThreadPoolExecutor | None = None  # the upload's writer thread
    current: _Incoming | None = None
    started: int = 0  # file parts begun
    # Files whose end is queued on the writer thread, oldest first, and the bytes they hold.
    closing: deque[tuple[_Incoming, Future[WrittenFile], int]] = field(default_factory=deque)
    closing_bytes: int = 0
    received_bytes: int = 0  # of file data, plaintext
    files: list[StoredFile] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)


class UploadReceiver:
    def __init__(self, service: UploadService, settings: Settings) -> None:
        self._service = service
        self._settings = settings
        self._limits = settings.upload_limits

    async def receive(
        self,
        *,
        content_type: str | None,
        content_length: str | None,
        token: str | None,
        body: AsyncIterator[bytes],
    ) -> UploadRecord:
        """Store the upload and return its record (`pending`), or raise UploadRefused.

        `token` comes from the Authorization header or the query; when it is None, a `token`
        form field sent before the first file is accepted instead."""
        try:
            boundary = boundary_of(content_type)
        except MalformedForm:
            raise errors.not_multipart() from None
        declared = _content_length(content_length)
        if declared is not None and declared > self._limits.max_request_bytes:
            raise errors.request_too_large(self._limits)
        state = _State(conversation_id=None)
        if token is not None:
            await self._authorize(state, token, declared)
        try:
            return await self._receive(state, StreamingForm(boundary), body)
        except BaseException as error:
            await self._discard(state)
            if isinstance(error, OSError):  # e.g. a full disk: the type only, never the path
                logger.error("upload storage error: %s", type(error).__name__)
                raise errors.unavailable() from None
            raise
        finally:
            if state.executor is not None:
                state.executor.shutdown(wait=False)

    async def _authorize(self, state: _State, token: str, declared: int | None) -> None:
        claims = errors.authorize_claims(self._settings.secret_key, token)
        state.conversation_id = claims.conversation_id
        state.via_link = claims.scope == "link"
        if state.via_link:
            state.link_token_id = claims.token_id
            if await _db(self._service.link_used, claims.token_id):
                raise errors.link_used()
        state.stored_before = await _db(self._service.stored_bytes, state.conversation_id)
        # Refuse before reading only what is over the limit for sure: the declared length
        # includes the multipart framing (part headers are a few hundred bytes per file).
        files_at_least = (declared or 0) - FRAMING_ALLOWANCE - (declared or 0) // 50
        if state.stored_before + files_at_least > self._limits.max_conversation_bytes:
            raise errors.conversation_quota(self._limits)

    async def _receive(
        self, state: _State, form: StreamingForm, body: AsyncIterator[bytes]
    ) -> UploadRecord:
        body_bytes = 0
        try:
            async for chunk in body:
                body_bytes += len(chunk)
                if body_bytes > self._limits.max_request_bytes:
                    raise errors.request_too_large(self._limits)
                for event in form.feed(chunk):
                    if isinstance(event, FileData):
                        await self._write(state, event.data)
                    else:
                        await self._handle(state, event)
            form.finish()
        except MalformedForm:
            raise errors.malformed() from None
        await self._settle(state, 0, 0)
        if state.upload is None or not state.files:
            raise errors.no_files()
        return await self._complete(state, state.upload)

    async def _handle(self, state: _State, event: Field | FileStart | FileEnd) -> None:
        if isinstance(event, Field):
            if event.name == TOKEN_FIELD and state.conversation_id is None:
                await self._authorize(state, event.value, None)
            elif event.name == PATH_FIELD:
                if len(state.paths) >= self._limits.max_files_per_study:
                    raise errors.too_many_files(self._limits)
                state.paths.append(event.value)
        elif isinstance(event, FileStart):
            await self._start_file(state, event.filename)
        elif state.current is not None:
            await self._end_file(state, state.current)

    async def _start_file(self, state: _State, filename: str) -> None:
        if state.conversation_id is None:
            raise errors.unauthorized()
        if state.started >= self._limits.max_files_per_study:
            raise errors.too_many_files(self._limits)
        if state.upload is None:
            state.upload = await _db(
                self._service.begin, state.conversation_id, via_link=state.via_link
            )
            state.executor = ThreadPoolExecutor(1, thread_name_prefix="upload-writer")
        assert state.executor is not None
        state.started += 1
        position = state.started
        path = state.upload.directory / member_name(position)
        writer = BackgroundWriter(state.executor, path, self._settings.storage_key)
        state.current = _Incoming(filename, writer, position)

    async def _write(self, state: _State, data: memoryview) -> None:
        if state.current is None:
            return
        state.received_bytes += len(data)
        if state.stored_before + state.received_bytes > self._limits.max_conversation_bytes:
            raise errors.conversation_quota(self._limits)
        await state.current.writer.write(data)

    async def _end_file(self, state: _State, incoming: _Incoming) -> None:
        state.current = None
        future, held = incoming.writer.finish()
        state.closing.append((incoming, future, held))
        state.closing_bytes += held
        await self._settle(state, MAX_CLOSING_FILES, MAX_CLOSING_BYTES)

    async def _settle(self, state: _State, max_files: int, max_bytes: int) -> None:
        """Collect finished files, oldest first, until no more than the given number (and
        bytes) are still being written."""
        while state.closing and (len(state.closing) > max_files or state.closing_bytes > max_bytes):
            incoming, future, held = state.closing.popleft()
            state.closing_bytes -= held
            self._add_file(state, incoming, await result_of(future))

    def _add_file(self, state: _State, incoming: _Incoming, written: WrittenFile) -> None:
        if not incoming.name and written.size == 0:
            # An empty file input: browsers send one nameless, empty part. Not a file.
            file_store().unlink(incoming.writer.path)
            return
        state.files.append(
            StoredFile(
                position=incoming.position,
                relative_path="",  # named in _complete, once every `path` field has arrived
                stored_name=member_name(incoming.position),
                size_bytes=written.size,
                sha256=written.sha256,
            )
        )
        state.names.append(incoming.name)

    async def _complete(self, state: _State, upload: NewUpload) -> UploadRecord:
        named = []
        for index, file in enumerate(state.files):
            given = state.paths[index] if index < len(state.paths) else state.names[index]
            path = clean_relative_path(given, file.position)
            named.append(
                StoredFile(file.position, path, file.stored_name, file.size_bytes, file.sha256)
            )
        kind = summary_kind([file.relative_path for file in named])
        try:
            return await _db(
                self._service.complete, upload.id, named, kind, state.link_token_id
            )
        except LinkAlreadyUsed:
            raise errors.link_used() from None
        except ConversationQuotaExceeded:
            raise errors.conversation_quota(self._limits) from None
        except UploadGone:
            raise errors.erased_meanwhile() from None

    async def _discard(self, state: _State) -> None:
        if state.current is not None:
            await state.current.writer.abort()
            state.current = None
        if state.executor is not None:
            # Let the writer thread finish what is queued before the files are removed.
            done = state.executor.submit(lambda: None)
            await asyncio.shield(asyncio.wrap_future(done))
        state.closing.clear()
        if state.upload is None:
            return
        public_id, upload_id = state.upload.public_id, state.upload.id
        state.upload = None
        try:
            # Shielded: the request task may itself be the thing being cancelled.
            await asyncio.shield(asyncio.to_thread(self._service.abandon, upload_id))
        except (StorageUnavailable, OSError) as error:
            # The row stays `receiving` (never counted); the startup sweep retries.
            logger.warning("could not discard upload %s: %s", public_id, type(error).__name__)
        logger.info("upload %s discarded", public_id)


async def _db(function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Run a (synchronous) service call off the event loop; StorageUnavailable becomes a 503."""
    try:
        return await asyncio.to_thread(function, *args, **kwargs)
    except StorageUnavailable:
        raise errors.unavailable() from None


def _content_length(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        length = int(value)
    except ValueError:
        raise errors.malformed() from None
    if length < 0:
        raise errors.malformed()
    return length
