"""Journey 2, done for the patient: the written records request, ready to print and sign.

The letter form asks only what the letter cannot do without: the imaging center's name and how
the copies should come. Name, date of birth and contact are reused only when the patient already
gave them for a case (with consent); otherwise the letter leaves blank lines to fill in by hand,
so writing a letter never collects personal details on its own. The letter is stored encrypted
and offered as a token-bound download (PDF, Letter or A4, and text; on Telegram the PDF also
comes as a document). The request is recorded (bot/letters/requests.py) so the web app follows
up at day 10 and day 30; `action_records_follow_up` words those follow-ups.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import date, timedelta

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.actions.slots import said_so_far, slot_text
from bot.config import Settings
from bot.db import StorageUnavailable
from bot.guidance import questions
from bot.guidance.deliveries import missing_from_delivery
from bot.guidance.records_followup import (
    FOLLOW_UP_DAYS,
    Arrival,
    ask_again_for,
    day_10_message,
    day_30_message,
    still_missing_sentence,
)
from bot.guidance.records_letter import LetterFields
from bot.guidance.vocabulary import describe_scan
from bot.imaging.verdict import Verdict
from bot.letters.requests import records_requests
from bot.letters.store import load_letter, save_letter
from bot.notify.telegram.ids import is_telegram
from bot.security.tokens import issue_token
from bot.uploads.runtime import upload_service

LINK_TTL_SECONDS = 7 * 24 * 3600
FOLLOW_UP_PROMISE = (
    "\nI'll check in with you here in 10 days to ask whether the images and report have "
    "arrived, and again at 30 days (the deadline the law gives the center) if they haven't."
)


REMIND_ME_HERE = "Remind me here when I come back"
REMIND_ME_PROMISE = (
    f'\nIf this is your own device, press "{REMIND_ME_HERE}": this chat then stays here, and '
    "when you open it after day 10 I'll ask whether everything has arrived."
)


def follow_up_dates(today: date) -> str:
    """For the widget, whose chat may be closed by then: the dates, for the patient's calendar."""
    day10, day30 = (today + timedelta(days=days) for days in FOLLOW_UP_DAYS)
    return (
        f"\nFor your calendar: if nothing has arrived by {day10:%B} {day10.day}, call their "
        f"medical records department. {day30:%B} {day30.day} is their legal deadline; if they "
        'haven\'t sent everything by then, come back and tell me "they haven\'t sent my '
        'records" and I\'ll help with the next step.'
    )


def letter_fields(tracker: Tracker) -> LetterFields:
    """What the letter can say from this conversation; personal details only from a case."""
    said = said_so_far(tracker)
    consented = slot_text(tracker, "case_consent") == "yes"
    born = slot_text(tracker, "date_of_birth") if consented else None
    exam = describe_scan(said.exam_type or slot_text(tracker, "exam_type"),
                         said.body_part or slot_text(tracker, "body_part"))
    return LetterFields(
        patient_name=(slot_text(tracker, "full_name") or "") if consented else "",
        date_of_birth=date.fromisoformat(born) if born else None,
        contact=(slot_text(tracker, "contact") or "") if consented else "",
        center_name=slot_text(tracker, "imaging_center") or "",
        exam="" if exam == "scan" else exam,
        delivery=slot_text(tracker, "letter_delivery") or "portal",
    )


def with_the_files(fields: LetterFields, conversation_id: str) -> LetterFields:
    """The exam dates (and the exam, if the chat did not say) from the DICOM headers of what
    was already uploaded: the center finds the study by its date."""
    try:
        records = upload_service().for_conversation(conversation_id)
    except StorageUnavailable:
        return fields
    studies = [s for r in records if r.verdict for s in Verdict.from_dict(r.verdict).studies]
    dates = tuple(sorted({s.date for s in studies if s.date}))[-5:]
    exam = fields.exam
    if not exam and studies:
        described = describe_scan(studies[-1].exam_type, studies[-1].body_part)
        exam = "" if described == "scan" else described
    return replace(fields, exam=exam, exam_dates=dates or fields.exam_dates)


class ActionWriteLetter(Action):
    """Store the letter and send the download links with what to do next."""

    def name(self) -> str:
        return "action_write_letter"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        settings = Settings.load()
        # The database and the letter store off the event loop, which other chats share.
        fields = await asyncio.to_thread(with_the_files, letter_fields(tracker), tracker.sender_id)
        try:
            await asyncio.to_thread(save_letter, settings, tracker.sender_id, fields)
        except OSError:
            dispatcher.utter_message(response="utter_letter_not_saved")
            return []
        token = issue_token(settings.secret_key, tracker.sender_id, "letter", LINK_TTL_SECONDS)
        base = f"{settings.public_url}/letters"
        follows_up = await asyncio.to_thread(record_request, tracker, fields)
        blanks = [] if fields.patient_name else ["your name, date of birth and contact"]
        if not fields.exam:
            blanks.append("the exam")
        if not fields.exam_dates:
            blanks.append("the exam date(s)")
        dispatcher.utter_message(
            text=f"I've written your records request to {fields.center_name}. It asks for the "
            "complete DICOM images, the signed report and earlier scans for comparison, and "
            "cites your HIPAA right of access (a reply within 30 days, no search fee).\n"
            f"- Printable PDF: {base}/request.pdf?token={token}\n"
            f"- A4 paper: {base}/request.pdf?token={token}&paper=a4\n"
            f"- Text to paste into a portal message or email: {base}/request.txt?token={token}\n"
            f"Fill in {', '.join(blanks)}, sign and date it, and keep a copy. The links work for "
            "7 days; please don't share them."
            + self.follow_up_note(tracker, follows_up)
        )
        if is_telegram(tracker.sender_id):
            # Telegram fetches the PDF from the link and shows it as a document in the chat
            # (the bridge sends the link itself if Telegram cannot reach it).
            dispatcher.utter_message(
                response="utter_letter_pdf", attachment=f"{base}/request.pdf?token={token}"
            )

        # The response's own button (open a case) comes first, then the widget's reminder.
        dispatcher.utter_message(
            response="utter_letter_authorization",
            link=f"{base}/authorization.pdf?token={token}",
            buttons=self.remind_me_here(tracker, follows_up),
        )
        return [SlotSet("letter_written_on", date.today().isoformat())]

    @staticmethod
    def remind_me_here(tracker: Tracker, recorded: bool) -> list[dict[str, str]]:
        """The widget's own button (its payload never reaches the bot): it keeps this chat on
        the patient's device until the follow-ups are over, so the next visit opens it again."""
        if recorded and tracker.get_latest_input_channel() == "socketio":
            return [{"title": REMIND_ME_HERE, "payload": "widget:remember"}]
        return []

    @staticmethod
    def follow_up_note(tracker: Tracker, recorded: bool) -> str:
        # Telegram can write first; a widget chat is seen again only if the patient returns.
        if recorded and is_telegram(tracker.sender_id):
            return FOLLOW_UP_PROMISE
        if ActionWriteLetter.remind_me_here(tracker, recorded):
            return follow_up_dates(date.today()) + REMIND_ME_PROMISE
        return follow_up_dates(date.today())


def follow_up_note_link(tracker: Tracker, missing: list[str]) -> str | None:
    """A token-bound link to the wrong-delivery note; the conversation's letter fields are
    stored first when no letter was written yet. None when storage fails (the advice stands)."""
    settings = Settings.load()
    try:
        if load_letter(settings, tracker.sender_id) is None:
            save_letter(settings, tracker.sender_id, letter_fields(tracker))
    except OSError:
        return None
    token = issue_token(settings.secret_key, tracker.sender_id, "letter", LINK_TTL_SECONDS)
    query = "&".join(f"missing={m}" for m in missing)
    return f"{settings.public_url}/letters/follow-up.pdf?token={token}&{query}"


def record_request(tracker: Tracker, fields: LetterFields) -> bool:
    """Start the follow-up clock; False (the letter stands, no follow-ups) if the database is
    unavailable."""
    channel = tracker.get_latest_input_channel() or "unknown"
    try:
        records_requests().record(tracker.sender_id, channel, fields.center_name, fields.exam)
    except StorageUnavailable:
        return False
    return True


def compared_with_the_request(tracker: Tracker) -> str | None:
    """After an upload: what the files since the records request hold against it, with the
    note for the center when the images or the report are missing. None without a request."""
    try:
        status = records_requests().status(tracker.sender_id)
    except StorageUnavailable:
        return None
    if status is None or not status.arrived.anything:
        return None
    center = status.center_name or "the imaging center"
    text = f"Compared with your records request to {center}: "
    return text + still_missing_sentence(status.arrived) + note_for_what_is_missing(tracker,
                                                                                   status.arrived)


def note_for_what_is_missing(tracker: Tracker, arrived: Arrival) -> str:
    """The follow-up note's link when what arrived lacks the images or the report, else ""."""
    wrong = [key for key in arrived.missing if key in ("dicom", "report")]
    note = follow_up_note_link(tracker, wrong) if wrong and arrived.anything else None
    return f"\nHere is a short note for the center naming what is missing: {note}" if note else ""


FOLLOW_UP_BUTTONS = {
    "day10": [
        {"title": "Yes, send my files", "payload": "/upload_files"},
        {"title": "Not yet", "payload": "/records_delay"},
    ],
    "day30": [
        {"title": "Open a second-opinion case", "payload": "/open_case"},
        {"title": "Talk to a person", "payload": "/human_handoff"},
    ],
}


class ActionRecordsFollowUp(Action):
    """Day 10 or day 30 after the records request (triggered by the web app's scheduler)."""

    def name(self) -> str:
        return "action_records_follow_up"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        step = next(
            (
                str(e.get("value"))
                for e in tracker.latest_message.get("entities") or []
                if e.get("entity") == "follow_up_step"
            ),
            "",
        )
        try:
            status = await asyncio.to_thread(records_requests().status, tracker.sender_id)
        except StorageUnavailable:
            status = None
        if status is None or step not in FOLLOW_UP_BUTTONS:
            return []  # the request was erased or rewritten meanwhile: nothing to say
        requested_on = status.requested_at.date()
        if step == "day10":
            text = day_10_message(status.center_name, requested_on, status.arrived)
            text += await asyncio.to_thread(note_for_what_is_missing, tracker, status.arrived)
        else:
            text = day_30_message(status.center_name, requested_on)
        dispatcher.utter_message(text=text, buttons=FOLLOW_UP_BUTTONS[step])
        return []


async def wrong_delivery_reply(
    tracker: Tracker, dispatcher: CollectingDispatcher, buttons: list[dict[str, str]]
) -> bool:
    """When the patient says what the center sent wrong or left out: the note asking for it
    (True). False, and nothing said, when the message names nothing missing."""
    missing = missing_from_delivery(tracker.latest_message.get("text"))
    if not missing:
        return False
    wanted = ask_again_for(missing)
    link = await asyncio.to_thread(follow_up_note_link, tracker, list(missing))
    if link is None:
        dispatcher.utter_message(response="utter_wrong_delivery", wanted=wanted, buttons=buttons)
    else:
        dispatcher.utter_message(
            response="utter_wrong_delivery_note", wanted=wanted, link=link, buttons=buttons
        )
    return True


class ActionRecordsDelay(Action):
    """The center is slow or sent the wrong thing: the note naming what is missing when the
    patient says what it is; how to ask (on the center's form) when they ask which form the
    center wants; otherwise what to do about the delay."""

    def name(self) -> str:
        return "action_records_delay"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if await wrong_delivery_reply(tracker, dispatcher, WRONG_DELIVERY_BUTTONS):
            return []
        # "They won't release anything until I sign their paperwork, which form is that?" is a
        # question about the request form, not a delay.
        if questions.asks_which_form(tracker.latest_message.get("text")):
            dispatcher.utter_message(response="utter_records_how")
        else:
            dispatcher.utter_message(response="utter_records_delay")
        return []


class ActionRecordsWhat(Action):
    """Getting the records starts with what to ask for; when the patient already received
    something incomplete ("they only gave me JPEGs"), the note for the center comes first."""

    def name(self) -> str:
        return "action_records_what"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        await wrong_delivery_reply(tracker, dispatcher, [])
        dispatcher.utter_message(response="utter_records_what")
        return []


WRONG_DELIVERY_BUTTONS = [
    {"title": "Open a second-opinion case", "payload": "/open_case"},
    {"title": "Talk to a person", "payload": "/human_handoff"},
]
