"""Uploads in the chat: how to send files, and the verdicts of the checks the web app ran.

The web app inspects uploads in the background. This action waits a few seconds at most (Rasa
holds the conversation's lock meanwhile), reports what finished and schedules a reminder to
report the rest.

What the files say is compared with what the patient said (bot.guidance.situation): the files
decide the exam and body part, and a difference is said in plain words with a question.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, ReminderScheduled, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.actions.letters import compared_with_the_request, follow_up_note_link
from bot.actions.slots import said_so_far, slot_text
from bot.cases import StorageUnavailable
from bot.cases.runtime import case_service
from bot.config import Settings
from bot.guidance.questions import only_pictures
from bot.guidance.situation import (
    Picture,
    Said,
    build_picture,
    mismatch_choices,
    mismatch_message,
)
from bot.guidance.uploads import (
    MAX_FOLLOW_UPS,
    UploadState,
    next_step_message,
    report_uploads,
    still_checking_message,
    taking_long_message,
)
from bot.imaging import conversation_summary
from bot.notify.telegram.ids import is_telegram
from bot.security.tokens import issue_token
from bot.uploads.runtime import upload_service

CHECKED_INTENT = "EXTERNAL_uploads_checked"
WAIT_SECONDS = 4.0
POLL_SECONDS = 0.25
FOLLOW_UP_SECONDS = 5
LINK_TTL_SECONDS = 24 * 3600


def requested_upload_ids(tracker: Tracker) -> list[str]:
    """Ids from the message's metadata (widget, Telegram bridge) or a reminder's entity."""
    metadata = tracker.latest_message.get("metadata") or {}
    ids = metadata.get("upload_ids") if isinstance(metadata, dict) else None
    if isinstance(ids, str):
        ids = [ids]
    found = [str(i) for i in ids or [] if isinstance(i, str | int)]
    for entity in tracker.latest_message.get("entities") or []:
        if entity.get("entity") == "upload_ids" and entity.get("value"):
            found += [part for part in str(entity["value"]).split(",") if part]
    return list(dict.fromkeys(found))[:100]


def how_to_upload(tracker: Tracker, dispatcher: CollectingDispatcher) -> None:
    """The widget has its paperclip button; elsewhere a private upload page, bound to this
    conversation by its token."""
    if tracker.get_latest_input_channel() == "socketio":
        dispatcher.utter_message(response="utter_how_to_upload_widget")
        return
    settings = Settings.load()
    token = issue_token(settings.secret_key, tracker.sender_id, "link", LINK_TTL_SECONDS)
    dispatcher.utter_message(
        response="utter_upload_link", link=f"{settings.public_url}/upload?token={token}"
    )


class ActionHandleUploads(Action):
    def name(self) -> str:
        return "action_handle_uploads"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        ids = requested_upload_ids(tracker)
        is_follow_up = tracker.latest_message.get("intent", {}).get("name") == CHECKED_INTENT
        if not ids:
            if is_follow_up:
                return []
            # "The portal only gives me JPEGs, can I send those?" is answered, not given a link.
            if only_pictures(tracker.latest_message.get("text")):
                dispatcher.utter_message(response="utter_pictures_not_enough")
                note = await asyncio.to_thread(follow_up_note_link, tracker, ["dicom"])
                if note:
                    dispatcher.utter_message(response="utter_pictures_note", link=note)
            else:
                how_to_upload(tracker, dispatcher)
            return []
        try:
            states = await wait_for_checks(tracker.sender_id, ids)
        except StorageUnavailable:
            dispatcher.utter_message(response="utter_files_unavailable")
            return []
        if not states:
            if not is_follow_up:
                dispatcher.utter_message(response="utter_uploads_not_found")
            return []
        already = set(tracker.get_slot("reported_upload_ids") or [])
        report = report_uploads(states, already)
        if not report.messages and not report.still_running and not is_follow_up:
            # The same upload announced again (a resent message, a second tab): the verdicts
            # again, never silence.
            again = report_uploads(states, set()).messages
            if again:
                dispatcher.utter_message(response="utter_uploads_already_checked")
            for message in again:
                dispatcher.utter_message(text=message)
        for message in report.messages:
            dispatcher.utter_message(text=message)
        events: list[EventType] = []
        if report.newly_reported:
            already |= set(report.newly_reported)
            events.append(SlotSet("reported_upload_ids", sorted(already)))
            events += await self.next_steps(dispatcher, tracker)
        events += self.follow_up(dispatcher, tracker, report.still_running, is_follow_up)
        return events

    async def next_steps(
        self, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> list[EventType]:
        """What is still missing across all of the conversation's uploads, and the case."""
        records = await asyncio.to_thread(upload_service().for_conversation, tracker.sender_id)
        verdicts = [r.verdict for r in records if r.verdict]
        summary = conversation_summary(verdicts)
        picture = self.picture(tracker, summary.exam_type, summary.body_part)
        # Files beat chat for what was scanned: a case opened now records the files' exam.
        events: list[EventType] = [
            SlotSet(slot, fact.files)
            for slot, fact in (("exam_type", picture.exam_type), ("body_part", picture.body_part))
            if summary.has_images and fact.files and fact.files != slot_text(tracker, slot)
        ]
        # One upload's own verdict already says what is missing; across several, say it again.
        if len(verdicts) > 1 and summary.message:
            dispatcher.utter_message(text=summary.message)
        against_request = await asyncio.to_thread(compared_with_the_request, tracker)
        if against_request:
            dispatcher.utter_message(text=against_request)
        mismatch = mismatch_message(picture) if summary.has_images else None
        if mismatch:
            dispatcher.utter_message(text=mismatch, buttons=mismatch_choices(picture))
        advice = next_step_message(summary.has_images, picture)
        if advice:
            dispatcher.utter_message(text=advice)
        if not summary.has_images and not summary.has_report:
            return events
        if slot_text(tracker, "case_number"):
            attached = await asyncio.to_thread(
                case_service().attach_uploads, tracker.sender_id
            )
            if attached:
                dispatcher.utter_message(response="utter_files_added_to_case")
        elif not mismatch:  # which study it is for comes first
            dispatcher.utter_message(response="utter_offer_case_for_files")
        return events

    @staticmethod
    def picture(tracker: Tracker, files_exam: str | None, files_part: str | None) -> Picture:
        """What the patient said (their messages; else, before any files, the slots) and the
        files' exam."""
        said = said_so_far(tracker)
        if not tracker.get_slot("reported_upload_ids"):
            # Slots filled by buttons or carried from an earlier session, never by files yet.
            said = Said(
                exam_type=slot_text(tracker, "exam_type"),
                body_part=slot_text(tracker, "body_part"),
            ).then(said)
        said = replace(said, age_group=said.age_group or slot_text(tracker, "age_group"))
        return build_picture(said, files_exam, files_part)

    def follow_up(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        running: tuple[str, ...],
        is_follow_up: bool,
    ) -> list[EventType]:
        if not running:
            return [SlotSet("upload_follow_ups", 0)]
        if is_telegram(tracker.sender_id):
            # No reminder: its reply would go back to the bridge's REST call that is long over
            # and be lost, while marking the verdict as told. The web app announces each
            # Telegram upload when its check finishes and delivers the reply (bot.notify.uploads).
            if not is_follow_up:
                dispatcher.utter_message(text=still_checking_message(len(running)))
            return [SlotSet("upload_follow_ups", 0)]
        count = int(tracker.get_slot("upload_follow_ups") or 0) if is_follow_up else 0
        if count >= MAX_FOLLOW_UPS:
            dispatcher.utter_message(text=taking_long_message())
            return [SlotSet("upload_follow_ups", 0)]
        if not is_follow_up:
            dispatcher.utter_message(text=still_checking_message(len(running)))
        return [
            SlotSet("upload_follow_ups", count + 1),
            ReminderScheduled(
                CHECKED_INTENT,
                trigger_date_time=datetime.now(UTC) + timedelta(seconds=FOLLOW_UP_SECONDS),
                entities=[{"entity": "upload_ids", "value": ",".join(running)}],
                name=f"uploads-{running[0]}",
                kill_on_user_message=False,
            ),
        ]


async def wait_for_checks(conversation_id: str, ids: list[str]) -> list[UploadState]:
    """The uploads' states, waiting up to WAIT_SECONDS for running checks to finish."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        records = await asyncio.to_thread(upload_service().statuses, conversation_id, ids)
        states = [UploadState(r.public_id, r.status, r.verdict) for r in records]
        if all(s.status not in ("receiving", "pending", "checking") for s in states):
            return states
        if time.monotonic() >= deadline:
            return states
        await asyncio.sleep(POLL_SECONDS)
