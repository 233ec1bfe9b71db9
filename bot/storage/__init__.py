"""Where stored uploads live. Names are server-generated; nothing from a patient becomes a path.

An upload (one batch of files) is a directory `<uploads_dir>/<stored_name>/` holding one
encrypted file per received file (`bot.storage.encrypted`), named `f000001.sre`, … by position.
The bytes live on this host's disk or, with UPLOAD_STORAGE=database, in PostgreSQL
(`bot.storage.files`); the paths name them either way.
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path

from bot.config import Settings
from bot.storage.files import file_store

_STORED_NAME = re.compile(r"^[A-Za-z0-9_-]{8,128}(\.[a-z0-9]{1,8})?$")
_MEMBER_NAME = re.compile(r"^f[0-9]{6,9}\.sre$")


def uploads_dir() -> Path:
    """The default root: `Settings.uploads_dir` of the process's configuration."""
    return Settings.from_env().uploads_dir


def new_stored_name() -> str:
    # 144 random bits: unguessable and never derived from anything the patient sent.
    return secrets.token_urlsafe(18)


def member_name(position: int) -> str:
    return f"f{position:06d}.sre"


def stored_path(stored_name: str, root: Path | None = None) -> Path:
    if not _STORED_NAME.fullmatch(stored_name):
        raise ValueError("not a server-generated stored name")
    return (root or uploads_dir()) / stored_name


def member_path(stored_name: str, member: str, root: Path | None = None) -> Path:
    if not _MEMBER_NAME.fullmatch(member):
        raise ValueError("not a server-generated member name")
    return stored_path(stored_name, root) / member


def remove_stored_file(stored_name: str, root: Path | None = None) -> None:
    """Delete one stored upload (a batch directory, or a single file from before batches);
    an already missing one counts as removed, so retries are safe."""
    file_store().remove_tree(stored_path(stored_name, root))
