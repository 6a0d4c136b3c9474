"""Playing one scenario: the runner as partner backend and SDK, recording everything it sees.

The SDK part follows what the vendor's SDK does: presign, upload, confirm, then poll the status until
the next action is RETRY (capture again) or EXIT; a 5xx or a dropped call is repeated, any other error
ends the flow. Between polls the runner advances the simulator clock instead of waiting. Then the
partner part: the clock is advanced until every confirmed submission has its callbacks settled, and
Get Submission Details is asked for each attempt and for the session.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable

import httpx

from simulator.client import SdkSession, VendorClient, sample_jpeg
from simulator.replay.observed import AttemptRun, Call, CallbackOutcome, Delivery, Run
from simulator.replay.partner_reference import initiate_reference_url
from simulator.replay.stage import Stage, next_attempt_at
from simulator.scenarios.loader import LoadedScenario

MAX_ATTEMPTS = 20
MAX_SETTLE_STEPS = 2000
Send = Callable[[], Awaitable[httpx.Response]]


RETRY_AFTER_MAX_SECONDS = 3600.0


def repeatable(call: Call) -> bool:
    """A failure the SDK and the partner repeat: a dropped call, a 5xx, or a 429 that says Retry-After.

    A 429 without Retry-After (the vendor's SUBMISSION_QUOTA_EXCEEDED) is final.
    """
    if call.ok:
        return False
    return call.http is None or call.http >= 500 or (call.http == 429 and call.retry_after is not None)


def retry_after_seconds(call: Call) -> float:
    """The delay-seconds form of the call's Retry-After header (0 when absent or an HTTP date), capped."""
    value = (call.retry_after or "").strip()
    return min(float(value), RETRY_AFTER_MAX_SECONDS) if value.isdigit() else 0.0


class Player:
    """One replay of one scenario against one stage."""

    def __init__(self, stage: Stage, scenario: LoadedScenario, vendor: VendorClient, partner_session_id: str) -> None:
        self.stage = stage
        self.scenario = scenario
        self.replay = scenario.file.replay
        self.vendor = vendor
        self.run = Run(partner_session_id)
        self.callback_path = f"/callback/{partner_session_id}"

    async def call(self, name: str, attempt: int | None, describe: str, send: Send) -> Call:
        try:
            call = Call.of(name, attempt, await send())
        except (httpx.TransportError, ConnectionError) as exc:
            call = Call.dropped_call(name, attempt, describe, exc)
        self.run.calls.append(call)
        return call

    async def call_retrying(self, name: str, attempt: int | None, describe: str, send: Send) -> Call:
        """The SDK's and partner's habit: repeat a call that failed with a 5xx or a dropped connection (`repeatable`).

        A `Retry-After` of N seconds on the failed answer is honoured by moving the simulator clock N seconds
        before the repeat.
        """
        call = await self.call(name, attempt, describe, send)
        for _ in range(self.replay.max_retries):
            if not repeatable(call):
                break
            wait = retry_after_seconds(call)
            if wait:
                await self.stage.advance(wait)
            call = await self.call(name, attempt, describe, send)
        return call

    def selfie(self, attempt: int) -> bytes:
        selfies = self.replay.selfies
        if not selfies:
            return sample_jpeg()
        return self.scenario.resolve(selfies[min(attempt, len(selfies)) - 1]).read_bytes()

    async def play(self) -> Run:
        self.stage.endpoint.script_path(self.callback_path, *self.replay.callback_answers)
        sdk = await self.launch()
        if sdk is not None:
            await self.sdk_flow(sdk)
        await self.settle()
        await self.partner_checks()
        return self.run

    async def launch(self) -> SdkSession | None:
        token = await self.call("token", None, "GET /v1/esign/partner/authentication", self.vendor.get_partner_token)
        if not token.ok:
            self.run.notes.append("the partner token was refused: nothing else was played")
            return None
        self.vendor.partner_token = str(token.data.get("token"))
        body: dict[str, object] = {"flow": "STANDALONE_LIVENESS", "source": "SDK"}
        reference = initiate_reference_url(self.stage.endpoint, self.replay, self.run.partner_session_id)
        if reference is not None:
            body["additionalDetails"] = {"referenceImageUrl": reference}
        psid = self.run.partner_session_id
        initiated = await self.call_retrying(
            "initiate",
            None,
            "POST /coe-partner/v1/initiate-flow",
            lambda: self.vendor.initiate(psid, user_id=self.replay.user_id, body=body),
        )
        if not initiated.ok:
            self.run.notes.append("Initiate Flow failed: the SDK was never launched")
            return None
        return SdkSession(str(initiated.data.get("token")), psid, f"sdk-{psid}")

    async def sdk_flow(self, sdk: SdkSession) -> None:
        for number in range(1, MAX_ATTEMPTS + 1):
            attempt = await self.capture(sdk, number)
            if attempt is None:
                return
            action = await self.poll(sdk, attempt)
            if action != "RETRY":
                if action == "EXIT" and self.replay.presign_after_exit:
                    await self.call("presign", None, "GET /coe/v1/submissions/urls", lambda: self.vendor.presign(sdk))
                return

    async def capture(self, sdk: SdkSession, number: int) -> AttemptRun | None:
        """Presign, upload the selfie, confirm: the confirmed attempt, or None when a step failed."""
        presign = await self.call_retrying(
            "presign", number, "GET /coe/v1/submissions/urls", lambda: self.vendor.presign(sdk)
        )
        if not presign.ok:
            return None
        sid = str(presign.data.get("submissionId"))
        attempt = AttemptRun(number, sid)
        self.run.attempts.append(attempt)
        url = str(presign.data.get("documents", {}).get("SELFIE", {}).get("documentUrl", ""))
        image = self.selfie(number)
        upload = await self.call_retrying("upload", number, "PUT {documentUrl}", lambda: self.vendor.upload(url, image))
        if not upload.ok:
            return None
        confirm = await self.call_retrying(
            "confirm", number, "PUT /coe/v1/submissions/urls", lambda: self.vendor.confirm(sdk, sid)
        )
        if not confirm.ok:
            return None
        attempt.confirmed = True
        return attempt

    async def poll(self, sdk: SdkSession, attempt: AttemptRun) -> str | None:
        """Poll until the next action is not STATUS; None when the SDK gave up (an error, or too many polls)."""
        sid = attempt.submission_id or ""
        wait = 0.0
        for n in range(self.replay.max_polls):
            if n:
                await self.stage.advance(wait)
            call = await self.call(
                "status", attempt.number, f"GET /coe/v1/submissions/{sid}/status", lambda: self.vendor.status(sdk, sid)
            )
            attempt.polls.append(call)
            wait = retry_after_seconds(call) or self.replay.poll_interval_seconds
            if call.ok:
                action = call.data.get("nextAction")
                terminal = call.data.get("status") in ("COMPLETED", "ERROR")
                if action not in (None, "STATUS") or (action is None and terminal):
                    return str(action or "EXIT")
            elif not repeatable(call):
                self.run.notes.append(f"the SDK gave up on attempt {attempt.number}: status answered {call.http}")
                return None
        self.run.notes.append(f"no verdict after {self.replay.max_polls} polls on attempt {attempt.number}")
        return None

    async def settle(self) -> None:
        """Advance the clock until every confirmed submission is done and no callback is pending."""
        confirmed = {a.submission_id for a in self.run.attempts if a.confirmed}
        now = await self.stage.now()
        limit = now + self.replay.settle_seconds
        for _ in range(MAX_SETTLE_STEPS):
            callbacks = await self.stage.callbacks(self.vendor.client_id)
            unfinished = confirmed - {c["submissionId"] for c in callbacks}
            due = next_attempt_at(callbacks)
            if not unfinished and due is None:
                return
            step = self.replay.poll_interval_seconds if unfinished else max(1.0, math.ceil(due - now) if due else 1.0)
            if now + step > limit:
                self.run.notes.append(f"still waiting for callbacks after {self.replay.settle_seconds:g} s")
                return
            now = await self.stage.advance(step)

    async def partner_checks(self) -> None:
        """What the partner backend can see at the end: callbacks received, Get Submission Details."""
        for request, answered in self.stage.endpoint.received(self.callback_path):
            try:
                body = request.json()
            except ValueError:
                body = {"unreadable": request.body[:200].decode("utf-8", "replace")}
            body = body if isinstance(body, dict) else {"unreadable": str(body)[:200]}
            number = self.run.attempt_of(body.get("submissionId"))
            self.run.callbacks.append(Delivery(number, body, answered, request.body))
        for record in await self.stage.callback_records(self.vendor.client_id):
            answers = [a.get("statusCode") for a in record.get("attempts", [])]
            number = self.run.attempt_of(record.get("submissionId"))
            self.run.callback_outcomes.append(CallbackOutcome(number, record["cause"], record["state"], answers))
        if not self.run.attempts:
            return
        self.vendor.partner_token = None  # a long settle may outlive the partner token: the partner fetches one
        for attempt in self.run.attempts:
            attempt.final = await self.details(submission_id=attempt.submission_id)
        self.run.details = await self.details(partner_session_id=self.run.partner_session_id)

    async def details(self, **by: str | None) -> Call:
        return await self.call_retrying("details", None, "GET /coe/v1/submissions", lambda: self.vendor.details(**by))
