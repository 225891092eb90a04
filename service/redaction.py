"""Saved-search tokens never reach a log: every record of the service's and uvicorn's loggers (the access log above
all) has the token of a /searches/... or /suche/... path replaced before any handler sees it."""
from __future__ import annotations

import logging
import re

TOKEN_PATH = re.compile(r"(/(?:searches|suche)/)[^/?#\s\"']+")
LOGGERS = ("uvicorn.access", "uvicorn.error", "uvicorn", "service")


def redact(text: str) -> str:
    return TOKEN_PATH.sub(r"\1[redacted]", text)


class RedactTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def install() -> None:
    """Add the filter to each logger that may name a request's path (once; create_app may run many times)."""
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactTokens) for f in logger.filters):
            logger.addFilter(RedactTokens())
