"""Office documents named for what they are: "a Word document", "a spreadsheet", "a presentation".

A .docx, .xlsx or .pptx (and LibreOffice's .odt, .ods, .odp) is a ZIP inside: told from its
entries, so it is not reported as a pile of XML files. A legacy .doc, .xls or .ppt is an OLE2
compound file: told from the stream names in its directory, read from the given stream only
(a few sectors, bounded), with the extension as a fallback when the directory does not say.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from typing import BinaryIO

from bot.imaging.archives import Entry
from bot.imaging.names import suffix

WORD = "a Word document"
SPREADSHEET = "a spreadsheet"
PRESENTATION = "a presentation"
RICH_TEXT = "a rich-text document (RTF)"

_OOXML_PARTS = (("word/", WORD), ("xl/", SPREADSHEET), ("ppt/", PRESENTATION))
_ODF_TYPES = (("opendocument.text", "a text document (OpenDocument)"),
              ("opendocument.spreadsheet", SPREADSHEET),
              ("opendocument.presentation", PRESENTATION))
_OLE2_STREAMS = {"WordDocument": WORD, "Workbook": SPREADSHEET, "Book": SPREADSHEET,
                 "PowerPoint Document": PRESENTATION}
_OLE2_EXTENSIONS = {".doc": WORD, ".dot": WORD, ".xls": SPREADSHEET, ".xlt": SPREADSHEET,
                    ".ppt": PRESENTATION, ".pps": PRESENTATION, ".pot": PRESENTATION}
_MAX_DIRECTORY_SECTORS = 32
_END_OF_CHAIN = 0xFFFFFFFA  # this and above: end of chain, free, FAT or DIFAT sector


def zipped_document(entries: Sequence[Entry]) -> str | None:
    """What an Office Open XML or OpenDocument file is, from its ZIP entries; else None."""
    names = [entry.name for entry in entries]
    if "[Content_Types].xml" in names:
        return next((what for prefix, what in _OOXML_PARTS
                     if any(name.startswith(prefix) for name in names)), "an Office document")
    mimetype = next((entry for entry in entries if entry.name == "mimetype"), None)
    if mimetype is None or mimetype.size > 128 or "content.xml" not in names:
        return None
    with mimetype.open() as stream:
        declared = stream.read(128).decode("ascii", "replace")
    if "opendocument" not in declared:
        return None
    return next((what for marker, what in _ODF_TYPES if marker in declared),
                "an OpenDocument file")


def compound_document(stream: BinaryIO, size: int, path: str) -> str | None:
    """What an OLE2 compound file is ("a Word document"), or None when neither its directory
    nor its extension says (an Outlook message, an installer...)."""
    try:
        names = _directory_names(stream, size)
    except (struct.error, ValueError, OSError):
        names = set()
    found = next((what for name, what in _OLE2_STREAMS.items() if name in names), None)
    return found or _OLE2_EXTENSIONS.get(suffix(path))


def _directory_names(stream: BinaryIO, size: int) -> set[str]:
    header = _read(stream, 0, 512)
    shift = struct.unpack_from("<H", header, 0x1E)[0]
    if shift not in (9, 12):
        return set()
    sector_size = 1 << shift
    per_fat_sector = sector_size // 4
    difat = struct.unpack_from("<109L", header, 0x4C)
    names: set[str] = set()
    sector = struct.unpack_from("<L", header, 0x30)[0]
    for _ in range(_MAX_DIRECTORY_SECTORS):
        if sector >= _END_OF_CHAIN or (sector + 1) * sector_size >= size:
            break
        data = _read(stream, (sector + 1) * sector_size, sector_size)
        for offset in range(0, len(data) - 127, 128):
            length = struct.unpack_from("<H", data, offset + 0x40)[0]
            if 2 <= length <= 64 and data[offset + 0x42] in (1, 2):
                names.add(data[offset : offset + length - 2].decode("utf-16-le", "replace"))
        fat_index = sector // per_fat_sector
        if fat_index >= len(difat) or difat[fat_index] >= _END_OF_CHAIN:
            break
        fat = _read(stream, (difat[fat_index] + 1) * sector_size, sector_size)
        sector = struct.unpack_from("<L", fat, (sector % per_fat_sector) * 4)[0]
    return names


def _read(stream: BinaryIO, offset: int, length: int) -> bytes:
    stream.seek(offset)
    data = stream.read(length)
    if len(data) < length:
        raise ValueError("short read")
    return data
