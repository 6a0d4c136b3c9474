"""The one validator of `/_sim` input: every query string and JSON body is parsed into a pydantic model,
and a `ValidationError` becomes one `400` in the admin error format (`SIM_400`, a cause naming each field).

    parse(Model, data, what)   -> Model, or raises SimBadRequest("<what> is not valid (<field>: <why>; …) …")

The field types here are the shared spellings of `/_sim` values, strict where Python's own parsing is
lax: `WholeNumber` takes ASCII digits only (not "²", "1e9", "1_000" or " 5"), within a 64-bit integer;
`StatusFilter` a status code (100-599) or class ("4xx"); `Instant` an ISO 8601 date-time or finite
epoch seconds within years 1970-9999; `Seconds` a finite, bounded number of seconds.
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Any, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationError,
)

from simulator.clock import parse_iso
from simulator.errors import SimBadRequest

INT64_MAX = 2**63 - 1
EPOCH_MAX = 253402300799.0  # 9999-12-31T23:59:59Z
SECONDS_MAX = 100 * 365 * 86400.0
_DIGITS = re.compile(r"[0-9]{1,19}")
_STATUS = re.compile(r"([1-5])([0-9]{2}|xx)", re.IGNORECASE)

M = TypeVar("M", bound=BaseModel)


def _whole(value: Any) -> Any:
    if isinstance(value, str):
        if _DIGITS.fullmatch(value) is None:
            raise ValueError("must be a whole number written with the digits 0-9")
        return int(value)
    if isinstance(value, bool):
        raise ValueError("must be a whole number, not true/false")
    return value


def _status(value: Any) -> tuple[int | None, int | None]:
    """(status, status class) of a status filter: 404 -> (404, None), "4xx" -> (None, 4)."""
    if isinstance(value, tuple):
        return value
    if isinstance(value, bool):
        raise ValueError('must be a status code such as 200 or a class such as "4xx"')
    text = str(value) if isinstance(value, int) else value
    match = _STATUS.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise ValueError('must be a status code (100-599) such as 200 or a class such as "4xx"')
    return (None, int(match.group(1))) if match.group(2).lower() == "xx" else (int(text), None)


def _instant(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError("must be an ISO 8601 date-time (2026-01-01T00:00:00Z) or epoch seconds")
    try:
        at = float(value) if isinstance(value, int | float) or _looks_numeric(value) else parse_iso(value)
    except (ValueError, TypeError, OverflowError, AttributeError):
        raise ValueError("must be an ISO 8601 date-time (2026-01-01T00:00:00Z) or epoch seconds") from None
    if not math.isfinite(at) or not 0 <= at <= EPOCH_MAX:
        raise ValueError("must be between 1970-01-01T00:00:00Z and 9999-12-31T23:59:59Z")
    return at


def _looks_numeric(value: Any) -> bool:
    return isinstance(value, str) and re.fullmatch(r"[0-9]+(\.[0-9]+)?", value) is not None


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise ValueError("must be a finite number")
    return value


WholeNumber = Annotated[int, BeforeValidator(_whole), Field(ge=0, le=INT64_MAX)]


def _status_text(value: tuple[int | None, int | None]) -> int | str:
    return value[0] if value[0] is not None else f"{value[1]}xx"


StatusFilter = Annotated[
    tuple[int | None, int | None], BeforeValidator(_status), PlainSerializer(_status_text, return_type=int | str)
]
Instant = Annotated[float, BeforeValidator(_instant)]
Seconds = Annotated[float, Field(strict=True, ge=0, le=SECONDS_MAX), AfterValidator(_finite)]


class QueryModel(BaseModel):
    """Base of the query-string models: camelCase names as in the URL, unknown parameters ignored."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True, frozen=True)


class BodyModel(BaseModel):
    """Base of the JSON-body models: camelCase names, unknown fields refused (a typo is a 400)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)


def problems(exc: ValidationError) -> str:
    """`field: why; field: why` for every error of `exc` (the input is shown, cut short, where useful)."""
    found = []
    for error in exc.errors(include_url=False):
        field = ".".join(str(p) for p in error["loc"]) or "body"
        message = error["msg"].removeprefix("Value error, ")
        shown = error.get("input")
        if isinstance(shown, str | int | float) and not isinstance(shown, bool) and error["type"] != "missing":
            message += f" (got {str(shown)[:40]!r})"
        found.append(f"`{field}`: {message}")
    return "; ".join(found)


def parse(model: type[M], data: Any, what: str) -> M:
    """`data` validated into `model`; raises SimBadRequest (`SIM_400`) naming every bad field of `what`."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise SimBadRequest(f"{what} is not valid: {problems(exc)}.") from None
