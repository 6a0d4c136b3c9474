"""`GET /_sim/jobs`: the durable job table (completions, reference fetches, callback deliveries) as it is,
so a job that failed past its retry budget can be found with its last error.

    GET /_sim/jobs?state=failed&kind=fetch_reference&ref=<submission or callback id>&limit=100
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from simulator.admin.tenancy import require_admin
from simulator.endpoints import json_response, vendor_endpoint
from simulator.errors import SIM
from simulator.services.context import Services
from simulator.services.control import reads as sim_reads
from simulator.services.control.params import QueryModel, WholeNumber, parse
from simulator.services.control.views import job_json

LIMIT_MAX = 1000


class JobsQuery(QueryModel):
    """Filters of the job listing; the latest `limit` (default 100) matching jobs, newest first."""

    state: Literal["pending", "running", "done", "failed"] | None = None
    kind: Literal["complete", "fetch_reference", "ask_reference_image", "deliver_callback"] | None = None
    ref: str | None = None
    limit: Annotated[WholeNumber, Field(ge=1, le=LIMIT_MAX)] = 100


@vendor_endpoint(SIM)
async def list_jobs(request: Request, svc: Services) -> Response:
    """Jobs matching every given filter (state, kind, ref), newest first, with counts per state (admin only:
    the table is shared by every partner)."""
    require_admin(request, "The job table")
    query = parse(JobsQuery, dict(request.query_params), "The query")
    found, counts = await sim_reads.job_listing(
        svc, state=query.state, kind=query.kind, ref=query.ref, limit=query.limit
    )
    return json_response({"count": len(found), "states": counts, "jobs": [job_json(j) for j in found]})


routes = [Route("/_sim/jobs", list_jobs, methods=["GET"])]
