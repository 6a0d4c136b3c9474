"""The long-lived parts of one simulator, as handlers reach them.

`Services` is the one typed accessor handlers reach everything through; nothing lives in module
globals. `simulator.runtime.open_services` builds it from settings and closes it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import httpx

from simulator.clock import ControllableClock
from simulator.domain.binding import Catalog
from simulator.ids import IdFactory
from simulator.jobs.scheduler import Scheduler
from simulator.partners import Partner
from simulator.services.journal.buffer import Journal
from simulator.services.vendor_flow.presigned_urls import UrlSigner
from simulator.settings import Settings
from simulator.store.repository import Repository
from simulator.tokens import TokenService

if TYPE_CHECKING:
    from simulator.services.coherence import Coherence


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
    coherence: Coherence | None = None

    def partner(self, client_id: str) -> Partner | None:
        return self.partners.get(client_id)

    def wake_scheduler(self) -> None:
        if self.scheduler is not None:
            self.scheduler.wake()
