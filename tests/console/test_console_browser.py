"""The console in Debian's Chromium against the real stack: an admin made with `bot-admin`
signs in, finds a conversation that went through Rasa, reviews it, takes over a widget chat
(the patient sees the reply), and moves a case along. Screenshots under var/screenshots/."""

from __future__ import annotations

import asyncio
import re
import subprocess
import uuid
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from tests.browser.chat import Chat
from tests.browser.conftest import ARGS, CHROMIUM, ensure_tools, screenshot
from tests.browser.test_accessibility import axe_violations, describe
from tests.integration.stack import ROOT, Stack

pytestmark = pytest.mark.integration

PASSWORD = "a long console passphrase"
TIMEOUT = 45_000


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Module-scoped, so sync Playwright lets go of the event loop when these tests end (the
    async tests that run later need it)."""
    ensure_tools()
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass  # free, as it should be
    else:
        pytest.fail("another sync Playwright still holds the event loop: browser fixtures must be "
                    "module-scoped (see tests/browser/conftest.py)")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def admin_account(stack: Stack) -> str:
    """Made the way a new operator would: the CLI, the password on stdin."""
    env = {"DATABASE_URL": f"sqlite:///{stack.tracker_db}", "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [str(ROOT / ".venv/bin/bot-admin"), "create-user", "ada", "--role", "admin",
         "--name", "Ada", "--password-stdin"],
        input=PASSWORD + "\n", text=True, capture_output=True, env=env, cwd=ROOT, check=False,
    )
    assert result.returncode == 0, result.stderr
    return "ada"


@pytest.fixture
def console(browser: Browser, stack: Stack, admin_account: str) -> Iterator[Page]:
    staff = browser.new_context(viewport={"width": 1280, "height": 900})
    staff.set_default_timeout(TIMEOUT)
    tab = staff.new_page()
    tab.goto(f"{stack.web_url}/console/conversations")
    expect(tab).to_have_url(re.compile(r"/console/login\?next="))
    tab.get_by_label("Username").fill(admin_account)
    tab.get_by_label("Password").fill(PASSWORD)
    screenshot(tab, "console-login")
    tab.get_by_role("button", name="Sign in").click()
    expect(tab).to_have_url(re.compile(r"/console/conversations$"))
    yield tab
    staff.close()


@pytest.fixture
def patient_context(browser: Browser) -> Iterator[BrowserContext]:
    patient = browser.new_context(viewport={"width": 1280, "height": 800})
    patient.set_default_timeout(TIMEOUT)
    yield patient
    patient.close()


def rest_conversation(stack: Stack) -> tuple[str, str]:
    """A REST conversation with a greeting, a misunderstood message and a case."""
    me = f"it-console-{uuid.uuid4().hex[:8]}"
    stack.say(me, "hi")
    stack.say(me, "zqxj vbnm plok")
    for text in ("/open_case", '/affirm{"confirm":"consent"}', "Maria Lopez", "03/14/1980",
                 "maria@example.com", '/affirm{"confirm":"case"}'):
        stack.say(me, text)
    number = stack.tracker(me)["slots"]["case_number"]
    assert number
    return me, number


def test_review_a_rest_conversation_and_move_its_case(
    console: Page, stack: Stack
) -> None:
    me, number = rest_conversation(stack)
    tab = console
    tab.get_by_label("Search text, id or case").fill(me)
    tab.get_by_label("Channel").fill("rest")
    tab.get_by_role("button", name="Filter").click()
    rows = tab.locator("table.conversations tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(number)
    screenshot(tab, "console-conversations-filtered")

    tab.get_by_role("link", name=me).click()
    expect(tab.locator("li.user").first).to_contain_text("hi")
    expect(tab.locator("li.user").first).to_contain_text("Greeting")  # the intent in words
    expect(tab.locator("li.bot").filter(has_text="What would you like help with?")
           .first).to_be_visible()
    tab.get_by_role("button", name="Mark reviewed").click()
    expect(tab.locator("#review-status")).to_have_text("reviewed")
    screenshot(tab, "console-transcript-reviewed")

    tab.goto(f"{stack.web_url}/console/conversations?review=reviewed&q={me}")
    expect(tab.locator("table.conversations tbody tr")).to_have_count(1)

    tab.goto(f"{stack.web_url}/console/cases/{number}")
    expect(tab.get_by_text("Maria Lopez")).to_be_visible()
    expect(tab.locator("#case-status")).to_have_text("new")
    tab.locator("#status-to").select_option("records_requested")
    tab.get_by_role("button", name="Change status").click()
    expect(tab.locator("#case-status")).to_have_text("records requested")
    screenshot(tab, "console-case-status-changed")
    assert stack.tracker(me)["slots"]["case_number"] == number


def test_take_over_a_widget_chat(
    console: Page, patient_context: BrowserContext, stack: Stack
) -> None:
    patient = Chat(patient_context.new_page(), stack.web_url).open()
    patient.say("hi")
    patient.expect_bot("What would you like help with?")
    conversation = patient.session().get("conversation_id")
    assert conversation, patient.session()

    tab = console
    tab.goto(f"{stack.web_url}/console/conversations/{conversation}")
    expect(tab.get_by_text("Website chat", exact=False).first).to_be_visible()
    tab.once("dialog", lambda dialog: dialog.accept())
    tab.get_by_role("button", name="Pause the bot").click()
    expect(tab.locator("#paused-state")).to_be_visible()
    # The patient is told a person has joined, as a line of its own, not a bot bubble.
    expect(patient.log.locator(".sr-notice--system")).to_have_text(
        "Ada from the support team has joined the chat.", timeout=TIMEOUT)

    tab.get_by_label("Reply to the patient").fill("Hello, I can look at your CD with you.")
    tab.get_by_role("button", name="Send reply").click()
    expect(tab.locator("li.staff").last).to_contain_text("Ada from the support team: Hello")
    screenshot(tab, "console-takeover")

    staff_bubble = patient.log.locator(".sr-msg--staff")
    expect(staff_bubble).to_contain_text("Hello, I can look at your CD with you.",
                                         timeout=TIMEOUT)
    expect(staff_bubble).to_contain_text("Ada · support team")  # a person, by name
    expect(patient.bot_messages().filter(has_text="I can look at your CD")).to_have_count(0)
    screenshot(patient.page, "console-takeover-widget")
    events = stack.tracker(conversation)["events"]
    staff = [e for e in events if e.get("event") == "bot"
             and (e.get("metadata") or {}).get("staff") == "ada"]
    assert [e["text"] for e in staff] == [
        "Ada from the support team has joined the chat.",
        "Ada from the support team: Hello, I can look at your CD with you."]

    # The agent sees the patient typing, then the message itself, without reloading; the reply
    # box stays under the newest message.
    bot_lines = tab.locator("li.bot").count()
    patient.input.press_sequentially("thank")
    expect(tab.locator("#presence")).to_have_text("The patient is typing…", timeout=TIMEOUT)
    patient.input.fill("")
    patient.say("thank you")
    expect(patient.page.get_by_text("is typing")).to_be_hidden()  # nobody is, while paused
    expect(tab.locator("li.user").filter(has_text="thank you")).to_have_count(1, timeout=TIMEOUT)
    newest = tab.locator("ol.transcript > li").last.bounding_box()
    reply_box = tab.locator("#reply").bounding_box()
    assert newest and reply_box and newest["y"] < reply_box["y"]
    screenshot(tab, "console-takeover-new-message")
    # While paused the bot stays quiet (Rasa still records what the patient writes).
    tab.wait_for_timeout(2000)
    tab.reload()
    assert tab.locator("li.bot").count() == bot_lines
    # The patient leaves the page, and comes back to the same chat: the agent sees both.
    patient.page.goto("about:blank")
    expect(tab.locator("#presence")).to_contain_text("The patient closed or left the chat page",
                                                     timeout=TIMEOUT)
    patient.page.goto(stack.web_url)
    if not patient.input.is_visible():
        patient.launcher.click()
    patient.wait_connected()
    expect(tab.locator("#presence")).to_have_text("The patient has the chat open.",
                                                  timeout=TIMEOUT)
    tab.get_by_role("button", name="Resume the bot").click()
    expect(tab.locator("#paused-state")).to_have_count(0)
    expect(patient.log.locator(".sr-notice--system").last).to_have_text(
        "You're chatting with the assistant again.", timeout=TIMEOUT)
    patient.say("hi")
    expect(patient.bot_messages().filter(has_text="What would you like help with?")
           ).to_have_count(2, timeout=TIMEOUT)

    tab.goto(f"{stack.web_url}/console/dashboard")
    expect(tab.locator("svg")).to_have_count(4)
    screenshot(tab, "console-dashboard")
    tab.goto(f"{stack.web_url}/console/audit?action=conversation.")
    expect(tab.get_by_text("conversation.replied")).to_be_visible()
    screenshot(tab, "console-audit")


def test_console_pages_pass_an_axe_scan(
    browser: Browser, stack: Stack, admin_account: str
) -> None:
    # axe is injected as an inline script, which the console's CSP rightly blocks.
    staff = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900})
    try:
        tab = staff.new_page()
        tab.goto(f"{stack.web_url}/console/login")
        problems = axe_violations(tab)
        tab.get_by_label("Username").fill(admin_account)
        tab.get_by_label("Password").fill(PASSWORD)
        tab.get_by_role("button", name="Sign in").click()
        expect(tab).to_have_url(re.compile(r"/console/conversations$"))
        me, number = rest_conversation(stack)
        for path in ("/console/conversations", f"/console/conversations/{me}",
                     "/console/cases", f"/console/cases/{number}", "/console/dashboard",
                     "/console/audit", "/console/staff"):
            tab.goto(f"{stack.web_url}{path}")
            screenshot(tab, "console" + path.replace("/console", "").replace("/", "-")[:40])
            problems += [{**v, "help": f"{path}: {v['help']}"} for v in axe_violations(tab)]
        # The agent's view while answering (reply box and presence line), at both sizes.
        tab.goto(f"{stack.web_url}/console/conversations/{me}")
        tab.once("dialog", lambda dialog: dialog.accept())
        tab.get_by_role("button", name="Pause the bot").click()
        expect(tab.locator("#reply")).to_be_visible()
        for width, height in ((1280, 900), (375, 740)):
            tab.set_viewport_size({"width": width, "height": height})
            screenshot(tab, f"console-{width}-answering")
            problems += [{**v, "help": f"answering at {width} px: {v['help']}"}
                         for v in axe_violations(tab)]
        tab.goto(f"{stack.web_url}/console/conversations")
        screenshot(tab, "console-375-conversations")
        problems += [{**v, "help": f"list at 375 px: {v['help']}"} for v in axe_violations(tab)]
        assert problems == [], describe(problems)
    finally:
        staff.close()
