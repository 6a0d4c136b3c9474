"""The long-lived parts of one simulator, built and closed by the app's lifespan.

`Services` is the one typed accessor handlers reach everything through; nothing lives in module
globals. `open_services` builds it from settings (engine, schema, clock, tokens, partners, the shared
httpx client, the scheduler) and closes it in reverse.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import httpx

from simulator.clock import ControllableClock
from simulator.domain.binding import Catalog
from simulator.ids import IdFactory
from simulator.jobs.retry import RetryPolicy
from simulator.jobs.scheduler import Scheduler
from simulator.partners import Partner, load_partners
from simulator.services.journal import Journal
from simulator.services.storage import UrlSigner
from simulator.settings import Settings
from simulator.store.db import create_schema, make_engine
from simulator.store.repository import Repository
from simulator.tokens import TokenService

CLOCK_KEY = "clock"
SIGNING_KEY = "signing"


@dataclass
class Services:
    settings: Settings
    clock: ControllableClock
    ids: IdFactory
    repo: Repository
    tokens: TokenService
    signer: UrlSigner
    http: httpx.AsyncClient
    partners: dict[str, Partner]
    scripts: Catalog = field(default_factory=Catalog)
    scheduler: Scheduler | None = None
    journal: Journal = field(default_factory=Journal)

    def partner(self, client_id: str) -> Partner | None:
        return self.partners.get(client_id)

    def wake_scheduler(self) -> None:
        if self.scheduler is not None:
            self.scheduler.wake()

    async def save_clock(self) -> None:
        await self.repo.set_meta(CLOCK_KEY, self.clock.state())


@asynccontextmanager
async def open_services(
    settings: Settings,
    *,
    clock: ControllableClock | None = None,
    http: httpx.AsyncClient | None = None,
    start_scheduler: bool = True,
) -> AsyncIterator[Services]:
    from simulator.scenarios.loader import load_catalog
    from simulator.services.attribution import make_journal
    from simulator.services.partner_config import merge_partners
    from simulator.services.processing import give_up_handlers, job_handlers
    from simulator.store.control import revoked_jtis

    engine = make_engine(settings.database_url)
    await create_schema(engine)
    repo = Repository(engine)
    ids = IdFactory(settings.seed)
    clock = clock or ControllableClock()
    saved_clock = await repo.get_meta(CLOCK_KEY)
    if saved_clock:
        clock.restore(saved_clock)
    elif settings.frozen_clock:
        clock.freeze()
        await repo.set_meta(CLOCK_KEY, clock.state())
    keys = await repo.get_meta(SIGNING_KEY)
    if not keys:
        keys = {"kid": ids.uuid(), "secret": ids.secret()}
        await repo.set_meta(SIGNING_KEY, keys)
    partners = await merge_partners(repo, load_partners(settings.config), clock.now())
    own_http = http is None
    http = http or httpx.AsyncClient(follow_redirects=False, timeout=httpx.Timeout(10.0))
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
        retry=RetryPolicy.from_settings(settings),
        give_up=give_up_handlers(services),
    )
    services.journal = make_journal(settings, repo, services.tokens)
    services.tokens.load_revoked(await revoked_jtis(repo))
    try:
        await services.journal.start()
        if start_scheduler:
            await services.scheduler.start()
        yield services
    finally:
        await services.scheduler.stop()
        await services.journal.stop()
        if own_http:
            await http.aclose()
        await engine.dispose()
