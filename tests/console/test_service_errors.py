"""The console turns the exceptions its services raise on purpose into pages (one handler in
bot/web/console/security.py); anything else stays a defect, never a 400 that hides it."""

from __future__ import annotations

import pytest

from bot.cases.records import CaseNotFound
from bot.cases.status import CaseStatus, InvalidTransition
from bot.notify.takeover import TakeoverFailed
from bot.staff.exports import UploadNotFound
from bot.staff.records import AccountNotFound, FileNotFound, Refused, note_text
from bot.web.console.security import service_error_page


@pytest.mark.parametrize(
    ("error", "status", "words"),
    [
        (CaseNotFound("SR-1"), 404, "No such case."),
        (AccountNotFound("x"), 404, "No such account."),
        (FileNotFound("x"), 404, "No such file."),
        (UploadNotFound("x"), 404, "No such upload."),
        (Refused("tags are 1-40 of a-z"), 400, "tags are 1-40 of a-z"),
        (InvalidTransition(CaseStatus.CLOSED, CaseStatus.NEW), 409, "closed"),
    ],
)
def test_a_service_refusal_is_a_page_that_says_why(
    error: Exception, status: int, words: str
) -> None:
    page = service_error_page(error)
    assert page is not None and page.status_code == status
    assert words in bytes(page.body).decode()


def test_a_takeover_failure_says_what_was_not_done() -> None:
    failed = TakeoverFailed("Rasa did not accept the bot event")
    failed.step = "reply"
    page = service_error_page(failed)
    assert page is not None and page.status_code == 502
    assert "It was not sent" in bytes(page.body).decode()


@pytest.mark.parametrize("error", [ValueError("bug"), LookupError("bug"), KeyError("bug")])
def test_a_plain_error_is_left_to_fail_as_a_defect(error: Exception) -> None:
    assert service_error_page(error) is None


def test_a_note_is_trimmed_and_bounded() -> None:
    assert note_text("  seen the CD \n") == "seen the CD"
    for body in ("   ", "x" * 5001):
        with pytest.raises(Refused):
            note_text(body)
