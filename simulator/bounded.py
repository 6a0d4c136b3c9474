"""In-process caches bounded by count AND bytes, so memory stays flat however many flows an instance serves.

Every cache keyed by something a request brings (a submission id, a session key, a token, a header
fingerprint) is a `BoundedCache`: an `OrderedDict` that, on each insert, drops its oldest entries until
it holds at most `max_entries` entries and about `max_bytes` bytes (keys and values measured by
`approximate_size`). Being an `OrderedDict`, it keeps the callers' `get`, `move_to_end`, `setdefault`
and `popitem(last=False)`; their own trimming becomes a no-op. The bounds of the simulator's caches are the
constants below (a record of a submission with its documents is ~2-4 KB; a flow touches one of each).
"""

from __future__ import annotations

import sys
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import fields, is_dataclass
from enum import Enum
from typing import Any, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

MB = 1024 * 1024
SUBMISSIONS = (5_000, 12 * MB)  # the status hot path's records (store/repository.py)
SESSIONS = (5_000, 4 * MB)  # partner sessions (store/sessions.py)
SESSION_SCRIPTS = (5_000, 4 * MB)  # each session's resolved scenario script (store/scenarios.py)
VERIFIED_TOKENS = (5_000, 2 * MB)  # decoded partner and user tokens (tokens.py)
JOURNAL_CALLERS = (4_096, 2 * MB)  # who a request's headers name (services/journal/attribution.py)
JOURNAL_ROWS = (4_096, 4 * MB)  # journal rows of repeated polls (services/journal/attribution.py)

_SCALARS = (str, bytes, bytearray, int, float, bool, type(None), Enum)  # an Enum member is shared: its size only
_FIELDS: dict[type, tuple[str, ...]] = {}  # field names of each dataclass measured (a handful of record types)


def approximate_size(obj: object, depth: int = 6) -> int:
    """Bytes `obj` holds, approximately: `sys.getsizeof` of it and of what it contains (dicts, lists,
    tuples, sets, dataclasses, objects with `__dict__`), `depth` levels down; shared objects count each time."""
    size = sys.getsizeof(obj)
    if depth == 0 or isinstance(obj, _SCALARS):
        return size
    depth -= 1
    if isinstance(obj, dict):
        return size + sum(approximate_size(k, depth) + approximate_size(v, depth) for k, v in obj.items())
    if isinstance(obj, list | tuple | set | frozenset):
        return size + sum(approximate_size(item, depth) for item in obj)
    names = _FIELDS.get(type(obj))
    if names is None and is_dataclass(obj):
        names = _FIELDS[type(obj)] = tuple(f.name for f in fields(obj))
    if names is not None:
        return size + sum(approximate_size(getattr(obj, name, None), depth) for name in names)
    inner = getattr(obj, "__dict__", None)
    return size + (approximate_size(inner, depth) if isinstance(inner, dict) else 0)


class BoundedCache(OrderedDict[K, V]):
    """An insertion-ordered cache that never holds more than `max_entries` entries or ~`max_bytes` bytes.

    An insert drops the oldest entries first (move an entry to the end to keep it longer); an entry larger
    than `max_bytes` on its own is not kept. `bytes` is the current total of `sizer(key) + sizer(value)`.
    """

    def __init__(self, max_entries: int, max_bytes: int, sizer: Callable[[object], int] = approximate_size) -> None:
        super().__init__()
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.bytes = 0
        self._sizer = sizer
        self._sizes: dict[K, int] = {}

    @classmethod
    def of(cls, bounds: tuple[int, int]) -> BoundedCache[K, V]:
        """A cache with the `(max_entries, max_bytes)` bounds of one of this module's constants."""
        return cls(*bounds)

    def __setitem__(self, key: K, value: V) -> None:
        size = self._sizer(key) + self._sizer(value)
        self.bytes -= self._sizes.pop(key, 0)
        super().__setitem__(key, value)
        self._sizes[key] = size
        self.bytes += size
        if size > self.max_bytes:
            del self[key]
        while len(self) > self.max_entries or self.bytes > self.max_bytes:
            self.popitem(last=False)

    def __delitem__(self, key: K) -> None:
        super().__delitem__(key)
        self.bytes -= self._sizes.pop(key, 0)

    def pop(self, key: K, *default: Any) -> Any:
        found = super().pop(key, *default)
        self.bytes -= self._sizes.pop(key, 0)
        return found

    def popitem(self, last: bool = True) -> tuple[K, V]:
        key, value = super().popitem(last)
        self.bytes -= self._sizes.pop(key, 0)
        return key, value

    def setdefault(self, key: K, default: Any = None) -> Any:
        if key in self:
            return self[key]
        self[key] = default
        return default

    def clear(self) -> None:
        super().clear()
        self._sizes.clear()
        self.bytes = 0
