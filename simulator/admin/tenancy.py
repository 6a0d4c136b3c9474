"""Who is calling `/_sim`: the admin, or one partner, and what that partner may see and change.

The guard (`simulator.admin.guard`) puts a `Principal` in the request scope. A partner authenticates with
its own credentials, the same as on the Token Gateway: headers `client-id` + `pass-key`, or HTTP Basic
auth with the client id as user name and the pass-key as password (so a browser can open the dashboard).
The admin presents `--admin-token` (or anyone, when no admin token is set and no partner credentials are
sent). A partner sees and changes only its own sessions, submissions, journal entries, bindings,
callbacks, partner settings and tokens: a filter naming another partner is refused (403), an object of
another partner is unknown (404). The clock is shared by every tenant, so changing it is the admin's.

    GET /_sim/whoami     {"role": "admin"} or {"role": "partner", "clientId": …}
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from simulator.endpoints import json_response, vendor_endpoint
from simulator.errors import SIM, SimForbidden, SimNotFound
from simulator.services.context import Services

PRINCIPAL = "onekyc.principal"


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller of a `/_sim` route: the admin (`client_id` None) or the partner `client_id`."""

    client_id: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.client_id is None


ADMIN_PRINCIPAL = Principal()


def principal(request: Request) -> Principal:
    """The caller the guard authenticated (the admin when the guard did not run, e.g. in an embedded app)."""
    found = request.scope.get(PRINCIPAL)
    return found if isinstance(found, Principal) else ADMIN_PRINCIPAL


def client_scope(request: Request, requested: str | None) -> str | None:
    """The client id a read or change is limited to: `requested` for the admin, the partner's own otherwise.

    Raises Forbidden (403) when a partner names another partner.
    """
    caller = principal(request)
    if caller.is_admin:
        return requested
    if requested is not None and requested != caller.client_id:
        raise SimForbidden(f"Partner {caller.client_id} can only see and change its own data, not {requested}'s.")
    return caller.client_id


def require_admin(request: Request, what: str) -> None:
    """Raise Forbidden (403) unless the caller is the admin; `what` names the refused action."""
    if not principal(request).is_admin:
        raise SimForbidden(f"{what} is shared by every partner of this simulator: only the admin token may.")


def ensure_own(request: Request, client_id: str, not_found: str) -> None:
    """Raise NotFound (404, message `not_found`) when a partner asks for another partner's object."""
    caller = principal(request)
    if not caller.is_admin and caller.client_id != client_id:
        raise SimNotFound(not_found)


@vendor_endpoint(SIM)
async def whoami(request: Request, svc: Services) -> Response:
    """Who the credentials of this request are: `{"role": "admin"}` or `{"role": "partner", "clientId": …}`."""
    caller = principal(request)
    if caller.is_admin:
        return json_response({"role": "admin"})
    return json_response({"role": "partner", "clientId": caller.client_id})


routes = [Route("/_sim/whoami", whoami, methods=["GET"])]
