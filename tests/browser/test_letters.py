"""The records-request letter in the widget: written in the chat, downloaded as a PDF from the
link, and out of reach of another conversation."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, expect

from bot.actions.letters import REMIND_ME_HERE
from bot.db import make_engine, session_factory
from bot.letters.requests import RecordsRequests
from bot.notify.followups import send_due_follow_ups
from bot.notify.rasa import RasaNotifier
from tests.browser.chat import Chat
from tests.browser.conftest import screenshot
from tests.integration.stack import Stack
from tests.letters.test_pdf import text_of

pytestmark = pytest.mark.integration


def test_the_letter_is_written_in_the_chat_and_downloaded(
    chat: Chat, stack: Stack, browser: Browser, tmp_path: Path
) -> None:
    chat.open()
    chat.say("can you write up the records request")
    chat.expect_bot("Which imaging center or hospital did the scan?")
    chat.say("Harbor Imaging, Salem")
    chat.expect_replies("CD or DVD")
    chat.click_reply("CD or DVD")
    message = chat.expect_bot("I've written your records request to Harbor Imaging, Salem")
    screenshot(chat.page, "letter-written")
    link = message.locator("a[href*='/letters/request.pdf']").first
    with chat.page.expect_download() as download:
        link.click()
    saved = tmp_path / "letter.pdf"
    download.value.save_as(saved)
    pdf = saved.read_bytes()
    assert pdf.startswith(b"%PDF")
    text = " ".join(text_of(pdf).split())
    assert "Harbor Imaging, Salem" in text and "CD or DVD" in text and "None" not in text

    # Another visitor's conversation token opens their own (missing) letter, never this one.
    other = Chat(browser.new_context().new_page(), stack.web_url).open()
    token = other.session()["token"]
    answer = other.page.evaluate(
        """async ([url, token]) => {
            const r = await fetch(url, {headers: {Authorization: "Bearer " + token}});
            return {status: r.status, text: await r.text()};
        }""",
        [f"{stack.web_url}/letters/request.pdf", token],
    )
    assert answer["status"] == 404
    assert "No letter has been written in this conversation." in answer["text"]
    other.page.context.close()


def test_the_day_10_follow_up_waits_for_the_next_visit_on_this_device(
    chat: Chat, stack: Stack, context: BrowserContext
) -> None:
    chat.open()
    chat.say("please write the request for my records")
    chat.expect_bot("Which imaging center or hospital did the scan?")
    chat.say("Harbor Imaging, Salem")
    chat.click_reply("A download link")
    chat.expect_bot("I've written your records request to Harbor Imaging, Salem")
    chat.click_reply(REMIND_ME_HERE)
    expect(chat.log.get_by_text("This chat is kept on this device until")).to_be_visible()
    conversation_id = chat.session()["conversation_id"]
    chat.page.close()  # the tab is closed: its session (a day long) goes with it

    stack.backdate_records_request(conversation_id, days=10)
    engine = make_engine(f"sqlite:///{stack.tracker_db}")
    try:
        requests = RecordsRequests(session_factory(engine))
        rasa = RasaNotifier(stack.rasa_url, stack.token)
        # A round of the web app's follow-ups (Playwright's loop owns this thread).
        with ThreadPoolExecutor(1) as pool:
            sent = pool.submit(asyncio.run, send_due_follow_ups(requests, rasa, None)).result()
    finally:
        engine.dispose()
    assert sent == 1

    # The next visit, in a new tab: the same chat, with the follow-up waiting in it.
    visit = Chat(context.new_page(), stack.web_url).open()
    visit.expect_bot("It's been 10 days")
    assert visit.session()["conversation_id"] == conversation_id
    visit.expect_replies("Not yet")
    screenshot(visit.page, "letter-follow-up-next-visit")


def test_forgetting_the_device_ends_the_remembered_chat(
    chat: Chat, context: BrowserContext
) -> None:
    chat.open()
    chat.say("can you write up the records request")
    chat.expect_bot("Which imaging center or hospital did the scan?")
    chat.say("Lakeview Radiology")
    chat.click_reply("USB drive")
    chat.expect_bot("I've written your records request to Lakeview Radiology")
    chat.click_reply(REMIND_ME_HERE)
    forget = chat.log.get_by_role("button", name="Forget this chat on this device")
    forget.click()
    expect(chat.log.get_by_text("This device no longer keeps this chat.")).to_be_visible()
    conversation_id = chat.session()["conversation_id"]
    chat.page.close()
    later = Chat(context.new_page(), chat.base_url).open()
    later.expect_bot("I can help you get a second radiologist")
    assert later.session()["conversation_id"] != conversation_id
