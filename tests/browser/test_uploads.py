"""Uploads from the widget: files, a folder, drag and drop, limits, cancel, isolation."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Route, WebSocket, expect

from bot import imaging
from tests.browser.chat import REPLY_TIMEOUT, Chat
from tests.browser.conftest import SMALL_LIMIT, screenshot
from tests.fixtures import dicom_factory
from tests.integration.stack import Stack

pytestmark = pytest.mark.integration


def sent_frames(page: Page) -> list[str]:
    """What the page sends over its socket.io websocket (to see the message after an upload)."""
    frames: list[str] = []

    def on_socket(ws: WebSocket) -> None:
        def on_frame(payload: str | bytes) -> None:
            frames.append(payload if isinstance(payload, str) else payload.decode())

        ws.on("framesent", on_frame)

    page.on("websocket", on_socket)
    return frames


def upload_message(frames: list[str]) -> dict[str, Any]:
    """The socket.io `user_uttered` event the widget sent after an upload."""
    for frame in frames:
        if frame.startswith("42") and "/upload_files" in frame:
            event, data = json.loads(frame[2:])
            assert event == "user_uttered"
            return dict(data)
    raise AssertionError(f"no /upload_files message among {frames}")


def choose(page: Page, button: str, files: list[Path] | Path) -> None:
    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name=button).click()
    chooser.value.set_files(files)


def test_a_dicom_series_is_uploaded_and_the_bot_answers(
    chat: Chat, stack: Stack, tmp_path: Path
) -> None:
    series = dicom_factory.mr_brain_study(tmp_path / "series", slices=4)
    frames = sent_frames(chat.page)
    chat.open()
    with chat.page.expect_response("**/api/uploads") as answer:
        choose(chat.page, "Attach files", series)
    response = answer.value
    assert response.status == 201, response.text()
    ids = [u["id"] for u in response.json()["uploads"]]
    label = f"I've uploaded {len(series)} files"
    expect(chat.user_messages().last).to_contain_text(label)

    chat.page.wait_for_function("() => window.__secondReadWidget.outbox.length === 0")
    message = upload_message(frames)
    assert message["message"] == "/upload_files"
    assert message["session_id"] == chat.session()["conversation_id"]
    assert message["metadata"]["upload_ids"] == ids
    # The bot replies with the check's verdict, the same one the inspector gives these files.
    verdict = imaging.inspect_files(dicom_factory.source_files(series, tmp_path)).to_dict()
    first_sentence = str(verdict["message"]).split(" — ")[0]  # "I found 1 study: brain MRI …"
    chat.expect_bot(first_sentence, timeout=REPLY_TIMEOUT)
    chat.expect_bot("neuroradiology")  # the next step, read from the files' headers
    screenshot(chat.page, "widget-1280-upload")


def test_a_folder_keeps_its_relative_paths(chat: Chat, tmp_path: Path) -> None:
    files = dicom_factory.cd_folder(tmp_path)
    chat.open()
    with chat.page.expect_response("**/api/uploads") as answer:
        choose(chat.page, "Choose a folder", tmp_path / "CD")
    assert answer.value.status == 201, answer.value.text()
    assert answer.value.request.header_value("authorization") == (
        f"Bearer {chat.session()['token']}"
    )
    upload = answer.value.json()["uploads"][0]
    assert upload["files"] == len(files)
    expect(chat.user_messages().last).to_contain_text(f"I've uploaded {len(files)} files")
    # The server kept each file's place in the folder ("CD/DICOMDIR", "CD/PT000000/...").
    details = chat.fetch(f"/api/uploads/{upload['id']}", chat.session()["token"])
    assert sorted(details["body"]["paths"]) == sorted(
        path.relative_to(tmp_path).as_posix() for path in files
    )


def test_drag_and_drop(chat: Chat) -> None:
    chat.open()
    with chat.page.expect_response("**/api/uploads") as answer:
        chat.page.evaluate(DROP, "report.pdf")
    assert answer.value.status == 201
    expect(chat.user_messages().last).to_contain_text("I've uploaded 1 file")


# Drops one small file on the chat panel, as a desktop drag and drop would.
DROP = """name => {
  const panel = document.querySelector(".sr-panel");
  const transfer = new DataTransfer();
  transfer.items.add(new File(["%PDF-1.4\\n%%EOF\\n"], name, {type: "application/pdf"}));
  for (const type of ["dragenter", "dragover", "drop"]) {
    panel.dispatchEvent(new DragEvent(type, {dataTransfer: transfer, bubbles: true,
                                             cancelable: true}));
  }
}"""


def big_file(tmp_path: Path) -> Path:
    path = tmp_path / "scan.dcm"
    path.write_bytes(b"\0" * (SMALL_LIMIT + 150 * 1024))
    return path


def test_too_large_is_refused_before_uploading(
    browser: Browser, small_limit_web: str, tmp_path: Path
) -> None:
    context = browser.new_context()
    try:
        chat = Chat(context.new_page(), small_limit_web).open()
        requests: list[str] = []
        chat.page.on("request", lambda r: requests.append(r.url) if "/api/uploads" in r.url else 0)
        choose(chat.page, "Attach files", big_file(tmp_path))
        alert = chat.page.get_by_role("alert")
        expect(alert).to_contain_text("These files are 406 KB in total")
        expect(alert).to_contain_text("you can send up to 256 KB at once")
        assert requests == []  # the widget knew the limit and sent nothing
        chat.page.get_by_role("button", name="Dismiss").click()
        expect(alert).to_have_count(0)
        expect(chat.input).to_be_focused()
    finally:
        context.close()


def test_too_large_gets_the_servers_explanation(
    browser: Browser, small_limit_web: str, tmp_path: Path
) -> None:
    context = browser.new_context()
    try:
        page = context.new_page()

        def without_limits(route: Route) -> None:  # a widget that does not know the limit
            response = route.fetch()
            body = response.json()
            body.pop("upload_limits", None)
            route.fulfill(response=response, json=body)

        page.route("**/api/sessions", without_limits)
        Chat(page, small_limit_web).open()
        with page.expect_response("**/api/uploads") as answer:
            choose(page, "Attach files", big_file(tmp_path))
        assert answer.value.status == 413
        message = answer.value.json()["message"]
        expect(page.get_by_role("alert").get_by_role("paragraph")).to_have_text(message)
        assert "256 KB" in message
        screenshot(page, "widget-1280-too-large")
    finally:
        context.close()


def test_an_upload_can_be_cancelled(chat: Chat, tmp_path: Path) -> None:
    chat.page.route("**/api/uploads", lambda route: None)  # the server never answers
    chat.open()
    series = dicom_factory.ct_series(tmp_path, slices=3, rows=16, cols=16)
    choose(chat.page, "Attach files", series)
    progress = chat.page.get_by_role("progressbar", name="Uploading 3 files")
    expect(progress).to_be_visible()
    chat.page.get_by_role("button", name="Cancel upload").click()
    expect(progress).to_have_count(0)
    expect(chat.log.locator(".sr-notice").last).to_have_text("Upload cancelled.")
    expect(chat.user_messages()).to_have_count(0)  # nothing was sent to the bot


def test_another_visitor_cannot_see_my_uploads(browser: Browser, stack: Stack) -> None:
    first_context, second_context = browser.new_context(), browser.new_context()
    try:
        first = Chat(first_context.new_page(), stack.web_url).open()
        with first.page.expect_response("**/api/uploads") as answer:
            first.page.evaluate(DROP, "report.pdf")
        upload_id = answer.value.json()["uploads"][0]["id"]
        mine = first.session()
        assert first.fetch(f"/api/uploads/{upload_id}", mine["token"])["status"] == 200

        second = Chat(second_context.new_page(), stack.web_url).open()
        theirs = second.session()
        # Another conversation's upload is answered like an unknown one: nothing leaks.
        assert second.fetch(f"/api/uploads/{upload_id}", theirs["token"])["status"] in (403, 404)
        listing = second.fetch("/api/uploads", theirs["token"])
        assert listing == {"status": 200, "body": {"uploads": []}}
        assert second.fetch(f"/api/uploads/{upload_id}", "")["status"] == 401
    finally:
        first_context.close()
        second_context.close()
