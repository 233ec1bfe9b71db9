"""`python -m bot.web [--host H] [--port P]` (defaults: BIND_HOST and WEB_PORT from Settings).

X-Forwarded-For and X-Forwarded-Proto are believed only from the reverse proxies named in
TRUSTED_PROXIES (none by default), so a client cannot choose the address that the console's
sign-in lockout and audit trail record.
"""

from __future__ import annotations

import argparse
import sys

import uvicorn

from bot.config import ConfigError, Settings


def main() -> int:
    try:
        settings = Settings.load()
    except ConfigError as error:
        print(f"web app not started: {error}", file=sys.stderr)
        return 2
    parser = argparse.ArgumentParser(description="SecondRead web app")
    parser.add_argument("--host", default=settings.bind_host)
    parser.add_argument("--port", type=int, default=settings.web_port)
    args = parser.parse_args()
    uvicorn.run(
        "bot.web.app:app",
        host=args.host,
        port=args.port,
        log_level="info",
        proxy_headers=bool(settings.trusted_proxies),
        forwarded_allow_ips=list(settings.trusted_proxies),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
