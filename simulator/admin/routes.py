"""Control API under /_sim: health and the controllable clock."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from simulator.clock import iso, parse_iso
from simulator.errors import BadRequest, ErrorDialect
from simulator.gateway.http import json_response, read_json_object, vendor_endpoint
from simulator.services import shared_clock
from simulator.services.container import Services

ADMIN = ErrorDialect()


def invalid(message: str) -> BadRequest:
    return BadRequest("SIM_400", message)


def clock_body(svc: Services, **extra: Any) -> dict[str, Any]:
    now = svc.clock.now()
    return {"now": iso(now), "epoch": now, "frozen": svc.clock.frozen, **extra}


async def _body(request: Request) -> dict[str, Any]:
    if not (await request.body()).strip():
        return {}
    return await read_json_object(request, invalid("the body must be a JSON object"))


async def _settle(svc: Services, before: int) -> int:
    """Wait until every job the clock made due has finished, on whichever instance runs it; how many
    jobs this instance ran since `before` (its loop may have taken some)."""
    if svc.scheduler is None:
        return 0
    await svc.scheduler.settle(svc.coherence, within=2 * svc.settings.job_lease_seconds + 30)
    return svc.scheduler.jobs_run - before


@vendor_endpoint(ADMIN)
async def health(request: Request, svc: Services) -> Response:
    pending = await svc.repo.pending_jobs()
    return json_response({"status": "ok", "now": iso(svc.clock.now()), "pendingJobs": pending})


@vendor_endpoint(ADMIN)
async def get_clock(request: Request, svc: Services) -> Response:
    return json_response(clock_body(svc))


@vendor_endpoint(ADMIN)
async def freeze_clock(request: Request, svc: Services) -> Response:
    body = await _body(request)
    at = body.get("at")
    try:
        instant = parse_iso(at) if isinstance(at, str) else None
    except ValueError:
        raise invalid("`at` must be an ISO 8601 date-time such as 2026-01-01T00:00:00Z") from None
    await shared_clock.freeze(svc, instant)
    return json_response(clock_body(svc))


@vendor_endpoint(ADMIN)
async def resume_clock(request: Request, svc: Services) -> Response:
    await shared_clock.resume(svc)
    return json_response(clock_body(svc))


@vendor_endpoint(ADMIN)
async def advance_clock(request: Request, svc: Services) -> Response:
    """Move the clock forward, then run every job that became due before answering."""
    body = await _body(request)
    seconds = body.get("seconds")
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
        raise invalid('`seconds` must be a number >= 0, e.g. {"seconds": 5}')
    before = svc.scheduler.jobs_run if svc.scheduler else 0
    await shared_clock.advance(svc, float(seconds))
    return json_response(clock_body(svc, jobsRun=await _settle(svc, before)))


@vendor_endpoint(ADMIN)
async def set_clock(request: Request, svc: Services) -> Response:
    body = await _body(request)
    at = body.get("at")
    before = svc.scheduler.jobs_run if svc.scheduler else 0
    try:
        if not isinstance(at, str):
            raise ValueError(at)
        instant = parse_iso(at)
    except ValueError:
        raise invalid("`at` must be an ISO 8601 date-time such as 2026-01-01T00:00:00Z") from None
    await shared_clock.set_to(svc, instant)
    return json_response(clock_body(svc, jobsRun=await _settle(svc, before)))


routes = [
    Route("/_sim/health", health, methods=["GET"]),
    Route("/_sim/clock", get_clock, methods=["GET"]),
    Route("/_sim/clock/freeze", freeze_clock, methods=["POST"]),
    Route("/_sim/clock/resume", resume_clock, methods=["POST"]),
    Route("/_sim/clock/advance", advance_clock, methods=["POST"]),
    Route("/_sim/clock/set", set_clock, methods=["POST"]),
]
