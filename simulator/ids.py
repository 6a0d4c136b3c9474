"""The only source of ids, secrets and randomness. Seeded, it repeats itself exactly."""

from __future__ import annotations

import random
import secrets
import threading
import uuid


class IdFactory:
    def __init__(self, seed: int | None = None) -> None:
        self._lock = threading.Lock()
        self._seed = seed
        self._random: random.Random | None = random.Random(seed) if seed is not None else None
        # Its own stream, so error answers never shift the ids a seeded run hands out.
        self._request_ids = random.Random(f"{seed}:request-id") if seed is not None else None

    @property
    def seeded(self) -> bool:
        return self._random is not None

    def uuid(self) -> str:
        if self._random is None:
            return str(uuid.uuid4())
        with self._lock:
            return str(uuid.UUID(int=self._random.getrandbits(128), version=4))

    def request_id(self) -> str:
        """An S3-style request id: 16 upper-case hex digits (storage error bodies)."""
        if self._request_ids is None:
            return secrets.token_hex(8).upper()
        with self._lock:
            return self._request_ids.randbytes(8).hex().upper()

    def secret(self, nbytes: int = 32) -> str:
        if self._random is None:
            return secrets.token_hex(nbytes)
        with self._lock:
            return self._random.randbytes(nbytes).hex()

    def rng(self, salt: str) -> random.Random:
        """A private random stream for `salt`; reproducible when the factory is seeded."""
        if self._seed is None:
            return random.Random(secrets.randbits(64))
        return random.Random(f"{self._seed}:{salt}")


def instance_id() -> str:
    """A new id for one running instance (never seeded: two instances must never share one)."""
    return uuid.uuid4().hex


MAX_PARTNER_ID_CHARS = 512
"""The longest id a partner may send in a header (`x-partner-session-id`, `x-partner-user-id`, …), in
characters. The vendor documents no limit; the simulator stores these ids in indexed columns, and a
PostgreSQL btree index entry holds at most 2 704 bytes (512 characters of 4-byte UTF-8 and the client id
fit). A longer one is the endpoint's 400 `<HEADER>_TOO_LONG`, on SQLite and PostgreSQL alike."""
