"""`/_sim` reads: the request journal and its verify call, partner sessions and their timelines.

Every read flushes the journal first, so a client sees the requests it has already had answers to.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from simulator.admin.tenancy import client_scope, ensure_own, principal
from simulator.clock import parse_iso
from simulator.errors import BadRequest, ErrorDialect, NotFound
from simulator.gateway.http import json_response, read_json_object, vendor_endpoint
from simulator.services import inspect, verify
from simulator.services.container import Services
from simulator.store import control as store
from simulator.store.journal_repo import JournalQuery, JournalStore
from simulator.store.records import SessionRecord

ADMIN = ErrorDialect()
LIMIT_MAX = 1000


def _invalid(message: str) -> BadRequest:
    return BadRequest("SIM_400", message)


def _limit(raw: str | None, default: int = 100) -> int:
    if raw is None:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= LIMIT_MAX:
        raise _invalid(f"`limit` must be a whole number from 1 to {LIMIT_MAX}, e.g. ?limit=50.")
    return int(raw)


def _instant(name: str, raw: str | None) -> float | None:
    if raw is None:
        return None
    try:
        return float(raw)
    except ValueError:
        pass
    try:
        return parse_iso(raw)
    except ValueError:
        raise _invalid(f"`{name}` must be an ISO 8601 date-time (2026-01-01T00:00:00Z) or epoch seconds.") from None


def _status(raw: str | None) -> tuple[int | None, int | None]:
    if raw is None:
        return None, None
    if raw.isdigit():
        return int(raw), None
    if len(raw) == 3 and raw[0] in "12345" and raw[1:].lower() == "xx":
        return None, int(raw[0])
    raise _invalid("`status` must be a code such as 200 or a class such as 4xx.")


def journal_query(request: Request) -> JournalQuery:
    q = request.query_params
    status, status_class = _status(q.get("status"))
    after = q.get("after")
    if after is not None and not after.isdigit():
        raise _invalid("`after` must be a journal entry id (a whole number): it returns the entries after it.")
    direction = q.get("direction")
    if direction not in (None, "inbound", "outbound"):
        raise _invalid("`direction` must be inbound or outbound.")
    return JournalQuery(
        client_id=client_scope(request, q.get("clientId")),
        partner_session_id=q.get("partnerSessionId"),
        session_key=q.get("sessionKey"),
        submission_id=q.get("submissionId"),
        direction=direction,
        kind=q.get("kind"),
        method=q.get("method"),
        path=q.get("path"),
        status=status,
        status_class=status_class,
        since=_instant("since", q.get("since")),
        until=_instant("until", q.get("until")),
        after_id=int(after) if after is not None else None,
    )


@vendor_endpoint(ADMIN)
async def list_requests(request: Request, svc: Services) -> Response:
    query = journal_query(request)
    order = request.query_params.get("order", "desc")
    if order not in ("asc", "desc"):
        raise _invalid("`order` must be desc (newest first, the default) or asc (oldest first).")
    limit = _limit(request.query_params.get("limit"))
    await svc.journal.flush()
    journal = JournalStore(svc.repo)
    records = await journal.query(query, limit=limit, newest_first=order == "desc")
    return json_response(
        {
            "requests": [inspect.request_json(r) for r in records],
            "count": len(records),
            "order": order,
            "journal": {
                "maxEntries": svc.journal.max_entries,
                "stored": await journal.count(),
                "recorded": svc.journal.recorded,
                "dropped": svc.journal.dropped,
            },
        }
    )


@vendor_endpoint(ADMIN)
async def verify_requests(request: Request, svc: Services) -> Response:
    body = await read_json_object(request, _invalid('The body must be a JSON object, e.g. {"path": "/coe/*"}.'))
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


@vendor_endpoint(ADMIN)
async def list_sessions(request: Request, svc: Services) -> Response:
    client_id = client_scope(request, request.query_params.get("clientId"))
    sessions = await store.list_sessions(svc.repo, client_id, _limit(request.query_params.get("limit"), 50))
    items = [inspect.session_json(s, await svc.repo.latest_submission(s.key)) for s in sessions]
    return json_response({"sessions": items, "count": len(items)})


async def _detail(svc: Services, session: SessionRecord) -> dict[str, Any]:
    await svc.journal.flush()
    submissions = await svc.repo.submissions_of(session.key)
    return {
        "session": inspect.session_json(session, submissions[-1] if submissions else None),
        "submissions": [inspect.submission_json(s) for s in submissions],
        "timeline": await inspect.timeline(svc, session),
    }


@vendor_endpoint(ADMIN)
async def get_session(request: Request, svc: Services) -> Response:
    key = request.path_params["key"]
    session = await svc.repo.get_session(key)
    unknown = f"There is no session with key {key!r}; list them with GET /_sim/sessions."
    if session is None:
        raise NotFound("SIM_404", unknown)
    ensure_own(request, session.client_id, unknown)
    return json_response(await _detail(svc, session))


@vendor_endpoint(ADMIN)
async def get_session_by_partner_id(request: Request, svc: Services) -> Response:
    partner_session_id = request.path_params["partner_session_id"]
    client_id = client_scope(request, request.query_params.get("clientId"))
    if client_id is not None:
        found = await svc.repo.find_session(client_id, partner_session_id)
        candidates = [found] if found is not None else []
    else:
        candidates = await store.sessions_by_partner_session_id(svc.repo, partner_session_id)
    if not candidates:
        raise NotFound(
            "SIM_404",
            f"No session has partner session id {partner_session_id!r}"
            + (f" for client {client_id}" if client_id else "")
            + "; list them with GET /_sim/sessions.",
        )
    if len(candidates) > 1:
        clients = ", ".join(s.client_id for s in candidates)
        raise _invalid(f"Several partners ({clients}) use that partner session id: add ?clientId=<client-id>.")
    return json_response(await _detail(svc, candidates[0]))


routes = [
    Route("/_sim/requests", list_requests, methods=["GET"]),
    Route("/_sim/verify", verify_requests, methods=["POST"]),
    Route("/_sim/sessions", list_sessions, methods=["GET"]),
    Route("/_sim/sessions/by-partner-session/{partner_session_id}", get_session_by_partner_id, methods=["GET"]),
    Route("/_sim/sessions/{key}", get_session, methods=["GET"]),
]
