"""Structured logging: JSON lines (default) or plain text, with the `extra` fields kept.

Every line is stamped in ISO 8601 UTC with milliseconds (`2026-05-01T10:00:02.125Z`), the form the
simulator clock, the journal and the dashboard use.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any

_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


def timestamp(record: logging.LogRecord) -> str:
    """When `record` was made, e.g. `2026-05-01T10:00:02.125Z` (wall clock, UTC, milliseconds)."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": timestamp(record),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update({k: v for k, v in vars(record).items() if k not in _STANDARD})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class TextFormatter(logging.Formatter):
    """`2026-05-01T10:00:02.125Z INFO    simulator.app: simulator ready`."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s: %(message)s")

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return timestamp(record)


def _uvicorn_worth_showing(record: logging.LogRecord) -> bool:
    """uvicorn's warnings and errors, and its access lines (`--access-log`); not its INFO start-up chatter
    (the simulator announces itself, `simulator.serving`), whatever level uvicorn sets on its loggers."""
    return record.levelno >= logging.WARNING or record.name == "uvicorn.access"


def configure(level: str = "INFO", fmt: str = "json") -> None:
    """Lines of the simulator's loggers, and of uvicorn's (see `_uvicorn_worth_showing`), to standard
    error in one format: `fmt` is "json" or "text"; `level` a logging level name."""
    formatter = JsonFormatter() if fmt == "json" else TextFormatter()
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger("simulator")
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    root.propagate = False
    uvicorn_handler = logging.StreamHandler(sys.stderr)
    uvicorn_handler.setFormatter(formatter)
    uvicorn_handler.addFilter(_uvicorn_worth_showing)
    uvicorn = logging.getLogger("uvicorn")
    uvicorn.handlers[:] = [uvicorn_handler]
    uvicorn.propagate = False
