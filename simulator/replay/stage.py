"""Where replay plays a scenario: the simulator (over HTTP) and the partner the runner stands in for.

Each scenario gets its own partner, registered through `/_sim/partners` with its callback URL on the
runner's local endpoint, and its own partner session id bound to the scenario through `/_sim/bindings`,
so replays never collide, even on a shared simulator. The partner endpoint is the package's test
receiver, with answers scripted per path (one path per scenario).
"""

from __future__ import annotations

import contextlib
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import httpx

from simulator.client import VendorClient
from simulator.clock import parse_iso
from simulator.testing_receiver import ReceivedRequest, Receiver, Reply

ONBOARDING_PARTNER = "REPLAY-SDK-STANDALONE_LIVENESS"


class StageError(RuntimeError):
    """The simulator refused a control call the runner needs (the scenario cannot be played)."""


class AdminTokenError(StageError):
    """The simulator's /_sim routes answered 401: it was started with an admin token the runner lacks."""


class StrictServerError(StageError):
    """The simulator runs with --strict: its status answers lack nextAction, which scenarios expect."""


class PartnerEndpoint(Receiver):
    """The test receiver, plus answers scripted per path (each scenario has its own callback path)."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self._per_path: dict[str, deque[Reply]] = {}
        self.answers: dict[str, list[int]] = {}

    def script_path(self, path: str, *statuses: int) -> None:
        self._per_path.setdefault(path, deque()).extend(Reply(status) for status in statuses)

    def _reply_for(self, path: str) -> Reply:
        queue = self._per_path.get(path)
        reply = queue.popleft() if queue else super()._reply_for(path)
        self.answers.setdefault(path, []).append(reply.status)
        return reply

    def received(self, path: str) -> list[tuple[ReceivedRequest, int]]:
        """The requests to `path`, in order of arrival, each with the status it was answered with."""
        requests = [request for request in self.requests if request.path == path]
        return list(zip(requests, self.answers.get(path, []), strict=False))


@dataclass
class Stage:
    """The simulator under test and the runner's partner endpoint."""

    http: httpx.AsyncClient
    endpoint: PartnerEndpoint
    admin_token: str | None = None
    partners: list[str] = field(default_factory=list)
    bindings: list[tuple[str, str]] = field(default_factory=list)

    def _admin_headers(self) -> dict[str, str]:
        return {"authorization": f"Bearer {self.admin_token}"} if self.admin_token else {}

    async def admin(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        try:
            response = await self.http.request(method, path, json=body, headers=self._admin_headers())
        except (httpx.TransportError, ConnectionError) as exc:
            raise StageError(f"{method} {path}: {exc}") from exc
        if response.status_code == 401 and path.startswith("/_sim"):
            reason = (
                "refused the admin token given: check --admin-token or ONEKYC_SIM_ADMIN_TOKEN"
                if self.admin_token
                else "needs an admin token: pass --admin-token or set ONEKYC_SIM_ADMIN_TOKEN"
            )
            raise AdminTokenError(f"the simulator at {self.http.base_url} {reason}")
        if response.status_code >= 400:
            raise StageError(f"{method} {path} answered {response.status_code}: {response.text[:300]}")
        result: dict[str, Any] = response.json()
        return result

    async def add_partner(
        self, client_id: str, pass_key: str, callback_path: str, reference_image_url: str | None = None
    ) -> VendorClient:
        """Register a partner for one scenario, its callback pointing at `callback_path` of our endpoint
        (and its Get Reference Image endpoint at `reference_image_url`, when given)."""
        await self.admin(
            "PUT",
            f"/_sim/partners/{client_id}",
            {
                "client_id": client_id,
                "pass_key": pass_key,
                "name": "onekyc-sim replay",
                "onboarding_partners": [ONBOARDING_PARTNER],
                "callback": {"url": self.endpoint.url_for(callback_path)},
                "reference_image": {"url": reference_image_url},
            },
        )
        self.partners.append(client_id)
        return VendorClient(self.http, client_id=client_id, pass_key=pass_key, onboarding_partner=ONBOARDING_PARTNER)

    async def remove_partners(self) -> None:
        for client_id in self.partners:
            with contextlib.suppress(StageError):
                await self.admin("DELETE", f"/_sim/partners/{client_id}")
        self.partners.clear()

    async def remove_bindings(self) -> None:
        """Delete the bindings `bind` made (a shared simulator keeps no replay leftovers)."""
        for partner_session_id, client_id in self.bindings:
            with contextlib.suppress(StageError):
                await self.admin("DELETE", f"/_sim/bindings/{partner_session_id}?clientId={client_id}")
        self.bindings.clear()

    async def bind(self, partner_session_id: str, client_id: str, name: str, script: dict[str, Any]) -> None:
        await self.admin(
            "PUT", f"/_sim/bindings/{partner_session_id}", {"scenario": name, "script": script, "clientId": client_id}
        )
        self.bindings.append((partner_session_id, client_id))

    async def now(self) -> float:
        return float((await self.admin("GET", "/_sim/clock"))["epoch"])

    async def advance(self, seconds: float) -> float:
        """Move the simulator clock on (due work runs before it answers); the new time."""
        return float((await self.admin("POST", "/_sim/clock/advance", {"seconds": seconds}))["epoch"])

    async def callbacks(self, client_id: str) -> list[dict[str, Any]]:
        found = await self.admin("GET", f"/_sim/callbacks?clientId={client_id}&limit=1000")
        callbacks: list[dict[str, Any]] = found["callbacks"]
        return callbacks

    async def callback_records(self, client_id: str) -> list[dict[str, Any]]:
        """The partner's callbacks in order of creation, each with its delivery attempts."""
        return [await self.admin("GET", f"/_sim/callbacks/{c['id']}") for c in await self.callbacks(client_id)]


def next_attempt_at(callbacks: list[dict[str, Any]]) -> float | None:
    times = [parse_iso(c["nextAttemptAt"]) for c in callbacks if c["state"] == "pending" and c.get("nextAttemptAt")]
    return min(times, default=None)
