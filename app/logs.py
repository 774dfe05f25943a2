"""Logging that never carries a secret: `api_key=` values are masked in access logs."""

import logging
import re

_SECRET_IN_QUERY = re.compile(r"(?i)((?:api_key|preview)=)[^&\s\"]+")


def redact(text: str) -> str:
    return _SECRET_IN_QUERY.sub(r"\1[redacted]", text)


class RedactSecrets(logging.Filter):
    """Masks keys and preview tokens in query strings of any log record's arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.msg, str):
            record.msg = redact(record.msg)
        return True


def install() -> None:
    for name in ("uvicorn.access", "uvicorn.error", "byline"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactSecrets) for f in logger.filters):
            logger.addFilter(RedactSecrets())
