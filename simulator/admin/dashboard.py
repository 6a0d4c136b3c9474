"""The dashboard at /_sim/ui: one HTML shell and its local CSS/JS, served from the package.

The page holds no data of its own: it reads and acts through the same /_sim JSON API as any script
(sessions, timelines, clock, scenarios, actions). With an admin token, the guard in front of /_sim
covers the page too; a browser gives the token as the password of HTTP Basic auth and then sends it
with the page's API calls as well.
"""

from __future__ import annotations

from pathlib import Path

from starlette.routing import BaseRoute, Route

from simulator.browser_pages import assets, page_endpoint

STATIC = Path(__file__).parent / "static"
UI_PATH = "/_sim/ui"
ASSETS_PATH = f"{UI_PATH}/assets"

routes: list[BaseRoute] = [
    Route(UI_PATH, page_endpoint(STATIC / "dashboard.html"), methods=["GET"]),
    Route(f"{UI_PATH}/", page_endpoint(STATIC / "dashboard.html"), methods=["GET"]),
    assets(ASSETS_PATH, STATIC, "dashboard-assets"),
]
