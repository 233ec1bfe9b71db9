"""Where stored files live. Names are server-generated; nothing from a patient becomes a path."""

from __future__ import annotations

import os
import re
from pathlib import Path

_STORED_NAME = re.compile(r"^[A-Za-z0-9_-]{8,128}(\.[a-z0-9]{1,8})?$")


def uploads_dir() -> Path:
    return Path(os.environ.get("VAR_DIR", "var")) / "uploads"


def stored_path(stored_name: str) -> Path:
    if not _STORED_NAME.fullmatch(stored_name):
        raise ValueError("not a server-generated stored name")
    return uploads_dir() / stored_name


def remove_stored_file(stored_name: str) -> None:
    """Delete one stored upload; an already missing file counts as removed (retries are safe)."""
    stored_path(stored_name).unlink(missing_ok=True)
