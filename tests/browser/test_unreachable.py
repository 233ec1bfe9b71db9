"""When the widget cannot reach the assistant it says so and shows the emergency line, never a
silent spinner (issue 15, item 2)."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.chat import Chat


def test_rasa_unreachable_shows_the_emergency_line(chat: Chat) -> None:
    # Rasa's socket.io does not answer (down, or blocked on the way).
    chat.page.route("**/socket.io/**", lambda route: route.abort())
    chat.page.goto(chat.base_url)
    chat.launcher.click()
    status = chat.page.get_by_role("status").filter(has_text="call 911")
    expect(status).to_contain_text("Can't reach the assistant", timeout=30_000)

    chat.say("I have crushing chest pain right now")
    expect(status).to_contain_text("Not connected yet")
    expect(status).to_contain_text("If this is an emergency, call 911 now.")
    expect(chat.user_messages().last).to_have_text("I have crushing chest pain right now")


def test_a_reply_that_never_comes_is_not_a_silent_spinner(chat: Chat) -> None:
    chat.open()
    widget = "window.__secondReadWidget"
    # Connected, but the answer does not come (a stuck server): shorten the wait for the test.
    chat.page.evaluate(f"() => {{ {widget}.replyTimeoutMs = 300; {widget}.showTyping(); }}")
    expect(chat.page.get_by_text("Lakeside Imaging is typing…")).to_be_hidden()
    expect(chat.page.get_by_role("status")).to_contain_text("hasn't answered yet")
    expect(chat.page.get_by_role("status")).to_contain_text("call 911")

    chat.say("hi")  # a real reply clears the notice
    chat.expect_bot("")
    expect(chat.page.get_by_role("status")).to_be_hidden(timeout=45_000)


