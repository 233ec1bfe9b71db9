"""Keyboard use, an axe-core scan, small screens and reduced motion."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.chat import Chat
from tests.browser.conftest import AXE, screenshot
from tests.integration.stack import Stack

pytestmark = pytest.mark.integration


def focused_text(page: Page) -> str:
    return str(page.evaluate("() => (document.activeElement.textContent || '').trim()"))


def test_keyboard_only_send_a_message_and_press_a_quick_reply(chat: Chat) -> None:
    page = chat.page
    page.goto(chat.base_url)
    for _ in range(10):  # Tab through the page to the launcher
        page.keyboard.press("Tab")
        if focused_text(page) == "Chat with us":
            break
    assert focused_text(page) == "Chat with us"
    outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineWidth")
    assert float(outline.removesuffix("px")) >= 2  # a visible focus ring

    page.keyboard.press("Enter")
    expect(chat.input).to_be_focused()
    chat.wait_connected()
    page.keyboard.type("hi")
    page.keyboard.press("Enter")
    chat.expect_replies("Finding the right specialist")

    for _ in range(10):  # back from the text box into the suggested replies
        page.keyboard.press("Shift+Tab")
        if focused_text(page) == "Finding the right specialist":
            break
    assert focused_text(page) == "Finding the right specialist"
    style = page.evaluate(
        "() => { const s = getComputedStyle(document.activeElement);"
        " return [s.outlineStyle, s.outlineWidth]; }"
    )
    assert style[0] != "none" and float(style[1].removesuffix("px")) >= 2
    page.keyboard.press("Space")
    expect(chat.user_messages().last).to_have_text("Finding the right specialist")
    chat.expect_bot("What kind of exam was it?")
    # The answer's first option has the focus: one key press away, not nine Shift+Tabs.
    expect(chat.quick_replies.get_by_role("button").first).to_be_focused()
    page.keyboard.press("Tab")
    expect(chat.quick_replies.get_by_role("button").nth(1)).to_be_focused()

    page.keyboard.press("Escape")  # closes the chat, focus back on the launcher
    expect(chat.launcher).to_be_focused()
    expect(chat.launcher).to_have_attribute("aria-expanded", "false")


def axe_violations(page: Page) -> list[dict[str, Any]]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
    )
    return [v for v in result if v["impact"] in ("serious", "critical")]


def describe(violations: list[dict[str, Any]]) -> str:
    return "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} -> "
        + "; ".join(n["target"][0] if n["target"] else "?" for n in v["nodes"][:3])
        for v in violations
    )


def test_axe_finds_no_serious_or_critical_violations(browser: Browser, stack: Stack) -> None:
    # axe's script is injected inline, which the demo page's CSP would block (as it should).
    context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 800})
    try:
        chat = Chat(context.new_page(), stack.web_url)
        chat.page.goto(stack.web_url)
        closed = axe_violations(chat.page)
        assert closed == [], describe(closed)

        chat.launcher.click()
        chat.wait_connected()
        chat.say("hi")
        chat.expect_replies("Finding the right specialist")
        chat.page.evaluate(  # an upload error on screen as well
            "() => window.__secondReadWidget.uploadError('That file is too large.')"
        )
        opened = axe_violations(chat.page)
        assert opened == [], describe(opened)
    finally:
        context.close()


@pytest.mark.parametrize("width", [320, 360])
def test_small_screens_nothing_overflows(browser: Browser, stack: Stack, width: int) -> None:
    context = browser.new_context(
        viewport={"width": width, "height": 640}, is_mobile=True, has_touch=True
    )
    try:
        chat = Chat(context.new_page(), stack.web_url)
        chat.page.goto(stack.web_url)
        screenshot(chat.page, f"widget-{width}-page")
        chat.launcher.click()
        chat.wait_connected()
        chat.say("what is the difference between a radiologist and a neuroradiologist, "
                 "https://example.org/a/really/long/link/that/should/wrap/somewhere")  # fmt: skip
        chat.expect_replies()
        chat.bot_messages().first.wait_for()
        chat.page.wait_for_timeout(500)
        screenshot(chat.page, f"widget-{width}-chat")
        overflow = chat.page.evaluate(
            """() => {
              const width = document.documentElement.clientWidth;
              const wide = [...document.querySelectorAll('.sr-widget *')]
                .filter(e => e.getClientRects().length && !e.closest('.sr-visually-hidden'))
                .filter(e => e.getBoundingClientRect().right > width + 0.5
                          || e.getBoundingClientRect().left < -0.5)
                .map(e => e.className || e.tagName);
              return {page: document.documentElement.scrollWidth - width, wide};
            }"""
        )
        assert overflow == {"page": 0, "wide": []}
        panel = chat.page.get_by_role("region", name="Lakeside Imaging").bounding_box()
        assert panel is not None and panel["width"] == width
    finally:
        context.close()


def test_reduced_motion_stops_the_typing_animation(browser: Browser, stack: Stack) -> None:
    context = browser.new_context(reduced_motion="reduce")
    try:
        page = context.new_page()
        page.goto(stack.web_url)
        page.get_by_role("button", name="Chat with us").click()
        dots = page.locator(".sr-dots span").first
        assert dots.evaluate("e => getComputedStyle(e).animationName") == "none"
    finally:
        context.close()


def test_1280_screenshot_with_the_chat_open(chat: Chat) -> None:
    """On a laptop screen the open chat and its menu fit the window, so the screenshot (for the
    README and reviewers) shows what a patient sees first without scrolling."""
    chat.open()
    chat.say("hi")
    chat.expect_replies("Finding the right specialist")
    viewport = chat.page.viewport_size
    assert viewport == {"width": 1280, "height": 800}
    for box in (chat.reply_button("Finding the right specialist").bounding_box(),
                chat.page.locator(".sr-panel").first.bounding_box()):
        assert box is not None
        assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"]
        assert box["y"] >= 0 and box["y"] + box["height"] <= viewport["height"]
    screenshot(chat.page, "widget-1280-menu")
