"""Uploads: receiving files into encrypted storage, and their inspection verdicts.

The conversation side uses `UploadService` (via `bot.uploads.runtime.upload_service()`):
`statuses`, `for_conversation` and `attach_to_case`, which return `UploadRecord`s.
"""

from bot.uploads.records import UploadRecord, UploadStatus
from bot.uploads.service import UploadService

__all__ = ["UploadRecord", "UploadService", "UploadStatus"]
