"""`/_sim/clock`: read, freeze, resume, advance or set the simulator clock every instance shares."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from simulator.admin.tenancy import require_admin
from simulator.clock import iso
from simulator.endpoints import json_response, read_json_object, vendor_endpoint
from simulator.errors import SIM, SimBadRequest
from simulator.services.context import Services
from simulator.services.control import clock as shared_clock
from simulator.services.control.params import BodyModel, Instant, Seconds, parse

ClockInstant = Annotated[Instant, Field(le=shared_clock.CLOCK_MAX)]


def clock_body(svc: Services, **extra: Any) -> dict[str, Any]:
    now = svc.clock.now()
    return {"now": iso(now), "epoch": now, "frozen": svc.clock.frozen, **extra}


async def _body(request: Request) -> dict[str, Any]:
    if not (await request.body()).strip():
        return {}
    return await read_json_object(request, SimBadRequest("the body must be a JSON object"))


class FreezeBody(BodyModel):
    """`POST /_sim/clock/freeze`: stop time now, or at `at`."""

    at: ClockInstant | None = None


class AdvanceBody(BodyModel):
    """`POST /_sim/clock/advance`: move the clock `seconds` forward."""

    seconds: Seconds


class SetBody(BodyModel):
    """`POST /_sim/clock/set`: jump to `at`."""

    at: ClockInstant


@vendor_endpoint(SIM)
async def get_clock(request: Request, svc: Services) -> Response:
    return json_response(clock_body(svc))


@vendor_endpoint(SIM)
async def freeze_clock(request: Request, svc: Services) -> Response:
    require_admin(request, "The clock")
    body = parse(FreezeBody, await _body(request), "The body")
    await shared_clock.freeze(svc, body.at)
    return json_response(clock_body(svc))


@vendor_endpoint(SIM)
async def resume_clock(request: Request, svc: Services) -> Response:
    require_admin(request, "The clock")
    await shared_clock.resume(svc)
    return json_response(clock_body(svc))


@vendor_endpoint(SIM)
async def advance_clock(request: Request, svc: Services) -> Response:
    """Move the clock forward, then run every job that became due before answering."""
    require_admin(request, "The clock")
    body = parse(AdvanceBody, await _body(request), 'The body (e.g. {"seconds": 5})')
    jobs_run = await shared_clock.advance_and_settle(svc, body.seconds)
    return json_response(clock_body(svc, jobsRun=jobs_run))


@vendor_endpoint(SIM)
async def set_clock(request: Request, svc: Services) -> Response:
    require_admin(request, "The clock")
    body = parse(SetBody, await _body(request), 'The body (e.g. {"at": "2026-01-01T00:00:00Z"})')
    jobs_run = await shared_clock.set_and_settle(svc, body.at)
    return json_response(clock_body(svc, jobsRun=jobs_run))


routes = [
    Route("/_sim/clock", get_clock, methods=["GET"]),
    Route("/_sim/clock/freeze", freeze_clock, methods=["POST"]),
    Route("/_sim/clock/resume", resume_clock, methods=["POST"]),
    Route("/_sim/clock/advance", advance_clock, methods=["POST"]),
    Route("/_sim/clock/set", set_clock, methods=["POST"]),
]
