"""One DICOM file's header, read once and without its pixels.

pydicom parses the header up to the pixel data (never forced: what is not DICOM is refused);
the few values the inspection needs are then decoded here from the raw bytes. That is faster
than pydicom's value conversion and emits no validation warnings, whose text would carry
patient data into logs. Patient name, ID and birth date are only ever kept as salted hashes,
to tell people apart.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import lru_cache
from typing import BinaryIO, cast

from pydicom import dcmread
from pydicom.charset import python_encoding
from pydicom.dataelem import RawDataElement
from pydicom.dataset import Dataset
from pydicom.filereader import read_dataset
from pydicom.pixels.decoders.base import get_decoder
from pydicom.tag import BaseTag

from bot.imaging.sniff import Kind, Sniffed

EXPLICIT_LITTLE = "1.2.840.10008.1.2.1"
IMPLICIT_LITTLE = "1.2.840.10008.1.2"
EXPLICIT_BIG = "1.2.840.10008.1.2.2"
DEFLATED = "1.2.840.10008.1.2.1.99"
NATIVE_SYNTAXES = frozenset({IMPLICIT_LITTLE, EXPLICIT_LITTLE, EXPLICIT_BIG, DEFLATED})
SECONDARY_CAPTURE_PREFIX = "1.2.840.10008.5.1.4.1.1.7"
ENCAPSULATED_PDF = "1.2.840.10008.5.1.4.1.1.104.1"
_STORAGE = "1.2.840.10008.5.1.4.1.1."
# Image storage SOP classes: one of these without pixel data is a copy cut short.
IMAGE_STORAGE = frozenset(
    _STORAGE + suffix
    for suffix in (
        "1", "1.1", "1.1.1", "1.2", "1.2.1", "1.3", "1.3.1", "2", "2.1", "2.2", "3.1", "4",
        "4.1", "4.2", "4.3", "4.4", "4.5", "6.1", "6.2", "7", "7.1", "7.2", "7.3", "7.4", "12.1",
        "12.1.1", "12.2", "12.2.1", "12.3", "13.1.3", "13.1.4", "13.1.5", "20", "128", "128.1",
        "130", "481.1",
    )
)

# Tags, as plain ints for speed.
_SPECIFIC_CHARSET = 0x00080005
_SOP_CLASS = 0x00080016
_SOP_INSTANCE = 0x00080018
_STUDY_DATE = 0x00080020
_MODALITY = 0x00080060
_STUDY_DESCRIPTION = 0x00081030
_SERIES_DESCRIPTION = 0x0008103E
_PATIENT_NAME = 0x00100010
_PATIENT_ID = 0x00100020
_BIRTH_DATE = 0x00100030
_PATIENT_AGE = 0x00101010
_BODY_PART = 0x00180015
_STUDY_UID = 0x0020000D
_SERIES_UID = 0x0020000E
_SERIES_NUMBER = 0x00200011
_INSTANCE_NUMBER = 0x00200013
_SAMPLES_PER_PIXEL = 0x00280002
_FRAMES = 0x00280008
_ROWS = 0x00280010
_COLUMNS = 0x00280011
_BITS_ALLOCATED = 0x00280100
_DOCUMENT = 0x00420011
_MEDIA_SOP_CLASS = 0x00020002
_MEDIA_SOP_INSTANCE = 0x00020003
_TRANSFER_SYNTAX = 0x00020010
_PIXEL_TAGS = frozenset({0x7FE00010, 0x7FE00008, 0x7FE00009})
_ITEM = 0xFFFEE000
_SEQUENCE_END = 0xFFFEE0DD
_RECORD_SEQUENCE = 0x00041220
_RECORD_TYPE = 0x00041430
_REFERENCED_SOP_INSTANCE = 0x00041511
_LONG_VRS = frozenset({b"OB", b"OD", b"OF", b"OL", b"OV", b"OW", b"SQ", b"SV", b"UC", b"UN",
                       b"UR", b"UT", b"UV"})
# Larger values are skipped, not read: a hostile header may claim a 4 GiB element, and no value
# the inspection needs comes near this (an embedded PDF is fetched separately).
_DEFER_SIZE = 1024 * 1024
# A damaged file may claim millions of fragments; real ones have about one per frame.
_MAX_FRAGMENTS = 100_000
_ANONYMOUS_NAMES = frozenset({"", "ANONYMOUS", "ANON", "UNKNOWN", "NONE", "NO NAME", "PATIENT"})


class DamagedDicom(Exception):
    """A file that claims to be DICOM but cannot be read. Carries no file content."""


class PixelState(StrEnum):
    ABSENT = "absent"  # not an image: a report, a dose sheet, a presentation state
    INTACT = "intact"
    TRUNCATED = "truncated"  # fewer pixel bytes than the header promises: a cut-short copy
    UNCHECKED = "unchecked"  # e.g. deflated data sets, whose offsets cannot be checked cheaply


@dataclass(frozen=True)
class Identity:
    """Who a file is about, as salted hashes: compared, never shown."""

    name_tokens: frozenset[bytes]
    birth_date: bytes | None
    patient_id: bytes | None


@dataclass(slots=True)
class Instance:
    study_uid: str
    series_uid: str
    sop_uid: str
    sop_class: str
    modality: str
    series_number: int | None
    instance_number: int | None
    study_date: date | None
    study_description: str
    series_description: str
    body_part_examined: str
    age_years: int | None
    identity: Identity
    transfer_syntax: str
    pixels: PixelState
    # An Encapsulated PDF's document (often the written report), else None.
    document: bytes | None = None

    @property
    def is_image(self) -> bool:
        return self.pixels is not PixelState.ABSENT


@dataclass(frozen=True)
class DicomDirectory:
    """A CD's DICOMDIR: which instances it says the disc holds."""

    referenced_instances: frozenset[str]


class _Nameless:
    """A stream proxy without a `name`: pydicom puts the stream's name into its warnings, and a
    ZIP entry's name is chosen by the patient. Bound methods keep reads at full speed."""

    __slots__ = ("read", "seek", "tell")

    def __init__(self, stream: BinaryIO) -> None:
        self.read = stream.read
        self.seek = stream.seek
        self.tell = stream.tell


def read_dicom(
    stream: BinaryIO, size: int, sniffed: Sniffed, salt: bytes, max_document: int = 64 * 1024 * 1024
) -> Instance | DicomDirectory | None:
    """Read one DICOM file's header. None when a bare data set turns out not to be DICOM.

    Raises DamagedDicom when a Part 10 file cannot be parsed.
    """
    proxy = _Nameless(stream)
    reader = cast(BinaryIO, proxy)  # duck-typed: pydicom only calls read, seek and tell
    if sniffed.kind is Kind.DICOM_NO_PREAMBLE:
        implicit, little = sniffed.implicit_vr, True
        try:
            ds: Dataset = read_dataset(
                reader, implicit, little, stop_when=_at_pixels, defer_size=_DEFER_SIZE
            )
        except Exception:
            return None
        syntax = IMPLICIT_LITTLE if implicit else EXPLICIT_LITTLE
        sop_class, meta_sop_uid = _ui(ds, _SOP_CLASS), ""
        if not (sop_class and _ui(ds, _STUDY_UID)):
            return None
    else:
        try:
            ds = dcmread(
                reader,
                stop_before_pixels=sniffed.kind is not Kind.DICOMDIR,
                defer_size=None if sniffed.kind is Kind.DICOMDIR else _DEFER_SIZE,
            )
        except Exception as error:
            raise DamagedDicom from error
        meta = ds.file_meta
        syntax = _ui(meta, _TRANSFER_SYNTAX) or EXPLICIT_LITTLE
        sop_class = _ui(meta, _MEDIA_SOP_CLASS) or _ui(ds, _SOP_CLASS)
        meta_sop_uid = _ui(meta, _MEDIA_SOP_INSTANCE)
        if sniffed.kind is Kind.DICOMDIR:
            return _directory(ds)
        implicit = syntax == IMPLICIT_LITTLE
        little = syntax != EXPLICIT_BIG
        if not (_ui(ds, _SOP_INSTANCE) or _ui(ds, _STUDY_UID) or ds.get_item(_MODALITY)):
            raise DamagedDicom
    instance = _instance(ds, proxy, size, syntax, sop_class, meta_sop_uid, implicit, little, salt)
    if sop_class == ENCAPSULATED_PDF and syntax != DEFLATED:
        instance.document = _document(ds, proxy, max_document)
    return instance


def _at_pixels(tag: BaseTag, vr: str | None, length: int) -> bool:
    return tag in _PIXEL_TAGS


def _instance(
    ds: Dataset, stream: _Nameless, size: int, syntax: str, sop_class: str, meta_sop_uid: str,
    implicit: bool, little: bool, salt: bytes,
) -> Instance:
    encoding = _encoding(ds)
    study_date = _date(_raw(ds, _STUDY_DATE))
    rows = _us(ds, _ROWS, little)
    if syntax == DEFLATED:
        # The data set was inflated into memory: the stream's offsets no longer match it.
        pixels = PixelState.UNCHECKED if rows else PixelState.ABSENT
    else:
        expects_pixels = bool(rows) or sop_class in IMAGE_STORAGE
        pixels = _pixel_state(ds, stream, size, implicit, little, expects_pixels)
    return Instance(
        study_uid=_ui(ds, _STUDY_UID),
        series_uid=_ui(ds, _SERIES_UID),
        sop_uid=_ui(ds, _SOP_INSTANCE) or meta_sop_uid,
        sop_class=sop_class,
        modality=_ascii(_raw(ds, _MODALITY)).upper(),
        series_number=_integer(_raw(ds, _SERIES_NUMBER)),
        instance_number=_integer(_raw(ds, _INSTANCE_NUMBER)),
        study_date=study_date,
        study_description=_text(_raw(ds, _STUDY_DESCRIPTION), encoding),
        series_description=_text(_raw(ds, _SERIES_DESCRIPTION), encoding),
        body_part_examined=_ascii(_raw(ds, _BODY_PART)).upper(),
        age_years=_age(_raw(ds, _PATIENT_AGE), _raw(ds, _BIRTH_DATE), study_date),
        identity=_identity(ds, salt),
        transfer_syntax=syntax,
        pixels=pixels,
    )


def _pixel_state(
    ds: Dataset, stream: _Nameless, size: int, implicit: bool, little: bool, expects_pixels: bool
) -> PixelState:
    """Compare the pixel data actually present with what Rows x Columns x ... promise.

    pydicom stopped at the pixel data element and rewound to its start, so the stream is there.
    """
    endian = "<" if little else ">"
    start = stream.tell()
    header = stream.read(12)
    if len(header) < 8:
        # No pixel data. An image header without it is a copy cut short before the pixels.
        return PixelState.TRUNCATED if expects_pixels else PixelState.ABSENT
    group, element = struct.unpack(endian + "HH", header[:4])
    if (group << 16 | element) not in _PIXEL_TAGS:
        return PixelState.TRUNCATED if expects_pixels else PixelState.ABSENT
    if implicit:
        (length,) = struct.unpack(endian + "L", header[4:8])
        value_start = start + 8
    elif header[4:6] in _LONG_VRS:
        if len(header) < 12:
            return PixelState.TRUNCATED
        (length,) = struct.unpack(endian + "L", header[8:12])
        value_start = start + 12
    else:
        (length,) = struct.unpack(endian + "H", header[6:8])
        value_start = start + 8
    frames = max(1, _integer(_raw(ds, _FRAMES)) or 1)
    if length == 0xFFFFFFFF:
        return _fragments_state(stream, value_start, size, frames, endian)
    rows = _us(ds, _ROWS, little)
    columns = _us(ds, _COLUMNS, little)
    bits = _us(ds, _BITS_ALLOCATED, little)
    samples = _us(ds, _SAMPLES_PER_PIXEL, little) or 1
    if not (rows and columns and bits):
        return PixelState.UNCHECKED
    pixel_count = rows * columns * frames * samples
    expected = (pixel_count * bits + 7) // 8
    present = min(length, size - value_start)
    return PixelState.TRUNCATED if present < expected else PixelState.INTACT


def _fragments_state(
    stream: _Nameless, start: int, size: int, frames: int, endian: str
) -> PixelState:
    """Walk the items of encapsulated (compressed) pixel data by their headers only."""
    stream.seek(start)
    position = start
    items = 0
    while items <= _MAX_FRAGMENTS:
        header = stream.read(8)
        if len(header) < 8:
            return PixelState.TRUNCATED
        group, element, length = struct.unpack(endian + "HHL", header)
        tag = group << 16 | element
        if tag == _SEQUENCE_END:
            # The first item is the offset table; each frame needs at least one more.
            return PixelState.INTACT if items - 1 >= frames else PixelState.TRUNCATED
        if tag != _ITEM or length == 0xFFFFFFFF:
            return PixelState.TRUNCATED
        position += 8 + length
        if position > size:
            return PixelState.TRUNCATED
        stream.seek(position)
        items += 1
    return PixelState.UNCHECKED


def _document(ds: Dataset, stream: _Nameless, max_document: int) -> bytes | None:
    """An Encapsulated PDF's bytes; large ones were deferred while reading and are read here."""
    element = ds.get_item(_DOCUMENT, keep_deferred=True)
    if not isinstance(element, RawDataElement) or element.length > max_document:
        return None
    if element.value is not None:
        return element.value
    stream.seek(element.value_tell)
    data = stream.read(element.length)
    return data if len(data) == element.length else None


def _directory(ds: Dataset) -> DicomDirectory:
    referenced: set[str] = set()
    records = ds.get(_RECORD_SEQUENCE)
    for record in records.value if records is not None else ():
        uid = _ui(record, _REFERENCED_SOP_INSTANCE)
        if uid:
            referenced.add(uid)
    return DicomDirectory(frozenset(referenced))


# --- raw values ------------------------------------------------------------------------------


def _raw(ds: Dataset, tag: int) -> bytes:
    """The element's bytes as stored (b"" when absent)."""
    element = ds.get_item(tag, keep_deferred=True)
    if element is None:
        return b""
    if isinstance(element, RawDataElement):
        return element.value or b""  # None when deferred: too large to be a value we use
    # Already converted by pydicom (only the character set is, while reading).
    value = element.value
    if isinstance(value, bytes):
        return value
    if isinstance(value, str | int | float):
        return str(value).encode("latin-1", "replace")
    try:
        return "\\".join(str(part) for part in value).encode("latin-1", "replace")
    except TypeError:
        return b""


def _ascii(value: bytes) -> str:
    return value.strip(b" \x00").decode("ascii", "replace")


def _ui(ds: Dataset, tag: int) -> str:
    return _ascii(_raw(ds, tag))


def _us(ds: Dataset, tag: int, little: bool) -> int | None:
    value = _raw(ds, tag)
    if len(value) < 2:
        return None
    return int(struct.unpack("<H" if little else ">H", value[:2])[0])


def _integer(value: bytes) -> int | None:
    """An IS value (or the first of several)."""
    text = value.split(b"\\", 1)[0].strip(b" \x00")
    try:
        return int(text)
    except ValueError:
        try:
            return int(float(text))
        except (ValueError, OverflowError):
            return None


def _date(value: bytes) -> date | None:
    text = value.strip(b" \x00").replace(b".", b"")
    if len(text) != 8 or not text.isdigit():
        return None
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        return None


def _age(age: bytes, birth: bytes, on: date | None) -> int | None:
    """Age at the exam in whole years, from PatientAge ("045Y") or the birth date."""
    text = age.strip(b" \x00")
    if len(text) == 4 and text[:3].isdigit():
        number = int(text[:3])
        per_year = {b"Y": 1, b"M": 12, b"W": 52, b"D": 365}.get(text[3:].upper())
        if per_year:
            return number // per_year
    born = _date(birth)
    if born is None or on is None or born > on:
        return None
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


@lru_cache(maxsize=64)
def _codec(charset: bytes) -> str:
    name = charset.split(b"\\", 1)[0].strip(b" \x00").decode("ascii", "replace")
    codec = python_encoding.get(name, "latin_1")
    return "latin_1" if codec == "iso8859" else codec


def _encoding(ds: Dataset) -> str:
    return _codec(_raw(ds, _SPECIFIC_CHARSET))


def _text(value: bytes, encoding: str) -> str:
    try:
        text = value.decode(encoding, "replace")
    except LookupError:
        text = value.decode("latin-1")
    # Keep what a patient could read; descriptions are short by standard (64 characters).
    return " ".join(text.replace("\x00", " ").split())[:64]


def _hash(value: bytes, salt: bytes) -> bytes:
    return hashlib.blake2b(value, key=salt, digest_size=16).digest()


def _identity(ds: Dataset, salt: bytes) -> Identity:
    # Bytes throughout: only ASCII letters change case, whatever the character set.
    name = _raw(ds, _PATIENT_NAME).upper()
    tokens = name.replace(b"^", b" ").replace(b",", b" ").replace(b"=", b" ").split()
    anonymous = b" ".join(tokens).decode("latin-1") in _ANONYMOUS_NAMES
    name_tokens = (
        frozenset() if anonymous
        else frozenset(_hash(token, salt) for token in tokens if len(token) > 1)
    )
    birth = _raw(ds, _BIRTH_DATE).strip(b" \x00")
    patient_id = _raw(ds, _PATIENT_ID).strip(b" \x00")
    return Identity(
        name_tokens=name_tokens,
        birth_date=_hash(birth, salt) if birth else None,
        patient_id=_hash(patient_id, salt) if patient_id else None,
    )


@lru_cache(maxsize=64)
def decoder_available(transfer_syntax: str) -> bool:
    """Whether the installed pixel data decoders (pylibjpeg plugins...) can open this syntax."""
    try:
        return bool(get_decoder(transfer_syntax).is_available)
    except Exception:
        return False
