"""Comparing two pasted reports, with real Trackers: the form's checks, the chat summary, the
stored reports behind the links, and the third-opinion offer."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.reports import (
    READ_FROM_PICTURE,
    ActionCompareReports,
    ValidateReportCompareForm,
)
from bot.actions.uploads import UploadState
from bot.config import Settings
from bot.db import StorageUnavailable
from bot.letters.store import load_reports
from bot.reports.summary import PROMPTLY
from bot.security.tokens import verify_token
from tests.actions.conftest import make_tracker, rendered, responses, slot_events

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "reports"


def pair(name: str) -> dict[str, Any]:
    return dict(yaml.safe_load((FIXTURES / name).read_text()))


@pytest.fixture
def var_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    return tmp_path


async def validate(slot: str, text: str, dispatcher: CollectingDispatcher,
                   domain: dict[str, Any]) -> Any:
    tracker = make_tracker(text=text, active_loop="report_compare_form",
                           slots={"requested_slot": slot}, set_this_turn={slot: text})
    events = await ValidateReportCompareForm().run(dispatcher, tracker, domain)
    return slot_events(events)[slot]


async def test_a_pasted_report_is_taken_and_its_impression_read_back(
    dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    report = pair("08-mri-knee-meniscus.yml")["a"]
    assert await validate("report_a", report, dispatcher, domain) == report.strip()
    (reply,) = dispatcher.messages
    assert reply["text"].startswith("I read the first report (A). Its impression")
    impression = report.split("IMPRESSION:")[1].split()[:4]
    assert " ".join(impression) in reply["text"]


@pytest.mark.parametrize("text", ["ok", "hold on, let me find it", "/inform",
                                  "the first one said my knee was fine and the second didn't"])
async def test_what_is_not_a_report_is_refused_kindly(
    text: str, dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    assert await validate("report_b", text, dispatcher, domain) is None
    assert responses(dispatcher) == ["utter_not_a_report"]


async def test_a_question_instead_of_a_report_is_answered(
    dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    assert await validate("report_a", "is this private?", dispatcher, domain) is None
    assert dispatcher.messages[0]["response"] in domain["responses"]


async def test_the_comparison_lists_the_differences_and_links_the_table_and_sheet(
    var_dir: Path, dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    reports = pair("01-ct-chest-nodule-size.yml")
    tracker = make_tracker(slots={"report_a": reports["a"], "report_b": reports["b"]})
    events = await ActionCompareReports().run(dispatcher, tracker, domain)
    assert slot_events(events) == {"report_a": None, "report_b": None}
    assert responses(dispatcher) == [None, "utter_third_opinion"]
    summary, offer = (rendered(m, domain, tracker)["text"] for m in dispatcher.messages)
    # Lung-RADS 2 against 4A: the prompt-contact line comes first.
    assert summary.startswith(PROMPTLY)
    assert "6 x 5 mm" in summary and "12 x 9 mm" in summary and "Lung-RADS 4A" in summary
    assert "which report is right" in summary  # and that it doesn't say
    links = dict(re.findall(r"(/reports/comparison(?:\.pdf)?)\?token=([\w.-]+)", summary))
    assert set(links) == {"/reports/comparison", "/reports/comparison.pdf"}
    settings = Settings.load()
    claims = verify_token(settings.secret_key, links["/reports/comparison"], ("letter",))
    assert claims.conversation_id == tracker.sender_id
    assert load_reports(settings, tracker.sender_id) == (reports["a"], reports["b"])
    # A category difference may change care: the third-opinion route, with a case to open.
    assert offer.startswith("The reports differ on something that may change what happens next.")
    third = rendered(dispatcher.messages[1], domain, tracker)
    assert [b["payload"] for b in third["buttons"]] == [
        "/open_case", "/find_subspecialist", "/human_handoff"
    ]


async def test_two_reports_that_agree_get_no_alarm_and_no_third_opinion(
    var_dir: Path, dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    reports = pair("27-mri-knee-agree.yml")
    tracker = make_tracker(slots={"report_a": reports["a"], "report_b": reports["b"]})
    await ActionCompareReports().run(dispatcher, tracker, domain)
    assert responses(dispatcher) == [None]  # the summary only: no third-opinion offer
    (summary,) = dispatcher.messages
    assert "I found no difference" in summary["text"]
    assert PROMPTLY not in summary["text"] and "third radiologist" not in summary["text"]
    assert [b["payload"] for b in summary["buttons"]] == ["/compare_reports", "/open_case"]


async def test_without_storage_the_list_still_comes(
    var_dir: Path, dispatcher: CollectingDispatcher, domain: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def full_disk(*_args: Any) -> None:
        raise OSError("no space left")

    monkeypatch.setattr("bot.actions.reports.save_reports", full_disk)
    reports = pair("13-mammogram-side.yml")
    tracker = make_tracker(slots={"report_a": reports["a"], "report_b": reports["b"]})
    await ActionCompareReports().run(dispatcher, tracker, domain)
    summary = dispatcher.messages[0]["text"]
    assert "Where the reports differ" in summary and "couldn't save the full table" in summary
    assert "token=" not in summary


class FakeUploads:
    """The upload service's PDF texts per upload id, as the real one reads them."""

    def __init__(self, texts: dict[str, list[str]], by_ocr: bool = False) -> None:
        self.texts = texts
        self.by_ocr = by_ocr
        self.asked: list[tuple[str, str]] = []

    def report_texts(
        self, conversation_id: str, public_id: str, key: bytes
    ) -> list[tuple[str, bool]]:
        self.asked.append((conversation_id, public_id))
        return [(text, self.by_ocr) for text in self.texts.get(public_id, [])]


async def test_a_report_sent_as_a_pdf_is_taken_like_a_pasted_one(
    var_dir: Path, dispatcher: CollectingDispatcher, domain: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    report = pair("20-us-thyroid-side.yml")["a"]
    uploads = FakeUploads({"up_1": ["INVOICE for copies of records, total $25", report]})

    async def checked(conversation_id: str, ids: list[str]) -> list[Any]:
        return [UploadState(i, "checked", {}) for i in ids]

    monkeypatch.setattr("bot.actions.reports.wait_for_checks", checked)
    monkeypatch.setattr("bot.actions.reports.upload_service", lambda: uploads)
    tracker = make_tracker(text="I've uploaded 2 files (40 KB)", intent="upload_files",
                           active_loop="report_compare_form",
                           slots={"requested_slot": "report_a"},
                           set_this_turn={"report_a": "I've uploaded 2 files (40 KB)"})
    tracker.latest_message["metadata"] = {"upload_ids": ["up_1"]}
    events = await ValidateReportCompareForm().run(dispatcher, tracker, domain)
    assert slot_events(events)["report_a"] == report.strip()  # the report, not the invoice
    assert uploads.asked == [(tracker.sender_id, "up_1")]
    assert dispatcher.messages[0]["text"].startswith("I read the first report (A)")

    # An upload without a readable report (a photo of a page, for now) is said so.
    dispatcher.messages.clear()
    tracker.latest_message["metadata"] = {"upload_ids": ["up_2"]}
    events = await ValidateReportCompareForm().run(dispatcher, tracker, domain)
    assert slot_events(events)["report_a"] is None
    assert responses(dispatcher) == ["utter_no_report_in_upload"]


async def test_a_report_read_from_a_photo_is_read_back_with_a_warning(
    var_dir: Path, dispatcher: CollectingDispatcher, domain: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    report = pair("09-mri-knee-acl.yml")["b"]

    async def checked(conversation_id: str, ids: list[str]) -> list[Any]:
        return [UploadState(i, "checked", {}) for i in ids]

    monkeypatch.setattr("bot.actions.reports.wait_for_checks", checked)
    monkeypatch.setattr("bot.actions.reports.upload_service",
                        lambda: FakeUploads({"up_9": [report]}, by_ocr=True))
    tracker = make_tracker(text="I've uploaded 1 file (2 MB)", intent="upload_files",
                           active_loop="report_compare_form",
                           slots={"requested_slot": "report_b"},
                           set_this_turn={"report_b": "I've uploaded 1 file (2 MB)"})
    tracker.latest_message["metadata"] = {"upload_ids": ["up_9"]}
    events = await ValidateReportCompareForm().run(dispatcher, tracker, domain)
    assert slot_events(events)["report_b"] == report.strip()
    assert dispatcher.messages[0]["text"].endswith(READ_FROM_PICTURE)


async def test_an_upload_that_cannot_be_opened_is_said_in_one_sentence(
    var_dir: Path, dispatcher: CollectingDispatcher, domain: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def database_down(conversation_id: str, ids: list[str]) -> list[Any]:
        raise StorageUnavailable("the database is unavailable (statuses)")

    monkeypatch.setattr("bot.actions.reports.wait_for_checks", database_down)
    tracker = make_tracker(text="I've uploaded 1 file (2 MB)", intent="upload_files",
                           active_loop="report_compare_form",
                           slots={"requested_slot": "report_a"},
                           set_this_turn={"report_a": "I've uploaded 1 file (2 MB)"})
    tracker.latest_message["metadata"] = {"upload_ids": ["up_3"]}
    events = await ValidateReportCompareForm().run(dispatcher, tracker, domain)
    assert slot_events(events)["report_a"] is None  # asked again, nothing lost
    assert responses(dispatcher) == ["utter_report_upload_unavailable"]
