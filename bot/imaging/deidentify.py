"""De-identified copies of an upload's DICOM images, for teaching or quality review.

The profile is DICOM PS3.15 Annex E, the Basic Application Level Confidentiality Profile. Its
attribute table (Table E.1-1, 2026c edition) and the meaning of each action (X remove, Z empty,
D dummy value, U new UID) come from Kitware's `dicom-anonymizer`, which regenerates that table
from each edition of the standard; this module only drives it:

- the actions apply at every level of nesting (the library itself only touches the top level
  and the overlay/curve groups), and sequences the table keeps are cleaned item by item;
- every private element is removed, and so are group lengths;
- X removes, dates included (the library would leave a dummy date);
- X/Z/U* sequences (Referenced Image, Source Image) take the U branch: kept, with the instance
  UIDs inside replaced, so references between the files of the copy still match;
- one UID map per export: the same original UID gets the same new (random) UID in every file;
- person names the table does not list are emptied as well (stricter than the profile);
- pixel data is copied byte for byte, never decoded or re-encoded: the header is written by
  pydicom, then the original pixel data element is streamed after it, so a large multi-frame
  file is never held in memory;
- burned-in text is not removed (no Clean Pixel Data option): files whose Burned In Annotation
  is YES, or absent in a kind of image that often has text burned in, are flagged and listed in
  the copy's README.txt, and their Patient Identity Removed is NO.

Pure over streams: the caller opens the stored files and says where the ZIP goes. Nothing read
from a file is ever logged, and pydicom's validation warnings (which quote values) are silenced
while a header is handled.
"""

from __future__ import annotations

import contextlib
import io
import logging
import shutil
import struct
import threading
import warnings
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from importlib.metadata import version
from typing import Any, BinaryIO, cast

from dicomanonymizer import simpledicomanonymizer as profile
from dicomanonymizer.dicom_anonymization_databases import dicomfields_2026c as table
from pydicom import config as pydicom_config
from pydicom import dcmread, dcmwrite
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.filereader import read_dataset
from pydicom.multival import MultiValue
from pydicom.sequence import Sequence as DicomSequence
from pydicom.tag import BaseTag
from pydicom.uid import UID, ExplicitVRLittleEndian, ImplicitVRLittleEndian

from bot.imaging.archives import ArchiveRejected, Budget, open_archive
from bot.imaging.dicom import IMAGE_STORAGE
from bot.imaging.names import is_system_file
from bot.imaging.sniff import HEAD_SIZE, Kind, sniff
from bot.imaging.sources import InspectionLimits, SourceFile

LIBRARY = "dicom-anonymizer"
LIBRARY_VERSION = version("dicom-anonymizer")
TABLE_EDITION = "2026c"
PROFILE = "DICOM PS3.15 Annex E Basic Application Level Confidentiality Profile"
# CID 7050: the code of the Basic Profile for De-identification Method Code Sequence.
BASIC_PROFILE_CODE = ("113100", "DCM", "Basic Application Confidentiality Profile")

# Kinds of image that often carry the patient's name burned into the pixels.
BURN_IN_MODALITIES: dict[str, str] = {
    "US": "ultrasound",
    "IVUS": "intravascular ultrasound",
    "XA": "angiography",
    "RF": "fluoroscopy",
    "ES": "endoscopy",
    "XC": "photograph",
    "GM": "microscopy photograph",
    "OT": "other (often a screen capture)",
    "SC": "screen capture",
    "DOC": "scanned document",
}
_SECONDARY_CAPTURE = "1.2.840.10008.5.1.4.1.1.7"
# Reports stored inside DICOM (PDF, CDA): their text names the patient and the profile would only
# blank them, so they are left out of the copy.
DOCUMENT_CLASSES = frozenset({"1.2.840.10008.5.1.4.1.1.104.1", "1.2.840.10008.5.1.4.1.1.104.2"})
DEFLATED = "1.2.840.10008.1.2.1.99"

_DICOM_ROOT = "1.2.840.10008."  # UIDs the standard itself defines
_PIXEL_TAGS = frozenset({0x7FE00008, 0x7FE00009, 0x7FE00010})
_ITEM = 0xFFFEE000
_SEQUENCE_END = 0xFFFEE0DD
_UNDEFINED = 0xFFFFFFFF
_LONG_VRS = frozenset(
    {b"OB", b"OD", b"OF", b"OL", b"OV", b"OW", b"SQ", b"SV", b"UC", b"UN", b"UR", b"UT", b"UV"}
)
# Values larger than this stay in the file until used: a large private blob is removed unread.
_DEFER_SIZE = 4 * 1024 * 1024
_MAX_DEPTH = 32  # sequences nested deeper than this are not a real header
_COPY_BUFFER = 1024 * 1024

Action = Callable[[Dataset, tuple[int, int]], None]


class LeftOut(StrEnum):
    """Why a file is not in the copy (a count per reason goes into README.txt)."""

    NOT_DICOM = "not_dicom"  # a report, a picture, a viewer program, a text file...
    DICOMDIR = "dicomdir"  # a CD's index: it names the original files
    DOCUMENT = "document"  # a report stored inside DICOM (encapsulated PDF or CDA)
    ARCHIVE = "archive"  # an archive that is refused, or a ZIP inside a ZIP
    DAMAGED = "damaged"  # cannot be read, or cut short
    FAILED = "failed"  # could not be de-identified
    TOO_MANY = "too_many"  # past the limit on files


LEFT_OUT_WORDS: dict[LeftOut, str] = {
    LeftOut.NOT_DICOM: "not DICOM images (reports, pictures, programs, other files)",
    LeftOut.DICOMDIR: "a CD's DICOMDIR index (it names the original files)",
    LeftOut.DOCUMENT: "reports stored inside DICOM (PDF or CDA): their text names the patient",
    LeftOut.ARCHIVE: "archives that could not be opened safely, or archives inside archives",
    LeftOut.DAMAGED: "damaged or cut-short files",
    LeftOut.FAILED: "files that could not be de-identified",
    LeftOut.TOO_MANY: "files past the limit on files per upload",
}


class _Skip(Exception):
    def __init__(self, reason: LeftOut) -> None:
        super().__init__(reason.value)
        self.reason = reason


@dataclass(frozen=True)
class ExportedFile:
    name: str  # the path inside the ZIP, made from study/series/instance counters
    modality: str
    flag: str | None  # why it may still show identity (burned-in text); None if not flagged
    # Burned In Annotation YES or NO in the original. Unflagged files without it are not called
    # clean: the README counts them as not saying (nothing here looks at the pixels).
    stated: bool = True


@dataclass
class ExportSummary:
    exported: list[ExportedFile] = field(default_factory=list)
    left_out: dict[LeftOut, int] = field(default_factory=dict)
    studies: int = 0

    @property
    def flagged(self) -> list[ExportedFile]:
        return [f for f in self.exported if f.flag]

    @property
    def unstated(self) -> list[ExportedFile]:
        """Not flagged, but their header does not say whether text is burned in."""
        return [f for f in self.exported if not f.flag and not f.stated]

    def leave_out(self, reason: LeftOut, count: int = 1) -> None:
        self.left_out[reason] = self.left_out.get(reason, 0) + count


# --- the profile's table, as the library has it ---------------------------------------------


def _keep_references(dataset: Dataset, tag: tuple[int, int]) -> None:
    """X/Z/U*: the U branch. A sequence is kept (its items are cleaned like any other, which
    replaces the instance UIDs in them); a UID is replaced; anything else is emptied."""
    element = dataset.get(tag)
    if element is None or element.VR == "SQ":
        return
    if element.VR == "UI":
        profile.replace_UID(dataset, tag)
    else:
        profile.empty(dataset, tag)


def _remove(dataset: Dataset, tag: tuple[int, int]) -> None:
    """X: removed. (The library keeps a dummy date where the table says to remove a date.)"""
    if tag in dataset:
        del dataset[tag]


# The VRs the library has a dummy value for; inside a replaced sequence, others are removed.
_DUMMY_VRS = frozenset({"AE", "AS", "CS", "DA", "DS", "DT", "FD", "FL", "IS", "LO", "LT", "OB",
                        "PN", "SH", "SL", "SS", "ST", "TM", "UC", "UI", "UL", "UN", "UR", "US",
                        "UT"})


def _replace(dataset: Dataset, tag: tuple[int, int]) -> None:
    """D (and the D branch of X/D, Z/D, X/Z/D). A sequence gets dummy values throughout, as the
    library does, except that UIDs the standard defines (what kind of object is referenced)
    are kept, and values the library has no dummy for are removed instead of failing."""
    element = dataset.get(tag)
    if element is None:
        return
    if element.VR != "SQ":
        profile.replace(dataset, tag)
        return
    for item in element.value or ():
        _replace_item(item)


def _replace_item(item: Dataset) -> None:
    for key in list(item.keys()):
        if key.is_private or key.element == 0:
            del item[key]
            continue
        sub = item[key]
        if sub.VR == "SQ":
            for inner in sub.value or ():
                _replace_item(inner)
        elif sub.VR not in _DUMMY_VRS:
            del item[key]
        elif sub.is_empty or (sub.VR == "UI" and _standard_uids(sub.value)):
            continue
        else:
            profile.replace_element(sub)


def _standard_uids(value: Any) -> bool:
    values = value if isinstance(value, MultiValue | list) else [value]
    return all(str(v).startswith(_DICOM_ROOT) for v in values)


_OVERRIDES: dict[Any, Action] = {
    profile.delete_or_empty_or_replace_UID: _keep_references,
    profile.delete: _remove,
    profile.replace: _replace,
    profile.empty_or_replace: _replace,
    profile.delete_or_replace: _replace,
    profile.delete_or_empty_or_replace: _replace,
}


def _actions() -> tuple[dict[tuple[int, int], Action], list[tuple[tuple[int, ...], Action]]]:
    rules = profile.initialize_actions(f"dicomfields_{TABLE_EDITION}")
    exact: dict[tuple[int, int], Action] = {}
    masked: list[tuple[tuple[int, ...], Action]] = []
    for key, action in rules.items():
        chosen = _OVERRIDES.get(action, action)
        if len(key) == 2:
            exact[(key[0], key[1])] = chosen
        else:
            masked.append((tuple(key), chosen))
    return exact, masked


_EXACT, _MASKED = _actions()
assert all(tuple(t) in _EXACT for t in table.X_Z_U_STAR_TAGS)


def action_for(tag: int) -> Action | None:
    """The profile's action for a (non-private) tag, or None: kept as it is."""
    group, element = tag >> 16, tag & 0xFFFF
    found = _EXACT.get((group, element))
    if found is not None:
        return found
    for (g, e, group_mask, element_mask), action in _MASKED:
        if group & group_mask == g & group_mask and element & element_mask == e & element_mask:
            return action
    return None


# --- quiet pydicom ----------------------------------------------------------------------------

# Held while a header is read, cleaned and written: the library keeps its UID map in a module
# global, and warnings filters and pydicom's validation mode are process-wide (two threads
# saving and restoring them in turn would leave warnings off for good). Pixel data is copied
# outside it.
_LOCK = threading.RLock()
_quiet = threading.local()


class _QuietInThisThread(logging.Filter):
    """pydicom's warnings quote values (a name, a date): none reach the logs from here."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not getattr(_quiet, "on", False)


logging.getLogger("pydicom").addFilter(_QuietInThisThread())


@contextlib.contextmanager
def _quiet_pydicom() -> Iterator[None]:
    with _LOCK:
        _quiet.on = True
        try:
            with warnings.catch_warnings(), pydicom_config.disable_value_validation():
                warnings.simplefilter("ignore")
                yield
        finally:
            _quiet.on = False


# --- one export -------------------------------------------------------------------------------


class _Nameless:
    """A stream proxy without a `name`: pydicom would put a ZIP entry's name (chosen by the
    patient) into its messages, and would take it for a path to re-open for deferred values."""

    __slots__ = ("read", "seek", "tell")

    def __init__(self, stream: BinaryIO) -> None:
        self.read = stream.read
        self.seek = stream.seek
        self.tell = stream.tell


@dataclass(frozen=True)
class _Header:
    dataset: Dataset
    syntax: UID  # the copy's transfer syntax
    implicit: bool
    little: bool
    pixels_at: int | None  # where the pixel data starts in the stream; None: read whole


class Deidentifier:
    """De-identifies the files of one export: one UID map, one set of ZIP names."""

    def __init__(self) -> None:
        self.uids: dict[str, str] = {}
        self._studies: dict[str, int] = {}
        self._series: dict[tuple[int, str], int] = {}
        self._instances: dict[tuple[int, int], int] = {}

    def write(self, stream: BinaryIO, size: int, out: BinaryIO) -> ExportedFile:
        """Read one file (a seekable stream at 0), write its de-identified Part 10 copy to
        `out`. Raises _Skip when the file is not one to export."""
        head = stream.read(HEAD_SIZE)
        stream.seek(0)
        sniffed = sniff(head, size)
        if sniffed.kind is Kind.DICOMDIR:
            raise _Skip(LeftOut.DICOMDIR)
        if sniffed.kind not in (Kind.DICOM, Kind.DICOM_NO_PREAMBLE):
            raise _Skip(LeftOut.NOT_DICOM)
        source = cast(BinaryIO, _Nameless(stream))  # duck-typed: read, seek and tell
        with _quiet_pydicom():
            header = self._read(source, sniffed.kind is Kind.DICOM, sniffed.implicit_vr)
            ds = header.dataset
            sop_class = _text(ds.get("SOPClassUID"))
            if sop_class in DOCUMENT_CLASSES:
                raise _Skip(LeftOut.DOCUMENT)
            modality = _text(ds.get("Modality")).upper()
            flag = burn_in_flag(ds, modality, sop_class)
            stated = _text(ds.get("BurnedInAnnotation")).upper() in ("YES", "NO")
            # An image whose pixel data never comes was cut short (pydicom reads to the end of
            # a truncated header without complaint).
            expects_pixels = bool(ds.get("Rows")) or sop_class in IMAGE_STORAGE
            media_class = sop_class or _text(ds.file_meta.get("MediaStorageSOPClassUID"))
            saved = profile.dictionary
            profile.dictionary = self.uids  # this export's map (under _LOCK)
            try:
                self._clean(ds, 0)
            finally:
                profile.dictionary = saved
            _mark(ds, flagged=flag is not None)
            meta = FileMetaDataset()
            meta.MediaStorageSOPClassUID = UID(media_class)
            meta.MediaStorageSOPInstanceUID = UID(_text(ds.get("SOPInstanceUID")))
            meta.TransferSyntaxUID = header.syntax
            ds.file_meta = meta
            dcmwrite(out, ds, enforce_file_format=True)
        if header.pixels_at is None:
            copied = any(tag in header.dataset for tag in _PIXEL_TAGS)
        else:
            stream.seek(header.pixels_at)
            copied = copy_pixel_elements(stream, out, implicit=header.implicit,
                                         little=header.little)
        if expects_pixels and not copied:
            raise _Skip(LeftOut.DAMAGED)
        return ExportedFile(self._name(ds), modality, flag, stated)

    @staticmethod
    def _read(source: BinaryIO, part10: bool, implicit_bare: bool) -> _Header:
        """The header of one file, never forced: what is not DICOM is refused."""
        try:
            if not part10:  # a bare data set (no preamble, no file meta)
                ds = read_dataset(source, implicit_bare, True, stop_when=_at_pixels)
                if not ds.get("SOPClassUID"):
                    raise _Skip(LeftOut.NOT_DICOM)
                ds.file_meta = FileMetaDataset()
                syntax = UID(ImplicitVRLittleEndian if implicit_bare else ExplicitVRLittleEndian)
                return _Header(ds, syntax, implicit_bare, True, source.tell())
            ds = dcmread(source, stop_before_pixels=True, defer_size=_DEFER_SIZE)
            pixels_at = source.tell()
            syntax = UID(_text(ds.file_meta.get("TransferSyntaxUID")))
            implicit, little = ds.original_encoding
            if implicit is None or little is None or not syntax.is_transfer_syntax:
                raise _Skip(LeftOut.DAMAGED)  # a private transfer syntax: cannot be rewritten
            if syntax == DEFLATED or (
                syntax.is_implicit_VR != implicit or syntax.is_little_endian != little
            ):
                # Inflated into memory, or the meta contradicts the data set: the stream's
                # offsets do not match what was read, so the file is read whole and re-encoded
                # as it really is (pixel data still not decoded). Such files are rare and small.
                if (syntax.is_compressed and syntax != DEFLATED) or not little:
                    raise _Skip(LeftOut.DAMAGED)
                source.seek(0)
                ds = dcmread(source)
                actual = ImplicitVRLittleEndian if implicit else ExplicitVRLittleEndian
                return _Header(ds, UID(actual), implicit, little, None)
            return _Header(ds, syntax, implicit, little, pixels_at)
        except _Skip:
            raise
        except Exception as error:
            raise _Skip(LeftOut.DAMAGED) from error

    def _clean(self, ds: Dataset, depth: int) -> None:
        """Apply the profile to one data set and, recursively, to every sequence item in it."""
        if depth > _MAX_DEPTH:
            raise _Skip(LeftOut.FAILED)
        for tag in list(ds.keys()):
            if tag.is_private or tag.element == 0:  # private elements and group lengths
                del ds[tag]
                continue
            action = action_for(tag)
            if action is _remove:
                del ds[tag]
                continue
            element = ds[tag]
            if action is not None and (element.VR == "SQ" or not element.is_empty):
                # (An empty value stays empty: a UID emptied above must not become a new one.)
                action(ds, (tag.group, tag.element))
                if tag not in ds:
                    continue
                element = ds[tag]
            if element.VR == "SQ":
                if action is _replace:
                    continue  # every value in it is a dummy already: nothing more to clean
                for item in element.value or ():
                    self._clean(item, depth + 1)
            elif action is None and element.VR == "PN":
                element.value = ""
            elif action is None and element.VR == "UI":
                element.value = self._known_uid(element.value)

    def _known_uid(self, value: Any) -> Any:
        """A UID the table does not list, replaced when it is one already replaced elsewhere
        (a study UID copied into another attribute still points at the same study). UIDs the
        standard defines (SOP classes, coding schemes) are never touched."""
        if isinstance(value, MultiValue | list):
            return [self._known_uid(v) for v in value]
        if not value or _standard_uids(value):
            return value
        return self.uids.get(str(value), value)

    def _name(self, ds: Dataset) -> str:
        study = self._studies.setdefault(str(ds.get("StudyInstanceUID", "")),
                                         len(self._studies) + 1)
        series_key = (study, str(ds.get("SeriesInstanceUID", "")))
        series = self._series.setdefault(
            series_key, sum(1 for s, _ in self._series if s == study) + 1)
        number = self._instances.get((study, series), 0) + 1
        self._instances[(study, series)] = number
        return f"S{study:02d}/SE{series:03d}/IM{number:05d}.dcm"

    @property
    def studies(self) -> int:
        return len(self._studies)


def _at_pixels(tag: BaseTag, vr: str | None, length: int) -> bool:
    return tag in _PIXEL_TAGS


def _text(value: Any) -> str:
    """An attribute's value (as `Dataset.get(keyword)` gives it) as plain text."""
    if value is None:
        return ""
    if isinstance(value, MultiValue | list):
        return "\\".join(str(v) for v in value)
    return str(value).strip()


def burn_in_flag(ds: Dataset, modality: str, sop_class: str) -> str | None:
    """Why the pixels may show identity, read from the original header; None if nothing says
    so. Burned In Annotation YES is taken at its word; when it is absent (or empty), images of a
    kind that often has text burned in are flagged too. NO is believed."""
    burned = _text(ds.get("BurnedInAnnotation")).upper()
    if burned == "YES":
        return "Burned In Annotation is YES"
    if burned == "NO":
        return None
    if sop_class.startswith(_SECONDARY_CAPTURE):
        return "Burned In Annotation absent in a screen capture (secondary capture)"
    if modality in BURN_IN_MODALITIES:
        return f"Burned In Annotation absent in {BURN_IN_MODALITIES[modality]} ({modality})"
    if "SCREEN SAVE" in _text(ds.get("ImageType")).upper().replace("\\", " "):
        return "Burned In Annotation absent in a screen save"
    if _text(ds.get("RecognizableVisualFeatures")).upper() == "YES":
        return "Recognizable Visual Features is YES (a face may be recognisable)"
    return None


def _mark(ds: Dataset, *, flagged: bool) -> None:
    """What PS3.15 E.1.1 asks a de-identifier to record in the copy."""
    ds.PatientIdentityRemoved = "NO" if flagged else "YES"
    ds.DeidentificationMethod = [
        "PS3.15 Annex E Basic Profile",
        f"{LIBRARY} {LIBRARY_VERSION} table {TABLE_EDITION}",
        "SecondRead; UIDs replaced; no pixel cleaning",
    ]
    code = Dataset()
    code.CodeValue, code.CodingSchemeDesignator, code.CodeMeaning = BASIC_PROFILE_CODE
    ds.DeidentificationMethodCodeSequence = DicomSequence([code])
    ds.LongitudinalTemporalInformationModified = "REMOVED"


# --- pixel data, byte for byte ----------------------------------------------------------------


def _exactly(stream: BinaryIO, count: int) -> bytes:
    data = stream.read(count)
    if len(data) != count:
        raise _Skip(LeftOut.DAMAGED)
    return data


def _copy(stream: BinaryIO, out: BinaryIO, count: int) -> None:
    while count > 0:
        block = stream.read(min(count, _COPY_BUFFER))
        if not block:
            raise _Skip(LeftOut.DAMAGED)
        out.write(block)
        count -= len(block)


def copy_pixel_elements(stream: BinaryIO, out: BinaryIO, *, implicit: bool, little: bool) -> bool:
    """Copy the pixel data elements at the stream's position as they are stored (native or
    encapsulated); False if there were none. What follows them (trailing padding, digital
    signatures, private groups) is left out, as the profile removes it anyway."""
    order = "<" if little else ">"
    copied = False
    while True:
        head = stream.read(8)
        if not head:
            return copied
        if len(head) < 8:
            raise _Skip(LeftOut.DAMAGED)
        group, element = struct.unpack(order + "HH", head[:4])
        if (group << 16 | element) not in _PIXEL_TAGS:
            return copied
        copied = True
        header = head
        if implicit:
            (length,) = struct.unpack(order + "L", head[4:])
        elif head[4:6] in _LONG_VRS:
            extra = _exactly(stream, 4)
            header += extra
            (length,) = struct.unpack(order + "L", extra)
        else:
            (length,) = struct.unpack(order + "H", head[6:])
        out.write(header)
        if length != _UNDEFINED:
            _copy(stream, out, length)
            continue
        while True:  # encapsulated: items up to the sequence delimiter
            item = _exactly(stream, 8)
            out.write(item)
            item_group, item_element, item_length = struct.unpack(order + "HHL", item)
            tag = item_group << 16 | item_element
            if tag == _SEQUENCE_END:
                break
            if tag != _ITEM or item_length == _UNDEFINED:
                raise _Skip(LeftOut.DAMAGED)
            _copy(stream, out, item_length)


# --- the ZIP ----------------------------------------------------------------------------------


def write_deidentified_zip(
    files: Sequence[SourceFile],
    out: BinaryIO,
    *,
    made_at: datetime,
    scratch: Callable[[], BinaryIO] | None = None,
    limits: InspectionLimits | None = None,
    on_exported: Callable[[], None] | None = None,
) -> ExportSummary:
    """Write the de-identified copy of an upload's DICOM files as a ZIP into `out` (seekable or
    not: a pipe to the client will do), with README.txt last; `on_exported` is called after
    each file that enters the ZIP. Each file is first written to `scratch` (in memory by
    default: a caller with large files passes a spooled temporary file), so a file that fails
    halfway never reaches the ZIP. Never raises for a bad file:
    it is left out and counted."""
    limits = limits or InspectionLimits()
    spool = scratch or io.BytesIO
    summary = ExportSummary()
    deidentifier = Deidentifier()
    budget = Budget(limits)
    seen = 0

    def one(opener: Callable[[], BinaryIO], size: int, path: str, depth: int) -> None:
        nonlocal seen
        if seen >= limits.max_files:
            summary.leave_out(LeftOut.TOO_MANY)
            return
        seen += 1
        if is_system_file(path):
            summary.leave_out(LeftOut.NOT_DICOM)
            return
        try:
            stream = opener()
        except Exception:
            summary.leave_out(LeftOut.DAMAGED)
            return
        with stream:
            try:
                head = stream.read(HEAD_SIZE)
                stream.seek(0)
                if sniff(head, size).kind is Kind.ZIP:
                    archive(stream, size, path, depth)
                    return
                with spool() as copy:
                    exported = deidentifier.write(stream, size, copy)
                    copy.seek(0)
                    with zf.open(exported.name, "w", force_zip64=True) as entry:
                        shutil.copyfileobj(copy, entry, _COPY_BUFFER)
                summary.exported.append(exported)
                if on_exported:
                    on_exported()
            except _Skip as skip:
                summary.leave_out(skip.reason)
            except Exception:
                # The exception's text may quote the file's content: counted, never logged.
                summary.leave_out(LeftOut.FAILED)

    def archive(stream: BinaryIO, size: int, path: str, depth: int) -> None:
        if depth > 0:
            summary.leave_out(LeftOut.ARCHIVE)
            return
        try:
            opened, entries = open_archive(stream, size, limits, budget)
        except ArchiveRejected:
            summary.leave_out(LeftOut.ARCHIVE)
            return
        with opened:
            for entry in entries:
                one(entry.open, entry.size, f"{path}/{entry.name}", depth + 1)

    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1,
                         allowZip64=True) as zf:
        for source in files:
            one(source.open, source.size, source.path, 0)
        summary.studies = deidentifier.studies
        if summary.exported:
            zf.writestr("README.txt", readme(summary, made_at))
    return summary


def readme(summary: ExportSummary, made_at: datetime) -> str:
    """README.txt of the copy: the profile applied, and which files may still show identity.
    Names only the copy's own file names, never the patient's."""
    flagged = summary.flagged
    lines = [
        "De-identified copy (SecondRead)",
        "===============================",
        "",
        f"Made {made_at:%Y-%m-%d %H:%M} UTC, for teaching or quality review only. The",
        "second-opinion radiologist works from the identified original, not from this copy.",
        "",
        f"{len(summary.exported)} DICOM file(s) from {summary.studies} study(ies).",
        "",
        "Profile applied",
        "---------------",
        f"{PROFILE}",
        f"(PS3.15 Table E.1-1, {TABLE_EDITION} edition, as implemented by {LIBRARY} "
        f"{LIBRARY_VERSION}):",
        "- every attribute the table lists is removed (X), emptied (Z) or given a dummy",
        "  value (D), at every level of nesting; dates become 00010101;",
        "- all private attributes, curves, overlays and icon images are removed;",
        "- every instance UID is replaced by a new random one, consistently across the files",
        "  of this copy, so references between them still match (Referenced/Source Image",
        "  Sequences are kept with the new UIDs: the U branch of X/Z/U*);",
        "- person names the table does not list are emptied too;",
        "- Patient Identity Removed (0012,0062) is YES (NO in the flagged files below), and",
        "  De-identification Method (0012,0063) and its Code Sequence (113100) say how.",
        "Not applied: the Clean Pixel Data option. Pixel data is copied unchanged.",
        "",
        "Burned-in annotations",
        "---------------------",
        "Text written into the pictures themselves was NOT removed. The files listed here have",
        "Burned In Annotation (0028,0301) YES, or no value for it in a kind of image that often",
        "has text burned in (ultrasound, angiography, fluoroscopy, endoscopy, photographs,",
        "screen captures). They may still show the patient's name, birth date, ID or the",
        "hospital's name: look at every one before sharing this copy, and leave out or black",
        "out what shows identity.",
        "",
    ]
    if flagged:
        lines.append(f"Flagged files ({len(flagged)}):")
        lines += [f"  {f.name}  {f.modality or '?'}  {f.flag}" for f in flagged]
    else:
        lines.append("Flagged files: none (no file says or suggests burned-in text).")
    if unstated := summary.unstated:
        kinds = ", ".join(sorted({f.modality or "?" for f in unstated}))
        lines += [
            "",
            f"Not saying ({len(unstated)} file(s), {kinds}): their header has no Burned In",
            "Annotation. Images of these kinds rarely have text burned in, but nothing here",
            "looked at the pixels: glance through them too before sharing.",
        ]
    if summary.left_out:
        lines += ["", "Not in this copy", "----------------"]
        lines += [
            f"- {count} {LEFT_OUT_WORDS[reason]}"
            for reason, count in sorted(summary.left_out.items())
        ]
    lines.append("")
    return "\n".join(lines)

