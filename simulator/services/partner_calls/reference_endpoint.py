"""The partner's "Get Reference Image" endpoint: asked with the user details when Initiate Flow gave no URL.

The Selfie Liveness flow (v1.2, DESIGN §2 step 4) draws the IAB backend asking the partner backend "Get
Reference Image (User Details)" and the partner answering "Reference Image (URL)". A partner configures
that endpoint like its callback (`reference_image: {url, method, auth, headers, timeout_seconds}`). When a
submission is confirmed, `reference_source` decides where its reference image comes from: the session's
`additionalDetails.referenceImageUrl` (fetched as before, job `fetch_reference`), else this endpoint (job
`ask_reference_image`), else nowhere (no fetch, as before the endpoint existed).

`ask` makes one call: GET with `userId`, `userIdType`, `partnerSessionId` as query parameters, or POST with
them as a JSON body; the partner's auth and extra headers; no redirects followed; the config's time limit.

    the endpoint answers                              then                         outcome
    200, JSON {"referenceImageUrl": "http(s)://..."}  that URL is fetched (GET)     as a URL fetch
    200, any other content type                       the body is the image         image / not_image / too_large
    200, JSON without a usable referenceImageUrl      -                             bad_answer
    anything but 200 (a 204 or a 3xx too)             -                             http_error
    nothing (refused, timed out)                      -                             unreachable

Any non-200 is an error: "any non-200 HTTP response code is considered an error from IAB BE" for
partner-hosted APIs (vendor-notes §1.5, §4.5). The outcomes end the submission as `reference` says
(unreachable, http_error, bad_answer -> ERROR / VERIFICATION_FAILED; not_image, too_large -> INVALID /
REFERENCE_IMAGE_VALIDATION_FAILED). The call is journaled as an outbound request of kind
`reference-endpoint` (the URL fetch after it as kind `reference`), and its result is kept in the
submission's reference-fetch row: `url` is the endpoint, `finalUrl` the image URL it answered.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx

from simulator import __version__
from simulator.partners import ReferenceImageConfig
from simulator.services.partner_calls import reference
from simulator.services.partner_calls.plumbing import (
    EXCERPT_BYTES,
    CappedBody,
    Stopwatch,
    describe_error,
    excerpt,
    journal_outbound,
    read_capped,
    redact_headers,
)
from simulator.store.partner_call_records import FetchResult, ReferenceFetchRecord
from simulator.store.partner_calls import ASK_REFERENCE_IMAGE, FETCH_REFERENCE
from simulator.store.records import JobRecord, SessionRecord

if TYPE_CHECKING:
    from simulator.jobs.scheduler import GiveUpHandler, JobHandler
    from simulator.services.context import Services

log = logging.getLogger("simulator.reference")

JOURNAL_KIND = "reference-endpoint"
USER_AGENT = f"onekyc-sim/{__version__} (get reference image)"
ACCEPT = "application/json, image/jpeg, image/png, image/webp, image/*"
URL_FIELD = "referenceImageUrl"
URL_ANSWER_MAX_BYTES = 64 * 1024


@dataclass(frozen=True, slots=True)
class ReferenceSource:
    """Where a confirmed submission's reference image comes from: a URL to fetch, or the endpoint to ask."""

    url: str
    job_kind: str


def reference_source(svc: Services, session: SessionRecord) -> ReferenceSource | None:
    """The session's own reference URL, else the partner's configured endpoint, else None (no fetch)."""
    if session.reference_image_url is not None:
        return ReferenceSource(session.reference_image_url, FETCH_REFERENCE)
    partner = svc.partner(session.client_id)
    if partner is not None and partner.reference_image.url is not None:
        return ReferenceSource(partner.reference_image.url, ASK_REFERENCE_IMAGE)
    return None


def user_details(session: SessionRecord) -> dict[str, str]:
    """What the simulator tells the partner's endpoint about the user (the flow's "User Details")."""
    return {
        "userId": session.user_id,
        "userIdType": session.user_id_type,
        "partnerSessionId": session.partner_session_id,
    }


def request_headers(config: ReferenceImageConfig, with_body: bool) -> dict[str, str]:
    headers = {"accept": ACCEPT, "accept-encoding": "identity", "user-agent": USER_AGENT, **config.headers}
    if with_body:
        headers["content-type"] = "application/json"
    return headers | config.auth.headers()


@dataclass(frozen=True, slots=True)
class EndpointCall:
    """The endpoint's answer: its status and body (None when there was none), or why there was none."""

    status: int | None
    content_type: str
    body: CappedBody
    duration_ms: float
    error: str | None = None


async def _call(svc: Services, config: ReferenceImageConfig, url: str, details: dict[str, str]) -> EndpointCall:
    headers = request_headers(config, with_body=config.method == "POST")
    params = details if config.method == "GET" else None
    content = json.dumps(details).encode() if config.method == "POST" else None
    watch = Stopwatch()
    try:
        async with (
            asyncio.timeout(config.timeout_seconds),
            svc.http.stream(
                config.method, url, params=params, content=content, headers=headers, timeout=config.timeout_seconds
            ) as response,
        ):
            cap = svc.settings.reference_max_bytes if response.status_code == 200 else EXCERPT_BYTES
            body = await read_capped(response, cap)
            return EndpointCall(response.status_code, response.headers.get("content-type", ""), body, watch.ms())
    except (TimeoutError, httpx.HTTPError, httpx.InvalidURL) as exc:
        return EndpointCall(
            None, "", CappedBody(b"", 0, False), watch.ms(), describe_error(exc, config.timeout_seconds)
        )


def _answered_url(call: EndpointCall) -> str | None:
    """The http(s) URL of a JSON answer, or None when it holds none."""
    if call.body.truncated or call.body.bytes_read > URL_ANSWER_MAX_BYTES:
        return None
    try:
        answer: Any = json.loads(call.body.data)
    except (ValueError, UnicodeDecodeError):
        return None
    url = answer.get(URL_FIELD) if isinstance(answer, dict) else None
    return url if isinstance(url, str) and url.startswith(("http://", "https://")) else None


def _is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or media.endswith("+json")


async def _result(svc: Services, pending: ReferenceFetchRecord, url: str, call: EndpointCall) -> FetchResult:
    """What the endpoint's answer comes to (fetching the URL it answered, if any)."""
    shown = excerpt(call.body.data)
    if call.status is None:
        return FetchResult("unreachable", url, 0, call.duration_ms, error=f"reference-image endpoint: {call.error}")
    if call.status != 200:
        error = f"the reference-image endpoint answered HTTP {call.status}; any non-200 is an error"
        return FetchResult(
            "http_error",
            url,
            0,
            call.duration_ms,
            call.status,
            call.content_type or None,
            call.body.bytes_read,
            error=error,
            response_excerpt=shown,
        )
    if _is_json(call.content_type):
        image_url = _answered_url(call)
        if image_url is None:
            error = f'the reference-image endpoint answered 200 JSON without an http(s) "{URL_FIELD}"'
            return FetchResult(
                "bad_answer",
                url,
                0,
                call.duration_ms,
                200,
                call.content_type,
                call.body.bytes_read,
                error=error,
                response_excerpt=shown,
            )
        fetched = await reference.download(svc, image_url)
        await reference.journal_fetch(svc, pending, image_url, fetched)
        return fetched
    outcome, sniffed, problem = reference.judge_image(call.body, svc)
    image = outcome == "image"
    return FetchResult(
        outcome,
        url,
        0,
        call.duration_ms,
        200,
        sniffed or call.content_type or None,
        call.body.bytes_read,
        data=call.body.data if image else None,
        error=problem,
        response_excerpt=None if image else shown,
    )


async def ask(svc: Services, job: JobRecord) -> None:
    """Ask the partner's endpoint for submission `job.ref`'s reference image; keep and journal the result."""
    pending = await svc.repo.reference_fetch_of(job.ref)
    session = await svc.repo.get_session(pending.session_key) if pending is not None else None
    if pending is None or not pending.pending or session is None:
        await svc.repo.finish_job(job.id, svc.clock.now())
        return
    partner = svc.partner(pending.client_id)
    # The URL confirm recorded is the one asked; method, auth and time limit are the partner's current ones.
    config = partner.reference_image if partner is not None else ReferenceImageConfig()
    details = user_details(session)
    call = await _call(svc, config, pending.url, details)
    request_body = json.dumps(details) if config.method == "POST" else None
    shown_url = str(httpx.URL(pending.url, params=details)) if config.method == "GET" else pending.url
    journal_outbound(
        svc,
        JOURNAL_KIND,
        method=config.method,
        url=shown_url,
        status=call.status,
        latency_ms=call.duration_ms,
        client_id=pending.client_id,
        partner_session_id=session.partner_session_id,
        session_key=pending.session_key,
        submission_id=pending.submission_id,
        request_headers=redact_headers(request_headers(config, request_body is not None), config.auth.secret_headers()),
        request_body=request_body,
        response_body=None if _is_image_answer(call) else excerpt(call.body.data),
        error=call.error or (f"HTTP {call.status} is not 200" if call.status not in (None, 200) else None),
        extra={"contentType": call.content_type, "bytesRead": call.body.bytes_read},
    )
    result = await _result(svc, pending, pending.url, call)
    await svc.repo.finish_reference_fetch(job.ref, job.id, result, svc.clock.now())
    log.info(
        "reference image asked of the partner endpoint",
        extra={"submissionId": job.ref, "status": call.status, "outcome": result.outcome, "error": result.error},
    )


def _is_image_answer(call: EndpointCall) -> bool:
    return call.status == 200 and not _is_json(call.content_type)


def job_handlers(svc: Services) -> dict[str, JobHandler]:
    async def ask_reference_image(job: JobRecord) -> None:
        await ask(svc, job)

    return {ASK_REFERENCE_IMAGE: ask_reference_image}


def give_up_handlers(svc: Services) -> dict[str, GiveUpHandler]:
    """A call of the partner's endpoint that failed past its retry budget ends the fetch as `failed`."""

    async def ask_reference_image(job: JobRecord, error: str) -> None:
        await reference.settle_failed_fetch(svc, job, error)

    return {ASK_REFERENCE_IMAGE: ask_reference_image}
