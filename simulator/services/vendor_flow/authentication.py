"""Token Gateway use cases: partner tokens (esign and coe paths) and the pre-v1.2 user token.

Lifetimes are the vendor's (`expiresIn` of getpartnertoken.json, get_v1-coe-partner-authentication.json
and get_v2-coe-authentication.json). Each function raises `VendorError`s; the handlers render them.
"""

from __future__ import annotations

from simulator.errors import CoeForbidden, unauthorized
from simulator.services.context import Services
from simulator.tokens import IssuedToken

USER_TOKEN_LIFETIME = 5_184_000
ESIGN_PARTNER_TOKEN_LIFETIME = 1800
COE_PARTNER_TOKEN_LIFETIME = 3600


def issue_partner_token(svc: Services, client_id: str, pass_key: str, lifetime: int) -> IssuedToken:
    """A partner token valid `lifetime` seconds; 401 UNAUTHORIZED for unknown credentials."""
    partner = svc.partner(client_id)
    if partner is None or partner.pass_key != pass_key:
        raise unauthorized()
    return svc.tokens.issue("partner", client_id, lifetime)


def issue_user_token(
    svc: Services, client_id: str, pass_key: str, onboarding_partner: str, user_id: str, user_id_type: str
) -> IssuedToken:
    """The pre-v1.2 user token: bound to a user, its partner session is named by the SDK's first call."""
    partner = svc.partner(client_id)
    if partner is None or partner.pass_key != pass_key:
        raise unauthorized()
    if not partner.owns(onboarding_partner):
        raise CoeForbidden("ONBOARDING_PARTNER_DOES_NOT_BELONG_TO_CLIENT")
    return svc.tokens.issue(
        "user",
        client_id,
        USER_TOKEN_LIFETIME,
        onboarding_partner=onboarding_partner,
        user_id=user_id,
        user_id_type=user_id_type,
    )
