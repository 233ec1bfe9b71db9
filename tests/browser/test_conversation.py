"""Chatting through the widget on the demo page: buttons, a whole journey, reloads, isolation."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, ConsoleMessage, expect

from bot.guidance import subspecialty
from tests.browser.chat import Chat
from tests.browser.conftest import outside_requests, screenshot
from tests.integration.stack import Stack

pytestmark = pytest.mark.integration

MENU = ("Is a second read worth it for me?", "Finding the right specialist", "Insurance and cost")


def test_greet_then_journey_3_by_buttons_only(chat: Chat, stack: Stack) -> None:
    outside = outside_requests(chat.page.context)
    problems: list[str] = []

    def console(message: ConsoleMessage) -> None:
        if message.type == "error":
            problems.append(message.text)

    chat.page.on("console", console)
    chat.page.on("pageerror", lambda error: problems.append(str(error)))
    chat.open()
    # The brand from the script tag's data attributes.
    expect(chat.page.get_by_role("heading", name="Lakeside Imaging")).to_be_visible()
    expect(chat.reply_button("Get started")).to_be_visible()
    screenshot(chat.page, "widget-1280-new")

    chat.say("hi")
    chat.expect_bot("Hi, I'm SecondRead")
    chat.expect_bot("What would you like help with?")
    chat.expect_replies(*MENU)
    expect(chat.reply_button("Get started")).to_have_count(0)

    chat.click_reply("Finding the right specialist")
    expect(chat.user_messages().last).to_have_text("Finding the right specialist")
    chat.expect_bot("What kind of exam was it?")
    expect(chat.reply_button("Insurance and cost")).to_have_count(0)  # old replies are gone
    chat.click_reply("MRI")
    chat.expect_bot("Which part of the body was scanned?")
    chat.click_reply("Brain or head")
    chat.expect_bot("Is the patient under 18?")
    chat.click_reply("18 or older")

    answer = subspecialty.suggest_subspecialty("mri", "brain", "adult").as_text()
    first_line, *_ = answer.split("\n")
    message = chat.expect_bot(first_line)
    expect(message.locator("ul > li").first).to_be_visible()  # "- tips" became a list
    screenshot(chat.page, "widget-1280-journey-3")

    me = chat.session()["conversation_id"]
    assert stack.tracker(me)["slots"]["suggested_subspecialty"] == "neuroradiology"
    user_texts = chat.user_messages().all_inner_texts()
    assert user_texts == ["hi", "Finding the right specialist", "MRI", "Brain or head",
                          "18 or older"]  # fmt: skip
    # Every message carries a machine-readable timestamp.
    times = chat.log.locator("time[datetime]")
    expect(times).to_have_count(chat.log.locator(".sr-msg").count())
    assert problems == []  # no CSP violation or script error under the page's strict policy
    assert outside == []  # nothing loaded from the internet


def test_reload_and_reconnect_keep_the_conversation(chat: Chat, stack: Stack) -> None:
    chat.open()
    chat.say("hello there")
    chat.expect_replies(*MENU)
    first = chat.session()

    chat.page.reload()
    chat.wait_connected()  # the chat was open, so it opens again by itself
    assert chat.session()["conversation_id"] == first["conversation_id"]
    expect(chat.user_messages().first).to_have_text("hello there")
    chat.expect_bot("Hi, I'm SecondRead")
    chat.expect_replies(*MENU)  # the last message's buttons are back

    # A dropped connection: socket.io reconnects, the widget rejoins the same conversation.
    chat.page.evaluate("() => window.__secondReadWidget.socket.io.engine.close()")
    chat.page.wait_for_function("() => !window.__secondReadWidget.ready")
    chat.click_reply("Insurance and cost")  # while offline: kept, and sent after reconnecting
    chat.wait_connected()
    chat.expect_bot("What kind of health coverage do you have?")

    events = stack.tracker(first["conversation_id"])["events"]
    said = [e["text"] for e in events if e["event"] == "user"]
    assert said == ["hello there", "/ask_insurance"]
    # Button clicks are stored with the title shown, so history shows what the person saw.
    shown = [e.get("metadata", {}).get("display_text") for e in events if e["event"] == "user"]
    assert shown == ["hello there", "Insurance and cost"]


def test_start_over(chat: Chat) -> None:
    chat.open()
    start_over = chat.page.get_by_role("button", name="Start over")
    expect(start_over).to_be_hidden()  # nothing to start over from yet
    chat.say("hi")
    chat.expect_replies(*MENU)
    chat.page.get_by_role("button", name="Start over").click()
    chat.expect_bot("OK, let's start over.")
    expect(chat.user_messages().filter(has_text="hi")).to_have_count(0)
    expect(chat.input).to_be_focused()
    chat.page.reload()
    chat.wait_connected()
    # Rasa forgets everything before a restart; so does the widget's history.
    expect(chat.reply_button("Get started")).to_be_visible()
    expect(chat.user_messages()).to_have_count(0)
    expect(start_over).to_be_hidden()


def test_get_started_shows_what_was_pressed(chat: Chat) -> None:
    chat.open()
    chat.click_reply("Get started")
    expect(chat.user_messages().last).to_have_text("Get started")
    chat.expect_bot("What would you like help with?")
    expect(chat.page.get_by_role("button", name="Start over")).to_be_visible()


def test_on_a_phone_the_keyboard_does_not_cover_the_first_answer(
    browser: Browser, stack: Stack
) -> None:
    phone = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True,
                                has_touch=True)
    try:
        chat = Chat(phone.new_page(), stack.web_url)
        chat.page.goto(stack.web_url)
        chat.launcher.click()
        chat.wait_connected()
        expect(chat.input).not_to_be_focused()  # no on-screen keyboard on opening
        expect(chat.log).to_be_focused()
        expect(chat.reply_button("Get started")).to_be_in_viewport()
        screenshot(chat.page, "widget-375-opened")
    finally:
        phone.close()


def test_a_second_visitor_gets_their_own_conversation_only(browser: Browser, stack: Stack) -> None:
    first_context = browser.new_context()
    second_context = browser.new_context()
    try:
        first = Chat(first_context.new_page(), stack.web_url).open()
        first.say("hi")
        first.expect_replies(*MENU)
        mine = first.session()

        second = Chat(second_context.new_page(), stack.web_url).open()
        theirs = second.session()
        assert theirs["conversation_id"] != mine["conversation_id"]
        expect(second.user_messages()).to_have_count(0)

        history = f"/api/conversations/{mine['conversation_id']}/history"
        assert second.fetch(history, theirs["token"])["status"] == 403
        assert second.fetch(history, "")["status"] == 401
        assert first.fetch(history, mine["token"])["status"] == 200
        own = second.fetch(f"/api/conversations/{theirs['conversation_id']}/history",
                           theirs["token"])  # fmt: skip
        assert own == {"status": 200, "body": {"conversation_id": theirs["conversation_id"],
                                               "messages": []}}  # fmt: skip

        # Rasa's socket refuses to let the second visitor join or write the first one's chat.
        before = len(stack.tracker(mine["conversation_id"])["events"])
        outcome = second.page.evaluate(HIJACK, [theirs["token"], mine["conversation_id"]])
        assert outcome == {"join": "disconnected: io server disconnect", "write": "sent"}
        second.page.wait_for_timeout(2000)
        assert len(stack.tracker(mine["conversation_id"])["events"]) == before
        expect(first.bot_messages()).to_have_count(2)  # nothing new reached the first visitor
    finally:
        first_context.close()
        second_context.close()


# Runs in the second visitor's page, with the socket.io client the widget loaded.
HIJACK = """async ([token, victim]) => {
  const w = window.__secondReadWidget;
  const open = () => io(w.session.socket_url, {path: w.session.socket_path,
    transports: ["websocket"], auth: {token}, reconnection: false, forceNew: true});
  const join = await new Promise(resolve => {
    const s = open();
    s.on("connect", () => s.emit("session_request", {session_id: victim}));
    s.on("session_confirm", id => { s.close(); resolve("joined " + id); });
    s.on("disconnect", reason => resolve("disconnected: " + reason));
    setTimeout(() => { s.close(); resolve("timeout"); }, 10000);
  });
  const write = await new Promise(resolve => {
    const s = open();
    s.on("connect", () => s.emit("session_request", {session_id: w.session.conversation_id}));
    s.on("session_confirm", () => {
      s.emit("user_uttered", {message: "/restart", session_id: victim});
      setTimeout(() => { s.close(); resolve("sent"); }, 500);
    });
    setTimeout(() => { s.close(); resolve("timeout"); }, 10000);
  });
  return {join, write};
}"""


def test_bot_text_is_rendered_safely_and_typing_is_shown(chat: Chat) -> None:
    chat.open()
    hostile = (
        '<img src=x onerror="window.pwned=1"> **Bold** and *italic*\n'
        "- [the form](https://example.org/form) \n- [bad](javascript:window.pwned=1)"
    )
    chat.page.evaluate("text => window.__secondReadWidget.receive({text})", hostile)
    bubble = chat.bot_messages().last
    expect(bubble.locator("strong")).to_have_text("Bold")
    expect(bubble.locator("em")).to_have_text("italic")
    expect(bubble.locator("img")).to_have_count(0)
    expect(bubble).to_contain_text('<img src=x onerror="window.pwned=1">')  # shown as text
    link = bubble.get_by_role("link", name="the form")
    expect(link).to_have_attribute("href", "https://example.org/form")
    expect(link).to_have_attribute("target", "_blank")
    assert "noopener" in (link.get_attribute("rel") or "").split()
    expect(bubble.get_by_role("link")).to_have_count(1)  # no javascript: link
    assert chat.page.evaluate("() => window.pwned") is None

    typing = chat.page.get_by_text("Lakeside Imaging is typing…")
    expect(typing).to_be_hidden()
    chat.page.evaluate(SEEN_TYPING)
    chat.say("hi")
    chat.expect_replies(*MENU)
    expect(typing).to_be_hidden()
    assert chat.page.evaluate("() => window.sawTyping") is True  # shown while waiting


# Records whether the typing indicator appeared (a fast reply may hide it before a poll).
SEEN_TYPING = """() => {
  const typing = window.__secondReadWidget.typing;
  window.sawTyping = false;
  new MutationObserver(() => { if (!typing.hidden) window.sawTyping = true; })
    .observe(typing, {attributes: true, attributeFilter: ["hidden"]});
}"""


def test_an_emergency_reply_is_an_alert_and_stays_one_after_a_reload(chat: Chat) -> None:
    chat.open()
    chat.say("my husband's face is drooping on one side and his speech is slurred right now")
    alert = chat.log.get_by_role("alert")
    expect(alert).to_contain_text("Please call 911", timeout=45_000)
    expect(alert).to_contain_text("Emergency")
    # Styled apart from every other reply, and readable: dark red on pale red.
    colours = alert.evaluate(
        "el => [getComputedStyle(el).color, getComputedStyle(el).backgroundColor]"
    )
    assert colours == ["rgb(92, 16, 16)", "rgb(253, 236, 234)"]
    screenshot(chat.page, "emergency-alert")
    chat.page.reload()
    chat.wait_connected()  # the chat was open, so it opens again by itself
    expect(chat.log.get_by_role("alert")).to_contain_text("Please call 911")
    # Other replies are not alerts.
    assert chat.log.get_by_role("alert").count() == 1


def test_a_long_answer_is_shown_from_its_headline(chat: Chat) -> None:
    chat.page.set_viewport_size({"width": 1280, "height": 800})
    chat.open()
    chat.say("is a second opinion worth it on my brain MRI? they want to operate next month")
    headline = chat.expect_bot("is strongly recommended")
    chat.expect_bot("Next steps")  # the whole answer has arrived
    chat.page.wait_for_timeout(300)  # after the widget's own scrolling
    box, view = headline.bounding_box(), chat.log.bounding_box()
    assert box is not None and view is not None
    # The answer's first line is in view, at the top, not scrolled away above.
    assert view["y"] - 1 <= box["y"] <= view["y"] + 40
    assert view["height"] >= 300  # the panel uses the height it has
    screenshot(chat.page, "widget-1280-long-answer")


@pytest.mark.parametrize(("width", "height", "phone"), [(1280, 800, False), (375, 740, True)])
def test_every_menu_option_is_visible_without_scrolling(
    browser: Browser, stack: Stack, width: int, height: int, phone: bool
) -> None:
    context = browser.new_context(viewport={"width": width, "height": height}, is_mobile=phone,
                                  has_touch=phone)
    try:
        chat = Chat(context.new_page(), stack.web_url)
        chat.page.goto(stack.web_url)
        chat.launcher.click()
        chat.wait_connected()
        chat.say("hi")
        chat.expect_replies(*MENU)
        chat.page.wait_for_timeout(300)
        group = chat.quick_replies.bounding_box()
        buttons = chat.quick_replies.get_by_role("button")
        assert buttons.count() >= 9
        assert group is not None
        for n in range(buttons.count()):
            box = buttons.nth(n).bounding_box()
            assert box is not None
            inside = group["y"] - 1 <= box["y"] and box["y"] + box["height"] <= group["y"] + \
                group["height"] + 1
            assert inside, f"{buttons.nth(n).inner_text()} is cut off at {width} px"
        screenshot(chat.page, f"widget-{width}-menu")
    finally:
        context.close()
