"""The records-request letter in the widget: written in the chat, downloaded as a PDF from the
link, and out of reach of another conversation."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser

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
