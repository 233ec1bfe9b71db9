"""The records-request letter actions with real Trackers."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.letter_form import ValidateLetterForm
from bot.actions.letters import (
    REMIND_ME_HERE,
    ActionRecordsDelay,
    ActionRecordsFollowUp,
    ActionRecordsWhat,
    ActionWriteLetter,
    compared_with_the_request,
    letter_fields,
)
from bot.config import Settings
from bot.letters.requests import records_requests
from bot.letters.store import load_letter
from bot.security.tokens import verify_token
from tests.actions.conftest import (
    make_tracker,
    rendered,
    responses,
    said,
    slot_events,
    user_event,
)


@pytest.fixture
def var_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    return tmp_path


@pytest.mark.parametrize(
    ("text", "expected"),
    [("Harbor Imaging, Salem MA", "Harbor Imaging, Salem MA"), ("x", None), ("/inform", None)],
)
async def test_imaging_center_answers(
    text: str, expected: str | None, dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    tracker = make_tracker(text=text, active_loop="letter_form",
                           slots={"requested_slot": "imaging_center"},
                           set_this_turn={"imaging_center": text})
    events = await ValidateLetterForm().run(dispatcher, tracker, domain)
    assert slot_events(events)["imaging_center"] == expected
    assert responses(dispatcher) == ([] if expected else ["utter_explain_imaging_center"])


async def test_a_question_at_the_center_prompt_is_answered_not_stored(
    dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    text = "why do you need that?"
    tracker = make_tracker(text=text, active_loop="letter_form",
                           slots={"requested_slot": "imaging_center"},
                           set_this_turn={"imaging_center": text})
    events = await ValidateLetterForm().run(dispatcher, tracker, domain)
    assert slot_events(events)["imaging_center"] is None
    assert dispatcher.messages[0]["response"] == "utter_form_help"


@pytest.mark.parametrize(
    ("text", "expected"),
    [('/inform{"letter_delivery":"usb"}', "usb"), ("on a cd please", "cd"), ("hmm", None)],
)
async def test_delivery_answers(
    text: str, expected: str | None, dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    tracker = make_tracker(text=text, active_loop="letter_form",
                           slots={"requested_slot": "letter_delivery"},
                           set_this_turn={"letter_delivery": text})
    events = await ValidateLetterForm().run(dispatcher, tracker, domain)
    assert slot_events(events)["letter_delivery"] == expected
    assert responses(dispatcher) == ([] if expected else ["utter_explain_letter_delivery"])


def test_personal_details_come_only_from_a_consented_case() -> None:
    case = {"full_name": "Janet Quillfeather", "date_of_birth": "1971-08-23",
            "contact": "janet@example.org", "imaging_center": "Harbor Imaging"}
    history = [user_event("my knee MRI from october", "request_records")]
    without = letter_fields(make_tracker(slots=case, history=history))
    assert (without.patient_name, without.date_of_birth, without.contact) == ("", None, "")
    assert without.exam == "knee MRI" and without.center_name == "Harbor Imaging"
    consented = letter_fields(make_tracker(slots={**case, "case_consent": "yes"}))
    assert consented.patient_name == "Janet Quillfeather"
    assert consented.date_of_birth is not None and consented.date_of_birth.year == 1971


async def test_the_letter_is_stored_and_offered_as_token_bound_links(
    case_db: str, dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    tracker = make_tracker(slots={"imaging_center": "Harbor Imaging", "letter_delivery": "cd",
                                  "exam_type": "mri", "body_part": "knee"})
    events = await ActionWriteLetter().run(dispatcher, tracker, domain)
    assert "letter_written_on" in slot_events(events)
    settings = Settings.load()
    stored = load_letter(settings, tracker.sender_id)
    assert stored is not None and stored.center_name == "Harbor Imaging"
    assert stored.delivery == "cd" and stored.exam == "knee MRI"
    text = dispatcher.messages[0]["text"]
    links = re.findall(r"(/letters/\w+\.(?:pdf|txt))\?token=([\w.-]+)", text)
    assert {link for link, _ in links} == {"/letters/request.pdf", "/letters/request.txt"}
    claims = verify_token(settings.secret_key, links[0][1], ("letter",))
    assert claims.conversation_id == tracker.sender_id
    assert "Fill in your name, date of birth and contact" in text
    assert responses(dispatcher) == [None, "utter_letter_authorization"]
    authorization = said(dispatcher, domain, tracker)[1]
    assert authorization.startswith("If the center will send the images straight to a second")
    (link,) = re.findall(r"\S+/letters/authorization\.pdf\?token=([\w.-]+)$", authorization)
    assert verify_token(settings.secret_key, link, ("letter",)).conversation_id == (
        tracker.sender_id
    )
    # The request is recorded, and the patient is told about the follow-ups.
    status = records_requests().status(tracker.sender_id)
    assert status is not None and status.center_name == "Harbor Imaging"
    assert status.exam == "knee MRI" and status.follow_ups_sent == 0
    # A widget chat may be closed by then: the dates for the patient's calendar instead.
    assert "check in" not in text and "For your calendar" in text
    assert not any("attachment" in m and m["attachment"] for m in dispatcher.messages)


async def test_in_the_widget_the_patient_may_ask_to_be_reminded_on_their_next_visit(
    case_db: str, dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    tracker = make_tracker(slots={"imaging_center": "Harbor Imaging", "letter_delivery": "cd"},
                           channel="socketio")
    await ActionWriteLetter().run(dispatcher, tracker, domain)
    assert "For your calendar" in dispatcher.messages[0]["text"]
    assert f'press "{REMIND_ME_HERE}"' in dispatcher.messages[0]["text"]
    buttons = [b["payload"] for m in dispatcher.messages
               for b in rendered(m, domain, tracker).get("buttons") or []]
    assert buttons == ["/open_case", "widget:remember"]


async def test_no_reminder_button_where_it_would_do_nothing(
    case_db: str, dispatcher: CollectingDispatcher, domain: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    slots = {"imaging_center": "Harbor Imaging", "letter_delivery": "cd"}
    # Another channel (REST) has no widget to act on it.
    await ActionWriteLetter().run(dispatcher, make_tracker(slots=slots, channel="rest"), domain)
    # Nor when the request could not be recorded: nothing would follow up.
    monkeypatch.setattr("bot.actions.letters.record_request", lambda *_: False)
    await ActionWriteLetter().run(dispatcher, make_tracker(slots=slots, channel="socketio"), domain)
    buttons = [b["payload"] for m in dispatcher.messages
               for b in rendered(m, domain).get("buttons") or []]
    assert buttons == ["/open_case", "/open_case"]
    assert not any(REMIND_ME_HERE in (m.get("text") or "") for m in dispatcher.messages)


def telegram_tracker(**slots: Any) -> Any:
    tracker = make_tracker(slots=slots)
    tracker.sender_id = "telegram:7001"
    return tracker


async def test_on_telegram_the_pdf_also_comes_as_a_document(
    case_db: str, dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    tracker = telegram_tracker(imaging_center="Harbor Imaging", letter_delivery="portal")
    await ActionWriteLetter().run(dispatcher, tracker, domain)
    (document,) = [m for m in dispatcher.messages if m.get("attachment")]
    assert document["response"] == "utter_letter_pdf"
    assert rendered(document, domain)["text"] == "Your letter (PDF):"  # the bridge's caption
    assert "I'll check in with you here in 10 days" in dispatcher.messages[0]["text"]
    url = document["attachment"]
    assert "/letters/request.pdf?token=" in url
    token = url.split("token=")[1]
    assert verify_token(Settings.load().secret_key, token, ("letter",)).conversation_id == (
        "telegram:7001"
    )


async def test_without_the_database_the_letter_stands_and_no_follow_up_is_promised(
    var_dir: Path, broken_db: None, dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    tracker = telegram_tracker(imaging_center="Harbor Imaging", letter_delivery="cd")
    await ActionWriteLetter().run(dispatcher, tracker, domain)
    assert "/letters/request.pdf" in dispatcher.messages[0]["text"]
    assert "check in" not in dispatcher.messages[0]["text"]


def follow_up_tracker(step: str) -> Any:
    entities = [{"entity": "follow_up_step", "value": step}]
    tracker = make_tracker(text="EXTERNAL: EXTERNAL_records_follow_up",
                           intent="EXTERNAL_records_follow_up")
    tracker.latest_message["entities"] = entities
    return tracker


async def test_day_10_asks_whether_anything_arrived(
    case_db: str, dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    tracker = follow_up_tracker("day10")
    records_requests().record(tracker.sender_id, "socketio", "Harbor Imaging", "")
    assert await ActionRecordsFollowUp().run(dispatcher, tracker, domain) == []
    (message,) = dispatcher.messages
    assert "10 days" in message["text"] and "Harbor Imaging" in message["text"]
    assert [b["payload"] for b in message["buttons"]] == ["/upload_files", "/records_delay"]


async def test_day_30_gives_the_legal_deadline_and_the_complaint_route(
    case_db: str, dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    tracker = follow_up_tracker("day30")
    records_requests().record(tracker.sender_id, "socketio", "Harbor Imaging", "")
    await ActionRecordsFollowUp().run(dispatcher, tracker, domain)
    (message,) = dispatcher.messages
    assert "30 days" in message["text"] and "ocrportal.hhs.gov" in message["text"]


async def test_a_follow_up_of_an_erased_request_says_nothing(
    case_db: str, dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    await ActionRecordsFollowUp().run(dispatcher, follow_up_tracker("day10"), domain)
    assert dispatcher.messages == []


async def test_an_upload_after_the_request_is_compared_with_it(case_db: str) -> None:
    from bot.imaging.verdict import Study, Verdict

    tracker = make_tracker(slots={"imaging_center": "Harbor Imaging"})
    assert compared_with_the_request(tracker) is None  # no request
    records_requests().record(tracker.sender_id, "socketio", "Harbor Imaging", "")
    assert compared_with_the_request(tracker) is None  # nothing uploaded since
    screenshots = Study(date=None, modalities=("OT",), description="", exam_type=None,
                        body_part=None, age_years=None, series_count=1, image_count=0,
                        series=(), screenshots_only=True)
    with_upload(case_db, tracker.sender_id, Verdict(ok=False, message="", studies=(screenshots,)))
    text = compared_with_the_request(tracker)
    assert text is not None
    assert text.startswith("Compared with your records request to Harbor Imaging: Still missing: "
                           "the images in DICOM format")
    assert "the signed report" in text
    assert "/letters/follow-up.pdf?token=" in text and "missing=dicom&missing=report" in text


async def test_the_exam_and_its_dates_come_from_the_uploaded_files(
    case_db: str, dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    from bot.imaging.verdict import Study, Verdict

    tracker = make_tracker(slots={"imaging_center": "Harbor Imaging", "letter_delivery": "cd"})
    head = Study(date=date(2026, 5, 14), modalities=("MR",), description="", exam_type="mri",
                 body_part="brain", age_years=None, series_count=3, image_count=90, series=())
    with_upload(case_db, tracker.sender_id, Verdict(ok=True, message="", studies=(head,)))
    await ActionWriteLetter().run(dispatcher, tracker, domain)
    stored = load_letter(Settings.load(), tracker.sender_id)
    assert stored is not None
    assert stored.exam_dates == (date(2026, 5, 14),) and stored.exam == "brain MRI"
    assert "the exam date(s)" not in dispatcher.messages[0]["text"]


def with_upload(database_url: str, conversation_id: str, verdict: Any) -> None:
    """A checked upload of the conversation, made now (after any records request)."""
    from datetime import UTC, datetime

    from bot.db import make_engine, session_factory
    from tests.letters.test_requests import add_checked_upload

    engine = make_engine(database_url)
    try:
        add_checked_upload(session_factory(engine), conversation_id, datetime.now(UTC), verdict)
    finally:
        engine.dispose()


async def test_a_delivery_without_the_report_gets_the_note_naming_it(
    case_db: str, dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    tracker = make_tracker(text="the disc they mailed has my scan but no report on it",
                           intent="records_delay")
    await ActionRecordsDelay().run(dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_wrong_delivery_note"]
    reply = rendered(dispatcher.messages[0], domain, tracker)
    assert "asking for the signed report, citing" in reply["text"]
    assert [b["payload"] for b in reply["buttons"]] == ["/open_case", "/human_handoff"]
    (link,) = re.findall(r"\S+/letters/follow-up\.pdf\?\S+", reply["text"])
    assert link.endswith("&missing=report")
    token = re.search(r"token=([\w.-]+)", link)
    assert token is not None
    claims = verify_token(Settings.load().secret_key, token.group(1), ("letter",))
    assert claims.conversation_id == tracker.sender_id
    # The note can be downloaded: the conversation's letter fields were stored for it.
    assert load_letter(Settings.load(), tracker.sender_id) is not None


async def test_a_slow_center_gets_the_delay_advice_without_a_note(
    case_db: str, dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    tracker = make_tracker(text="three weeks and still nothing from the hospital",
                           intent="records_delay")
    await ActionRecordsDelay().run(dispatcher, tracker, domain)
    assert [m.get("response") for m in dispatcher.messages] == ["utter_records_delay"]


async def test_getting_records_after_receiving_only_pictures_starts_with_the_note(
    case_db: str, dispatcher: CollectingDispatcher, domain: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    text = "the imaging place only gave me jpegs of my knee mri, what do i ask for"
    await ActionRecordsWhat().run(dispatcher, make_tracker(text=text, intent="request_records"),
                                  domain)
    assert responses(dispatcher) == ["utter_wrong_delivery_note", "utter_records_what"]
    note, _ = (rendered(m, domain) for m in dispatcher.messages)
    assert "DICOM format instead of pictures" in note["text"] and "missing=dicom" in note["text"]
    assert note["buttons"] == []  # the records advice follows
    # When the note cannot be stored, the patient is still told what to ask for.
    monkeypatch.setattr("bot.actions.letters.save_letter", _fail_to_save)
    dispatcher.messages.clear()
    elsewhere = make_tracker(text=text, intent="request_records")
    elsewhere.sender_id = "web-another-conversation"
    await ActionRecordsWhat().run(dispatcher, elsewhere, domain)
    assert responses(dispatcher) == ["utter_wrong_delivery", "utter_records_what"]
    assert "Ask them in writing for the complete images in DICOM format" in (
        said(dispatcher, domain)[0]
    )
    plain = "how do I ask the hospital for my records"
    dispatcher.messages.clear()
    await ActionRecordsWhat().run(dispatcher, make_tracker(text=plain, intent="request_records"),
                                  domain)
    assert [m.get("response") for m in dispatcher.messages] == ["utter_records_what"]


def _fail_to_save(*_args: Any) -> None:
    raise OSError("disk full")


async def test_a_letter_that_cannot_be_stored_is_said_and_nothing_recorded(
    case_db: str, dispatcher: CollectingDispatcher, domain: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("bot.actions.letters.save_letter", _fail_to_save)
    tracker = make_tracker(slots={"imaging_center": "Harbor Imaging", "letter_delivery": "cd"})
    assert await ActionWriteLetter().run(dispatcher, tracker, domain) == []
    assert responses(dispatcher) == ["utter_letter_not_saved"]
    assert records_requests().status(tracker.sender_id) is None


async def test_a_center_that_wants_its_form_signed_gets_how_to_request(
    case_db: str, dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    tracker = make_tracker(
        text="radiology says they need me to fill something out first, what paperwork is it",
        intent="records_delay",
    )
    await ActionRecordsDelay().run(dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_records_how"]
    assert "records release form" in said(dispatcher, domain)[0]
