"""Which upload verdicts the patient hears about, and what comes next."""

from __future__ import annotations

from dataclasses import replace

from bot.guidance.situation import Picture, Said, build_picture
from bot.guidance.uploads import (
    FAILED_CHECK,
    UploadState,
    next_step_message,
    report_uploads,
    still_checking_message,
)


def checked(public_id: str, message: str) -> UploadState:
    return UploadState(public_id, "checked", {"message": message, "ok": True})


def test_reports_each_finished_upload_once_in_order() -> None:
    states = [checked("up_a", "I found 1 study."), checked("up_b", "I found your report.")]
    report = report_uploads(states, already_reported={"up_a"})
    assert report.messages == ("I found your report.",)
    assert report.newly_reported == ("up_b",)
    assert report.still_running == ()


def test_running_uploads_are_not_reported_but_listed() -> None:
    states = [UploadState("up_a", "pending", None), UploadState("up_b", "checking", None)]
    report = report_uploads(states, already_reported=set())
    assert report.messages == ()
    assert report.still_running == ("up_a", "up_b")


def test_a_failed_check_gets_a_kind_message_that_nothing_is_lost() -> None:
    report = report_uploads([UploadState("up_a", "failed", None)], already_reported=set())
    (message,) = report.messages
    # Kind, and says that nothing is lost nor needs sending again.
    assert message.startswith("I couldn't finish checking one of your uploads.")
    assert "Your files are safe" in message and "don't need to send them again" in message


def test_checked_without_a_message_falls_back_to_the_failure_wording() -> None:
    report = report_uploads([UploadState("up_a", "checked", {})], already_reported=set())
    assert report.messages == (FAILED_CHECK,)


def test_still_checking_counts_uploads() -> None:
    assert "still checking your upload." in still_checking_message(1)
    assert "3 uploads" in still_checking_message(3)


def files_picture(
    exam: str | None, part: str | None, age: str | None = None, said: Said | None = None
) -> Picture:
    return build_picture(replace(said or Said(), age_group=age or (said or Said()).age_group),
                         exam, part)


def test_next_step_names_the_subspecialty_from_the_headers() -> None:
    text = next_step_message(True, files_picture("mri", "brain"))
    assert text is not None
    assert "(brain MRI)" in text
    assert "neuroradiolog" in text.lower()


def test_next_step_for_a_child_is_pediatric() -> None:
    text = next_step_message(True, files_picture("ct", "abdomen", "child"))
    assert text is not None and "pediatric" in text.lower()
    assert "under 18" in text


def test_no_next_step_without_images_or_without_an_exam() -> None:
    assert next_step_message(False, files_picture("ct", "chest")) is None
    assert next_step_message(True, files_picture(None, None)) is None


def test_the_files_decide_and_the_sentence_never_credits_them_with_the_chat() -> None:
    # Issue 14: "my son's brain MRI", then a chest CT folder.
    said = Said(exam_type="mri", body_part="brain")
    text = next_step_message(True, files_picture("ct", "chest", said=said))
    assert text is not None
    assert "the details stored in the files (chest CT scan)" in text
    first_sentence = text.split(". ")[0]
    assert "brain" not in first_sentence and "MRI" not in first_sentence
    assert "body imaging" in first_sentence


def test_what_the_files_leave_out_is_credited_to_the_patient() -> None:
    said = Said(exam_type="mri", body_part="brain")
    text = next_step_message(True, files_picture("mri", None, said=said))
    assert text is not None
    assert "the details stored in the files (MRI) and what you told me (brain)" in text
    assert "neuroradiolog" in text.lower()
