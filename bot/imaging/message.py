"""The patient-facing message of a verdict: what was found, what is wrong, what to do next.

Plain, kind words; never a word about what the images show. Built only from the verdict's
structured fields, so it holds nothing the verdict does not (no names, no file names).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from bot.guidance.vocabulary import describe_scan
from bot.imaging.verdict import FileGroup, Problem, Report, Study, Verdict

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MAX_DETAILS = 3

NEW_COPY = "Please ask the imaging center for a new, complete copy."
WHY_DICOM = (
    "A radiologist needs the original DICOM files: every slice at full resolution, so they can "
    "adjust brightness and contrast (windowing) and take measurements. Ask the imaging center "
    "for a copy of the full DICOM study, on a CD/DVD or as a download from their patient portal."
)
_ARCHIVE_REASONS = {
    "too_many_entries": "it holds more files than I can accept in one upload",
    "too_large": "it would unpack to far more data than it holds, as harmful archives "
                 "(zip bombs) do",
    "compression_ratio": "it would unpack to far more data than it holds, as harmful archives "
                         "(zip bombs) do",
    "overlapping_entries": "it would unpack to far more data than it holds, as harmful archives "
                           "(zip bombs) do",
    "unsafe_path": "some of its file paths point outside the archive, which is unsafe",
    "symlink": "it contains links to other places on a computer, which is unsafe",
    "too_deep": "it holds archives inside archives, more than one level deep",
    "nested_too_large": "it holds another large archive inside it",
    "protected": "it is protected by a password",
    "damaged": "it is damaged",
}
# Said of a document we can't read as a report (kind words, no blame): how to send it instead.
_SEND_AS_PDF = ("If {which} your written report, please send it as a PDF ({how}) or as a photo "
                "of the printed {pages}.")
_UNSUPPORTED_ARCHIVE = (
    "I can't open {what} archives: please make a ZIP file instead (on Windows: right-click the "
    "folder, then Send to > Compressed folder), or upload the files themselves."
)


def format_date(value: date) -> str:
    """12 Nov 2026 (month names fixed in English, whatever the server's locale)."""
    return f"{value.day} {_MONTHS[value.month - 1]} {value.year}"


def plural(count: int, word: str, many: str | None = None) -> str:
    return f"{count} {word if count == 1 else many or word + 's'}"


def compose(verdict: Verdict) -> str:
    """The whole message for one upload."""
    diagnostic = [study for study in verdict.studies if not study.screenshots_only]
    screenshots = [study for study in verdict.studies if study.screenshots_only]
    pictures = _count(verdict.rejected, "picture")
    parts: list[str] = []
    if diagnostic:
        parts.append(_studies_sentence(diagnostic))
    elif not (verdict.reports or screenshots or pictures):
        parts.append("I couldn't find any scan images (DICOM files) or a written report in "
                     "what you sent.")
    if screenshots:
        parts.append(_screenshot_studies_sentence(len(screenshots), bool(diagnostic)))
    parts.extend(_problem_sentences(verdict.problems, verdict.studies))
    parts.extend(_report_sentences(verdict, bool(diagnostic), bool(screenshots or pictures)))
    if pictures:
        details = _in_brackets(_details(verdict.rejected, "picture"))
        if diagnostic:
            them = "it" if pictures == 1 else "them"
            parts.append(f"I also saw {plural(pictures, 'picture')}{details}; only the DICOM "
                         f"images count, so I set {them} aside.")
        else:
            parts.append(f"{plural(pictures, 'picture')}{details} can't be used for a second "
                         f"read. {WHY_DICOM}")
    parts.extend(_pdf_sentences(verdict.ignored, verdict.rejected))
    parts.extend(_rejected_sentences(verdict.rejected, usable=bool(diagnostic)))
    parts.extend(_note_sentences(verdict.problems))
    ignored = _ignored_sentence(verdict.ignored)
    if ignored:
        parts.append(ignored)
    return " ".join(parts)


def _studies_sentence(studies: Sequence[Study]) -> str:
    if len(studies) == 1:
        return f"I found 1 study: {_study_phrase(studies[0])}."
    # Numbered, so a problem can say which study it is about.
    described = "; ".join(
        f"({number}) {_study_phrase(study)}" for number, study in enumerate(studies, start=1)
    )
    return f"I found {len(studies)} studies: {described}."


def _study_phrase(study: Study) -> str:
    scan = describe_scan(study.exam_type, study.body_part) if study.exam_type else "a scan"
    when = f"from {format_date(study.date)}" if study.date else "(no date in the files)"
    state = "complete" if study.complete else "incomplete"
    return (f"{scan} {when} — {plural(study.series_count, 'series', 'series')}, "
            f"{plural(study.image_count, 'image')}, {state}")


def _screenshot_studies_sentence(count: int, has_diagnostic: bool) -> str:
    if has_diagnostic:
        return (f"I also found {plural(count, 'set')} of screenshots or summary pages saved as "
                "DICOM; those are not scan images, and that's fine.")
    return ("The DICOM files hold only screenshots or summary pages (such as a dose report), "
            f"not the original scan images. {WHY_DICOM}")


def _problem_sentences(problems: Sequence[Problem], studies: Sequence[Study]) -> list[str]:
    sentences: list[str] = []
    series_problems = [p for p in problems if p.code in ("missing_images", "truncated_images")]
    for problem in series_problems[:_MAX_DETAILS]:
        where = _series_name(problem, studies)
        if problem.code == "missing_images":
            sentences.append(f"{where[0].upper()}{where[1:]} is missing {_ranges(problem.ranges)}.")
        else:
            count = problem.count or 0
            verb = "is" if count == 1 else "are"
            sentences.append(
                f"{plural(count, 'image')} in {where} {verb} cut short (the copy is incomplete)."
            )
    if len(series_problems) > _MAX_DETAILS:
        sentences.append("Other series have the same problem.")
    if series_problems:
        sentences.append(NEW_COPY)
    for problem in problems:
        if problem.code == "mixed_patients":
            sentences.insert(0, "These files seem to belong to more than one person: please "
                                "upload only your own.")
        elif problem.code == "cd_incomplete" and not studies:
            sentences.append(
                "I found only the CD's index file (DICOMDIR), which lists "
                f"{plural(problem.count or 0, 'file')} that weren't uploaded: please upload the "
                "whole CD folder, with all its subfolders."
            )
        elif problem.code == "cd_incomplete":
            sentences.append(
                f"The CD's index lists {plural(problem.count or 0, 'more file')} than were "
                "uploaded: please upload the whole CD folder, with all its subfolders."
            )
        elif problem.code == "too_many_files":
            sentences.append(
                f"That's more than {problem.count} files, so I only checked the first "
                f"{problem.count}: please upload one study at a time."
            )
    return sentences


def _series_name(problem: Problem, studies: Sequence[Study]) -> str:
    name = f"series {problem.series}" if problem.series is not None else "one series"
    listed = [study for study in studies if not study.screenshots_only]
    if len(listed) > 1 and problem.study is not None and problem.study < len(studies):
        study = studies[problem.study]
        if study in listed:
            name += f" of study {listed.index(study) + 1}"
    return name


def _ranges(ranges: Sequence[tuple[int, int]]) -> str:
    shown = [f"{a}" if a == b else f"{a}–{b}" for a, b in ranges[:_MAX_DETAILS]]
    single = len(ranges) == 1 and ranges[0][0] == ranges[0][1]
    text = shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]
    if len(ranges) > _MAX_DETAILS:
        text = ", ".join(shown) + " and others"
    return f"image {text}" if single else f"images {text}"


def _best_report(reports: Sequence[Report]) -> Report:
    return sorted(reports, key=lambda report: (report.kind != "text", report.exam_date is None))[0]


def _report_sentences(verdict: Verdict, has_images: bool, has_pictures: bool) -> list[str]:
    if not verdict.reports:
        if has_images:
            return ["I didn't find the written report: please add it."]
        return []
    report = _best_report(verdict.reports)
    about = [describe_scan(report.exam_type, report.body_part)] if report.exam_type else []
    if report.exam_date:
        about.append(format_date(report.exam_date))
    also = "also " if has_images else ""
    if report.kind == "scanned":
        sentence = (f"I {also}found a scanned report (pictures of its pages){_in_brackets(about)}"
                    ". That works; if you can get it as a text PDF, for example from the patient "
                    "portal, that's even better.")
    else:
        sentence = f"I {also}found the written report{_in_brackets(about)}."
    sentences = [sentence]
    if not has_images and not has_pictures:
        sentences.append("I didn't find the scan images themselves: please add the DICOM files, "
                         "from the CD or the portal download.")
    return sentences


def _pdf_sentences(ignored: Sequence[FileGroup], rejected: Sequence[FileGroup]) -> list[str]:
    sentences = []
    for group in (*ignored, *rejected):
        if group.kind != "pdf":
            continue
        pdfs = plural(group.count, "PDF")
        if group.reason == "not_a_report":
            verb = "doesn't" if group.count == 1 else "don't"
            sentences.append(f"{pdfs} {verb} look like a radiology report, so I set "
                             f"{'it' if group.count == 1 else 'them'} aside.")
        elif group.reason == "protected":
            sentences.append(f"{pdfs} {'is' if group.count == 1 else 'are'} protected by a "
                             "password: please upload a copy without the password.")
        elif group.reason == "too_large":
            sentences.append(f"{pdfs} {'is' if group.count == 1 else 'are'} too large to check.")
        else:
            sentences.append(f"{pdfs} had nothing I could read.")
    return sentences


def _rejected_sentences(rejected: Sequence[FileGroup], *, usable: bool) -> list[str]:
    sentences = []
    for group in rejected:
        count = group.count
        if group.kind == "archive" and group.reason == "unsupported_format":
            what = " or ".join(group.details) or "these"
            sentences.append(_UNSUPPORTED_ARCHIVE.format(what=what))
        elif group.kind == "archive":
            reason = _ARCHIVE_REASONS.get(group.reason, "it can't be checked safely")
            action = ("please upload a copy without the password" if group.reason == "protected"
                      else "please upload the files themselves, or a plain ZIP made on your "
                           "computer")
            sentences.append(
                f"I didn't open {plural(count, 'ZIP file')} because {reason}: {action}."
            )
        elif group.kind == "empty" and group.reason == "empty_archive":
            was = "was" if count == 1 else "were"
            sentences.append(f"{plural(count, 'ZIP file')} {was} empty, with nothing inside to "
                             "check: please make the ZIP again from the folder with the files.")
        elif group.kind == "office":
            sentences.append(_unread_documents(_documents(count, group.details), count,
                                               "File, then Save as or Export, and choose PDF"))
        elif group.kind == "web_page":
            pages = "a web page (HTML)" if count == 1 else f"{count} web pages (HTML)"
            sentences.append(_unread_documents(pages, count, "open it, then Print and choose "
                                                             "Save as PDF"))
        elif group.kind == "text":
            verb = "doesn't" if count == 1 else "don't"
            sentences.append(
                f"{plural(count, 'text file')}{_in_brackets(group.details)} {verb} look like a "
                f"radiology report, so I set {'it' if count == 1 else 'them'} aside."
            )
        elif group.kind == "unsupported" and group.reason == "not_dicom":
            named = "is named" if count == 1 else "are named"
            be = "it isn't" if count == 1 else "they aren't"
            sentences.append(
                f"{plural(count, 'file')} {named} like a DICOM image{_in_brackets(group.details)}"
                f" but {be} a medical image file inside (damaged or renamed?), so I set "
                f"{'it' if count == 1 else 'them'} aside."
            )
        elif group.kind == "empty":
            was = "was" if count == 1 else "were"
            sentences.append(f"{plural(count, 'file')} {was} empty: please upload "
                             f"{'it' if count == 1 else 'them'} again.")
        elif group.kind == "damaged":
            look = "looks" if count == 1 else "look"
            be = "is" if count == 1 else "are"
            sentences.append(
                f"{plural(count, 'file')} {look} like DICOM but {be} damaged and can't be read. "
                f"{NEW_COPY}" if group.reason == "dicom"
                else f"{plural(count, 'file')} couldn't be read."
            )
        elif group.kind == "unsupported":
            files = plural(count, "other file") if usable else plural(count, "file")
            be = "isn't" if count == 1 else "aren't"
            what = "a scan image or a report" if count == 1 else "scan images or reports"
            sentences.append(
                f"{files}{_in_brackets(group.details)} {be} {what}, so I set "
                f"{'it' if count == 1 else 'them'} aside."
            )
    return sentences


def _documents(count: int, details: Sequence[str]) -> str:
    """"a Word document", "2 spreadsheets", "2 documents (a Word document, a presentation)"."""
    if count == 1:
        return details[0] if details else "an Office document"
    if len(details) == 1:
        head, _, tail = (details[0].partition(" ")[2] or details[0]).partition(" (")
        return f"{count} {head}s" + (f" ({tail}" if tail else "")
    return f"{count} documents{_in_brackets(details)}"


def _unread_documents(what: str, count: int, how: str) -> str:
    if count == 1:
        return (f"I couldn't read {what} as a report. "
                + _SEND_AS_PDF.format(which="it's", how=how, pages="page"))
    return (f"I couldn't read {what} as reports. "
            + _SEND_AS_PDF.format(which="one of them is", how=how, pages="pages"))


def _note_sentences(problems: Sequence[Problem]) -> list[str]:
    sentences = []
    for problem in problems:
        if problem.code == "compression_unsupported":
            sentences.append(
                f"Some images use a compression ({problem.detail}) that I can't open here; the "
                "radiologist's software usually can, so there's nothing you need to do."
            )
        elif problem.code == "duplicate_images":
            count = problem.count or 0
            sentences.append(f"{plural(count, 'image')} {'was' if count == 1 else 'were'} "
                             "included twice; I counted each once.")
    return sentences


def _ignored_sentence(ignored: Sequence[FileGroup]) -> str:
    viewer = _count(ignored, "viewer")
    extra = _count(ignored, "cd_extra")
    files = [plural(viewer, "viewer program file")] if viewer else []
    if extra:
        files.append(plural(extra, "other CD file"))
    return f"I also saw {' and '.join(files)}, ignored (not needed)." if files else ""


def _count(groups: Sequence[FileGroup], kind: str) -> int:
    return sum(group.count for group in groups if group.kind == kind)


def _details(groups: Sequence[FileGroup], kind: str) -> list[str]:
    found: list[str] = []
    for group in groups:
        if group.kind == kind:
            found.extend(detail for detail in group.details if detail not in found)
    return found


def _in_brackets(details: Sequence[str]) -> str:
    return f" ({', '.join(details[:_MAX_DETAILS + 2])})" if details else ""
