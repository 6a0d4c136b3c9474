"""The reference-image fetch: GET the partner's `additionalDetails.referenceImageUrl` and judge the answer.

Confirm writes a pending fetch and a `fetch_reference` job due at once (the confirm path does no network
I/O); the scheduler runs `fetch`: one GET through `svc.http`, redirects followed up to a limit, the whole
fetch under a time limit, the body streamed and cut at the size cap, the bytes checked by the one image check
(`simulator.services.vendor_flow.images`). The
result is kept (the image too, linked to its submission) and completion reads it (`reference_verdict`):

    outcome       when                                             verdict
    image         2xx and an image passing the image check           the planned one
    http_error    a non-2xx answer                                 ERROR / VERIFICATION_FAILED
    unreachable   refused, timed out, bad URL, too many redirects,  ERROR / VERIFICATION_FAILED
                  or a hop the outbound policy refuses
    not_image     2xx but not an allowed, decodable image          INVALID / REFERENCE_IMAGE_VALIDATION_FAILED
    too_large     2xx, body over the byte cap or the pixel cap      INVALID / REFERENCE_IMAGE_VALIDATION_FAILED
    bad_answer    the partner's reference-image endpoint answered  ERROR / VERIFICATION_FAILED
                  200 with JSON that holds no usable URL
    failed        the fetch job failed past its retry budget        ERROR / VERIFICATION_FAILED

When Initiate Flow gave no URL, `services.partner_calls.reference_endpoint` asks the partner's endpoint first and
ends in the same results.

Every hop (the first URL and each redirect) passes `OutboundPolicy.check` before it is requested. The
vendor-facing `errorMessage` is always the same generic sentence; why the fetch failed (status, refusal,
connection error) is kept for `/_sim` only: the fetch record, the session timeline and the journal.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

import httpx

from simulator.domain.outcomes import Outcome, Verdict, verdict_for
from simulator.services.partner_calls.host_policy import OutboundPolicy, OutboundRefused
from simulator.services.partner_calls.plumbing import (
    EXCERPT_BYTES,
    CappedBody,
    Stopwatch,
    describe_error,
    excerpt,
    journal_outbound,
    read_capped,
)
from simulator.services.vendor_flow.images import check_image, reference_limits
from simulator.store.partner_call_records import FetchResult, ReferenceFetchRecord
from simulator.store.partner_calls import FETCH_REFERENCE
from simulator.store.records import JobRecord

if TYPE_CHECKING:
    from simulator.jobs.scheduler import GiveUpHandler, JobHandler
    from simulator.services.context import Services

log = logging.getLogger("simulator.reference")

REQUEST_HEADERS = {"accept": "image/jpeg, image/png, image/webp, image/*", "accept-encoding": "identity"}
UNREACHABLE = frozenset({"http_error", "unreachable", "bad_answer"})
GENERIC_ERROR = "Reference image could not be fetched"
NOT_AN_IMAGE = frozenset({"not_image", "too_large"})
FAILED = "failed"


def reference_verdict(fetch: ReferenceFetchRecord) -> Verdict | None:
    """The verdict a finished fetch imposes, or None when the image is fine and the plan stands."""
    if fetch.outcome == FAILED:
        return verdict_for(Outcome.ERROR, error_message=GENERIC_ERROR)
    if fetch.outcome in UNREACHABLE:
        return verdict_for(Outcome.ERROR, error_message=GENERIC_ERROR)
    if fetch.outcome in NOT_AN_IMAGE:
        return verdict_for(Outcome.REFERENCE_IMAGE_VALIDATION_FAILED, reference_reason_code="NOT_EKTP")
    return None


def judge_image(body: CappedBody, svc: Services) -> tuple[str, str | None, str | None]:
    """(outcome, sniffed content type, error) of a 2xx body, by the one image check: image, not_image or
    too_large."""
    cap = svc.settings.reference_max_bytes
    if body.truncated:
        return "too_large", None, f"larger than the {cap}-byte cap; stopped reading"
    image = check_image(body.data, reference_limits(svc.settings))
    if image.too_large:
        return "too_large", None, image.detail
    if image.content_type is None:
        return "not_image", None, image.detail
    return "image", image.content_type, None


async def _get(svc: Services, url: str, watch: Stopwatch) -> FetchResult:
    settings = svc.settings
    policy = OutboundPolicy.from_settings(settings)
    redirects = 0
    while True:
        try:
            await policy.check(url)
        except OutboundRefused as exc:
            return FetchResult("unreachable", url, redirects, watch.ms(), error=str(exc))
        async with svc.http.stream(
            "GET", url, headers=REQUEST_HEADERS, timeout=settings.reference_timeout_seconds
        ) as response:
            if response.is_redirect and redirects < settings.reference_max_redirects:
                redirects += 1
                url = str(response.url.join(response.headers["location"]))
                continue
            sniffed: str | None = None
            error: str | None
            if response.is_redirect:
                body = CappedBody(b"", 0, False)
                outcome, error = "unreachable", f"more than {settings.reference_max_redirects} redirects"
            elif not response.is_success:
                body = await read_capped(response, EXCERPT_BYTES)
                outcome, error = "http_error", f"HTTP {response.status_code} is not a 2xx answer"
            else:
                body = await read_capped(response, settings.reference_max_bytes)
                outcome, sniffed, error = judge_image(body, svc)
        image = outcome == "image"
        return FetchResult(
            outcome,
            url,
            redirects,
            watch.ms(),
            status_code=response.status_code,
            content_type=sniffed or response.headers.get("content-type"),
            bytes_read=body.bytes_read,
            data=body.data if image else None,
            error=error,
            response_excerpt=None if image else excerpt(body.data),
        )


async def download(svc: Services, url: str) -> FetchResult:
    """Fetch `url` under the time limit; every failure becomes a result, nothing raises."""
    watch = Stopwatch()
    timeout = svc.settings.reference_timeout_seconds
    try:
        async with asyncio.timeout(timeout):
            return await _get(svc, url, watch)
    except (TimeoutError, httpx.HTTPError, httpx.InvalidURL) as exc:
        return FetchResult("unreachable", url, 0, watch.ms(), error=describe_error(exc, timeout))


async def fetch(svc: Services, job: JobRecord) -> None:
    """Run the pending fetch of submission `job.ref`, keep its result, report it to the journal."""
    pending = await svc.repo.reference_fetch_of(job.ref)
    if pending is None or not pending.pending:
        await svc.repo.finish_job(job.id, svc.clock.now())
        return
    result = await download(svc, pending.url)
    await svc.repo.finish_reference_fetch(job.ref, job.id, result, svc.clock.now())
    await journal_fetch(svc, pending, pending.url, result)


async def journal_fetch(svc: Services, pending: ReferenceFetchRecord, url: str, result: FetchResult) -> None:
    """Report one reference-image GET of `url` to the journal (outbound, kind `reference`) and the log."""
    submission = await svc.repo.cached_submission(pending.submission_id)
    journal_outbound(
        svc,
        "reference",
        method="GET",
        url=url,
        status=result.status_code,
        latency_ms=result.duration_ms,
        client_id=pending.client_id,
        partner_session_id=submission.partner_session_id if submission else "",
        session_key=pending.session_key,
        submission_id=pending.submission_id,
        request_headers=dict(REQUEST_HEADERS),
        response_body=result.response_excerpt,
        error=result.error,
        extra={"outcome": result.outcome, "bytesRead": result.bytes_read, "finalUrl": result.final_url},
    )
    log.info(
        "reference image fetched",
        extra={
            "submissionId": pending.submission_id,
            "outcome": result.outcome,
            "status": result.status_code,
            "error": result.error,
        },
    )


def give_up_handlers(svc: Services) -> dict[str, GiveUpHandler]:
    """A fetch job that failed past its retry budget ends its fetch as `failed` (so the submission ends
    `ERROR` / `VERIFICATION_FAILED`, see `reference_verdict`) and wakes the completion waiting for it."""

    async def fetch_reference(job: JobRecord, error: str) -> None:
        await settle_failed_fetch(svc, job, error)

    return {FETCH_REFERENCE: fetch_reference}


async def settle_failed_fetch(svc: Services, job: JobRecord, error: str) -> None:
    """End the pending fetch of submission `job.ref` as `failed` (its job, a fetch or a call of the partner's
    endpoint, failed past its retry budget with `error`); a finished fetch is left as it is."""
    pending = await svc.repo.reference_fetch_of(job.ref)
    if pending is None or not pending.pending:
        return
    result = FetchResult(FAILED, pending.url, 0, 0.0, error=f"the fetch job failed: {error}")
    await svc.repo.finish_reference_fetch(job.ref, job.id, result, svc.clock.now())


def job_handlers(svc: Services) -> dict[str, JobHandler]:
    async def fetch_reference(job: JobRecord) -> None:
        await fetch(svc, job)

    return {FETCH_REFERENCE: fetch_reference}
