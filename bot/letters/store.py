"""A conversation's documents, encrypted at rest like uploads: the latest letter fields and
the two reports the patient pasted to compare.

One file of each kind per conversation (named by a keyed hash of its id, so the directory
listing does not reveal conversation ids): writing a new letter (or comparing new reports)
replaces the last one, and the download link of a conversation can only ever open that
conversation's documents. "Delete my data" removes them (`remove_letter`), and the daily
retention job removes those older than the inactive-conversation limit (`purge_old_letters`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Any

from bot.config import Settings
from bot.guidance.records_letter import LetterFields
from bot.storage.encrypted import CorruptStoredFile, open_encrypted, write_encrypted

KINDS = ("letters", "reports")


def _path(settings: Settings, conversation_id: str, kind: str = "letters") -> Path:
    name = hmac.new(settings.storage_key, conversation_id.encode(), hashlib.sha256).hexdigest()
    return settings.var_dir / kind / f"{name}.json.enc"


def _write(path: Path, settings: Settings, raw: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    write_encrypted(tmp, settings.storage_key, [json.dumps(raw).encode()])
    tmp.replace(path)


def _read(path: Path, settings: Settings) -> dict[str, Any] | None:
    if not path.exists():
        return None
    try:
        with open_encrypted(path, settings.storage_key) as stored:
            raw = json.loads(stored.read())
    except (CorruptStoredFile, ValueError):
        return None
    return raw if isinstance(raw, dict) else None


def save_letter(settings: Settings, conversation_id: str, fields: LetterFields) -> None:
    raw = asdict(fields)
    raw["date_of_birth"] = fields.date_of_birth.isoformat() if fields.date_of_birth else None
    raw["expires"] = fields.expires.isoformat() if fields.expires else None
    raw["exam_dates"] = [d.isoformat() for d in fields.exam_dates]
    _write(_path(settings, conversation_id), settings, raw)


def save_reports(settings: Settings, conversation_id: str, report_a: str, report_b: str) -> None:
    raw = {"a": report_a, "b": report_b}
    _write(_path(settings, conversation_id, "reports"), settings, raw)


def load_reports(settings: Settings, conversation_id: str) -> tuple[str, str] | None:
    raw = _read(_path(settings, conversation_id, "reports"), settings)
    if raw is None:
        return None
    return str(raw.get("a", "")), str(raw.get("b", ""))


def load_letter(settings: Settings, conversation_id: str) -> LetterFields | None:
    raw = _read(_path(settings, conversation_id), settings)
    if raw is None:
        return None
    for key in ("date_of_birth", "expires"):
        raw[key] = date.fromisoformat(raw[key]) if raw[key] else None
    raw["exam_dates"] = tuple(date.fromisoformat(d) for d in raw["exam_dates"])
    return LetterFields(**raw)


def remove_letter(settings: Settings, conversation_id: str) -> None:
    """Every document of the conversation: its letter and its compared reports."""
    for kind in KINDS:
        _path(settings, conversation_id, kind).unlink(missing_ok=True)


def purge_old_letters(settings: Settings, older_than_days: int, now: float | None = None) -> int:
    """Remove letters not rewritten for that many days (the inactive-conversation retention:
    the letter is the patient's to keep, not ours); returns how many."""
    cutoff = (time.time() if now is None else now) - older_than_days * 24 * 3600
    removed = 0
    for kind in KINDS:
        for path in (settings.var_dir / kind).glob("*.json.enc"):
            if path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
                removed += 1
    return removed
