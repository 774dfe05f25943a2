"""Logging that never carries a secret, and the access log the edge writes.

Every request gets one access line from the edge, not from uvicorn: the edge knows the
request id and how long the answer took, and writes lines in batches (uvicorn's access log,
a record and a write per request, was a third of a warm read's time). `api_key=` and
preview tokens are masked in it, and in any record of Byline's or uvicorn's loggers.
"""

import asyncio
import atexit
import logging
import re
import sys
from typing import Any

_SECRET_IN_QUERY = re.compile(r"(?i)((?:api_key|preview)=)[^&\s\"]+")
_SECRET_NAMES = (b"api_key", b"preview")


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


class AccessLog:
    """One line a request on standard output, written in batches as nginx's buffered
    `access_log` does: when 32 KiB have gathered or a second after the first line waiting,
    and at exit. Writing each line through `logging` took a quarter of a warm read's time;
    a hard kill loses at most the last second's lines."""

    BUFFER_BYTES = 32 * 1024
    FLUSH_SECONDS = 1.0

    def __init__(self, stream: Any = None) -> None:
        self._stream = stream
        self._lines: list[str] = []
        self._size = 0
        self._timer: asyncio.TimerHandle | None = None
        atexit.register(self.flush)

    def write(self, scope: dict[str, Any], status: int, seconds: float, request_id: str) -> None:
        """`127.0.0.1 - "GET /v1/articles?tag=x HTTP/1.1" 200 3.1ms 5f0c…`: the client, the
        request line, the status, the time to the answer's end, the request id."""
        path = scope.get("raw_path") or scope["path"].encode()
        query = scope.get("query_string") or b""
        if query:
            target = (path + b"?" + query).decode("latin-1")
            lowered = query.lower()
            if any(name in lowered for name in _SECRET_NAMES):
                target = redact(target)
        else:
            target = path.decode("latin-1")
        client = scope.get("client")
        line = (
            f'INFO:     {client[0] if client else "-"} - "{scope["method"]} {target} '
            f'HTTP/{scope.get("http_version", "1.1")}" {status} {seconds * 1000:.1f}ms '
            f"{request_id}\n"
        )
        self._lines.append(line)
        self._size += len(line)
        if self._size >= self.BUFFER_BYTES:
            self.flush()
        elif self._timer is None:
            try:
                self._timer = asyncio.get_running_loop().call_later(self.FLUSH_SECONDS, self.flush)
            except RuntimeError:  # no loop (called from a thread): write now
                self.flush()

    def flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if not self._lines:
            return
        text = "".join(self._lines)
        self._lines.clear()
        self._size = 0
        stream = self._stream or sys.stdout
        try:
            stream.write(text)
            stream.flush()
        except (OSError, ValueError):  # standard output closed: nothing to keep it for
            pass


def access_logged(settings: Any) -> bool:
    """Access lines are written at `info` (as uvicorn's are): `LOG_LEVEL=warning` or
    `ACCESS_LOG=false` turns them off."""
    level = logging.getLevelName(settings.log_level.upper())
    return bool(settings.access_log) and isinstance(level, int) and level <= logging.INFO


def config(level: str) -> dict[str, Any]:
    """uvicorn's logging, with Byline's messages beside its own on standard error."""
    from uvicorn.config import LOGGING_CONFIG

    return {
        **LOGGING_CONFIG,
        "loggers": {
            **LOGGING_CONFIG["loggers"],
            "byline": {"handlers": ["default"], "level": level.upper(), "propagate": False},
        },
    }
