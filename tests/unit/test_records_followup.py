"""The records request's follow-up schedule, the check of what arrived, and the wording."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.guidance.deliveries import missing_from_delivery
from bot.guidance.records_followup import (
    arrival,
    ask_again_for,
    day_10_message,
    day_30_message,
    next_follow_up,
    still_missing_sentence,
)
from bot.imaging.verdict import Report, Study, Verdict

REQUESTED = datetime(2026, 3, 2, 15, 30, tzinfo=UTC)


def study(day: date | None, body_part: str = "head", screenshots: bool = False) -> Study:
    return Study(
        date=day, modalities=("MR",), description="", exam_type="mri", body_part=body_part,
        age_years=None, series_count=3, image_count=0 if screenshots else 120, series=(),
        screenshots_only=screenshots,
    )  # fmt: skip


def verdict(*studies: Study, report: bool = False) -> Verdict:
    reports = (Report(kind="text"),) if report else ()
    return Verdict(ok=any(s.usable for s in studies), message="", studies=studies, reports=reports)


def test_day_10_then_day_30_then_nothing() -> None:
    assert next_follow_up(REQUESTED, 0) == ("day10", datetime(2026, 3, 12, 15, 30, tzinfo=UTC))
    assert next_follow_up(REQUESTED, 1) == ("day30", datetime(2026, 4, 1, 15, 30, tzinfo=UTC))
    assert next_follow_up(REQUESTED, 2) is None


def test_nothing_uploaded_is_not_complete_and_says_so() -> None:
    found = arrival([])
    assert not found.anything and not found.complete
    assert still_missing_sentence(found) == "Nothing has been uploaded since the request."


def test_pictures_only_miss_the_dicom_images_and_the_report() -> None:
    found = arrival([verdict(study(date(2026, 2, 1), screenshots=True))])
    assert found.anything and not found.complete
    assert found.missing == ("dicom", "report", "priors")
    assert still_missing_sentence(found).startswith("Still missing: the images in DICOM format")


def test_images_without_the_report_are_not_complete() -> None:
    found = arrival([verdict(study(date(2026, 2, 1)))])
    assert found.missing == ("report", "priors")
    assert not found.complete


def test_images_and_report_complete_the_request_even_without_priors() -> None:
    found = arrival([verdict(study(date(2026, 2, 1)), report=True)])
    assert found.complete
    assert found.missing == ("priors",)
    assert still_missing_sentence(found) == (
        "Still missing: earlier scans for comparison (if you had any)."
    )


def test_a_prior_of_the_same_body_part_in_another_upload_counts() -> None:
    found = arrival([
        verdict(study(date(2026, 2, 1)), report=True),
        verdict(study(date(2025, 6, 9))),
    ])  # fmt: skip
    assert found.missing == ()
    assert still_missing_sentence(found) == "Everything the letter asked for has arrived."


def test_a_study_of_another_body_part_is_not_a_prior() -> None:
    found = arrival([verdict(study(date(2026, 2, 1)), study(date(2025, 6, 9), "chest"))])
    assert "priors" in found.missing


def test_day_10_asks_and_names_the_center_and_the_date() -> None:
    text = day_10_message("Harbor Imaging", date(2026, 3, 2), arrival([]))
    assert "10 days" in text and "Harbor Imaging" in text and "March 2" in text
    assert "Has anything arrived?" in text


def test_day_10_says_what_is_still_missing_when_something_came() -> None:
    text = day_10_message("", date(2026, 3, 2), arrival([verdict(study(date(2026, 2, 1)))]))
    assert "the imaging center" in text
    assert "Still missing: the signed report" in text


def test_day_30_gives_the_deadline_the_words_and_the_complaint_route() -> None:
    text = day_30_message("Harbor Imaging", date(2026, 3, 2))
    assert "April 1" in text  # 30 days after March 2
    assert "164.524" in text and "extension" in text
    assert "March 2, 2026" in text  # in the sentence to say to the center
    assert "https://ocrportal.hhs.gov" in text and "180 days" in text
    assert "second-opinion radiologist" in text
    assert "None" not in text


@pytest.mark.parametrize(
    ("text", "missing"),
    [
        ("the cd from radiology came today but theres no report on it", ("report",)),
        ("They burned a disc, but the written report isn't included", ("report",)),
        ("all I got from the portal were JPGs and a few screenshots", ("dicom",)),
        ("the hospital mailed a dvd with my mri but none of the earlier scans", ("priors",)),
        ("they didn't send my previous ct or the report", ("report", "priors")),
        ("the clinic charged me a retrieval fee of $40 for the usb", ("fee",)),
        # Nothing came yet, or nothing is wrong: a request, not a wrong delivery.
        ("how do I get my report and the images", ()),
        ("no report yet from you guys on my case", ()),
        ("the disc arrived with everything on it, thanks", ()),
        ("they sent the dicom files and the report", ()),
        ("", ()),
    ],
)
def test_what_the_patient_says_is_missing_from_a_delivery(
    text: str, missing: tuple[str, ...]
) -> None:
    assert missing_from_delivery(text) == missing


def test_the_note_asks_for_each_missing_thing_in_plain_words() -> None:
    assert ask_again_for(["report"]) == "the signed report"
    both = ask_again_for(["dicom", "report", "dicom"])
    assert both == "the complete images in DICOM format instead of pictures and the signed report"
    assert "cost-based fee" in ask_again_for(["priors", "report", "fee"])
