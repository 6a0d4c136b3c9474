"""Every in-process cache keyed by what requests bring is bounded by count AND bytes (simulator.bounded).

Caches are filled past their bounds, by real requests or by direct calls of the owning service, and must stay
under them; no timing is asserted.
"""

from __future__ import annotations

import pytest
from conftest import Sim

from simulator.bounded import (
    JOURNAL_CALLERS,
    JOURNAL_ROWS,
    MB,
    SESSION_SCRIPTS,
    SESSIONS,
    SUBMISSIONS,
    VERIFIED_TOKENS,
    BoundedCache,
    approximate_size,
)
from simulator.clock import ControllableClock
from simulator.ids import IdFactory
from simulator.services.journal.attribution import RowBuilder
from simulator.tokens import TokenService


def test_a_cache_never_holds_more_entries_than_its_count_bound() -> None:
    cache: BoundedCache[int, str] = BoundedCache(max_entries=100, max_bytes=MB)
    for i in range(1_000):
        cache[i] = "x"
        assert len(cache) <= 100
    assert list(cache)[:1] == [900]  # the oldest went first


def test_a_cache_never_holds_more_bytes_than_its_byte_bound() -> None:
    cache: BoundedCache[int, bytes] = BoundedCache(max_entries=10_000, max_bytes=64 * 1024)
    for i in range(1_000):
        cache[i] = bytes(1_000 + i)
        assert cache.bytes <= 64 * 1024
    assert cache.bytes == sum(approximate_size(k) + approximate_size(v) for k, v in cache.items())
    assert 0 < len(cache) < 64


def test_an_entry_larger_than_the_byte_bound_is_not_kept() -> None:
    cache: BoundedCache[str, bytes] = BoundedCache(max_entries=10, max_bytes=1_000)
    cache["small"] = b"s"
    assert cache.setdefault("huge", bytes(10_000)) == bytes(10_000)
    assert list(cache) == ["small"]


def test_removals_of_every_kind_give_their_bytes_back() -> None:
    cache: BoundedCache[int, str] = BoundedCache(max_entries=10, max_bytes=MB)
    for i in range(6):
        cache[i] = "v" * 100
    cache.pop(0)
    cache.popitem(last=False)
    del cache[2]
    cache[3] = "shorter"  # a replaced value counts once
    assert cache.pop(99, None) is None
    assert cache.bytes == sum(approximate_size(k) + approximate_size(v) for k, v in cache.items())
    cache.clear()
    assert cache.bytes == 0


def test_approximate_size_counts_what_a_record_holds() -> None:
    small = {"id": "a"}
    large = {"id": "a", "documents": {"selfie": {"url": "u" * 10_000}}}
    assert approximate_size(large) - approximate_size(small) >= 10_000


def test_verified_tokens_stay_under_both_bounds() -> None:
    tokens = TokenService("s" * 32, "kid", ControllableClock(), IdFactory(1))
    for i in range(VERIFIED_TOKENS[0] + 200):
        tokens.verify(tokens.issue("partner", f"client-{i}", 3600).token, "partner")
    cache = tokens._verified
    assert isinstance(cache, BoundedCache)
    assert len(cache) <= VERIFIED_TOKENS[0]
    fat = TokenService("s" * 32, "kid", ControllableClock(), IdFactory(2))
    for i in range(400):  # each token carries ~10 KB of claims: 4 MB in all, past the byte bound
        fat.issue("user", f"client-{i}", 3600, user_id="u" * 10_000)
    assert fat._verified.bytes <= VERIFIED_TOKENS[1]
    assert len(fat._verified) < 400


def test_remembered_journal_callers_stay_under_both_bounds() -> None:
    builder = RowBuilder(lambda _token: None, limit=2048)
    for i in range(3_000):  # distinct callers with ~4 KB of headers each: 12 MB past the byte bound
        builder.caller([(b"client-id", f"client-{i}".encode()), (b"user-agent", b"a" * 4_000)])
    callers = builder._callers
    assert len(callers) <= JOURNAL_CALLERS[0]
    assert callers.bytes <= JOURNAL_CALLERS[1]


@pytest.mark.anyio
async def test_the_repositorys_caches_are_bounded_and_account_for_real_requests(sim: Sim) -> None:
    vendor = sim.vendor()
    sdk = await vendor.launch("bounded-caches")
    await vendor.capture(sdk)
    repo = sim.services.repo
    for cache, bounds in (
        (repo._submissions, SUBMISSIONS),
        (repo._sessions, SESSIONS),
        (repo._script_cache(), SESSION_SCRIPTS),
    ):
        assert isinstance(cache, BoundedCache)
        assert (cache.max_entries, cache.max_bytes) == bounds
    assert len(repo._submissions) >= 1
    assert repo._submissions.bytes == sum(
        approximate_size(k) + approximate_size(v) for k, v in repo._submissions.items()
    )


def test_the_byte_bounds_together_stay_under_the_memory_goal() -> None:
    caches = (SUBMISSIONS, SESSIONS, SESSION_SCRIPTS, VERIFIED_TOKENS, JOURNAL_CALLERS, JOURNAL_ROWS)
    assert sum(max_bytes for _count, max_bytes in caches) < 50 * MB
