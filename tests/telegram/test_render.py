"""Rasa replies → Telegram messages: escaping for HTML parse mode, links, buttons, media."""

from __future__ import annotations

import html

import pytest

from bot.guidance.red_flags import EMERGENCY_OPENINGS, emergency_guidance
from bot.notify.telegram.render import (
    CHOOSE,
    MAX_TEXT,
    Button,
    Outgoing,
    render_message,
    render_messages,
    split_text,
    to_html,
)


def test_html_special_characters_are_escaped_and_nothing_else() -> None:
    text = 'Fees < $6.50 & "cost-based" > nothing_else *stays* [as] is_'
    assert to_html(text) == (
        'Fees &lt; $6.50 &amp; "cost-based" &gt; nothing_else *stays* [as] is_'
    )


def test_markdown_links_become_anchors_with_escaped_parts() -> None:
    text = "Upload [here & now](https://x.test/upload?token=a.b&c=1) <please>"
    assert to_html(text) == (
        'Upload <a href="https://x.test/upload?token=a.b&amp;c=1">here &amp; now</a> &lt;please&gt;'
    )


def test_only_http_links_are_linked() -> None:
    assert to_html("[x](javascript:alert(1))") == "[x](javascript:alert(1))"


def test_long_text_is_split_at_paragraphs_within_the_limit() -> None:
    paragraph = "word " * 300
    chunks = split_text("\n\n".join([paragraph] * 6))
    assert len(chunks) > 1
    assert all(len(chunk) <= MAX_TEXT for chunk in chunks)
    assert " ".join(chunks).split() == ("\n\n".join([paragraph] * 6)).split()
    assert split_text("x" * (MAX_TEXT + 5)) == ["x" * MAX_TEXT, "x" * 5]


def test_buttons_go_on_the_last_message_and_urls_become_link_buttons() -> None:
    message = {
        "text": "first\n\n" + "y" * MAX_TEXT,
        "buttons": [
            {"title": "Yes", "payload": "/affirm"},
            {"title": "Portal", "payload": "https://portal.test/"},
            {"title": "Site", "url": "https://site.test/", "type": "web_url"},
            {"title": "", "payload": "/deny"},
        ],
    }
    first, last = render_message(message)
    assert first.buttons == ()
    assert last.buttons == (
        Button("Yes", "/affirm"),
        Button("Portal", url="https://portal.test/"),
        Button("Site", url="https://site.test/"),
    )


def test_buttons_without_text_still_get_a_message() -> None:
    (item,) = render_message({"buttons": [{"title": "Yes", "payload": "/affirm"}]})
    assert item.html == CHOOSE and item.buttons == (Button("Yes", "/affirm"),)


def test_images_with_a_caption_and_attachments_and_unknown_messages() -> None:
    items = render_messages(
        [
            {"image": "https://x.test/a.png", "text": "A & B"},
            {"attachment": {"type": "file", "payload": {"src": "https://x.test/f.pdf"}}},
            {"custom": {"anything": 1}},
            {"text": "   "},
        ]
    )
    assert items == [
        Outgoing("A &amp; B", "A & B", photo_url="https://x.test/a.png"),
        Outgoing("", "", document_url="https://x.test/f.pdf"),
    ]


def test_plain_fallback_keeps_the_link_target() -> None:
    (item,) = render_message({"text": "see [the page](https://x.test/p)"})
    assert item.plain == "see the page (https://x.test/p)"


@pytest.mark.parametrize("categories", [["stroke"], ["urgent_report"], ["self_harm", "stroke"]])
def test_an_emergency_reply_starts_in_bold(categories: list[str]) -> None:
    text = emergency_guidance(categories)
    (message,) = render_message({"text": text})
    opening = next(o for o in EMERGENCY_OPENINGS if text.startswith(o))
    assert message.html.startswith(f"<b>{html.escape(opening, quote=False)}</b> ")
    assert message.plain == text  # the fallback without markup keeps every word
    assert message.html.count("<b>") == 1


def test_other_replies_mentioning_911_are_not_bold() -> None:
    (message,) = render_message({"text": "If it gets worse, please call 911 or go to the ER."})
    assert "<b>" not in message.html
