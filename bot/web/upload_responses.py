"""What the upload routes (multipart and tus) share: reading the token, refusals as JSON, and
an upload's summary as the widget and the upload page read it."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

from bot.uploads.errors import UploadRefused
from bot.uploads.records import UploadRecord

NO_STORE = {"Cache-Control": "no-store"}


def token_of(request: Request) -> str | None:
    """`Authorization: Bearer <token>`, else `?token=`; None when neither is sent."""
    header = request.headers.get("authorization")
    if header:
        scheme, _, value = header.partition(" ")
        return value.strip() if scheme.lower() == "bearer" else ""
    return request.query_params.get("token")


def refusal(refused: UploadRefused) -> JSONResponse:
    headers = dict(NO_STORE)
    if refused.status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    return JSONResponse(refused.as_json(), status_code=refused.status, headers=headers)


def summary(record: UploadRecord) -> dict[str, Any]:
    result: dict[str, Any] = {
        "id": record.public_id,
        "files": record.file_count,
        "bytes": record.size_bytes,
        "status": record.status,
    }
    if record.verdict is not None:
        result["ok"] = record.verdict.get("ok")
        result["message"] = record.verdict.get("message")
    return result
