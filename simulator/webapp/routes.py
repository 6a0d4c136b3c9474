"""The hosted Web SDK page: `launchUrl` (`/kyc/v2/index.html#/launch-v1?token=…`) and its two helpers.

The page reads the user token from the URL fragment and then plays the SDK against the ordinary
vendor endpoints (presign, upload, confirm, status). It needs two things the vendor API does not
give an SDK, both authorised by the same user token (header `x-onekyc-token`):

    GET /kyc/v2/launch      the session's redirect URLs, partner session id, theme, locale, attempts
                            and the scenario catalog (also for an expired token: the page then
                            redirects with error_code=SESSION_TIMEOUT)
    PUT /kyc/v2/scenario    {"scenario": NAME}: script the token's own session with that scenario
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from simulator.browser_pages import assets, page_endpoint
from simulator.clock import iso
from simulator.domain.urls import is_absolute_http_url
from simulator.endpoints import header, json_response, read_json_object, vendor_endpoint
from simulator.errors import SIM, SimBadRequest
from simulator.services.context import Services
from simulator.services.vendor_flow import web_sdk

STATIC = Path(__file__).parent / "static"


def _redirect(url: str | None) -> str | None:
    """A stored redirection URL the page may use (sessions made before Initiate Flow checked them: None)."""
    return url if url and is_absolute_http_url(url) else None


def launch_body(launch: web_sdk.Launch) -> dict[str, Any]:
    session = launch.session
    locale = session.additional_details.get("userLocale")
    return {
        "success": True,
        "data": {
            "partnerSessionId": session.partner_session_id,
            "flow": session.flow,
            "source": session.source,
            "tokenStatus": "ACTIVE" if launch.token_active else "EXPIRED",
            "expiresAt": iso(launch.expires_at),
            "successRedirectionUrl": _redirect(session.success_url),
            "failureRedirectionUrl": _redirect(session.failure_url),
            "theme": session.theme,
            "userLocale": locale if isinstance(locale, str) else "id_ID",
            "scenario": session.scenario,
            "maxAttempts": session.max_attempts,
            "attemptsUsed": launch.attempts_used,
            "scenarios": [{"name": s.name, "description": s.description} for s in launch.scripts],
        },
    }


@vendor_endpoint(SIM)
async def launch(request: Request, svc: Services) -> Response:
    found = await web_sdk.launch_of(svc, header(request, "x-onekyc-token"))
    return json_response(launch_body(found))


@vendor_endpoint(SIM)
async def choose_scenario(request: Request, svc: Services) -> Response:
    token = header(request, "x-onekyc-token")
    body = await read_json_object(request, SimBadRequest('the body must be {"scenario": NAME}'))
    session = await web_sdk.choose_scenario(svc, token, body.get("scenario"))
    return json_response({"success": True, "data": {"scenario": session.scenario, "maxAttempts": session.max_attempts}})


routes: list[BaseRoute] = [
    Route(
        "/kyc/v2/index.html",
        page_endpoint(STATIC / "index.html", lambda settings: settings.web_sdk_frame_ancestors),
        methods=["GET"],
    ),
    Route("/kyc/v2/launch", launch, methods=["GET"]),
    Route("/kyc/v2/scenario", choose_scenario, methods=["PUT"]),
    assets("/kyc/v2/assets", STATIC, "web-sdk-assets"),
]
