"""What a file's name suggests. Content decides what a file is; the name only says what the
patient (or the CD) meant it to be, so a file named like a DICOM image but holding something else
can be told as such. Names may carry a patient's name: only fixed, harmless pieces (".dcm",
".docx") ever leave this module.
"""

from __future__ import annotations

import re

DICOM_SUFFIXES = frozenset({".dcm", ".dicom", ".dic", ".ima"})
# Only common extensions are reported back: "Jane.Doe" must not come back as ".doe".
_COMMON_EXTENSIONS = """
    .txt .doc .docx .rtf .odt .pages .xls .xlsx .csv .ppt .pptx .xml .json .ini .inf .log .htm
    .html .js .css .ico .ttf .dll .exe .dat .bin .raw .img .iso .dmg .mp4 .mov .avi .wmv .mkv
    .eml .msg .db .lnk .url .tmp .bak .sys .cab .msi .chm .hlp .nfo .cfg .ods .odp .key .numbers
"""
_KNOWN_EXTENSIONS = frozenset(_COMMON_EXTENSIONS.split())
# Files an operating system or a packing tool adds by itself (macOS ZIPs carry a __MACOSX copy of
# every file; Java tools add a manifest): set aside without a word.
_SYSTEM_FILES = frozenset({".ds_store", "thumbs.db", "desktop.ini", "ehthumbs.db"})
# How CDs and scanners name images without an extension: IM000001, IMG0001, I12, 00000001, or
# a UID (1.2.840.113619.2.55...).
_NUMBERED = re.compile(r"(?i)(?:im|img|image|i)?[_-]?\d{1,12}")
_UID = re.compile(r"\d+(?:\.\d+){3,}")


def base_name(path: str) -> str:
    return path.replace("\\", "/").rsplit("/", 1)[-1]


def suffix(path: str) -> str:
    """The lower-case extension with its dot ("" when there is none)."""
    name = base_name(path).lower()
    return name[name.rfind(".") :] if "." in name else ""


def extension(path: str) -> str:
    """The extension if it is a common one, safe to show the patient; else ""."""
    found = suffix(path)
    return found if found in _KNOWN_EXTENSIONS else ""


def is_system_file(path: str) -> bool:
    name = base_name(path)
    slashed = path.replace("\\", "/")
    return (
        name.lower() in _SYSTEM_FILES
        or name.startswith("._")
        or "__MACOSX/" in slashed
        or slashed.upper().endswith("META-INF/MANIFEST.MF")
    )


def dicom_name(path: str) -> str | None:
    """If the name says "DICOM image": the extension to show (".dcm"), or "" for a CD-style name
    (IM0001, a UID, any extension-less file in a DICOM folder). None for any other name."""
    found = suffix(path)
    if found in DICOM_SUFFIXES:
        return found
    name = base_name(path)
    if _UID.fullmatch(name):
        return ""
    if found:
        return None
    folders = path.replace("\\", "/").split("/")[:-1]
    if _NUMBERED.fullmatch(name) or any(folder.upper() == "DICOM" for folder in folders):
        return ""
    return None
