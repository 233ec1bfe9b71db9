"""Refusals with a status code, a stable code and a message the patient can act on.

Messages never repeat anything the patient sent (names, file names, contents).
"""

from __future__ import annotations

from bot.config import UploadLimits
from bot.security.tokens import InvalidToken, TokenClaims, verify_token

UPLOAD_SCOPES = ("conversation", "upload", "link")


class UploadRefused(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(code)
        self.status = status
        self.code = code
        self.message = message

    def as_json(self) -> dict[str, str]:
        return {"error": self.code, "message": self.message}


def human_bytes(count: int) -> str:
    for unit, size in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if count >= size:
            return f"{count / size:.3g} {unit}"
    return f"{count} bytes"


def unauthorized() -> UploadRefused:
    return UploadRefused(
        401,
        "unauthorized",
        "This upload link isn't valid or has expired. Please ask for a new one in the chat.",
    )


def link_used() -> UploadRefused:
    return UploadRefused(
        410,
        "link_used",
        "This upload link has already been used. If you have more files, please ask for a new "
        "link in the chat.",
    )


def not_found() -> UploadRefused:
    return UploadRefused(404, "not_found", "I couldn't find that upload in this conversation.")


def request_too_large(limits: UploadLimits) -> UploadRefused:
    return UploadRefused(
        413,
        "request_too_large",
        f"That's more than I can take in one upload (the limit is "
        f"{human_bytes(limits.max_request_bytes)}). Please send the files in smaller parts, "
        "for example one folder at a time.",
    )


def conversation_quota(limits: UploadLimits) -> UploadRefused:
    return UploadRefused(
        413,
        "conversation_quota_exceeded",
        f"Together with the files you've already sent, this would go over "
        f"{human_bytes(limits.max_conversation_bytes)} for this conversation. Please send only "
        "the study that needs a second read and its report.",
    )


def too_many_files(limits: UploadLimits) -> UploadRefused:
    return UploadRefused(
        413,
        "too_many_files",
        f"That's more than {limits.max_files_per_study:,} files in one upload. Please send one "
        "study at a time.",
    )


def no_files() -> UploadRefused:
    return UploadRefused(
        400, "no_files", "I didn't receive any files. Please choose the files or folder again."
    )


def malformed() -> UploadRefused:
    return UploadRefused(
        400,
        "malformed_upload",
        "The upload didn't arrive complete, so nothing was kept. Please try again.",
    )


def interrupted() -> UploadRefused:
    return UploadRefused(
        400,
        "interrupted",
        "The upload was interrupted before it finished, so nothing was kept. Please try again.",
    )


def not_multipart() -> UploadRefused:
    return UploadRefused(
        415, "unsupported_media_type", "Please send the files as a form upload (multipart)."
    )


def erased_meanwhile() -> UploadRefused:
    return UploadRefused(
        410,
        "gone",
        "This conversation's data was deleted while the files were arriving, so they weren't kept.",
    )


def unfinished(count: int) -> UploadRefused:
    files = "1 file hasn't" if count == 1 else f"{count:,} files haven't"
    return UploadRefused(
        409, "unfinished", f"{files} finished uploading yet. Please wait until every file is sent."
    )


def expired() -> UploadRefused:
    return UploadRefused(
        410,
        "expired",
        "This upload waited too long for the rest of its files and was removed. "
        "Please choose the files again.",
    )


def unavailable() -> UploadRefused:
    return UploadRefused(
        503,
        "storage_unavailable",
        "I couldn't save your files just now. Please try again in a minute.",
    )


def authorize(secret_key: str, token: str | None) -> str:
    """The conversation a valid conversation, upload or link token belongs to; 401 otherwise."""
    return authorize_claims(secret_key, token).conversation_id


def authorize_claims(secret_key: str, token: str | None) -> TokenClaims:
    if not token:
        raise unauthorized()
    try:
        return verify_token(secret_key, token, UPLOAD_SCOPES)
    except InvalidToken:
        raise unauthorized() from None
