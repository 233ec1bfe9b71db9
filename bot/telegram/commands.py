"""Telegram commands → the bot's intents, and typed text → what Rasa receives.

Rasa reads a message starting with "/" as an intent with entities (`/inform{"exam_type":…}`), so
typed text must never reach Rasa with a leading slash: only the commands below and our own
buttons (whose payloads come from Rasa) may pick an intent directly.
"""

from __future__ import annotations

import re

# command → (Rasa payload, description shown in Telegram's command menu)
COMMANDS: dict[str, tuple[str, str]] = {
    "start": ("/greet", "Start the conversation"),
    "help": ("/help", "What I can help with"),
    "restart": ("/restart", "Start over"),
    "delete_my_data": ("/delete_my_data", "Delete what this chat stored"),
}

# "/start", "/help@SecondReadBot", "/start deep-link-argument"
_COMMAND = re.compile(r"^/([A-Za-z0-9_]{1,32})(?:@\w+)?(?:\s|$)")


def rasa_text(text: str) -> str:
    """What to send Rasa for a typed message ("" means nothing to send)."""
    text = text.strip()
    match = _COMMAND.match(text)
    if match and match[1].lower() in COMMANDS:
        return COMMANDS[match[1].lower()][0]
    # Unknown commands and anything else slash-led are read as plain words.
    return text.lstrip("/").strip()
