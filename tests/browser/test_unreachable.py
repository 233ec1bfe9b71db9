"""When the widget cannot reach the assistant it says so and shows the emergency line, never a
silent spinner (issue 15, item 2)."""

from __future__ import annotations

import json

from playwright.sync_api import Route, expect

from tests.browser.chat import Chat
from tests.integration.stack import free_port


def test_rasa_unreachable_shows_the_emergency_line(chat: Chat) -> None:
    # Rasa does not answer: the session names a port where nothing listens. (Playwright's
    # page.route does not see websockets, so the session itself is changed.)
    dead = f"http://127.0.0.1:{free_port()}"

    def to_dead_rasa(route: Route) -> None:
        response = route.fetch()
        session = {**response.json(), "socket_url": dead}
        route.fulfill(response=response, body=json.dumps(session))

    chat.page.route("**/api/sessions*", to_dead_rasa)
    chat.page.goto(chat.base_url)
    chat.launcher.click()
    status = chat.page.locator(".sr-status")
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
    status = chat.page.locator(".sr-status")
    expect(status).to_contain_text("hasn't answered yet")
    expect(status).to_contain_text("call 911")

    chat.say("hi")  # a real reply clears the notice
    chat.expect_bot("")
    expect(status).to_be_hidden(timeout=45_000)


