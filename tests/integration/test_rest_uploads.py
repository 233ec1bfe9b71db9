"""Uploads end to end: the web app's upload API, its background check, and the verdict in the
chat through Rasa's REST channel (the real Rasa server, action server and web app)."""

from __future__ import annotations

import secrets
import time
from pathlib import Path

import httpx
import pytest

from bot.security.tokens import issue_token
from tests.fixtures import dicom_factory
from tests.integration.stack import Stack

pytestmark = pytest.mark.integration


def new_sender() -> str:
    return f"rest-{secrets.token_hex(6)}"


def upload(
    stack: Stack, sender: str, files: list[tuple[str, bytes]], scope: str = "conversation"
) -> httpx.Response:
    token = issue_token(stack.secret_key, sender, scope, 600)
    return httpx.post(
        f"{stack.web_url}/api/uploads",
        files=[("file", (name, data, "application/octet-stream")) for name, data in files],
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )


def folder_files(paths: list[Path], root: Path) -> list[tuple[str, bytes]]:
    return [(path.relative_to(root).as_posix(), path.read_bytes()) for path in paths]


def texts(replies: list[dict]) -> str:
    return "\n".join(str(reply.get("text", "")) for reply in replies)


def test_a_cd_folder_and_the_report_get_a_verdict_in_the_chat(
    stack: Stack, tmp_path: Path
) -> None:
    sender = new_sender()
    files = folder_files(dicom_factory.cd_folder(tmp_path), tmp_path)
    files.append(("report.pdf", dicom_factory.text_pdf_bytes()))
    response = upload(stack, sender, files)
    assert response.status_code == 201, response.text
    ids = [item["id"] for item in response.json()["uploads"]]

    replies = stack.say(sender, "/upload_files", metadata={"upload_ids": ids})

    said = texts(replies)
    assert "I found 1 study" in said
    assert "viewer" in said.lower()
    assert "Open a case with these files" in [
        button["title"] for reply in replies for button in reply.get("buttons", [])
    ]
    slots = stack.tracker(sender)["slots"]
    assert slots["reported_upload_ids"] == ids


def test_files_sent_in_the_middle_of_a_form_are_reported_and_the_form_goes_on(
    stack: Stack, tmp_path: Path
) -> None:
    # The form's own validation reports them (bot/actions/form_validation.py): Rasa neither
    # rejects the form step nor drops the form.
    sender = new_sender()
    assert "What kind of exam" in texts(stack.say(sender, "/ask_worthwhile"))
    paths = dicom_factory.mr_brain_study(tmp_path / "mr")
    response = upload(stack, sender, folder_files(paths, tmp_path))
    assert response.status_code == 201, response.text
    ids = [item["id"] for item in response.json()["uploads"]]

    said = texts(stack.say(sender, "/upload_files", metadata={"upload_ids": ids}))

    assert "I found 1 study" in said
    # The files answered the exam and the body part: the form asks what is left.
    assert said.rstrip().endswith("Which of these best describes your situation?")
    tracker = stack.tracker(sender)
    assert tracker["active_loop"]["name"] == "worthwhile_form"
    assert tracker["slots"]["exam_type"] == "mri"
    assert tracker["slots"]["requested_slot"] == "situation"
    events = tracker["events"]
    upload_turn = max(i for i, e in enumerate(events) if e["event"] == "user")
    ran = [e["name"] for e in events[upload_turn:] if e["event"] == "action"]
    assert ran == ["worthwhile_form", "action_listen"]  # no action_handle_uploads around it
    answer = texts(stack.say(sender, '/inform{"situation":"complex_diagnosis"}'))
    assert "second" in answer.lower()
    assert stack.tracker(sender)["active_loop"] in (None, {}, {"name": None})


def test_a_zip_from_the_portal(stack: Stack, tmp_path: Path) -> None:
    sender = new_sender()
    paths = dicom_factory.mr_brain_study(tmp_path / "mr")
    archive = dicom_factory.zip_folder(tmp_path, paths, tmp_path / "mr")
    response = upload(stack, sender, [("portal-download.zip", archive.read_bytes())])
    assert response.status_code == 201, response.text
    ids = [item["id"] for item in response.json()["uploads"]]

    said = texts(stack.say(sender, "/upload_files", metadata={"upload_ids": ids}))

    assert "I found 1 study" in said
    assert "MRI" in said
    # The headers feed the subspecialty suggestion.
    assert "Neuroradiology" in said or "neuroradiology" in said
    assert stack.tracker(sender)["slots"]["exam_type"] == "mri"


def test_a_zip_bomb_is_refused_kindly_and_nothing_crashes(stack: Stack, tmp_path: Path) -> None:
    sender = new_sender()
    bomb = dicom_factory.zip_bomb(tmp_path)
    response = upload(stack, sender, [("scans.zip", bomb.read_bytes())])
    assert response.status_code == 201, response.text
    ids = [item["id"] for item in response.json()["uploads"]]

    replies = stack.say(sender, "/upload_files", metadata={"upload_ids": ids})

    said = texts(replies).lower()
    assert "zip" in said
    assert "I found 1 study" not in texts(replies)
    # The conversation goes on.
    assert stack.say(sender, "hello")


def test_a_pdf_report_alone_asks_for_the_images(stack: Stack) -> None:
    sender = new_sender()
    response = upload(stack, sender, [("report.pdf", dicom_factory.text_pdf_bytes())])
    ids = [item["id"] for item in response.json()["uploads"]]

    said = texts(stack.say(sender, "/upload_files", metadata={"upload_ids": ids}))

    assert "report" in said.lower()
    assert "image" in said.lower()


def test_without_files_the_rest_channel_gets_an_upload_link_that_works(
    stack: Stack, tmp_path: Path
) -> None:
    sender = new_sender()
    said = texts(stack.say(sender, "how do I send you my scans?"))
    assert f"{stack.web_url}/upload?token=" in said
    link = said.split(f"{stack.web_url}/upload?token=")[1].split()[0]

    page = httpx.get(f"{stack.web_url}/upload", params={"token": link}, timeout=30)
    assert page.status_code == 200

    paths = dicom_factory.ct_series(tmp_path / "ct", slices=4, rows=16, cols=16)
    response = httpx.post(
        f"{stack.web_url}/api/uploads",
        params={"token": link},
        files=[("file", (p.name, p.read_bytes(), "application/dicom")) for p in paths],
        timeout=60,
    )
    assert response.status_code == 201, response.text
    (upload_id,) = [item["id"] for item in response.json()["uploads"]]

    # No chat message follows an upload-page upload: the web app wakes the conversation up.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        tracker = stack.tracker(sender)
        if upload_id in (tracker["slots"].get("reported_upload_ids") or []):
            break
        time.sleep(0.5)
    else:
        raise AssertionError("the upload was never announced in the conversation")
    bot_texts = [e.get("text") or "" for e in tracker["events"] if e["event"] == "bot"]
    assert any(text.startswith("I found 1 study") for text in bot_texts)


def test_another_conversations_upload_ids_reveal_nothing(stack: Stack, tmp_path: Path) -> None:
    owner, intruder = new_sender(), new_sender()
    response = upload(stack, owner, [("report.pdf", dicom_factory.text_pdf_bytes())])
    ids = [item["id"] for item in response.json()["uploads"]]

    said = texts(stack.say(intruder, "/upload_files", metadata={"upload_ids": ids}))

    assert "couldn't find those files" in said
    assert "study" not in said and "PDF" not in said
