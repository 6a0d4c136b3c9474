"""`GET /_sim/health`: the simulator is up; its time; its jobs per state."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from simulator.clock import iso
from simulator.endpoints import json_response, vendor_endpoint
from simulator.errors import SIM
from simulator.services.context import Services
from simulator.services.control import reads as sim_reads


@vendor_endpoint(SIM)
async def health(request: Request, svc: Services) -> Response:
    """Up; the simulator time; jobs per state (failed ones spent their retry budget: see GET /_sim/jobs)."""
    jobs = await sim_reads.jobs_by_state(svc)
    return json_response(
        {
            "status": "ok",
            "now": iso(svc.clock.now()),
            "pendingJobs": jobs["pending"],
            "failedJobs": jobs["failed"],
            "jobs": jobs,
        }
    )


routes = [Route("/_sim/health", health, methods=["GET"])]
