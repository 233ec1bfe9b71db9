"""Recognise a file by its first bytes, never by its name: a ".dcm" may well be a PDF."""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass
from enum import StrEnum

HEAD_SIZE = 1024
"""How many leading bytes `sniff` wants; fewer is fine for short files."""

DICOMDIR_SOP_CLASS = "1.2.840.10008.1.3.10"


class Kind(StrEnum):
    DICOM = "dicom"  # Part 10: preamble, "DICM", file meta
    DICOM_NO_PREAMBLE = "dicom_no_preamble"  # a bare data set starting in group 0008
    DICOMDIR = "dicomdir"  # a CD's index, itself a Part 10 file
    ZIP = "zip"
    OTHER_ARCHIVE = "other_archive"  # RAR, 7-Zip, gzip, tar: not opened
    PDF = "pdf"
    PICTURE = "picture"  # JPEG, PNG and friends: usually a screenshot or a phone photo
    PROGRAM = "program"  # Windows/Linux/macOS executables, Java classes: viewer software
    AUTORUN = "autorun"
    HTML = "html"
    OFFICE = "office"  # a legacy Word/Excel/PowerPoint file (OLE2) or an RTF document
    TEXT = "text"  # plain text: notes, a report saved as .txt, a CSV...
    EMPTY = "empty"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Sniffed:
    kind: Kind
    # For DICOM_NO_PREAMBLE: whether the data set is implicit VR (else explicit VR little endian).
    implicit_vr: bool = False
    # For PICTURE: "JPEG", "PNG"...; OTHER_ARCHIVE: "RAR"...; OFFICE: "OLE2" or "RTF"
    detail: str = ""


# Value representations whose explicit-VR length takes 4 bytes after 2 reserved ones.
LONG_VRS = frozenset(
    {b"OB", b"OD", b"OF", b"OL", b"OV", b"OW", b"SQ", b"SV", b"UC", b"UN", b"UR", b"UT", b"UV"}
)
SHORT_VRS = frozenset(
    {b"AE", b"AS", b"AT", b"CS", b"DA", b"DS", b"DT", b"FD", b"FL", b"IS", b"LO", b"LT", b"PN",
     b"SH", b"SL", b"SS", b"ST", b"TM", b"UI", b"UL", b"US"}
)

_PICTURES: tuple[tuple[bytes, int, str], ...] = (
    (b"\xff\xd8\xff", 0, "JPEG"),
    (b"\x89PNG\r\n\x1a\n", 0, "PNG"),
    (b"GIF87a", 0, "GIF"),
    (b"GIF89a", 0, "GIF"),
    (b"BM", 0, "BMP"),
    (b"II*\x00", 0, "TIFF"),
    (b"MM\x00*", 0, "TIFF"),
    (b"ftypheic", 4, "HEIC"),
    (b"ftypheix", 4, "HEIC"),
    (b"ftypmif1", 4, "HEIC"),
)
_OTHER_ARCHIVES: tuple[tuple[bytes, int, str], ...] = (
    (b"Rar!\x1a\x07", 0, "RAR"),
    (b"7z\xbc\xaf\x27\x1c", 0, "7-Zip"),
    (b"\x1f\x8b", 0, "gzip"),
    (b"BZh", 0, "bzip2"),
    (b"\xfd7zXZ\x00", 0, "xz"),
    (b"ustar", 257, "tar"),
)
_PROGRAMS: tuple[bytes, ...] = (
    b"MZ",  # Windows .exe/.dll
    b"\x7fELF",
    b"\xca\xfe\xba\xbe",  # Java class or macOS universal binary
    b"\xcf\xfa\xed\xfe",
    b"\xce\xfa\xed\xfe",
)
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_AUTORUN = re.compile(rb"^\s*\[autorun\]", re.IGNORECASE | re.MULTILINE)
_HTML = re.compile(rb"<!doctype\s+html|<html[\s>]|<head[\s>]|<frameset[\s>]", re.IGNORECASE)


def sniff(head: bytes, size: int) -> Sniffed:
    """Classify a file from its first bytes (`head`, up to HEAD_SIZE) and its total size."""
    if size == 0 or not head:
        return Sniffed(Kind.EMPTY)
    if len(head) >= 132 and head[128:132] == b"DICM":
        if _meta_sop_class(head) == DICOMDIR_SOP_CLASS:
            return Sniffed(Kind.DICOMDIR)
        return Sniffed(Kind.DICOM)
    # PDF readers accept a header anywhere in the first kilobyte.
    if b"%PDF-" in head[:HEAD_SIZE]:
        return Sniffed(Kind.PDF)
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return Sniffed(Kind.ZIP)
    for magic, offset, name in _OTHER_ARCHIVES:
        if head[offset : offset + len(magic)] == magic:
            return Sniffed(Kind.OTHER_ARCHIVE, detail=name)
    for magic, offset, name in _PICTURES:
        if head[offset : offset + len(magic)] == magic:
            return Sniffed(Kind.PICTURE, detail=name)
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return Sniffed(Kind.PICTURE, detail="WebP")
    if head.startswith(_PROGRAMS):
        return Sniffed(Kind.PROGRAM)
    if head.startswith(_OLE2):
        return Sniffed(Kind.OFFICE, detail="OLE2")
    if head.startswith(b"{\\rtf"):
        return Sniffed(Kind.OFFICE, detail="RTF")
    headless = _bare_dataset_encoding(head, size)
    if headless is not None:
        return Sniffed(Kind.DICOM_NO_PREAMBLE, implicit_vr=headless)
    text = _as_text(head)
    if _AUTORUN.search(text):
        return Sniffed(Kind.AUTORUN)
    if text.lstrip().startswith(b"<") and _HTML.search(text):
        return Sniffed(Kind.HTML)
    if _is_text(text):
        return Sniffed(Kind.TEXT)
    return Sniffed(Kind.UNKNOWN)


def _as_text(head: bytes) -> bytes:
    """Byte-order marks and UTF-16 removed, so text checks see plain ASCII."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16-le" if head[0] == 0xFF else "utf-16-be"
        return head[2:].decode(encoding, "ignore").encode("ascii", "ignore")
    return head.removeprefix(b"\xef\xbb\xbf")


def _is_text(text: bytes) -> bool:
    """No NUL and next to no control characters: what binary formats are full of."""
    if not text or b"\x00" in text:
        return False
    controls = sum(1 for byte in text if byte < 0x20 and byte not in b"\t\n\r\f\x1a")
    return controls * 100 <= len(text)


def _meta_sop_class(head: bytes) -> str | None:
    """MediaStorageSOPClassUID from the file meta group (explicit VR little endian by rule)."""
    offset = 132
    while offset + 8 <= len(head):
        group, element = struct.unpack_from("<HH", head, offset)
        if group != 0x0002:
            return None
        vr = head[offset + 4 : offset + 6]
        if vr in LONG_VRS:
            if offset + 12 > len(head):
                return None
            (length,) = struct.unpack_from("<L", head, offset + 8)
            start = offset + 12
        else:
            (length,) = struct.unpack_from("<H", head, offset + 6)
            start = offset + 8
        if element == 0x0002:
            value = head[start : start + length]
            return value.rstrip(b"\x00 ").decode("ascii", "replace")
        offset = start + length
    return None


def _bare_dataset_encoding(head: bytes, size: int) -> bool | None:
    """For a data set without preamble: True if implicit VR, False if explicit, None if neither.

    Accepted only when the first element is in group 0008 and the next one parses too, with a
    larger tag, so random bytes that happen to start with 08 00 are not taken for DICOM.
    """
    if len(head) < 16 or head[0:2] != b"\x08\x00":
        return None
    for implicit in (False, True):
        first_end = _element_end(head, 0, implicit, size)
        if first_end is None or first_end + 8 > len(head):
            continue
        first_tag = struct.unpack_from("<HH", head, 0)
        second_tag = struct.unpack_from("<HH", head, first_end)
        if not (first_tag < second_tag and 0x0008 <= second_tag[0] <= 0x7FE0):
            continue
        if second_tag[0] % 2 == 0 and _element_end(head, first_end, implicit, size) is not None:
            return implicit
    return None


def _element_end(head: bytes, offset: int, implicit: bool, size: int) -> int | None:
    """Offset just after the element at `offset`, or None if it does not look like one."""
    if offset + 8 > len(head):
        return None
    if implicit:
        (length,) = struct.unpack_from("<L", head, offset + 4)
        start = offset + 8
        # Header elements are short; 64 KiB is far beyond any group 0008 value.
        if length >= 0x10000:
            return None
    else:
        vr = head[offset + 4 : offset + 6]
        if vr in LONG_VRS:
            if offset + 12 > len(head) or head[offset + 6 : offset + 8] != b"\x00\x00":
                return None
            (length,) = struct.unpack_from("<L", head, offset + 8)
            start = offset + 12
            if length == 0xFFFFFFFF:  # an undefined-length sequence: plausible, stop here
                return len(head)
        elif vr in SHORT_VRS:
            (length,) = struct.unpack_from("<H", head, offset + 6)
            start = offset + 8
        else:
            return None
    end = start + length
    return end if end <= size else None
