"""`/_sim` reads: the request journal and its verify call, partner sessions and their timelines.

The reads themselves are `simulator.services.control.reads`; these handlers parse, scope to the caller and serialise.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from simulator.admin.tenancy import client_scope, ensure_own, principal
from simulator.endpoints import json_response, read_json_object, vendor_endpoint
from simulator.errors import SIM, SimBadRequest, SimNotFound
from simulator.services.context import Services
from simulator.services.control import reads as sim_reads
from simulator.services.control import views as sim_views
from simulator.services.control.params import Instant, QueryModel, StatusFilter, WholeNumber, parse
from simulator.services.journal import verify

LIMIT_MAX = 1000


class RequestsQuery(QueryModel):
    """`GET /_sim/requests`: the journal filters (see `sim_reads.journal_query`), order and limit."""

    client_id: str | None = Field(None, alias="clientId")
    partner_session_id: str | None = Field(None, alias="partnerSessionId")
    session_key: str | None = Field(None, alias="sessionKey")
    submission_id: str | None = Field(None, alias="submissionId")
    direction: Literal["inbound", "outbound"] | None = None
    kind: str | None = None
    method: str | None = None
    path: str | None = None
    status: StatusFilter | None = None
    since: Instant | None = None
    until: Instant | None = None
    after: WholeNumber | None = None
    order: Literal["desc", "asc"] = "desc"
    limit: Annotated[WholeNumber, Field(ge=1, le=LIMIT_MAX)] = 100


class SessionsQuery(QueryModel):
    """`GET /_sim/sessions`: one partner's (`clientId`) or all, newest first, at most `limit`."""

    client_id: str | None = Field(None, alias="clientId")
    limit: Annotated[WholeNumber, Field(ge=1, le=LIMIT_MAX)] = 50


class ClientQuery(QueryModel):
    """`?clientId=` alone."""

    client_id: str | None = Field(None, alias="clientId")


@vendor_endpoint(SIM)
async def list_requests(request: Request, svc: Services) -> Response:
    params = parse(RequestsQuery, dict(request.query_params), "The query")
    params = params.model_copy(update={"client_id": client_scope(request, params.client_id)})
    query = sim_reads.journal_query(params, since=params.since, until=params.until, after_id=params.after)
    page = await sim_reads.requests_page(svc, query, params.limit, newest_first=params.order == "desc")
    return json_response(
        {
            "requests": [sim_views.request_json(r) for r in page.records],
            "count": len(page.records),
            "requestCount": sum(r.repeats for r in page.records),
            "order": params.order,
            "journal": {
                "maxEntries": page.max_entries,
                "stored": page.stored,
                "recorded": page.recorded,
                "dropped": page.dropped,
            },
        }
    )


@vendor_endpoint(SIM)
async def verify_requests(request: Request, svc: Services) -> Response:
    body = await read_json_object(request, SimBadRequest('The body must be a JSON object, e.g. {"path": "/coe/*"}.'))
    own = principal(request).client_id
    if own is not None:
        steps = body.get("sequence")
        for step in steps if isinstance(steps, list) else []:
            if isinstance(step, dict) and "clientId" in step:
                step["clientId"] = client_scope(request, step["clientId"])
        body["clientId"] = client_scope(
            request, body.get("clientId") if isinstance(body.get("clientId"), str) else None
        )
    return json_response(await verify.verify(svc, body))


@vendor_endpoint(SIM)
async def list_sessions(request: Request, svc: Services) -> Response:
    params = parse(SessionsQuery, dict(request.query_params), "The query")
    items = await sim_reads.session_list(svc, client_scope(request, params.client_id), params.limit)
    return json_response({"sessions": items, "count": len(items)})


@vendor_endpoint(SIM)
async def get_session(request: Request, svc: Services) -> Response:
    key = request.path_params["key"]
    session = await sim_reads.session_by_key(svc, key)
    unknown = f"There is no session with key {key!r}; list them with GET /_sim/sessions."
    if session is None:
        raise SimNotFound(unknown)
    ensure_own(request, session.client_id, unknown)
    return json_response(await sim_reads.session_detail(svc, session))


@vendor_endpoint(SIM)
async def get_session_by_partner_id(request: Request, svc: Services) -> Response:
    partner_session_id = request.path_params["partner_session_id"]
    client_id = client_scope(request, parse(ClientQuery, dict(request.query_params), "The query").client_id)
    candidates = await sim_reads.sessions_by_partner_session_id(svc, partner_session_id, client_id)
    if not candidates:
        raise SimNotFound(
            f"No session has partner session id {partner_session_id!r}"
            + (f" for client {client_id}" if client_id else "")
            + "; list them with GET /_sim/sessions.",
        )
    if len(candidates) > 1:
        clients = ", ".join(s.client_id for s in candidates)
        raise SimBadRequest(f"Several partners ({clients}) use that partner session id: add ?clientId=<client-id>.")
    return json_response(await sim_reads.session_detail(svc, candidates[0]))


routes = [
    Route("/_sim/requests", list_requests, methods=["GET"]),
    Route("/_sim/verify", verify_requests, methods=["POST"]),
    Route("/_sim/sessions", list_sessions, methods=["GET"]),
    Route("/_sim/sessions/by-partner-session/{partner_session_id}", get_session_by_partner_id, methods=["GET"]),
    Route("/_sim/sessions/{key}", get_session, methods=["GET"]),
]
