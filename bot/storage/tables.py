"""The shared store's tables (bot/storage/files.py, UPLOAD_STORAGE=database): each stored file's
length, and its bytes (ciphertext only) in pages. Deleting a file deletes its pages."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, ForeignKey, Integer, LargeBinary, String, Table

from bot.cases.models import Base

STORED_FILES = Table(
    "stored_files",
    Base.metadata,
    # Relative to the uploads directory: "<stored name>/f000001.sre" (server-generated only).
    Column("path", String(300), primary_key=True),
    Column("size", BigInteger, nullable=False),
)
STORED_FILE_PAGES = Table(
    "stored_file_pages",
    Base.metadata,
    Column(
        "path",
        String(300),
        ForeignKey("stored_files.path", ondelete="CASCADE", onupdate="CASCADE"),
        primary_key=True,
    ),
    Column("page", Integer, primary_key=True),
    Column("data", LargeBinary, nullable=False),
)
