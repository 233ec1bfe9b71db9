"""Keep patient data out of the web server's access log.

Console URLs carry search terms (a patient's name typed into the filter), conversation ids
(on Telegram a chat id) and case numbers. uvicorn logs every request line, so console paths
are reduced to their route shape: `/console/conversations/…?…`.
"""

from __future__ import annotations

import logging
import re

_RECORDS = re.compile(r"^(/console/(?:conversations|cases))/[^?]+")


def redact(path: str) -> str:
    if not path.startswith("/console"):
        return path
    path, query, _ = path.partition("?")
    return _RECORDS.sub(r"\1/…", path) + ("?…" if query else "")


class RedactConsolePaths(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], redact(args[2]), *args[3:])
        return True


def install() -> None:
    """Idempotent: attach the filter to uvicorn's access logger once."""
    logger = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, RedactConsolePaths) for f in logger.filters):
        logger.addFilter(RedactConsolePaths())
