"""action_handle_uploads with real Trackers and a real (SQLite) uploads table."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.actions import uploads as upload_actions
from bot.actions.uploads import CHECKED_INTENT, ActionHandleUploads
from bot.cases import CaseDetails, ContactDetails
from bot.cases.runtime import case_service
from bot.guidance.uploads import FAILED_CHECK
from bot.imaging import inspect_files
from bot.security.tokens import verify_token
from bot.uploads.records import StoredFile
from bot.uploads.runtime import upload_service
from tests.actions.conftest import (
    ROOT,
    UPLOAD_LINK_SECRET,
    make_tracker,
    rendered,
    slot_events,
)
from tests.fixtures import dicom_factory

SECRET = UPLOAD_LINK_SECRET
DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text())


def stored_upload(conversation_id: str, verdict: dict[str, Any] | None, *, finish: bool = True,
                  failed: bool = False) -> str:
    """An upload row as the web app leaves it: pending, or checked with `verdict`."""
    service = upload_service()
    new = service.begin(conversation_id)
    files = [StoredFile(0, "IM0001", "f0000", 10, "0" * 64)]
    service.complete(new.id, files, "dicom")
    if finish:
        service.start_check(new.public_id)
        service.finish_check(new.public_id, failed=failed, verdict=verdict or {})
    return new.public_id


def ct_verdict(tmp_path: Path) -> dict[str, Any]:
    paths = dicom_factory.ct_series(tmp_path / "ct", slices=5, rows=16, cols=16)
    verdict = inspect_files(dicom_factory.source_files(paths, tmp_path))
    assert verdict.ok
    return verdict.to_dict()


def tracker_with(
    text: str,
    intent: str = "upload_files",
    metadata: dict[str, Any] | None = None,
    entities: list[dict[str, Any]] | None = None,
    channel: str | None = None,
    slots: dict[str, Any] | None = None,
) -> Tracker:
    tracker = make_tracker(text, intent, slots=slots)
    if metadata is not None:
        tracker.latest_message["metadata"] = metadata
    if entities is not None:
        tracker.latest_message["entities"] = entities
    if channel:
        tracker.events[-1]["input_channel"] = channel
    return tracker


async def run(tracker: Tracker) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The events, and the messages as the patient reads them (with `response`, if named)."""
    dispatcher = CollectingDispatcher()
    events = await ActionHandleUploads().run(dispatcher, tracker, DOMAIN)
    return [dict(e) for e in events], [rendered(m, DOMAIN, tracker) for m in dispatcher.messages]


async def test_without_files_a_rest_patient_gets_a_private_upload_link(uploads_db: str) -> None:
    tracker = tracker_with("how do i send you my scans")
    events, messages = await run(tracker)
    assert events == []
    (message,) = messages
    assert message["response"] == "utter_upload_link"
    assert "http://clinic.test/upload?token=" in message["text"]
    token = message["text"].split("token=")[1].split()[0]
    claims = verify_token(SECRET, token, ("link",))
    assert claims.conversation_id == tracker.sender_id


async def test_without_files_a_widget_patient_is_pointed_to_the_paperclip(uploads_db: str) -> None:
    _, messages = await run(tracker_with("/upload_files", channel="socketio"))
    assert [m.get("response") for m in messages] == ["utter_how_to_upload_widget"]
    assert "paperclip" in messages[0]["text"]
    assert "token=" not in messages[0]["text"]


async def test_a_checked_study_is_reported_with_the_next_steps(
    uploads_db: str, tmp_path: Path
) -> None:
    tracker = tracker_with("/upload_files")
    public_id = stored_upload(tracker.sender_id, ct_verdict(tmp_path))
    events, messages = await run(
        tracker_with("/upload_files", metadata={"upload_ids": [public_id]})
    )
    texts = [m["text"] for m in messages]
    assert texts[0].startswith("I found 1 study")
    assert any("Neuroradiology" in t or "neuroradiolog" in t.lower() for t in texts)
    assert messages[-1]["response"] == "utter_offer_case_for_files"
    assert [b["payload"] for b in messages[-1]["buttons"]] == ["/open_case", "/deny"]
    slots = slot_events(events)
    assert slots["reported_upload_ids"] == [public_id]
    assert slots["exam_type"] == "ct"
    assert slots["upload_follow_ups"] == 0
    assert not any(e["event"] == "reminder" for e in events)


async def test_a_follow_up_never_repeats_a_reported_verdict(
    uploads_db: str, tmp_path: Path
) -> None:
    tracker = tracker_with("/upload_files")
    public_id = stored_upload(tracker.sender_id, ct_verdict(tmp_path))
    follow_up = tracker_with(
        "",
        intent=CHECKED_INTENT,
        entities=[{"entity": "upload_ids", "value": public_id}],
        slots={"reported_upload_ids": [public_id]},
    )
    events, messages = await run(follow_up)
    assert messages == []
    assert "reported_upload_ids" not in slot_events(events)


async def test_the_same_upload_announced_again_gets_its_verdict_again(
    uploads_db: str, tmp_path: Path
) -> None:
    tracker = tracker_with("/upload_files")
    public_id = stored_upload(tracker.sender_id, ct_verdict(tmp_path))
    again = tracker_with("/upload_files", metadata={"upload_ids": [public_id]},
                         slots={"reported_upload_ids": [public_id]})
    events, messages = await run(again)
    assert messages[0]["response"] == "utter_uploads_already_checked"
    assert messages[1]["text"].startswith("I found 1 study")
    assert "reported_upload_ids" not in slot_events(events)  # nothing new to remember


async def test_a_running_check_schedules_a_follow_up(uploads_db: str) -> None:
    tracker = tracker_with("/upload_files")
    public_id = stored_upload(tracker.sender_id, None, finish=False)
    events, messages = await run(
        tracker_with("/upload_files", metadata={"upload_ids": [public_id]})
    )
    assert "still checking your upload" in messages[0]["text"]
    (reminder,) = [e for e in events if e["event"] == "reminder"]
    assert reminder["intent"] == CHECKED_INTENT
    assert reminder["entities"] == [{"entity": "upload_ids", "value": public_id}]
    assert reminder["kill_on_user_msg"] is False
    assert slot_events(events)["upload_follow_ups"] == 1


async def test_a_running_check_in_a_telegram_chat_is_left_to_the_web_apps_announcement(
    uploads_db: str,
) -> None:
    """A reminder's reply goes back over Rasa's REST channel to a bridge call that is over: the
    verdict would be marked as told and never reach the chat (the web app's announcement of
    the finished check then said nothing). Telegram conversations get no reminder."""
    tracker = tracker_with("/upload_files", channel="rest")
    tracker.sender_id = "telegram:0123456789abcdef0123456789abcdef"
    public_id = stored_upload(tracker.sender_id, None, finish=False)
    tracker.latest_message["metadata"] = {"upload_ids": [public_id]}
    events, messages = await run(tracker)
    assert "still checking your upload" in messages[0]["text"]
    assert not any(e["event"] == "reminder" for e in events)


async def test_follow_ups_stop_after_the_limit(uploads_db: str) -> None:
    tracker = tracker_with("/upload_files")
    public_id = stored_upload(tracker.sender_id, None, finish=False)
    follow_up = tracker_with(
        "",
        intent=CHECKED_INTENT,
        entities=[{"entity": "upload_ids", "value": public_id}],
        slots={"upload_follow_ups": upload_actions.MAX_FOLLOW_UPS},
    )
    events, messages = await run(follow_up)
    assert "taking longer than usual" in messages[0]["text"]
    assert not any(e["event"] == "reminder" for e in events)


async def test_a_failed_check_says_the_files_are_safe(uploads_db: str) -> None:
    tracker = tracker_with("/upload_files")
    public_id = stored_upload(tracker.sender_id, {"message": ""}, failed=True)
    _, messages = await run(tracker_with("/upload_files", metadata={"upload_ids": [public_id]}))
    assert messages[0]["text"] == FAILED_CHECK


async def test_another_conversations_upload_is_not_found(uploads_db: str, tmp_path: Path) -> None:
    public_id = stored_upload("someone-else", ct_verdict(tmp_path))
    events, messages = await run(
        tracker_with("/upload_files", metadata={"upload_ids": [public_id]})
    )
    assert events == []
    assert [m["response"] for m in messages] == ["utter_uploads_not_found"]


async def test_files_go_to_the_existing_case(uploads_db: str, tmp_path: Path) -> None:
    tracker = tracker_with("/upload_files")
    case = case_service().open_case(
        tracker.sender_id,
        "rest",
        ContactDetails("Ana Example", date(1980, 3, 14), "a@b.test", None),
        CaseDetails("ct", "brain", "peace of mind", "neuroradiology"),
    )
    public_id = stored_upload(tracker.sender_id, ct_verdict(tmp_path))
    _, messages = await run(
        tracker_with(
            "/upload_files",
            metadata={"upload_ids": [public_id]},
            slots={"case_number": case.number},
        )
    )
    assert f"I added these files to your case {case.number}." in [m["text"] for m in messages]
    assert "utter_files_added_to_case" in [m.get("response") for m in messages]
    assert "utter_offer_case_for_files" not in [m.get("response") for m in messages]
    (record,) = upload_service().statuses(tracker.sender_id, [public_id])
    assert record.case_id is not None


async def test_a_database_failure_is_kind(broken_db: None, monkeypatch: pytest.MonkeyPatch) -> None:
    upload_service.cache_clear()
    try:
        events, messages = await run(
            tracker_with("/upload_files", metadata={"upload_ids": ["up_x"]})
        )
    finally:
        upload_service.cache_clear()
    assert events == []
    assert [m.get("response") for m in messages] == ["utter_files_unavailable"]
    assert "not lost" in messages[0]["text"]
