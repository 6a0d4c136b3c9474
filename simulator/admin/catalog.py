"""Control API for scenarios: the catalog, and bindings of scenarios to partner session ids.

GET    /_sim/scenarios                         the catalog: names, descriptions, magic values, attempts
GET    /_sim/scenarios/{name}                  one scenario, with its full script
PUT    /_sim/bindings/{partnerSessionId}       {"scenario": NAME, "script"?: {...}, "clientId"?: ID}
DELETE /_sim/bindings/{partnerSessionId}?clientId=ID
GET    /_sim/bindings?clientId=ID
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import Field, StringConstraints, ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from simulator.admin.tenancy import client_scope
from simulator.clock import iso
from simulator.domain.scripts import NAME_PATTERN, Behaviour, Script, describe_fault
from simulator.endpoints import json_response, read_json_object, vendor_endpoint
from simulator.errors import SIM, SimBadRequest, SimNotFound
from simulator.services import session_scenarios
from simulator.services.context import Services
from simulator.services.control.params import QueryModel, parse, problems
from simulator.store.scenario_state import ANY_PARTNER, BindingRecord

BIND_EXAMPLE = '{"scenario": "spoof", "clientId": "b31fa508-331c-4e9e-9a60-b0f28c3f7e13"}'


def scenario_json(script: Script, *, full: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": script.name,
        "description": script.description,
        "magicUserId": script.magic_user_id,
        "magicImage": (
            {"name": script.magic_image, "sha256": script.magic_image_sha256} if script.magic_image_sha256 else None
        ),
        "maxAttempts": script.max_attempts,
        "userTokenLifetimeSeconds": script.user_token_lifetime_seconds,
        "attempts": script.summary(),
        "faults": [describe_fault(fault) for fault in script.faults],
        "url": f"/_sim/scenarios/{script.name}",
    }
    if full:
        body["script"] = Behaviour.model_validate(script.model_dump(include=set(Behaviour.model_fields))).model_dump(
            mode="json"
        )
    return body


def binding_json(binding: BindingRecord) -> dict[str, Any]:
    return {
        "partnerSessionId": binding.partner_session_id,
        "clientId": None if binding.client_id == ANY_PARTNER else binding.client_id,
        "scenario": binding.scenario,
        "inline": binding.script is not None,
        "createdAt": iso(binding.created_at),
    }


@vendor_endpoint(SIM)
async def list_scenarios(request: Request, svc: Services) -> Response:
    """The scenario catalog: each scenario's name, description, magic user id and image, attempts and faults."""
    return json_response({"scenarios": [scenario_json(s) for s in sorted(svc.scripts.values(), key=lambda s: s.name)]})


@vendor_endpoint(SIM)
async def get_scenario(request: Request, svc: Services) -> Response:
    """One scenario of the catalog, with its full script (the script part of its scenario file)."""
    name = request.path_params["name"]
    script = svc.scripts.get(name)
    if script is None:
        known = ", ".join(sorted(svc.scripts))
        raise SimNotFound(f"No scenario is named {name!r}. Known scenarios: {known}.")
    return json_response(scenario_json(script, full=True))


def _client_id(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise SimBadRequest(
            "`clientId` must be a partner's client id (a non-empty string), or left out for any partner."
        )
    return value.strip()


class BindingsQuery(QueryModel):
    """`?clientId=` of the bindings endpoints: one partner's client id (surrounding spaces dropped)."""

    client_id: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)] | None = Field(
        None, alias="clientId"
    )


@vendor_endpoint(SIM)
async def put_binding(request: Request, svc: Services) -> Response:
    """Bind a scenario to a partner session id in advance: its Initiate Flow runs that scenario.

    Body: `{"scenario": NAME}` for a catalog scenario, plus `"script": {...}` for an inline one (the script
    part of a scenario file), plus `"clientId"` to bind it for one partner only.
    """
    body = await read_json_object(request, SimBadRequest(f"The body must be a JSON object, e.g. {BIND_EXAMPLE}."))
    unknown = set(body) - {"scenario", "script", "clientId"}
    if unknown:
        raise SimBadRequest(f"Unknown field(s) {', '.join(sorted(unknown))}; the body is {BIND_EXAMPLE}.")
    name, script = body.get("scenario"), body.get("script")
    if not isinstance(name, str) or re.fullmatch(NAME_PATTERN, name) is None:
        raise SimBadRequest(
            f"`scenario` must be a scenario name (GET /_sim/scenarios lists them), e.g. {BIND_EXAMPLE}."
        )
    if script is not None and not isinstance(script, dict):
        raise SimBadRequest("`script` must be a scenario script object (attempts, faults, …) or left out.")
    try:
        binding = await session_scenarios.bind(
            svc,
            request.path_params["partner_session_id"],
            name,
            script,
            client_scope(request, _client_id(body.get("clientId"))),
        )
    except ValidationError as exc:
        raise SimBadRequest(
            f"The inline script is not valid ({problems(exc)}). Fix it and send the binding again."
        ) from None
    return json_response(binding_json(binding))


@vendor_endpoint(SIM)
async def delete_binding(request: Request, svc: Services) -> Response:
    """Remove the binding of a partner session id (`?clientId=` if it was made for one partner)."""
    psid = request.path_params["partner_session_id"]
    client_id = client_scope(request, parse(BindingsQuery, dict(request.query_params), "The query").client_id)
    await session_scenarios.unbind(svc, psid, client_id)
    return json_response({"partnerSessionId": psid, "clientId": client_id, "deleted": True})


@vendor_endpoint(SIM)
async def list_bindings(request: Request, svc: Services) -> Response:
    """The bindings made in advance, oldest first (`?clientId=` for one partner's)."""
    client_id = client_scope(request, parse(BindingsQuery, dict(request.query_params), "The query").client_id)
    found = await session_scenarios.bindings(svc, client_id)
    return json_response({"count": len(found), "bindings": [binding_json(b) for b in found]})


routes = [
    Route("/_sim/scenarios", list_scenarios, methods=["GET"]),
    Route("/_sim/scenarios/{name}", get_scenario, methods=["GET"]),
    Route("/_sim/bindings", list_bindings, methods=["GET"]),
    Route("/_sim/bindings/{partner_session_id}", put_binding, methods=["PUT"]),
    Route("/_sim/bindings/{partner_session_id}", delete_binding, methods=["DELETE"]),
]
