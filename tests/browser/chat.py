"""The chat widget as a person uses it: by its visible labels and roles, not CSS internals."""

from __future__ import annotations

import json
from typing import Any

from playwright.sync_api import Locator, Page, expect

REPLY_TIMEOUT = 45_000  # Rasa + action server on a busy 2-core machine


class Chat:
    def __init__(self, page: Page, base_url: str) -> None:
        self.page = page
        self.base_url = base_url

    # ---- parts of the widget
    @property
    def launcher(self) -> Locator:
        return self.page.get_by_role("button", name="Chat with us")

    @property
    def input(self) -> Locator:
        return self.page.get_by_role("textbox", name="Your message")

    @property
    def log(self) -> Locator:
        return self.page.get_by_role("log", name="Conversation")

    @property
    def quick_replies(self) -> Locator:
        return self.page.get_by_role("group", name="Suggested replies")

    def reply_button(self, title: str) -> Locator:
        return self.quick_replies.get_by_role("button", name=title, exact=True)

    def bot_messages(self) -> Locator:
        return self.log.locator(".sr-msg--bot .sr-bubble")

    def user_messages(self) -> Locator:
        return self.log.locator(".sr-msg--user .sr-bubble")

    # ---- actions
    def open(self, url: str | None = None) -> Chat:
        self.page.goto(url or self.base_url)
        self.launcher.click()
        expect(self.input).to_be_focused()
        self.wait_connected()
        return self

    def wait_connected(self) -> None:
        self.page.wait_for_function(
            "() => window.__secondReadWidget && window.__secondReadWidget.ready === true",
            timeout=REPLY_TIMEOUT,
        )

    def say(self, text: str) -> None:
        self.input.fill(text)
        self.input.press("Enter")

    def click_reply(self, title: str) -> None:
        self.reply_button(title).click()

    def expect_bot(self, text: str, timeout: float = REPLY_TIMEOUT) -> Locator:
        message = self.bot_messages().filter(has_text=text).last
        expect(message).to_be_visible(timeout=timeout)
        return message

    def expect_replies(self, *titles: str) -> None:
        for title in titles:
            expect(self.reply_button(title)).to_be_visible(timeout=REPLY_TIMEOUT)

    # ---- state the widget keeps
    def session(self) -> dict[str, Any]:
        raw = self.page.evaluate(
            "key => sessionStorage.getItem(key)", f"secondread:{self.base_url}"
        )
        return dict(json.loads(raw)) if raw else {}

    def fetch(self, path: str, token: str, method: str = "GET") -> dict[str, Any]:
        """A request from inside the page, as any script on it could make."""
        return dict(
            self.page.evaluate(
                """async ([url, token, method]) => {
                    const headers = {Authorization: "Bearer " + token};
                    const r = await fetch(url, {method, headers});
                    let body = null;
                    try { body = await r.json(); } catch (e) {}
                    return {status: r.status, body};
                }""",
                [f"{self.base_url}{path}", token, method],
            )
        )
