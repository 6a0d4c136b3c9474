"""Partners at run time: register or replace one, change its callback or reference-image endpoint, forget a
runtime change.

Every change is persisted (the `partners` table) and applied to `svc.partners` at once. Which config a
restart uses (`merge_partners`): the sample partner and the config file's partners, plus the partners
stored in the database; for a client id in both, the stored one wins if it was changed at run time
(its id is in the `partners.runtime` meta list), else the file wins. `forget_partner` drops the runtime
change, so the file (or the sample partner) applies again, or the partner is gone if neither has it.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from simulator.errors import BadRequest, SimBadRequest, SimNotFound
from simulator.partners import CallbackConfig, Partner, PartnerEndpointConfig, ReferenceImageConfig, load_partners
from simulator.services.control import secrets
from simulator.services.control.params import problems

if TYPE_CHECKING:
    from simulator.services.context import Services
    from simulator.store.repository import Repository

log = logging.getLogger("simulator.partners")

RUNTIME_KEY = "partners.runtime"


async def merge_partners(repo: Repository, from_file: list[Partner], now: float) -> dict[str, Partner]:
    """The partners a (re)started simulator serves, persisted; see the module docstring for the rule."""
    partners = {p.client_id: p for p in from_file}
    runtime = set(await repo.get_meta(RUNTIME_KEY) or [])
    for stored in await repo.list_partners():
        try:
            partner = Partner.model_validate(stored)
        except ValidationError as exc:
            log.warning(
                "ignoring an invalid stored partner", extra={"clientId": stored.get("client_id"), "error": str(exc)}
            )
            continue
        if partner.client_id in runtime or partner.client_id not in partners:
            partners[partner.client_id] = partner
    for partner in partners.values():
        await repo.upsert_partner(partner.client_id, partner.model_dump(mode="json"), now)
    return partners


def _invalid(exc: ValidationError, what: str) -> BadRequest:
    return SimBadRequest(f"{what} is not valid ({problems(exc)}). Fix the field(s) and send it again.")


def partner_of(svc: Services, client_id: str) -> Partner:
    partner = svc.partner(client_id)
    if partner is None:
        raise SimNotFound(
            f"There is no partner {client_id!r}; list them with GET /_sim/partners or register it with "
            "PUT /_sim/partners/{clientId}.",
        )
    return partner


async def _save(svc: Services, partner: Partner) -> Partner:
    await svc.repo.upsert_partner(partner.client_id, partner.model_dump(mode="json"), svc.clock.now())
    await svc.repo.change_meta_set(RUNTIME_KEY, add=partner.client_id)
    svc.partners[partner.client_id] = partner
    return partner


async def put_partner(svc: Services, client_id: str, body: dict[str, Any]) -> tuple[Partner, bool]:
    """Register `client_id` or replace it whole (the body is a config-file partner entry); (partner, created)."""
    if body.setdefault("client_id", client_id) != client_id:
        raise SimBadRequest(f"The body's client_id {body['client_id']!r} is not the path's {client_id!r}.")
    try:
        partner = Partner.model_validate(secrets.keep_unchanged(body, svc.partner(client_id)))
    except ValidationError as exc:
        raise _invalid(exc, "The partner") from None
    created = client_id not in svc.partners
    return await _save(svc, partner), created


async def patch_callback(svc: Services, client_id: str, body: dict[str, Any]) -> Partner:
    """Change some fields of the partner's callback config; the others keep their value."""
    return await _patch_endpoint(svc, client_id, "callback", body)


async def patch_reference_image(svc: Services, client_id: str, body: dict[str, Any]) -> Partner:
    """Change some fields of the partner's "Get Reference Image" endpoint config (`{"url": null}` turns it off)."""
    return await _patch_endpoint(svc, client_id, "reference_image", body)


_ENDPOINTS: dict[str, tuple[type[PartnerEndpointConfig], str]] = {
    "callback": (CallbackConfig, "The callback config"),
    "reference_image": (ReferenceImageConfig, "The reference-image endpoint config"),
}


async def _patch_endpoint(svc: Services, client_id: str, field: str, body: dict[str, Any]) -> Partner:
    partner = partner_of(svc, client_id)
    model, what = _ENDPOINTS[field]
    current: PartnerEndpointConfig = getattr(partner, field)
    try:
        config = model.model_validate(current.model_dump(mode="json") | secrets.keep_unchanged_endpoint(body, current))
    except ValidationError as exc:
        raise _invalid(exc, what) from None
    return await _save(svc, partner.model_copy(update={field: config}))


async def forget_partner(svc: Services, client_id: str) -> Partner | None:
    """Drop the runtime change of `client_id`: the config file's version again, or no partner at all."""
    partner_of(svc, client_id)
    await svc.repo.change_meta_set(RUNTIME_KEY, remove=client_id)
    original = {p.client_id: p for p in load_partners(svc.settings.config)}.get(client_id)
    if original is None:
        await svc.repo.delete_partner(client_id)
        svc.partners.pop(client_id, None)
        return None
    await svc.repo.upsert_partner(client_id, original.model_dump(mode="json"), svc.clock.now())
    svc.partners[client_id] = original
    return original


def partner_json(partner: Partner) -> dict[str, Any]:
    """A partner as the config file spells it (snake_case); secrets are write-only (shown as fingerprints)."""
    return secrets.partner_view(partner)
