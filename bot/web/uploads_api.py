"""Upload routes: `POST /api/uploads`, `GET /api/uploads[/{id}]` and the `/upload` page.

Thin: the receiving, storage and inspection live in bot.uploads. The router's lifespan runs the
inspection worker, so including the router is all an app needs.

Tokens: `Authorization: Bearer <token>`, or `?token=` (the plain upload page, and links sent in
chats), or a `token` form field before the first file. Both scopes ("conversation" and "upload")
may upload; a token only ever sees its own conversation's uploads.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.templating import Jinja2Templates
from starlette.requests import ClientDisconnect

from bot.cases.records import StorageUnavailable
from bot.config import Settings
from bot.db import database_url, make_engine, session_factory
from bot.uploads import errors
from bot.uploads.errors import UploadRefused
from bot.uploads.job_queue import InspectionQueue
from bot.uploads.receiver import UploadReceiver
from bot.uploads.records import UploadDetails
from bot.uploads.service import UploadService
from bot.uploads.worker import Inspect, InspectionWorker, OnChecked
from bot.web.tus_api import TusApi
from bot.web.upload_responses import NO_STORE, refusal, summary, token_of

logger = logging.getLogger(__name__)
TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
PATHS_SHOWN = 100  # a CD can hold thousands of files: the status shows the first ones
# The upload page's URL carries the token: keep it out of Referer headers and caches.
PAGE_HEADERS = {**NO_STORE, "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY"}


class UploadsApi:
    def __init__(
        self,
        settings: Settings,
        service: UploadService | None = None,
        *,
        inspect: Inspect | None = None,
        on_checked: OnChecked | None = None,
    ) -> None:
        if service is None:
            # The configured database with this app's settings; this opens no connection yet.
            service = UploadService(session_factory(make_engine(database_url())), settings)
        if settings.storage_key == bytes(32):
            logger.warning("SECONDREAD_STORAGE_KEY is not set: uploads use the all-zero test key")
        self.settings = settings
        self.service = service
        self.receiver = UploadReceiver(service, settings)
        self.worker = InspectionWorker(
            service,
            settings.storage_key,
            inspect=inspect,
            on_checked=on_checked,
            queue=_shared_queue(settings) if settings.shared_upload_queue else None,
        )
        self.router = APIRouter(lifespan=self._lifespan)
        self.router.add_api_route(
            "/api/uploads", self.create_upload, methods=["POST"], status_code=201
        )
        self.router.add_api_route("/api/uploads", self.list_uploads, methods=["GET"])
        self.router.add_api_route("/api/uploads/{public_id}", self.upload_status, methods=["GET"])
        TusApi(self)  # the resumable routes, on the same router, worker and service
        self.router.add_api_route(
            "/upload", self.page, methods=["GET"], response_class=HTMLResponse,
            include_in_schema=False,
        )  # fmt: skip

    @asynccontextmanager
    async def _lifespan(self, _app: FastAPI) -> AsyncIterator[None]:
        await self.worker.start()
        try:
            yield
        finally:
            await self.worker.stop()

    async def create_upload(self, request: Request) -> JSONResponse:
        try:
            record = await self.receiver.receive(
                content_type=request.headers.get("content-type"),
                content_length=request.headers.get("content-length"),
                token=token_of(request),
                body=request.stream(),
            )
        except UploadRefused as refused:
            return refusal(refused)
        except ClientDisconnect:
            return refusal(errors.interrupted())  # nobody reads it; the files are gone
        await self.worker.submit(record.public_id)
        return JSONResponse({"uploads": [summary(record)]}, status_code=201, headers=NO_STORE)

    async def list_uploads(self, request: Request) -> JSONResponse:
        try:
            conversation_id = errors.authorize(self.settings.secret_key, token_of(request))
            records = await asyncio.to_thread(self.service.for_conversation, conversation_id)
        except UploadRefused as refused:
            return refusal(refused)
        except StorageUnavailable:
            return refusal(errors.unavailable())
        return JSONResponse({"uploads": [summary(r) for r in records]}, headers=NO_STORE)

    async def upload_status(self, public_id: str, request: Request) -> JSONResponse:
        try:
            conversation_id = errors.authorize(self.settings.secret_key, token_of(request))
            details = await asyncio.to_thread(self.service.get, conversation_id, public_id)
        except UploadRefused as refused:
            return refusal(refused)
        except StorageUnavailable:
            return refusal(errors.unavailable())
        if details is None:  # unknown or another conversation's: the same answer
            return refusal(errors.not_found())
        return JSONResponse(_details(details), headers=NO_STORE)

    async def page(self, request: Request) -> HTMLResponse:
        token = request.query_params.get("token", "")
        used = False
        try:
            claims = errors.authorize_claims(self.settings.secret_key, token)
            if claims.scope == "link":
                used = await asyncio.to_thread(self.service.link_used, claims.token_id)
            valid = not used
        except (UploadRefused, StorageUnavailable):
            valid = False
        limits = self.settings.upload_limits
        nonce = secrets.token_urlsafe(16)
        response = TEMPLATES.TemplateResponse(
            request,
            "upload.html",
            {
                "token": token if valid else "",
                "valid": valid,
                "used": used,
                "max_request_bytes": limits.max_request_bytes,
                "max_request_text": errors.human_bytes(limits.max_request_bytes),
                "max_files": limits.max_files_per_study,
                "max_files_text": f"{limits.max_files_per_study:,}",
                "nonce": nonce,
            },
            status_code=200 if valid else 401,
            headers={**PAGE_HEADERS, "Content-Security-Policy": _page_policy(nonce)},
        )
        return response


def uploads_router(
    settings: Settings,
    service: UploadService | None = None,
    *,
    inspect: Inspect | None = None,
    on_checked: OnChecked | None = None,
) -> APIRouter:
    return UploadsApi(settings, service, inspect=inspect, on_checked=on_checked).router


def _page_policy(nonce: str) -> str:
    # Only our own inline script and style, only our own API: the token on this page stays here.
    return (
        f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    )


def _shared_queue(settings: Settings) -> InspectionQueue:
    from bot.uploads.shared_queue import SharedQueue  # PostgreSQL only: load when used

    return SharedQueue(settings.database, worker_name=socket.gethostname())


def _details(details: UploadDetails) -> dict[str, Any]:
    record = details.record
    return {
        **summary(record),
        "created_at": record.created_at.isoformat(),
        "checked_at": record.checked_at.isoformat() if record.checked_at else None,
        # The patient's own names for their files, shown back only to them.
        "paths": [file.relative_path for file in details.files[:PATHS_SHOWN]],
    }
