"""Instances -> studies -> series, and what is wrong with them.

Works on the headers read by bot.imaging.dicom only: counting, grouping and comparing, no I/O.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import replace
from itertools import combinations, pairwise
from typing import TypeVar

from bot.imaging.dicom import (
    ENCAPSULATED_PDF,
    NATIVE_SYNTAXES,
    SECONDARY_CAPTURE_PREFIX,
    DicomDirectory,
    Identity,
    Instance,
    PixelState,
    decoder_available,
)
from bot.imaging.exam import body_part_for, exam_type_for
from bot.imaging.verdict import Problem, Series, Study

T = TypeVar("T")
# Comparing every pair of distinct identities is quadratic; a real upload has one or two.
_MAX_IDENTITIES = 50
_COMPRESSIONS: dict[str, str] = {
    "1.2.840.10008.1.2.4.50": "JPEG",
    "1.2.840.10008.1.2.4.51": "JPEG",
    "1.2.840.10008.1.2.4.57": "lossless JPEG",
    "1.2.840.10008.1.2.4.70": "lossless JPEG",
    "1.2.840.10008.1.2.4.80": "JPEG-LS",
    "1.2.840.10008.1.2.4.81": "JPEG-LS",
    "1.2.840.10008.1.2.4.90": "JPEG 2000",
    "1.2.840.10008.1.2.4.91": "JPEG 2000",
    "1.2.840.10008.1.2.4.201": "HTJ2K",
    "1.2.840.10008.1.2.4.202": "HTJ2K",
    "1.2.840.10008.1.2.4.203": "HTJ2K",
    "1.2.840.10008.1.2.5": "RLE",
}
# Keeping the better of two copies of the same instance: an intact one beats a cut-short one.
_PIXEL_RANK = {
    PixelState.INTACT: 3, PixelState.UNCHECKED: 2, PixelState.ABSENT: 1, PixelState.TRUNCATED: 0,
}


def compression_name(transfer_syntax: str) -> str | None:
    """A plain name for a compressed transfer syntax; None when the pixels are uncompressed."""
    if transfer_syntax in NATIVE_SYNTAXES or not transfer_syntax:
        return None
    if transfer_syntax.startswith("1.2.840.10008.1.2.4.10"):
        return "video (MPEG)"
    return _COMPRESSIONS.get(transfer_syntax, "an unusual compression")


def build_studies(
    instances: Iterable[Instance], directories: Sequence[DicomDirectory] = ()
) -> tuple[list[Study], list[Problem]]:
    """Group instances into studies and list the problems found, most serious first."""
    unique, duplicates = _deduplicate(instances)
    problems: list[Problem] = []
    if _mixed_patients(instance.identity for instance in unique):
        problems.append(Problem("mixed_patients", blocking=True))
    missing = _missing_from_directory(unique, directories)
    if missing:
        problems.append(Problem("cd_incomplete", blocking=True, count=missing))

    by_study: dict[str, list[Instance]] = defaultdict(list)
    for instance in unique:
        if instance.sop_class != ENCAPSULATED_PDF:
            by_study[instance.study_uid].append(instance)
    groups = sorted(by_study.values(), key=_study_order)
    studies = []
    for index, members in enumerate(groups):
        study, study_problems = _study(index, members)
        if missing:
            # The DICOMDIR does not say cheaply which study lacks files: none is called complete.
            study = replace(study, complete=False)
        studies.append(study)
        problems.extend(study_problems)
    if duplicates:
        problems.append(Problem("duplicate_images", blocking=False, count=duplicates))
    return studies, problems


def _deduplicate(instances: Iterable[Instance]) -> tuple[list[Instance], int]:
    kept: dict[str, Instance] = {}
    anonymous: list[Instance] = []
    duplicates = 0
    for instance in instances:
        if not instance.sop_uid:
            anonymous.append(instance)
            continue
        previous = kept.get(instance.sop_uid)
        if previous is None:
            kept[instance.sop_uid] = instance
            continue
        duplicates += 1
        if _PIXEL_RANK[instance.pixels] > _PIXEL_RANK[previous.pixels]:
            kept[instance.sop_uid] = instance
    return [*kept.values(), *anonymous], duplicates


def _study_order(members: list[Instance]) -> tuple[bool, str, int]:
    dates = [instance.study_date for instance in members if instance.study_date]
    first = min(dates).isoformat() if dates else ""
    return (not dates, first, -len(members))


def _most_common(values: Iterable[T | None]) -> T | None:
    counts = Counter(value for value in values if value not in (None, ""))
    return counts.most_common(1)[0][0] if counts else None


def _study(index: int, members: list[Instance]) -> tuple[Study, list[Problem]]:
    by_series: dict[str, list[Instance]] = defaultdict(list)
    for instance in members:
        key = instance.series_uid or f"#{instance.series_number}"
        by_series[key].append(instance)
    series_list = sorted(
        (_series(items) for items in by_series.values()),
        key=lambda item: (item.number is None, item.number or 0, item.description),
    )
    # A dose report or a key-image note is a series to the scanner, not to the patient.
    if any(series.images for series in series_list):
        series_list = [series for series in series_list if series.images]
    problems: list[Problem] = []
    for series in series_list:
        if series.missing_ranges:
            problems.append(Problem(
                "missing_images", blocking=True, study=index, series=series.number,
                count=sum(last - first + 1 for first, last in series.missing_ranges),
                ranges=series.missing_ranges,
            ))
        if series.truncated:
            problems.append(Problem(
                "truncated_images", blocking=True, study=index, series=series.number,
                count=series.truncated,
            ))
    for name in sorted({s.compression for s in series_list if s.compression and not s.decodable}):
        problems.append(Problem("compression_unsupported", blocking=False, study=index,
                                detail=name))
    diagnostic = [
        instance for instance in members
        if instance.is_image and not instance.sop_class.startswith(SECONDARY_CAPTURE_PREFIX)
    ]
    screenshots_only = not diagnostic
    if screenshots_only:
        problems.insert(0, Problem("screenshots_only", blocking=True, study=index))
    descriptions = [
        text for text in (_most_common(i.study_description for i in members),
                          *(s.description for s in series_list)) if text
    ]
    exam_type = exam_type_for(
        {instance.modality for instance in diagnostic}, descriptions
    )
    body_parts = [part for part, _ in Counter(
        instance.body_part_examined for instance in diagnostic if instance.body_part_examined
    ).most_common()]
    study = Study(
        date=_most_common(instance.study_date for instance in members),
        modalities=tuple(sorted({instance.modality for instance in members if instance.modality})),
        description=descriptions[0] if descriptions else "",
        exam_type=exam_type,
        body_part=body_part_for(body_parts, descriptions, exam_type),
        age_years=_most_common(instance.age_years for instance in members),
        series_count=len(series_list),
        image_count=sum(series.images for series in series_list),
        series=tuple(series_list),
        screenshots_only=screenshots_only,
        complete=not any(problem.blocking for problem in problems),
    )
    return study, problems


def _series(items: list[Instance]) -> Series:
    images = [instance for instance in items if instance.is_image]
    syntaxes = {instance.transfer_syntax for instance in images}
    compressed = sorted(
        {name for syntax in syntaxes if (name := compression_name(syntax)) is not None}
    )
    return Series(
        number=_most_common(instance.series_number for instance in items),
        modality=_most_common(instance.modality for instance in items) or "",
        description=_most_common(instance.series_description for instance in items) or "",
        images=len(images),
        missing_ranges=_missing_ranges(
            {i.instance_number for i in images if i.instance_number is not None}
        ),
        truncated=sum(1 for instance in images if instance.pixels is PixelState.TRUNCATED),
        compression=", ".join(compressed) or None,
        decodable=all(
            decoder_available(syntax) for syntax in syntaxes if compression_name(syntax)
        ),
    )


def _missing_ranges(numbers: set[int]) -> tuple[tuple[int, int], ...]:
    """Gaps inside the run of instance numbers. Sparse numbering (more gaps than images) is a
    scanner's habit rather than lost files, so it is not reported."""
    if len(numbers) < 2:
        return ()
    ordered = sorted(numbers)
    missing_count = ordered[-1] - ordered[0] + 1 - len(ordered)
    if missing_count == 0 or missing_count > len(ordered):
        return ()
    return tuple(
        (previous + 1, current - 1)
        for previous, current in pairwise(ordered)
        if current - previous > 1
    )


def _mixed_patients(identities: Iterable[Identity]) -> bool:
    distinct = list(set(identities))[:_MAX_IDENTITIES]
    return any(not _same_person(a, b) for a, b in combinations(distinct, 2))


def _same_person(a: Identity, b: Identity) -> bool:
    """Different birth dates or clearly different names mean different people; IDs only decide
    when nothing else is known (one person has other IDs at other hospitals)."""
    if a.birth_date and b.birth_date and a.birth_date != b.birth_date:
        return False
    if a.name_tokens and b.name_tokens:
        small, large = sorted((a.name_tokens, b.name_tokens), key=len)
        # "DOE^JANE" and "DOE^JANE^M" are one person; so are reordered names.
        return small <= large or len(small & large) >= 2
    if a.birth_date and b.birth_date:
        return True
    if a.patient_id and b.patient_id:
        return a.patient_id == b.patient_id
    return True


def _missing_from_directory(
    instances: Sequence[Instance], directories: Sequence[DicomDirectory]
) -> int:
    """How many instances a CD's DICOMDIR lists that were not uploaded (matched by UID, so it
    works whatever the upload did to folder names)."""
    if not directories:
        return 0
    referenced = frozenset().union(*(d.referenced_instances for d in directories))
    found = {instance.sop_uid for instance in instances}
    return len(referenced - found)
