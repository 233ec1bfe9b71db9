"""Journey 5, done for the patient: two reports pasted into the chat, compared finding by finding.

The form takes report A, then report B, as pasted text (any length) or as a report sent with
the upload button (a PDF's text, or a scan or photo of a printed page read by OCR,
bot/uploads/ocr.py); each is read back to the patient by its impression, so a wrong paste or a
misread picture is caught before comparing. The comparison
(bot/reports/) goes into the chat as a short list with urgency first, and as a full page and a
printable sheet behind a token-bound link (bot/web/comparison_api.py). Nothing says which report
is right; when they differ on something that may change care, the third-opinion route is offered.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.actions.form_validation import FormValidation
from bot.actions.slots import first_text
from bot.actions.uploads import requested_upload_ids, wait_for_checks
from bot.config import Settings
from bot.db import StorageUnavailable
from bot.guidance import questions
from bot.letters.store import save_reports
from bot.reports.compare import compare
from bot.reports.findings import read_report
from bot.reports.summary import changes_care, chat_summary, impression_preview
from bot.reports.summary import looks_like_report as is_a_report
from bot.security.tokens import issue_token
from bot.uploads.runtime import upload_service

LINK_TTL_SECONDS = 7 * 24 * 3600
# The read-back quotes the patient's own report, so it is written here rather than in domain.yml.
READ_FROM_PICTURE = (
    "\nI read this from a picture of the page, so some words may be wrong. If the impression "
    'above isn\'t what your report says, press "Stop" and paste or type the report instead.'
)


@dataclass(frozen=True)
class SentText:
    text: str
    from_picture: bool = False  # read by OCR: the patient checks the read-back impression
WHICH = {"report_a": "first report (A)", "report_b": "second report (B)"}
AGAIN_BUTTONS = [
    {"title": "Compare two other reports", "payload": "/compare_reports"},
    {"title": "Open a second-opinion case", "payload": "/open_case"},
]


class ValidateReportCompareForm(FormValidation):
    answers_uploads = False  # a PDF report sent as an upload is the answer

    def name(self) -> str:
        return "validate_report_compare_form"

    async def validate_report_a(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return await self.validated("report_a", value, dispatcher, tracker)

    async def validate_report_b(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return await self.validated("report_b", value, dispatcher, tracker)

    async def validated(
        self, slot: str, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> dict[str, Any]:
        try:
            sent = await self.text_sent(value, tracker)
        except StorageUnavailable:
            dispatcher.utter_message(response="utter_report_upload_unavailable")
            return {slot: None}
        return self.report(slot, sent, dispatcher)

    @staticmethod
    async def text_sent(value: Any, tracker: Tracker) -> SentText | None:
        """The pasted text, or the text of a PDF report sent as an upload instead; None when
        an upload holds no readable PDF."""
        ids = requested_upload_ids(tracker)
        if not ids:
            return SentText((first_text(value) or "").strip())
        states = await wait_for_checks(tracker.sender_id, ids)
        key = Settings.load().storage_key
        for state in states:
            texts = await asyncio.to_thread(
                upload_service().report_texts, tracker.sender_id, state.public_id, key
            )
            for text, read_from_picture in texts:
                if is_a_report(read_report(text), text):
                    return SentText(text.strip(), read_from_picture)
        return None

    @staticmethod
    def report(
        slot: str, sent: SentText | None, dispatcher: CollectingDispatcher
    ) -> dict[str, Any]:
        if sent is None:
            dispatcher.utter_message(response="utter_no_report_in_upload")
            return {slot: None}
        text = sent.text
        read = read_report(text)
        if not is_a_report(read, text):
            reply = questions.question_reply(text)
            if reply is not None:
                dispatcher.utter_message(response=reply)
            else:
                dispatcher.utter_message(response="utter_not_a_report")
            return {slot: None}
        text = f"I read the {WHICH[slot]}. Its impression, as I read it: " \
            f"\"{impression_preview(read, text)}\""
        if sent.from_picture:
            text += READ_FROM_PICTURE
        dispatcher.utter_message(text=text)
        return {slot: sent.text}


class ActionCompareReports(Action):
    """Compare the two pasted reports; store them for the full page and the printable sheet."""

    def name(self) -> str:
        return "action_compare_reports"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        text_a = str(tracker.get_slot("report_a") or "")
        text_b = str(tracker.get_slot("report_b") or "")
        comparison = compare(read_report(text_a), read_report(text_b))
        summary = chat_summary(comparison)
        settings = Settings.load()
        try:
            save_reports(settings, tracker.sender_id, text_a, text_b)
        except OSError:
            summary += "\n(I couldn't save the full table just now; the list above is complete.)"
        else:
            token = issue_token(settings.secret_key, tracker.sender_id, "letter",
                                LINK_TTL_SECONDS)
            base = f"{settings.public_url}/reports/comparison"
            summary += (
                f"\n- The full table with questions for your doctor: {base}?token={token}\n"
                f"- A sheet to print and bring to your appointment: {base}.pdf?token={token}\n"
                "The links work for 7 days; please don't share them."
            )
        if changes_care(comparison):
            dispatcher.utter_message(text=summary)
            dispatcher.utter_message(response="utter_third_opinion")
        else:
            dispatcher.utter_message(text=summary, buttons=AGAIN_BUTTONS)
        # The texts are kept encrypted for the links; the slots are emptied for a new pair.
        return [SlotSet("report_a", None), SlotSet("report_b", None)]
