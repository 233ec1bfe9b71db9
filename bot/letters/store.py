"""The latest letter fields of a conversation, encrypted at rest like uploads.

One file per conversation (named by a keyed hash of its id, so the directory listing does not
reveal conversation ids): writing a new letter replaces the last one, and the download link of a
conversation can only ever open that conversation's letter. "Delete my data" removes it
(`remove_letter`), and the daily retention job removes letters older than the inactive-
conversation limit (`purge_old_letters`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import asdict
from datetime import date
from pathlib import Path

from bot.config import Settings
from bot.guidance.records_letter import LetterFields
from bot.storage.encrypted import CorruptStoredFile, open_encrypted, write_encrypted


def _path(settings: Settings, conversation_id: str) -> Path:
    name = hmac.new(settings.storage_key, conversation_id.encode(), hashlib.sha256).hexdigest()
    return settings.var_dir / "letters" / f"{name}.json.enc"


def save_letter(settings: Settings, conversation_id: str, fields: LetterFields) -> None:
    path = _path(settings, conversation_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = asdict(fields)
    raw["date_of_birth"] = fields.date_of_birth.isoformat() if fields.date_of_birth else None
    raw["expires"] = fields.expires.isoformat() if fields.expires else None
    raw["exam_dates"] = [d.isoformat() for d in fields.exam_dates]
    tmp = path.with_suffix(".tmp")
    write_encrypted(tmp, settings.storage_key, [json.dumps(raw).encode()])
    tmp.replace(path)


def load_letter(settings: Settings, conversation_id: str) -> LetterFields | None:
    path = _path(settings, conversation_id)
    if not path.exists():
        return None
    try:
        with open_encrypted(path, settings.storage_key) as stored:
            raw = json.loads(stored.read())
    except (CorruptStoredFile, ValueError):
        return None
    for key in ("date_of_birth", "expires"):
        raw[key] = date.fromisoformat(raw[key]) if raw[key] else None
    raw["exam_dates"] = tuple(date.fromisoformat(d) for d in raw["exam_dates"])
    return LetterFields(**raw)


def remove_letter(settings: Settings, conversation_id: str) -> None:
    _path(settings, conversation_id).unlink(missing_ok=True)


def purge_old_letters(settings: Settings, older_than_days: int, now: float | None = None) -> int:
    """Remove letters not rewritten for that many days (the inactive-conversation retention:
    the letter is the patient's to keep, not ours); returns how many."""
    cutoff = (time.time() if now is None else now) - older_than_days * 24 * 3600
    removed = 0
    for path in (settings.var_dir / "letters").glob("*.json.enc"):
        if path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            removed += 1
    return removed
