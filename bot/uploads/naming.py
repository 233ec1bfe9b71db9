"""What the patient's device called the files: kept as metadata, never used as a path on disk."""

from __future__ import annotations

import re
from collections.abc import Sequence

MAX_PATH_CHARS = 1024
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def clean_relative_path(raw: str, position: int) -> str:
    """A tidy relative path: `/` separators, no drive, no empty, `.` or `..` parts, no control
    characters, bounded length. Falls back to `file-<position>`."""
    text = _CONTROL.sub("", raw.replace("\\", "/"))
    if re.match(r"^[A-Za-z]:", text):
        text = text[2:]
    parts = [part for part in text.split("/") if part not in ("", ".", "..")]
    cleaned = "/".join(parts)
    if len(cleaned) > MAX_PATH_CHARS:
        cleaned = cleaned[-MAX_PATH_CHARS:].lstrip("/")
    return cleaned or f"file-{position}"


def summary_kind(paths: Sequence[str]) -> str:
    """How the files arrived, until the inspection says what they are."""
    if len(paths) == 1 and "/" not in paths[0]:
        return "file"
    return "folder" if any("/" in path for path in paths) else "files"
