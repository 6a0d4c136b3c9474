"""The pytest plugin for partners' CI: a real simulator per test, driven from plain (sync) tests.

Installing the package registers this module as a pytest plugin (entry point `onekyc_sim`). It adds
one opt-in fixture, `onekyc_sim`: a simulator on a free 127.0.0.1 port with a fresh database and a
frozen clock, and an `OneKycSim` helper to drive it::

    def test_spoof_reaches_our_callback(onekyc_sim):
        callbacks = onekyc_sim.receive_callbacks()
        onekyc_sim.bind_scenario("order-42", "spoof")
        user_token = my_backend.start_liveness(onekyc_sim.base_url, "order-42")   # your code
        onekyc_sim.submit_selfie(user_token, "order-42")                          # plays the SDK
        onekyc_sim.advance(5)                                                     # no sleeping
        [callback] = callbacks.wait_for(1)
        assert callback.json()["result"] == "INVALID"

`@pytest.mark.onekyc_sim(processing_delay_seconds=0, frozen_clock=False, ...)` changes the
simulator's settings (any field of `simulator.settings.Settings`). Loading the plugin costs nothing:
everything heavy is imported when a test asks for the fixture.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest

if TYPE_CHECKING:
    import httpx

    from simulator.settings import Settings
    from simulator.testing_receiver import ReceivedRequest, Receiver

__all__ = ["CallbackInbox", "OneKycSim", "SimulatorError", "onekyc_sim"]

SDK_ONBOARDING_PARTNER = "CLIENT_X-SDK-STANDALONE_LIVENESS"
WEB_ONBOARDING_PARTNER = "CLIENT_X-WEB_SDK-STANDALONE_LIVENESS"
MARKER = "onekyc_sim"


class SimulatorError(AssertionError):
    """The simulator refused a helper call; the message carries its status and body."""


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(**settings): settings of the simulator the onekyc_sim fixture starts "
        "(e.g. processing_delay_seconds=0, max_attempts=2, frozen_clock=False).",
    )


class _LoopThread:
    """An event loop in a daemon thread: hosts the callback receivers of one fixture."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="onekyc-sim-receivers", daemon=True)
        self._thread.start()

    def run(self, coro: Any, timeout: float) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
        self.loop.close()


class CallbackInbox:
    """A local HTTP endpoint standing in for the partner's callback URL; records what arrives."""

    def __init__(self, receiver: Receiver, loop: _LoopThread) -> None:
        self._receiver = receiver
        self._loop = loop

    @property
    def url(self) -> str:
        return self._receiver.url_for("/callback")

    @property
    def requests(self) -> list[ReceivedRequest]:
        """Every request received so far (callbacks, duplicates and retries included), oldest first."""
        return list(self._receiver.requests)

    def wait_for(self, count: int, timeout: float = 5.0) -> list[ReceivedRequest]:
        """The first `count` requests once they have arrived; TimeoutError after `timeout` seconds."""
        result: list[ReceivedRequest] = self._loop.run(self._receiver.wait_for(count, timeout), timeout + 5)
        return result

    def script(self, *statuses: int) -> None:
        """Answer the next requests with these statuses in order (then 200), e.g. to exercise retries."""
        self._loop.loop.call_soon_threadsafe(self._receiver.script, *statuses)


class OneKycSim:
    """A running simulator: where it is, the sample partner's credentials, and helpers to drive it."""

    client_id: str
    pass_key: str
    onboarding_partner = SDK_ONBOARDING_PARTNER
    web_onboarding_partner = WEB_ONBOARDING_PARTNER

    def __init__(self, base_url: str, settings: Settings, http: httpx.Client, loop: _LoopThread) -> None:
        from simulator.partners import SAMPLE_CLIENT_ID, SAMPLE_PASS_KEY

        self.base_url = base_url
        """IAB Gateway and Token Gateway base URL, e.g. http://127.0.0.1:54321."""
        self.token_base_url = base_url
        self.settings = settings
        self.http = http
        """An `httpx.Client` on `base_url` (the admin token, if any, is sent on /_sim calls by the helpers)."""
        self.client_id, self.pass_key = SAMPLE_CLIENT_ID, SAMPLE_PASS_KEY
        self._loop = loop
        self._receivers: list[Receiver] = []
        self._admin_headers = {"authorization": f"Bearer {settings.admin_token}"} if settings.admin_token else {}

    # -- plumbing -------------------------------------------------------------------------------

    def _call(self, method: str, path: str, *, ok: tuple[int, ...] = (200, 201), **kwargs: Any) -> Any:
        if path.startswith("/_sim"):
            kwargs["headers"] = {**self._admin_headers, **kwargs.get("headers", {})}
        response = self.http.request(method, path, **kwargs)
        if response.status_code not in ok:
            raise SimulatorError(f"{method} {path} answered {response.status_code}: {response.text}")
        return response.json() if response.content else None

    # -- partner backend and SDK ----------------------------------------------------------------

    def partner_token(self) -> str:
        """A fresh partner token of the sample partner (`GET /v1/esign/partner/authentication`)."""
        body = self._call(
            "GET", "/v1/esign/partner/authentication", headers={"client-id": self.client_id, "pass-key": self.pass_key}
        )
        return str(body["data"]["token"])

    def initiate_flow(
        self,
        partner_session_id: str,
        *,
        user_id: str = "user-1",
        user_id_type: str = "CLIENT_X_USER_ID",
        body: dict[str, Any] | None = None,
    ) -> str:
        """Initiate Flow as the sample partner's backend would (SDK source); the user token for the SDK."""
        answer = self._call(
            "POST",
            "/coe-partner/v1/initiate-flow",
            headers={
                "x-onekyc-token": self.partner_token(),
                "x-onboarding-partner": self.onboarding_partner,
                "x-partner-user-id": user_id,
                "x-partner-user-id-type": user_id_type,
                "x-partner-session-id": partner_session_id,
            },
            json=body or {"flow": "STANDALONE_LIVENESS", "source": "SDK"},
        )
        return str(answer["data"]["token"])

    def submit_selfie(
        self, user_token: str, partner_session_id: str, *, image: bytes | None = None, sdk_session_id: str = "sdk-1"
    ) -> str:
        """Play the SDK: presigned URLs, upload the selfie (a generated JPEG by default), confirm; the submission id."""
        from simulator.client import sample_jpeg

        headers = self.sdk_headers(user_token, partner_session_id, sdk_session_id)
        presigned = self._call(
            "GET", "/coe/v1/submissions/urls", params={"submissionType": "STANDALONE_LIVENESS"}, headers=headers
        )["data"]
        parts = urlsplit(presigned["documents"]["SELFIE"]["documentUrl"])
        self._call(
            "PUT",
            f"{parts.path}?{parts.query}",
            content=image or sample_jpeg(),
            headers={"content-type": "image/jpeg", "host": parts.netloc},  # the signed host
        )
        submission_id = str(presigned["submissionId"])
        self._call("PUT", "/coe/v1/submissions/urls", headers=headers, json={"submissionId": submission_id})
        return submission_id

    def status(self, user_token: str, partner_session_id: str, submission_id: str) -> dict[str, Any]:
        """The `data` of the SDK's status poll (status, nextAction, ...)."""
        headers = self.sdk_headers(user_token, partner_session_id)
        body = self._call("GET", f"/coe/v1/submissions/{submission_id}/status", headers=headers)
        return dict(body["data"])

    @staticmethod
    def sdk_headers(user_token: str, partner_session_id: str, sdk_session_id: str = "sdk-1") -> dict[str, str]:
        return {
            "x-onekyc-token": user_token,
            "x-partner-session-id": partner_session_id,
            "x-sdk-session-id": sdk_session_id,
        }

    # -- control ----------------------------------------------------------------------------------

    def bind_scenario(self, partner_session_id: str, scenario: str, *, client_id: str | None = None) -> dict[str, Any]:
        """Script the partner session `partner_session_id` (bind before Initiate Flow): e.g. "spoof"."""
        body: dict[str, Any] = {"scenario": scenario}
        if client_id is not None:
            body["clientId"] = client_id
        result: dict[str, Any] = self._call("PUT", f"/_sim/bindings/{partner_session_id}", json=body)
        return result

    def scenarios(self) -> list[str]:
        """Names of the scenarios this simulator knows."""
        return [item["name"] for item in self._call("GET", "/_sim/scenarios")["scenarios"]]

    def advance(self, seconds: float) -> dict[str, Any]:
        """Move the simulator clock on; every job that fell due (verdicts, callbacks) has run on return."""
        result: dict[str, Any] = self._call("POST", "/_sim/clock/advance", json={"seconds": seconds})
        return result

    def freeze(self) -> None:
        self._call("POST", "/_sim/clock/freeze")

    def resume(self) -> None:
        """Let the clock run with wall time again (the fixture starts it frozen)."""
        self._call("POST", "/_sim/clock/resume")

    def reset(self) -> None:
        """Forget every session, submission, callback and journal entry."""
        self._call("POST", "/_sim/reset", json={})

    def receive_callbacks(
        self, *, client_id: str | None = None, method: str = "POST", **callback: Any
    ) -> CallbackInbox:
        """Start a local callback endpoint and point the partner's callback config at it.

        Extra keyword arguments are callback config fields (`auth`, `headers`, `timeout_seconds`,
        `retry_schedule_seconds`), as in `PATCH /_sim/partners/{clientId}/callback`.
        """
        from simulator.testing_receiver import Receiver

        receiver = Receiver()
        self._loop.run(receiver.start(), 30)
        inbox = CallbackInbox(receiver, self._loop)
        self._receivers.append(receiver)
        self._call(
            "PATCH",
            f"/_sim/partners/{client_id or self.client_id}/callback",
            json={"url": inbox.url, "method": method, **callback},
        )
        return inbox

    # -- journal ----------------------------------------------------------------------------------

    def requests(self, **filters: Any) -> list[dict[str, Any]]:
        """Journaled requests, oldest first; filters as `GET /_sim/requests` (path="/coe/*", status="4xx", ...)."""
        params = {"order": "asc", "limit": 1000, **filters}
        return list(self._call("GET", "/_sim/requests", params=params)["requests"])

    def verify(self, **matcher: Any) -> dict[str, Any]:
        """`POST /_sim/verify`: {"ok", "matched", "message", ...} for a matcher or a `sequence=[...]`."""
        result: dict[str, Any] = self._call("POST", "/_sim/verify", json=matcher)
        return result

    def assert_requested(self, **matcher: Any) -> None:
        """Fail the test, with the simulator's explanation, unless `verify(**matcher)` is ok."""
        result = self.verify(**matcher)
        if not result.get("ok"):
            raise AssertionError(result.get("message") or f"no request matched {matcher}: {result}")


def marker_settings(marker: pytest.Mark | None, database: Path) -> Settings:
    """The fixture's settings: a frozen clock, quiet logs, `database`, then the marker's options.

    A positional argument, an unknown option or an invalid value fails the test with one line that
    names it (and, for an unknown option, lists the valid ones), instead of pydantic's report.
    """
    from pydantic import ValidationError

    from simulator.settings import Settings

    options = dict(marker.kwargs) if marker else {}
    valid = ", ".join(sorted(Settings.model_fields))
    if marker and marker.args:
        pytest.fail(f"@pytest.mark.{MARKER}() takes options by name only; valid options: {valid}", pytrace=False)
    unknown = sorted(set(options) - set(Settings.model_fields))
    if unknown:
        pytest.fail(f"@pytest.mark.{MARKER}: unknown option {unknown[0]!r}; valid options: {valid}", pytrace=False)
    try:
        return Settings(database=str(database), **{"frozen_clock": True, "log_level": "WARNING", **options})
    except ValidationError as exc:
        error = exc.errors()[0]
        field = error["loc"][0] if error["loc"] else "?"
        problem = f"@pytest.mark.{MARKER}({field}={error['input']!r}): {error['msg']}"
    pytest.fail(problem, pytrace=False)  # outside the except block: no chained pydantic report


@contextlib.contextmanager
def running_simulator(settings: Settings) -> Iterator[OneKycSim]:
    """A simulator serving `settings` from a background thread, with its helper; stopped on exit."""
    import httpx

    from simulator.testing_server import simulator_in_thread

    loop = _LoopThread()
    try:
        with simulator_in_thread(settings) as running, httpx.Client(base_url=running.base_url, timeout=30) as http:
            sim = OneKycSim(running.base_url, running.settings, http, loop)
            try:
                yield sim
            finally:
                for receiver in sim._receivers:
                    loop.run(receiver.stop(), 30)
    finally:
        loop.close()


@pytest.fixture
def onekyc_sim(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[OneKycSim]:
    """A real simulator on a free port, fresh database, frozen clock; see `OneKycSim` for the helpers."""
    marker = request.node.get_closest_marker(MARKER)
    settings = marker_settings(marker, tmp_path / "onekyc-sim.db")
    with running_simulator(settings) as sim:
        yield sim
