"""ZIP archives, checked from their index before any entry's data is read.

A zip bomb (too many entries, too many bytes, an absurd compression ratio, overlapping entries),
a zip-slip archive (absolute or ".." paths), symbolic links and password-protected entries are
refused whole. Entries are never written to disk: the inspection reads them as streams.
"""

from __future__ import annotations

import io
import itertools
import stat
import struct
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import BinaryIO

from bot.imaging.names import base_name, dicom_name
from bot.imaging.sources import InspectionLimits

_EOCD = b"PK\x05\x06"
_ZIP64_LOCATOR = b"PK\x06\x07"
_ZIP64_EOCD = b"PK\x06\x06"
_EOCD_SEARCH = 22 + 0xFFFF  # the record plus the longest possible archive comment
# A central directory entry is 46 bytes plus name, extra field and comment; real ones stay
# well under this average, so a bigger directory means entries the count does not admit.
_MAX_INDEX_BYTES_PER_ENTRY = 1024
_LOCAL_HEADER = 30


class ArchiveProblem(StrEnum):
    TOO_MANY_ENTRIES = "too_many_entries"
    TOO_LARGE = "too_large"  # unpacks to more than the total allowed
    COMPRESSION_RATIO = "compression_ratio"  # a zip bomb's signature
    OVERLAPPING = "overlapping_entries"  # entries sharing data: another zip bomb trick
    UNSAFE_PATH = "unsafe_path"  # absolute or ".." paths (zip slip)
    SYMLINK = "symlink"
    TOO_DEEP = "too_deep"  # archives inside archives, deeper than allowed
    NESTED_TOO_LARGE = "nested_too_large"
    PROTECTED = "protected"  # password-protected entries
    DAMAGED = "damaged"


class ArchiveRejected(Exception):
    """The archive is refused whole. Carries only a reason code, never an entry name."""

    def __init__(self, problem: ArchiveProblem) -> None:
        super().__init__(problem.value)
        self.problem = problem


@dataclass(frozen=True)
class Entry:
    name: str
    size: int
    open: Callable[[], BinaryIO]


class Budget:
    """Uncompressed bytes that all archives of one inspection may still declare."""

    def __init__(self, limits: InspectionLimits) -> None:
        self.remaining = limits.max_total_uncompressed

    def take(self, size: int) -> None:
        if size > self.remaining:
            raise ArchiveRejected(ArchiveProblem.TOO_LARGE)
        self.remaining -= size


def open_archive(
    stream: BinaryIO, size: int, limits: InspectionLimits, budget: Budget
) -> tuple[zipfile.ZipFile, list[Entry]]:
    """Check the archive's index and return its file entries, or raise ArchiveRejected."""
    _check_end_record(stream, size, limits)
    try:
        archive = zipfile.ZipFile(stream)
    except Exception as error:
        raise ArchiveRejected(ArchiveProblem.DAMAGED) from error
    try:
        entries = _checked_entries(archive, size, limits, budget)
    except BaseException:
        archive.close()
        raise
    return archive, entries


def is_java_archive(entries: list[Entry]) -> bool:
    """A .jar (a viewer program on a CD) is a ZIP with a manifest and class files, and no images:
    a ZIP made by a Java tool (a manifest next to the DICOM files) is opened like any other."""
    names = [entry.name for entry in entries]
    return (
        any(name.upper() == "META-INF/MANIFEST.MF" for name in names)
        and any(name.lower().endswith(".class") for name in names)
        and not any(base_name(name).upper() == "DICOMDIR" or dicom_name(name) is not None
                    for name in names)
    )


def read_nested(stream: BinaryIO, size: int, limits: InspectionLimits) -> io.BytesIO:
    """An archive inside an archive, read into memory (never to disk) so it can be opened."""
    if size > limits.max_nested_archive_size:
        raise ArchiveRejected(ArchiveProblem.NESTED_TOO_LARGE)
    data = stream.read(size + 1)
    if len(data) > size:
        raise ArchiveRejected(ArchiveProblem.DAMAGED)
    return io.BytesIO(data)


def _check_end_record(stream: BinaryIO, size: int, limits: InspectionLimits) -> None:
    """Entry count and index size from the end record, before zipfile loads the whole index."""
    tail_size = min(size, _EOCD_SEARCH)
    stream.seek(size - tail_size)
    tail = stream.read(tail_size)
    position = tail.rfind(_EOCD)
    if position < 0 or position + 22 > len(tail):
        raise ArchiveRejected(ArchiveProblem.DAMAGED)
    entries, index_size = struct.unpack_from("<HL", tail, position + 10)
    count, directory = int(entries), int(index_size)
    locator = position - 20
    if (entries == 0xFFFF or index_size == 0xFFFFFFFF) and locator >= 0 and (
        tail[locator : locator + 4] == _ZIP64_LOCATOR
    ):
        (record_offset,) = struct.unpack_from("<Q", tail, locator + 8)
        if record_offset + 56 > size:
            raise ArchiveRejected(ArchiveProblem.DAMAGED)
        stream.seek(record_offset)
        record = stream.read(56)
        if len(record) < 56 or record[:4] != _ZIP64_EOCD:
            raise ArchiveRejected(ArchiveProblem.DAMAGED)
        count, directory = struct.unpack_from("<QQ", record, 32)
    if count > limits.max_zip_entries:
        raise ArchiveRejected(ArchiveProblem.TOO_MANY_ENTRIES)
    if directory > limits.max_zip_entries * _MAX_INDEX_BYTES_PER_ENTRY or directory > size:
        raise ArchiveRejected(ArchiveProblem.TOO_MANY_ENTRIES)
    stream.seek(0)


def _checked_entries(
    archive: zipfile.ZipFile, size: int, limits: InspectionLimits, budget: Budget
) -> list[Entry]:
    infos = archive.infolist()
    if len(infos) > limits.max_zip_entries:
        raise ArchiveRejected(ArchiveProblem.TOO_MANY_ENTRIES)
    total = 0
    for info in infos:
        if _unsafe_name(info.filename):
            raise ArchiveRejected(ArchiveProblem.UNSAFE_PATH)
        if stat.S_ISLNK(info.external_attr >> 16):
            raise ArchiveRejected(ArchiveProblem.SYMLINK)
        if info.flag_bits & 0x1:
            raise ArchiveRejected(ArchiveProblem.PROTECTED)
        if (
            info.file_size > limits.ratio_check_min_size
            and info.file_size > limits.max_compression_ratio * max(1, info.compress_size)
        ):
            raise ArchiveRejected(ArchiveProblem.COMPRESSION_RATIO)
        total += info.file_size
    _check_overlaps(infos, size)
    budget.take(total)
    return [
        Entry(info.filename, info.file_size, _opener(archive, info))
        for info in infos
        if not info.is_dir()
    ]


def _opener(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Callable[[], BinaryIO]:
    return lambda: archive.open(info)  # type: ignore[return-value]


def _unsafe_name(name: str) -> bool:
    path = name.replace("\\", "/")
    if path.startswith("/") or (len(path) > 1 and path[1] == ":") or "\x00" in path:
        return True
    return ".." in path.split("/")


def _name_bytes(info: zipfile.ZipInfo) -> bytes:
    """The entry name as stored (zipfile decoded it as UTF-8 if flagged, else as cp437)."""
    encoding = "utf-8" if info.flag_bits & 0x800 else "cp437"
    return info.orig_filename.encode(encoding, "replace")


def _check_overlaps(infos: list[zipfile.ZipInfo], size: int) -> None:
    """Entries whose data overlap (several names pointing at one compressed stream) multiply
    the output without raising the ratio of any single entry."""
    ordered = sorted(infos, key=lambda info: info.header_offset)
    for current, following in itertools.pairwise(ordered):
        end = (
            current.header_offset
            + _LOCAL_HEADER
            + len(_name_bytes(current))
            + current.compress_size
        )
        if end > following.header_offset:
            raise ArchiveRejected(ArchiveProblem.OVERLAPPING)
    if ordered and ordered[-1].header_offset + ordered[-1].compress_size > size:
        raise ArchiveRejected(ArchiveProblem.DAMAGED)
