"""What changes when the simulator is reachable from other machines: the loopback test and the start-up rule.

On a loopback address (127.0.0.0/8, ::1, `localhost`) the simulator behaves as a laptop tool: `/_sim` may be
open and the reference-image fetch may reach local and private hosts. Bound anywhere else (`0.0.0.0`, a LAN
address, a container), `/_sim` must be protected by `--admin-token` unless `--allow-unauthenticated-admin`
says the open control API is deliberate, and outbound targets follow `simulator.services.partner_calls.host_policy`.
"""

from __future__ import annotations

import ipaddress

from simulator.settings import Settings

LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})

UNAUTHENTICATED_ADMIN = (
    "refusing to serve /_sim without an admin token on {host} (not a loopback address): anyone who reaches "
    "it could read and change every partner's sessions.\n"
    "Pass --admin-token TOKEN (env ONEKYC_SIM_ADMIN_TOKEN), or --allow-unauthenticated-admin if that is what "
    "you want."
)


def is_loopback_host(host: str) -> bool:
    """Whether `host` (an interface to bind, an IP literal or a name) is a loopback address only."""
    name = host.strip("[]").lower()
    if name in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def exposure_problem(settings: Settings) -> str | None:
    """Why not to start with `settings` and what to do (two lines), or None; the rule is in the module docstring."""
    if is_loopback_host(settings.host) or settings.admin_token or settings.allow_unauthenticated_admin:
        return None
    return UNAUTHENTICATED_ADMIN.format(host=settings.host)
