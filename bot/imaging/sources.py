"""What the inspection is handed: files to read, and the limits that keep hostile input small."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO

KIB = 1024
MIB = 1024 * KIB
GIB = 1024 * MIB


@dataclass(frozen=True)
class SourceFile:
    """One uploaded file.

    `path` is the relative path as uploaded ('/' separators, folders allowed). It is chosen by the
    patient and may contain their name: it is never logged nor copied into a verdict.
    `open` returns a new seekable binary stream at offset 0 on each call.
    """

    path: str
    size: int
    open: Callable[[], BinaryIO]


@dataclass(frozen=True)
class InspectionLimits:
    """Bounds on what one inspection will read, so a hostile upload stays cheap to reject."""

    max_zip_entries: int = 20_000
    max_total_uncompressed: int = 8 * GIB
    # Per entry; only checked on entries larger than `ratio_check_min_size`, because small files
    # (a blank 512x512 slice, a text file of spaces) legitimately compress far better than 100:1.
    max_compression_ratio: float = 100.0
    ratio_check_min_size: int = 1 * MIB
    # How many archives deep an archive may sit: 1 allows a ZIP inside the uploaded ZIP.
    max_nesting: int = 1
    max_files: int = 20_000
    # A ZIP inside a ZIP must be read into memory to be opened (entries are never written to
    # disk); larger inner archives are refused with a request to unpack them.
    max_nested_archive_size: int = 256 * MIB
    max_pdf_pages: int = 30
    max_pdf_size: int = 64 * MIB
    max_dicomdir_size: int = 64 * MIB
