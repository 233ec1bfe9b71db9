"""Large uploads from the widget go in resumable pieces (tus): a connection cut mid-file and a
page reload both end in one complete, correct upload, sent from where it stopped."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

import pytest
from playwright.sync_api import Request, Route, expect
from sqlalchemy import select

from bot.cases.models import Upload, UploadFile
from bot.db import make_engine, session_factory
from tests.browser.chat import REPLY_TIMEOUT, Chat
from tests.browser.test_uploads import choose
from tests.integration.stack import Stack

pytestmark = pytest.mark.integration
MIB = 1024 * 1024
SIZE = 20 * MIB + 12345  # three 8 MiB pieces, the last one short


def big_scan(tmp_path: Path) -> tuple[Path, str]:
    path = tmp_path / "CT-export.zip"
    data = os.urandom(SIZE)
    path.write_bytes(data)
    return path, hashlib.sha256(data).hexdigest()


def stored_files(stack: Stack, upload_id: str) -> list[tuple[str, int, str]]:
    engine = make_engine(f"sqlite:///{stack.tracker_db}")
    try:
        with session_factory(engine)() as session:
            rows = session.execute(
                select(UploadFile.relative_path, UploadFile.size_bytes, UploadFile.sha256)
                .join(Upload, Upload.id == UploadFile.upload_id)
                .where(Upload.public_id == upload_id)
            ).all()
            return [tuple(row) for row in rows]  # type: ignore[misc]
    finally:
        engine.dispose()


def tus_requests(chat: Chat) -> list[tuple[str, str, str | None]]:
    """(method, path, Upload-Offset) of every tus request the page makes."""
    seen: list[tuple[str, str, str | None]] = []

    def note(request: Request) -> None:
        if "/api/tus" in request.url:
            path = request.url.split("/api/tus", 1)[1]
            seen.append((request.method, path, request.headers.get("upload-offset")))

    chat.page.on("request", note)
    return seen


def completed_upload(chat: Chat) -> str:
    with chat.page.expect_response(
        lambda r: "/api/uploads/resumable/" in r.url and r.url.endswith("/complete"),
        timeout=REPLY_TIMEOUT,
    ) as answer:
        pass
    assert answer.value.status == 201, answer.value.text()
    upload_id: str = answer.value.json()["uploads"][0]["id"]
    return upload_id


def test_going_offline_mid_file_waits_and_resumes_to_a_correct_upload(
    chat: Chat, stack: Stack, tmp_path: Path
) -> None:
    scan, digest = big_scan(tmp_path)
    chat.open()
    seen = tus_requests(chat)
    context = chat.page.context
    cut: list[str] = []

    def cut_second_piece(route: Route) -> None:
        request = route.request
        if request.method == "PATCH" and request.headers.get("upload-offset") != "0" and not cut:
            cut.append(request.headers["upload-offset"])
            context.set_offline(True)  # the phone lost its signal mid-file
            route.abort("internetdisconnected")
            return
        route.continue_()

    chat.page.route("**/api/tus/**", cut_second_piece)
    choose(chat.page, "Attach files", scan)
    status = chat.page.locator(".sr-upload-state")
    expect(status).to_contain_text("The connection was lost", timeout=REPLY_TIMEOUT)
    time.sleep(1)
    with chat.page.expect_response(
        lambda r: r.url.endswith("/complete"), timeout=REPLY_TIMEOUT
    ) as answer:
        context.set_offline(False)
    assert answer.value.status == 201, answer.value.text()
    upload_id = answer.value.json()["uploads"][0]["id"]
    expect(chat.user_messages().last).to_contain_text("I've uploaded 1 file")

    assert stored_files(stack, upload_id) == [("CT-export.zip", SIZE, digest)]
    creations = [r for r in seen if r[0] == "POST"]
    assert len(creations) == 1  # one file, created once, then resumed
    resumed_at = cut[0]
    patches = [offset for method, _, offset in seen if method == "PATCH"]
    assert patches[0] == "0" and patches.count(resumed_at) == 2  # cut, then sent again
    assert "HEAD" in {r[0] for r in seen}  # asked the server where it stood


def test_a_reload_mid_upload_continues_where_it_stopped(
    chat: Chat, stack: Stack, tmp_path: Path
) -> None:
    scan, digest = big_scan(tmp_path)
    chat.open()
    held: list[Route] = []

    def hold_the_last_piece_once(route: Route) -> None:
        offset = route.request.headers.get("upload-offset")
        if route.request.method == "PATCH" and offset == str(16 * MIB) and not held:
            held.append(route)  # never answered: the page reloads while it is on its way
            return
        route.continue_()

    chat.page.route("**/api/tus/**", hold_the_last_piece_once)
    choose(chat.page, "Attach files", scan)
    for _ in range(300):  # routes run while Playwright waits
        if held:
            break
        chat.page.wait_for_timeout(100)
    assert held, "the upload never reached its last piece"
    seen = tus_requests(chat)
    chat.page.reload()
    chat.wait_connected()  # the chat was open, so it opens again by itself
    expect(chat.page.get_by_text("didn't finish. Choose the same files again")).to_be_visible(
        timeout=REPLY_TIMEOUT
    )
    with chat.page.expect_response(
        lambda r: r.url.endswith("/complete"), timeout=REPLY_TIMEOUT
    ) as answer:
        choose(chat.page, "Attach files", scan)
    assert answer.value.status == 201, answer.value.text()
    upload_id = answer.value.json()["uploads"][0]["id"]
    assert stored_files(stack, upload_id) == [("CT-export.zip", SIZE, digest)]
    assert [r for r in seen if r[0] == "POST" and r[1] == ""] == []  # nothing created again
    offsets = [int(offset or 0) for method, _, offset in seen if method == "PATCH"]
    assert offsets == [16 * MIB]  # only the piece that was cut, from what the server had
    expect(chat.user_messages().last).to_contain_text("I've uploaded 1 file")
