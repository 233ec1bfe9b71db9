"""Browser tests: Debian's Chromium driven by Playwright against the real stack.

The setup installs what is missing (Chromium through scripts/install-apt-deps, axe-core through
`npm ci`), so `pytest tests/browser` works on a fresh machine as well as under `make test`.
"""

from __future__ import annotations

import base64
import os
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

from tests.browser.chat import Chat
from tests.integration.stack import ROOT, Stack, free_port, stop, wait_until_up

CHROMIUM = Path("/usr/bin/chromium")
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "var" / "screenshots"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# The second web app's request limit: small, so a too-large upload costs nothing to make.
SMALL_LIMIT = 256 * 1024


def ensure_tools() -> None:
    if not CHROMIUM.exists():
        subprocess.run([str(ROOT / "scripts" / "install-apt-deps"), "chromium"], check=True)
    if not AXE.exists():
        npm = shutil.which("npm")
        if npm is None:
            pytest.fail("npm is needed for axe-core (the accessibility scan)")
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=ROOT, check=True)


# Module scope, not session: a sync Playwright keeps an asyncio loop running in this thread
# while it is open, which breaks every async test that would run after it.
@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    ensure_tools()
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
    yield browser
    browser.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    """A fresh browser profile: its own storage, so its own conversation."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(30_000)
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


@pytest.fixture
def chat(page: Page, stack: Stack) -> Chat:
    return Chat(page, stack.web_url)


@pytest.fixture(scope="session")
def small_limit_web(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A second web app whose uploads stop at SMALL_LIMIT bytes; same Rasa, same secret.

    Its own database, so its upload worker never sees the main web app's uploads.
    """
    workdir = tmp_path_factory.mktemp("small-limit-web")
    port = free_port()
    env = dict(
        os.environ,
        VAR_DIR=str(workdir),
        DATABASE_URL=f"sqlite:///{workdir / 'web.db'}",
        RASA_URL=stack.rasa_url,
        RASA_API_TOKEN=stack.token,
        SECONDREAD_SECRET_KEY=stack.secret_key,
        SECONDREAD_STORAGE_KEY=base64.b64encode(secrets.token_bytes(32)).decode(),
        PUBLIC_URL=f"http://127.0.0.1:{port}",
        UPLOAD_MAX_REQUEST_BYTES=str(SMALL_LIMIT),
    )
    python = str(ROOT / ".venv" / "bin" / "python")
    subprocess.run([python, "-m", "bot.db"], cwd=ROOT, env=env, check=True)
    log = workdir / "web.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [python, "-m", "bot.web", "--port", str(port)],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{url}/healthz", proc, log, 60)
        yield url
    finally:
        stop(proc)


def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=False)


def outside_requests(context: BrowserContext) -> list[str]:
    """Records every request (and websocket) that leaves loopback: the widget must need none."""
    seen: list[str] = []

    def check(url: str) -> None:
        if not url.startswith(("data:", "blob:")) and httpx.URL(url).host != "127.0.0.1":
            seen.append(url)

    context.on("request", lambda request: check(request.url))
    context.on("page", lambda page: page.on("websocket", lambda ws: check(ws.url)))
    return seen
