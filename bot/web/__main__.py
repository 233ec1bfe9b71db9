"""`python -m bot.web [--host H] [--port P]` (defaults: BIND_HOST and WEB_PORT from Settings).

X-Forwarded-For and X-Forwarded-Proto are believed only from the reverse proxies named in
TRUSTED_PROXIES (none by default), so a client cannot choose the address that the console's
sign-in lockout and audit trail record. The access log never shows a `token=` value (upload
links carry their token in the query string).
"""

from __future__ import annotations

import argparse
import logging
import re
import sys

import uvicorn

from bot.config import ConfigError, Settings

_TOKEN_IN_QUERY = re.compile(r"([?&](?:token|access_token)=)[^&\s]*", re.IGNORECASE)


class RedactTokens(logging.Filter):
    """uvicorn's access-log records carry the path with its query string as args[2]."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], _TOKEN_IN_QUERY.sub(r"\1[redacted]", args[2]), *args[3:])
        return True


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
    config = uvicorn.Config(
        "bot.web.app:app",
        host=args.host,
        port=args.port,
        log_level="info",
        proxy_headers=bool(settings.trusted_proxies),
        forwarded_allow_ips=list(settings.trusted_proxies),
    )
    # After Config, which sets up uvicorn's loggers.
    logging.getLogger("uvicorn.access").addFilter(RedactTokens())
    uvicorn.Server(config).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
