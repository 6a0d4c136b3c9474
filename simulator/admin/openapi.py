"""`GET /_sim/openapi.json`: the simulator's own OpenAPI description (vendor endpoints and `/_sim`)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from simulator import __version__
from simulator.endpoints import json_response, vendor_endpoint
from simulator.errors import SIM
from simulator.openapi.document import build_document
from simulator.services.context import Services


@vendor_endpoint(SIM)
async def openapi_json(request: Request, svc: Services) -> Response:
    """The simulator's OpenAPI 3.0 document, with this simulator's public base URL as its server."""
    return json_response(build_document(svc.settings.base_url, request.app.routes, __version__))


routes = [Route("/_sim/openapi.json", openapi_json, methods=["GET"])]
