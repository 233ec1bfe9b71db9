"""Journey 2, done for the patient: the written records request, ready to print and sign.

The letter form asks only what the letter cannot do without: the imaging center's name and how
the copies should come. Name, date of birth and contact are reused only when the patient already
gave them for a case (with consent); otherwise the letter leaves blank lines to fill in by hand,
so writing a letter never collects personal details on its own. The letter is stored encrypted
and offered as a token-bound download (PDF, Letter or A4, and text).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.actions.slots import first_text, said_so_far, slot_text
from bot.config import Settings
from bot.guidance import questions
from bot.guidance.records_letter import LetterFields, parse_delivery
from bot.guidance.vocabulary import describe_scan
from bot.letters.store import save_letter
from bot.security.tokens import issue_token

LINK_TTL_SECONDS = 7 * 24 * 3600


class ValidateLetterForm(FormValidationAction):
    def name(self) -> str:
        return "validate_letter_form"

    async def validate_imaging_center(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = (first_text(value) or "").strip()
        if questions.question_reply(text) is not None and not questions.starts_with_answer(text):
            dispatcher.utter_message(response=questions.question_reply(text))
            return {"imaging_center": None}
        if not 2 <= len(text) <= 120 or text.startswith("/"):
            dispatcher.utter_message(
                text="Please type the name of the imaging center or hospital that did the scan "
                '(for example "Harbor Imaging, Salem").'
            )
            return {"imaging_center": None}
        return {"imaging_center": text}

    async def validate_letter_delivery(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        delivery = parse_delivery(first_text(value))
        if delivery is None:
            dispatcher.utter_message(
                text="Please pick one: a download link, a CD or DVD, a USB drive, or sent "
                "directly to the second-opinion service."
            )
        return {"letter_delivery": delivery}


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


class ActionWriteLetter(Action):
    """Store the letter and send the download links with what to do next."""

    def name(self) -> str:
        return "action_write_letter"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        settings = Settings.load()
        fields = letter_fields(tracker)
        try:
            save_letter(settings, tracker.sender_id, fields)
        except OSError:
            dispatcher.utter_message(
                text="I'm sorry, I couldn't save your letter just now. Please try again in a "
                "few minutes, or ask the center for its records request form."
            )
            return []
        token = issue_token(settings.secret_key, tracker.sender_id, "letter", LINK_TTL_SECONDS)
        base = f"{settings.public_url}/letters"
        blanks = [] if fields.patient_name else ["your name, date of birth and contact"]
        if not fields.exam:
            blanks.append("the exam")
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
        )
        dispatcher.utter_message(
            text="If the center will send the images straight to a second-opinion radiologist, "
            "it may ask for your written authorization instead. Here it is, with everything "
            f"the law requires: {base}/authorization.pdf?token={token}",
            buttons=[{"title": "Open a second-opinion case", "payload": "/open_case"}],
        )
        return [SlotSet("letter_written_on", date.today().isoformat())]
