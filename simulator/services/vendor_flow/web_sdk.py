"""The hosted Web SDK page's own use cases: what a launch needs, and the scripted outcome it may pick.

The page holds nothing but the user token from `launchUrl`'s fragment, so both calls are authorised
by that token and act only on the token's own partner session. A well-signed but expired (or revoked)
token still names its session: the page needs the session's `failureRedirectionUrl` to send the user
back with `error_code=SESSION_TIMEOUT`, as the vendor's page does.
"""

from __future__ import annotations

from dataclasses import dataclass

from simulator.domain.binding import Choice, Source
from simulator.domain.scripts import Script
from simulator.errors import SimBadRequest, Unauthorized, unauthorized
from simulator.services.context import Services
from simulator.services.session_scenarios import remember_choice
from simulator.store.records import SessionRecord
from simulator.tokens import TokenClaims


@dataclass(frozen=True, slots=True)
class Launch:
    """What the page shows and needs for one launch."""

    session: SessionRecord
    token_active: bool
    expires_at: int
    attempts_used: int
    scripts: tuple[Script, ...]


def _claims(svc: Services, token: str | None, *, allow_expired: bool) -> tuple[TokenClaims, bool]:
    """The user token's claims and whether it is still usable; 401 for anything not a launch token."""
    try:
        return svc.tokens.verify(token, "user"), True
    except Unauthorized:
        if not allow_expired or not token:
            raise
        claims = svc.tokens.peek(token)
        if claims is None or claims.kind != "user":
            raise
        return claims, False


async def _session(svc: Services, claims: TokenClaims) -> SessionRecord:
    # Pre-v1.2 user tokens name no session: they never come from a launchUrl.
    session = await svc.repo.get_session(claims.session_key) if claims.session_key else None
    if session is None or session.client_id != claims.client_id:
        raise unauthorized()
    return session


async def launch_of(svc: Services, token: str | None) -> Launch:
    """The launch behind `token`: its session, redirect URLs, attempts so far and the scenario catalog."""
    claims, active = _claims(svc, token, allow_expired=True)
    session = await _session(svc, claims)
    return Launch(
        session=session,
        token_active=active,
        expires_at=claims.expires_at,
        attempts_used=await svc.repo.count_submissions(session.key),
        scripts=tuple(svc.scripts.values()),
    )


async def choose_scenario(svc: Services, token: str | None, name: object) -> SessionRecord:
    """Script the token's own session with catalog scenario `name` from its next confirmed selfie on."""
    claims, _ = _claims(svc, token, allow_expired=False)
    session = await _session(svc, claims)
    script = svc.scripts.get(name) if isinstance(name, str) else None
    if script is None:
        raise SimBadRequest(f"unknown scenario {name!r}; the launch lists the scenarios this simulator knows")
    partner = svc.partner(session.client_id)
    max_attempts = script.max_attempts or (partner.max_attempts if partner else None) or svc.settings.max_attempts
    updated = await svc.repo.set_session_scenario(session.key, script.name, max_attempts)
    if updated is None:
        raise unauthorized()
    # Chosen for this very session, like an admin binding: a magic selfie no longer switches it.
    await remember_choice(svc, updated, Choice(script.name, script, Source.BINDING))
    return updated
