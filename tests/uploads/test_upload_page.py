"""The plain upload page in a real browser (Debian's Chromium through Playwright): files and a
folder go up with their relative paths, progress and the closing words are shown, a too-large
choice is refused before sending, and an expired link says so."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from bot.config import Settings, UploadLimits
from bot.security.tokens import issue_token
from bot.uploads.service import UploadService
from bot.web.uploads_api import UploadsApi
from tests.needs import need
from tests.uploads.conftest import (
    SECRET,
    FakeInspector,
    make_app,
    running_server,
    token_for,
    wait_for,
)

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(autouse=True)
def _chromium() -> None:
    need(CHROMIUM.exists(), "Debian's chromium")


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"]
        )
        yield browser
        browser.close()


@pytest.fixture
def server(upload_service: UploadService, settings: Settings) -> Iterator[tuple[str, UploadsApi]]:
    limited = replace(settings, upload_limits=UploadLimits(max_request_bytes=200_000))
    api = UploadsApi(
        limited, UploadService(upload_service._sessions, limited), inspect=FakeInspector()
    )
    with running_server(make_app(api)) as url:
        yield url, api


def test_files_and_a_folder_go_up(
    browser: object, server: tuple[str, UploadsApi], tmp_path: Path
) -> None:
    url, api = server
    (tmp_path / "CD" / "DICOM").mkdir(parents=True)
    (tmp_path / "CD" / "DICOMDIR").write_bytes(b"d" * 1000)
    (tmp_path / "CD" / "DICOM" / "IM1").write_bytes(b"i" * 2000)
    report = tmp_path / "report.pdf"
    report.write_bytes(b"%PDF-1.4 report")
    page = browser.new_page()  # type: ignore[attr-defined]
    paths: list[str] = []
    page.on("request", lambda request: paths.append(request.url.split(url, 1)[-1]))
    page.goto(f"{url}/upload?token={token_for('conv-a', 'upload')}")
    page.get_by_label("Choose files").set_input_files([report])
    page.get_by_label("Or choose a whole folder").set_input_files(tmp_path / "CD")
    expect(page.locator("#selection")).to_contain_text("3 files")
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_role("status")).to_contain_text(
        "Received — go back to the chat", timeout=10_000
    )
    wait_for(lambda: len(api.service.for_conversation("conv-a")) == 1)
    [record] = api.service.for_conversation("conv-a")
    details = api.service.get("conv-a", record.public_id)
    assert details is not None
    assert sorted(f.relative_path for f in details.files) == [
        "CD/DICOM/IM1", "CD/DICOMDIR", "report.pdf",
    ]  # fmt: skip
    # Small files go in one plain multipart request, never in resumable pieces.
    assert "/api/uploads" in paths and not [p for p in paths if "/api/tus" in p]
    page.close()


def test_too_large_is_refused_before_sending(
    browser: object, server: tuple[str, UploadsApi], tmp_path: Path
) -> None:
    url, api = server
    big = tmp_path / "big.zip"
    big.write_bytes(b"z" * 300_000)
    page = browser.new_page()  # type: ignore[attr-defined]
    page.goto(f"{url}/upload?token={token_for('conv-a', 'upload')}")
    page.get_by_label("Choose files").set_input_files([big])
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_role("status")).to_contain_text("smaller parts")
    assert api.service.for_conversation("conv-a") == []
    page.close()


def test_an_expired_link_says_so(browser: object, server: tuple[str, UploadsApi]) -> None:
    url, _api = server
    page = browser.new_page()  # type: ignore[attr-defined]
    page.goto(f"{url}/upload?token={issue_token(SECRET, 'conv-a', 'upload', -5)}")
    expect(page.get_by_role("alert")).to_contain_text("expired")
    assert page.locator("input[type=file]").count() == 0
    page.close()


@pytest.fixture
def static_server(
    upload_service: UploadService, settings: Settings
) -> Iterator[tuple[str, UploadsApi]]:
    """The page with its scripts (tus and ours) served, as the web app serves them."""
    from fastapi.staticfiles import StaticFiles

    from bot.web.widget import STATIC_DIR

    api = UploadsApi(settings, UploadService(upload_service._sessions, settings),
                     inspect=FakeInspector())  # fmt: skip
    app = make_app(api)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    with running_server(app) as url:
        yield url, api


def test_a_large_file_from_a_link_goes_in_pieces_survives_a_cut_and_pauses(
    browser: object, static_server: tuple[str, UploadsApi], tmp_path: Path
) -> None:
    import hashlib
    import os

    url, api = static_server
    data = os.urandom(18 * 1024 * 1024 + 7)
    scan = tmp_path / "MRI-knee.zip"
    scan.write_bytes(data)
    page = browser.new_page()  # type: ignore[attr-defined]
    patches: list[str] = []
    cut: list[bool] = []

    def route(request_route: object) -> None:
        request = request_route.request  # type: ignore[attr-defined]
        if request.method == "PATCH":
            patches.append(request.headers.get("upload-offset"))
            if len(patches) == 2 and not cut:
                cut.append(True)
                request_route.abort("connectionreset")  # type: ignore[attr-defined]
                return
        request_route.continue_()  # type: ignore[attr-defined]

    page.route("**/api/tus/**", route)
    link = issue_token(SECRET, "conv-a", "link", 600)
    from bot.security.tokens import verify_token

    link_id = verify_token(SECRET, link, ("link",)).token_id
    page.goto(f"{url}/upload?token={link}")
    page.get_by_label("Choose files").set_input_files([scan])
    page.get_by_role("button", name="Send").click()
    pause = page.get_by_role("button", name="Pause")
    expect(pause).to_be_visible()
    for _ in range(200):  # cut at the 2nd piece, retried at once (routes run while we wait)
        if len(patches) >= 3:
            break
        page.wait_for_timeout(100)
    pause.click()
    expect(page.get_by_role("status")).to_contain_text("Paused")
    page.get_by_role("button", name="Resume").click()
    expect(page.get_by_role("status")).to_contain_text(
        "Received — go back to the chat", timeout=30_000
    )
    [record] = api.service.for_conversation("conv-a")
    details = api.service.get("conv-a", record.public_id)
    assert details is not None and record.via_link
    assert [(f.relative_path, f.sha256) for f in details.files] == [
        ("MRI-knee.zip", hashlib.sha256(data).hexdigest())
    ]
    assert patches[0] == "0" and patches[1] == patches[2]  # the cut piece was sent again
    assert api.service.link_used(link_id)  # one-time links stay one-time


def test_the_files_of_a_study_go_a_few_at_a_time(
    browser: object, static_server: tuple[str, UploadsApi], tmp_path: Path
) -> None:
    """Five large files: three go at once (the bound), the others wait for a free place, and
    every one arrives whole."""
    import hashlib
    import os

    url, api = static_server
    piece = 8 * 1024 * 1024
    scans = []
    for number in range(5):
        scan = tmp_path / f"SERIES{number}.zip"
        scan.write_bytes(os.urandom(piece + 1 + number))  # two pieces each
        scans.append(scan)
    page = browser.new_page()  # type: ignore[attr-defined]
    held: list[object] = []
    holding = [True]
    in_flight: set[str] = set()
    most = [0]

    def route(request_route: object) -> None:
        request = request_route.request  # type: ignore[attr-defined]
        if request.method == "PATCH" and holding[0]:
            held.append(request_route)  # answered below, once the bound has shown itself
            return
        request_route.continue_()  # type: ignore[attr-defined]

    def started(request: object) -> None:
        if request.method == "PATCH":  # type: ignore[attr-defined]
            in_flight.add(request.url)  # type: ignore[attr-defined]
            most[0] = max(most[0], len(in_flight))

    def ended(request: object) -> None:
        in_flight.discard(request.url)  # type: ignore[attr-defined]

    page.on("request", started)
    page.on("requestfinished", ended)
    page.on("requestfailed", ended)
    page.route("**/api/tus/**", route)
    page.goto(f"{url}/upload?token={issue_token(SECRET, 'conv-a', 'link', 600)}")
    page.get_by_label("Choose files").set_input_files(scans)
    page.get_by_role("button", name="Send").click()
    for _ in range(100):  # routes run while Playwright waits
        if len(held) >= 3:
            break
        page.wait_for_timeout(100)
    page.wait_for_timeout(1500)  # time for a fourth one, if the bound did not hold
    assert len(held) == 3 and most[0] == 3
    holding[0] = False
    for waiting in held:
        waiting.continue_()  # type: ignore[attr-defined]
    expect(page.get_by_role("status")).to_contain_text(
        "Received — go back to the chat", timeout=60_000
    )
    assert most[0] == 3
    [record] = api.service.for_conversation("conv-a")
    details = api.service.get("conv-a", record.public_id)
    assert details is not None
    assert sorted((f.relative_path, f.sha256) for f in details.files) == sorted(
        (scan.name, hashlib.sha256(scan.read_bytes()).hexdigest()) for scan in scans
    )
    page.close()
