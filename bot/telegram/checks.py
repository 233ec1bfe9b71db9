"""Is the Telegram configuration usable? Checked before anything starts, with plain messages.

`python -m bot.telegram --check-config` prints the verdict (exit 0: usable or Telegram off;
2: not usable); the bridge refuses to start on the same problems. `make run` and `make
telegram` run it first, since the web app shares their environment: a configuration in which
the bridge would run but slow upload verdicts could not reach the chats is refused too.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from bot.config import Settings

# https://core.telegram.org/bots/api#setwebhook: secret_token.
WEBHOOK_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
# "<bot id>:<secret>", as BotFather gives it.
BOT_TOKEN = re.compile(r"^\d+:[A-Za-z0-9_-]+$")
WEBHOOK_PORTS = "Telegram calls webhooks on ports 443, 80, 88 and 8443 only"


def problems(settings: Settings) -> list[str]:
    """What stops the bridge, or the delivery of verdicts to chats; [] when all is well."""
    tg = settings.telegram
    if not tg.bot_token:
        return ["TELEGRAM_BOT_TOKEN is not set"]
    found: list[str] = []
    if not BOT_TOKEN.match(tg.bot_token):
        found.append("TELEGRAM_BOT_TOKEN does not look like a bot token (<digits>:<letters>)")
    if tg.webhook_secret and not WEBHOOK_SECRET.match(tg.webhook_secret):
        found.append(
            "TELEGRAM_WEBHOOK_SECRET may only use A-Z, a-z, 0-9, _ and - (1 to 256 characters); "
            "Telegram refuses anything else"
        )
    if tg.webhook_url:
        found.extend(_webhook_url_problems(tg.webhook_url, tg.webhook_allow_http))
    if not settings.rasa_api_token:
        found.append(
            "RASA_API_TOKEN is not set: the web app could not ask Rasa for the verdict of a "
            "slow upload check, so it would never reach the Telegram chat"
        )
    return found


def _webhook_url_problems(url: str, allow_http: bool) -> list[str]:
    parts = urlsplit(url)
    if parts.scheme == "http" and not allow_http:
        return [
            "TELEGRAM_WEBHOOK_URL must start with https:// (Telegram calls webhooks over HTTPS "
            "only); for development behind a tunnel set TELEGRAM_WEBHOOK_ALLOW_HTTP=1"
        ]
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return ["TELEGRAM_WEBHOOK_URL must be a full https:// URL"]
    try:
        port = parts.port
    except ValueError:
        return ["TELEGRAM_WEBHOOK_URL has an invalid port"]
    if parts.scheme == "https" and port not in (None, 443, 80, 88, 8443):
        return [f"TELEGRAM_WEBHOOK_URL uses port {port}: {WEBHOOK_PORTS}"]
    return []
