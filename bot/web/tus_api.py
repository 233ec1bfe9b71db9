"""Resumable uploads over tus 1.0 (https://tus.io/protocols/resumable-upload), core protocol
plus the creation, termination and expiration extensions.

A study is one upload holding many files, so around the tus resources:

- `POST /api/uploads/resumable` begins an upload (the same token rules as `/api/uploads`);
- `POST /api/tus` creates one file of it (`Upload-Metadata`: `upload` = that upload's id,
  `filename`, optionally `relativePath`); HEAD, PATCH and DELETE on the returned Location;
- `POST /api/uploads/resumable/{id}/complete` stores the upload once every file is whole and
  queues its check, answering like `POST /api/uploads`; `DELETE` on it abandons the upload.

Every request carries the token; a file of another conversation answers like an unknown one.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
from datetime import datetime
from email.utils import format_datetime
from typing import TYPE_CHECKING

from fastapi import Request, Response
from fastapi.responses import JSONResponse
from starlette.requests import ClientDisconnect

from bot.cases.records import StorageUnavailable
from bot.uploads import errors
from bot.uploads.appending import Busy, FileAppends, OffsetMismatch, TooLong
from bot.uploads.errors import UploadRefused
from bot.uploads.records import ConversationQuotaExceeded, LinkAlreadyUsed, UploadGone
from bot.uploads.resumable import (
    FilesUnfinished,
    NoFiles,
    ResumableState,
    ResumableUploads,
    TooManyFiles,
)
from bot.uploads.service import utc_now
from bot.web.upload_responses import NO_STORE, refusal, summary, token_of

if TYPE_CHECKING:
    from bot.web.uploads_api import UploadsApi

TUS_VERSION = "1.0.0"
TUS_EXTENSIONS = "creation,termination,expiration"
OFFSET_CONTENT_TYPE = "application/offset+octet-stream"
TUS_BASE = "/api/tus"
# What a browser on another origin (the widget on a clinic's site) must be allowed to send/read.
TUS_REQUEST_HEADERS = ("Tus-Resumable", "Upload-Length", "Upload-Metadata", "Upload-Offset")
TUS_RESPONSE_HEADERS = (
    "Location", "Tus-Resumable", "Tus-Version", "Tus-Extension", "Tus-Max-Size",
    "Upload-Offset", "Upload-Length", "Upload-Expires",
)  # fmt: skip


class TusApi:
    def __init__(self, api: UploadsApi) -> None:
        self._api = api
        self._settings = api.settings
        self._files = ResumableUploads(api.service.sessions, api.settings, api.service)
        self._appends = FileAppends(api.settings.storage_key)
        router = api.router
        router.add_api_route(
            "/api/uploads/resumable", self.begin, methods=["POST"], status_code=201
        )
        router.add_api_route(
            "/api/uploads/resumable/{public_id}/complete", self.complete, methods=["POST"],
            status_code=201,
        )  # fmt: skip
        router.add_api_route(
            "/api/uploads/resumable/{public_id}", self.abandon, methods=["DELETE"],
            status_code=204,
        )  # fmt: skip
        resource = TUS_BASE + "/{file_id}"
        router.add_api_route(TUS_BASE, self.options, methods=["OPTIONS"], include_in_schema=False)
        router.add_api_route(TUS_BASE, self.create, methods=["POST"], include_in_schema=False)
        router.add_api_route(resource, self.head, methods=["HEAD"], include_in_schema=False)
        router.add_api_route(resource, self.patch, methods=["PATCH"], include_in_schema=False)
        router.add_api_route(resource, self.terminate, methods=["DELETE"], include_in_schema=False)

    # --- the upload around the files ---------------------------------------------------------

    async def begin(self, request: Request) -> JSONResponse:
        try:
            claims = errors.authorize_claims(self._settings.secret_key, token_of(request))
            via_link = claims.scope == "link"
            if via_link and await asyncio.to_thread(self._api.service.link_used, claims.token_id):
                raise errors.link_used()
            stored = await asyncio.to_thread(self._api.service.stored_bytes, claims.conversation_id)
            if stored >= self._settings.upload_limits.max_conversation_bytes:
                raise errors.conversation_quota(self._settings.upload_limits)
            upload = await asyncio.to_thread(
                self._api.service.begin, claims.conversation_id, via_link=via_link
            )
        except UploadRefused as refused:
            return refusal(refused)
        except (StorageUnavailable, OSError):
            return refusal(errors.unavailable())
        return JSONResponse(
            {"upload": {"id": upload.public_id, "status": "receiving"}, "tus": TUS_BASE},
            status_code=201,
            headers=NO_STORE,
        )

    async def complete(self, public_id: str, request: Request) -> JSONResponse:
        limits = self._settings.upload_limits
        try:
            claims = errors.authorize_claims(self._settings.secret_key, token_of(request))
            link = claims.token_id if claims.scope == "link" else None
            record = await asyncio.to_thread(
                self._files.complete, claims.conversation_id, public_id, link
            )
        except UploadRefused as refused:
            return refusal(refused)
        except UploadGone:
            return refusal(errors.not_found())
        except NoFiles:
            return refusal(errors.no_files())
        except FilesUnfinished as unfinished:
            return refusal(errors.unfinished(unfinished.unfinished))
        except ConversationQuotaExceeded:
            return refusal(errors.conversation_quota(limits))
        except LinkAlreadyUsed:
            return refusal(errors.link_used())
        except StorageUnavailable:
            return refusal(errors.unavailable())
        await self._api.worker.submit(record.public_id)
        return JSONResponse(
            {"uploads": [summary(record)]}, status_code=201, headers=NO_STORE
        )

    async def abandon(self, public_id: str, request: Request) -> Response:
        try:
            conversation_id = errors.authorize(self._settings.secret_key, token_of(request))
            found = await asyncio.to_thread(self._files.abandon, conversation_id, public_id)
        except UploadRefused as refused:
            return refusal(refused)
        except StorageUnavailable:
            return refusal(errors.unavailable())
        if not found:
            return refusal(errors.not_found())
        return Response(status_code=204, headers=NO_STORE)

    # --- tus ---------------------------------------------------------------------------------

    async def options(self) -> Response:
        return Response(
            status_code=204,
            headers={
                "Tus-Resumable": TUS_VERSION,
                "Tus-Version": TUS_VERSION,
                "Tus-Extension": TUS_EXTENSIONS,
                "Tus-Max-Size": str(self._settings.upload_limits.max_request_bytes),
            },
        )

    async def create(self, request: Request) -> Response:
        limits = self._settings.upload_limits
        try:
            # The caller first (an anonymous one learns nothing), then the protocol's rules.
            conversation_id = errors.authorize(self._settings.secret_key, token_of(request))
            if (wrong_version := _version_refusal(request)) is not None:
                return wrong_version
            length = _non_negative(request.headers.get("upload-length"))
            if length is None:  # creation-defer-length is not offered
                return _tus_error(400, "Upload-Length is required")
            if length > limits.max_request_bytes:
                return _tus_error(413, errors.request_too_large(limits).message)
            metadata = parse_metadata(request.headers.get("upload-metadata", ""))
            upload_id = metadata.get("upload", "")
            name = metadata.get("relativePath") or metadata.get("filename") or ""
            state = await asyncio.to_thread(
                self._files.create_file, conversation_id, upload_id, length, name
            )
        except UploadRefused as refused:
            return _tus_refusal(refused)
        except ValueError:
            return _tus_error(400, "Upload-Metadata is malformed")
        except UploadGone:
            return _tus_refusal(errors.not_found())
        except TooManyFiles:
            return _tus_refusal(errors.too_many_files(limits))
        except ConversationQuotaExceeded:
            return _tus_refusal(errors.conversation_quota(limits))
        except StorageUnavailable:
            return _tus_refusal(errors.unavailable())
        return Response(
            status_code=201,
            headers={
                **_tus_headers(),
                "Location": f"{TUS_BASE}/{state.public_id}",
                "Upload-Expires": _http_date(state.expires_at),
            },
        )

    async def head(self, file_id: str, request: Request) -> Response:
        found = await self._file(file_id, request)
        if isinstance(found, Response):
            return found
        try:
            offset = await self._appends.offset(found)
        except OSError:
            return _tus_refusal(errors.unavailable())
        return Response(
            status_code=200,
            headers={
                **_tus_headers(),
                "Upload-Offset": str(offset),
                "Upload-Length": str(found.length),
                "Upload-Expires": _http_date(found.expires_at),
            },
        )

    async def patch(self, file_id: str, request: Request) -> Response:
        try:
            errors.authorize(self._settings.secret_key, token_of(request))
        except UploadRefused as refused:
            return _tus_refusal(refused)
        if (wrong_version := _version_refusal(request)) is not None:
            return wrong_version
        if request.headers.get("content-type", "").split(";")[0].strip() != OFFSET_CONTENT_TYPE:
            return _tus_error(415, f"Content-Type must be {OFFSET_CONTENT_TYPE}")
        try:
            offset = _non_negative(request.headers.get("upload-offset"))
            content_length = _non_negative(request.headers.get("content-length"))
        except ValueError:
            return _tus_error(400, "Upload-Offset and Content-Length must be numbers")
        if offset is None:
            return _tus_error(400, "Upload-Offset is required")
        found = await self._file(file_id, request)
        if isinstance(found, Response):
            return found
        try:
            appended = await self._appends.append(
                found, offset, request.stream(), content_length, ClientDisconnect
            )
            if appended.written is not None:
                await asyncio.to_thread(
                    self._files.finish_file, found.public_id, appended.written.sha256
                )
                expires = found.expires_at
            elif self._files.touch_due(found):  # rarely: one thread hop less per PATCH
                expires = await asyncio.to_thread(self._files.touch, found)
            else:
                expires = found.expires_at
        except Busy:
            return _tus_error(423, "This file is still receiving another request")
        except OffsetMismatch as mismatch:
            return _tus_error(409, "Upload-Offset does not match", offset=mismatch.offset)
        except TooLong as too_long:
            return _tus_error(413, "More bytes than the Upload-Length", offset=too_long.offset)
        except UploadGone:
            return _tus_refusal(errors.erased_meanwhile())
        except (StorageUnavailable, OSError):
            return _tus_refusal(errors.unavailable())
        return Response(
            status_code=204,
            headers={
                **_tus_headers(),
                "Upload-Offset": str(appended.offset),
                "Upload-Expires": _http_date(expires),
            },
        )

    async def terminate(self, file_id: str, request: Request) -> Response:
        try:
            conversation_id = errors.authorize(self._settings.secret_key, token_of(request))
            if (wrong_version := _version_refusal(request)) is not None:
                return wrong_version
            removed = await asyncio.to_thread(self._files.terminate, conversation_id, file_id)
        except UploadRefused as refused:
            return _tus_refusal(refused)
        except (StorageUnavailable, OSError):
            return _tus_refusal(errors.unavailable())
        if not removed:
            return _tus_refusal(errors.not_found())
        return Response(status_code=204, headers=_tus_headers())

    async def _file(self, file_id: str, request: Request) -> ResumableState | Response:
        """The caller's file, 404 for an unknown or another conversation's, 410 once expired
        (412 first when a known caller speaks another tus version)."""
        try:
            conversation_id = errors.authorize(self._settings.secret_key, token_of(request))
            if (wrong_version := _version_refusal(request)) is not None:
                return wrong_version
            state = await asyncio.to_thread(self._files.file, conversation_id, file_id)
        except UploadRefused as refused:
            return _tus_refusal(refused)
        except StorageUnavailable:
            return _tus_refusal(errors.unavailable())
        if state is None:
            return _tus_refusal(errors.not_found())
        if not state.finished and state.expires_at <= utc_now():
            return _tus_refusal(errors.expired())
        return state


def parse_metadata(header: str) -> dict[str, str]:
    """tus `Upload-Metadata`: comma-separated `key base64(value)` pairs (value optional).
    Raises ValueError for a malformed header or a value that is not UTF-8."""
    metadata: dict[str, str] = {}
    for pair in filter(None, (part.strip() for part in header.split(","))):
        key, _, encoded = pair.partition(" ")
        if not key or " " in encoded.strip() or key in metadata:
            raise ValueError("malformed Upload-Metadata")
        try:
            value = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise ValueError("malformed Upload-Metadata") from None
        metadata[key] = value
    return metadata


def _non_negative(value: str | None) -> int | None:
    if value is None:
        return None
    if not value.isdigit():
        raise ValueError("not a non-negative integer")
    return int(value)


def _http_date(moment: datetime) -> str:
    return format_datetime(moment, usegmt=True)


def _tus_headers() -> dict[str, str]:
    return {"Tus-Resumable": TUS_VERSION, **NO_STORE}


def _version_refusal(request: Request) -> Response | None:
    if request.headers.get("tus-resumable") == TUS_VERSION:
        return None
    return Response(
        status_code=412,
        headers={"Tus-Version": TUS_VERSION, **NO_STORE},
        content="Tus-Resumable 1.0.0 is required",
    )


def _tus_error(status: int, message: str, *, offset: int | None = None) -> Response:
    headers = _tus_headers()
    if offset is not None:
        headers["Upload-Offset"] = str(offset)
    return Response(status_code=status, headers=headers, content=message)


def _tus_refusal(refused: UploadRefused) -> Response:
    """A refusal on a tus route: plain text (what tus clients show), our JSON code alongside."""
    response = _tus_error(refused.status, refused.message)
    response.headers["X-Upload-Error"] = refused.code
    if refused.status == 401:
        response.headers["WWW-Authenticate"] = "Bearer"
    return response
