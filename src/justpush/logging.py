"""Structured event logging, configured only by entry points (`justpush serve`, the CLI).

Modules log with `logging.getLogger(__name__)` and pass fields through `extra={...}` (stage,
upload_id, …). Every line carries the current request id. Values of fields whose names look secret
are masked as a last line of defence; callers never pass secrets on purpose.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, TextIO

request_id_var: ContextVar[str | None] = ContextVar("justpush_request_id", default=None)

MASK = "********"
_SECRET_FIELD = re.compile(r"pass(word)?|secret|token|api[-_]?key|authorization|credential", re.I)
# Attributes every LogRecord has; anything else came in through `extra`.
# uvicorn adds `color_message`, a duplicate of the message with terminal colours.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "color_message",
}


def event_fields(record: logging.LogRecord) -> dict[str, Any]:
    """The `extra` fields of a record, secrets masked."""
    return {
        key: MASK if _SECRET_FIELD.search(key) else value
        for key, value in sorted(vars(record).items())
        if key not in _STANDARD and not key.startswith("_")
    }


class RequestIdFilter(logging.Filter):
    """Puts the request id of the current context on every record (None outside requests)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id and the `extra` fields."""

    def format(self, record: logging.LogRecord) -> str:
        event: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        event.update(event_fields(record))
        if record.exc_info:
            event["exception"] = self.formatException(record.exc_info)
        return json.dumps(event, default=str)


class ConsoleFormatter(logging.Formatter):
    """`time level logger: message key=value …` for people reading a terminal."""

    def format(self, record: logging.LogRecord) -> str:
        stamp = datetime.fromtimestamp(record.created, UTC).strftime("%H:%M:%S")
        fields = " ".join(f"{k}={v}" for k, v in event_fields(record).items() if v is not None)
        line = f"{stamp} {record.levelname:<7} {record.name}: {record.getMessage()}"
        if fields:
            line += f"  [{fields}]"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


DRIVER_LOGGERS = ("aiosqlite", "psycopg", "asyncpg")


def configure_logging(level: str = "INFO", fmt: str = "console", stream: TextIO | None = None) -> None:
    """Replace the root logger's handlers with one structured handler (idempotent)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else ConsoleFormatter())
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level)
    # The database drivers log each statement with its bound parameters (env values, token hashes) at
    # DEBUG; SQLAlchemy's own statement log stays, with parameters hidden by the engine.
    for name in DRIVER_LOGGERS:
        logging.getLogger(name).setLevel(max(logging.INFO, root.level))
    # Uvicorn's own access log duplicates the request log line of the web middleware.
    logging.getLogger("uvicorn.access").disabled = True
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
