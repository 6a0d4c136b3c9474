"""Assembly of one simulator instance: what the app's lifespan opens at start and closes at stop.

`open_services` migrates the database (Alembic, under an advisory lock on PostgreSQL), registers this
instance, agrees with any other instance on the shared rows (the clock row, the signing key: each
created by `INSERT … ON CONFLICT DO NOTHING`, then read back, so instances starting together end up
with the same ones), builds the services, and starts the journal writer, the coherence loop (change
listener and heartbeat) and the scheduler; it closes them in reverse.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from simulator.clock import ControllableClock
from simulator.ids import IdFactory, instance_id
from simulator.jobs.retry import RetryPolicy
from simulator.jobs.scheduler import Scheduler
from simulator.partners import load_partners
from simulator.scenarios.loader import load_catalog
from simulator.services.coherence import Coherence
from simulator.services.context import Services
from simulator.services.control.partners import merge_partners
from simulator.services.journal.attribution import make_journal
from simulator.services.vendor_flow.presigned_urls import UrlSigner
from simulator.services.vendor_flow.processing import give_up_handlers, job_handlers
from simulator.settings import Settings
from simulator.store import migrate, shared
from simulator.store import tables as t
from simulator.store.admin_queries import revoked_jtis
from simulator.store.db import make_engine
from simulator.store.repository import Repository
from simulator.store.upsert import insert_or_ignore
from simulator.tokens import TokenService

CLOCK_KEY = "clock"  # where the version before the clock row kept the clock (read once, to carry it over)
SIGNING_KEY = "signing"


class SeededInstancesError(RuntimeError):
    """`--seed` with another live instance on the database: both would make the same ids."""


async def _signing_key(repo: Repository, ids: IdFactory) -> dict[str, str]:
    keys: dict[str, str] | None = await repo.get_meta(SIGNING_KEY)
    if keys:
        return keys
    async with repo.write() as conn:
        await insert_or_ignore(conn, t.meta, {"key": SIGNING_KEY, "value": {"kid": ids.uuid(), "secret": ids.secret()}})
    keys = await repo.get_meta(SIGNING_KEY)
    assert keys, "the signing key row exists: this call or another instance inserted it"
    return keys


async def _clock(repo: Repository, clock: ControllableClock, settings: Settings) -> None:
    legacy = await repo.get_meta(CLOCK_KEY) or {}
    offset = float(legacy.get("offset") or 0.0)
    frozen = legacy.get("frozenAt")
    frozen_at = float(frozen) if frozen is not None else None
    if not legacy and settings.frozen_clock:
        frozen_at = clock.wall()
    async with repo.write() as conn:
        state = await shared.ensure_clock(conn, offset, frozen_at)
    clock.apply(*state)


async def _refuse_seeded_neighbours(repo: Repository, settings: Settings, wall: float) -> None:
    others = await shared.other_live_instances(repo.engine, repo.instance_id, wall - settings.job_lease_seconds)
    seeded = [url for (_id, is_seeded, url) in others if is_seeded]
    if others and (settings.seed is not None or seeded):
        where = ", ".join(url for (_id, _s, url) in others)
        raise SeededInstancesError(
            f"--seed needs the database to itself, but another instance is live on it ({where}): "
            "seeded instances would make the same ids; drop --seed or give each seeded instance its own database"
        )


async def preflight(settings: Settings) -> str | None:
    """Migrate, then the one-line reason this instance must not start on the database (else None)."""
    engine = make_engine(settings.database_url)
    try:
        await migrate.upgrade(engine)
        probe = Repository(engine, instance_id())
        try:
            await _refuse_seeded_neighbours(probe, settings, ControllableClock().wall())
        except SeededInstancesError as exc:
            return str(exc)
        return None
    finally:
        await engine.dispose()


@asynccontextmanager
async def open_services(
    settings: Settings,
    *,
    clock: ControllableClock | None = None,
    http: httpx.AsyncClient | None = None,
    start_scheduler: bool = True,
) -> AsyncIterator[Services]:
    """The services of one instance on `settings.database`, started; closed (in reverse) on exit."""
    engine = make_engine(settings.database_url)
    own_http = http is None
    # Loading the CA bundle takes tens of milliseconds: a worker thread does it while the database is opened.
    tls = None if http is not None else asyncio.get_running_loop().run_in_executor(None, httpx.create_ssl_context)
    try:
        await migrate.upgrade(engine)
        repo = Repository(engine, instance_id())
        ids = IdFactory(settings.seed)
        clock = clock or ControllableClock()
        wall = clock.wall()
        await shared.register_instance(engine, repo.instance_id, wall, settings.seed is not None, settings.base_url)
        try:
            await _refuse_seeded_neighbours(repo, settings, wall)
            await _clock(repo, clock, settings)
            keys = await _signing_key(repo, ids)
            partners = await merge_partners(repo, load_partners(settings.config), clock.now())
            if http is None:
                assert tls is not None
                http = httpx.AsyncClient(follow_redirects=False, timeout=httpx.Timeout(10.0), verify=await tls)
            services = Services(
                settings=settings,
                clock=clock,
                ids=ids,
                repo=repo,
                tokens=TokenService(keys["secret"], keys["kid"], clock, ids),
                signer=UrlSigner(keys["secret"], settings.base_url),
                http=http,
                partners=partners,
                scripts=load_catalog(settings.scenario_dirs),
            )
            services.scheduler = Scheduler(
                repo,
                clock,
                job_handlers(services),
                settings.scheduler_interval_seconds,
                settings.scheduler_concurrency,
                lease=settings.job_lease_seconds,
                retry=RetryPolicy.from_settings(settings),
                give_up=give_up_handlers(services),
            )
            services.journal = make_journal(settings, repo, services.tokens)
            services.tokens.load_revoked(await revoked_jtis(repo))
            services.coherence = Coherence(services)
            try:
                await services.journal.start()
                await services.coherence.start()
                if start_scheduler:
                    await services.scheduler.start()
                yield services
            finally:
                await services.scheduler.stop()
                await services.coherence.stop()
                await services.journal.stop()
        finally:
            await shared.unregister_instance(engine, repo.instance_id, clock.wall() - 86_400)
    finally:
        if own_http and http is not None:
            await http.aclose()
        elif tls is not None:
            with contextlib.suppress(Exception):
                await tls  # a start that failed before the client was made: let the thread finish
        await engine.dispose()
