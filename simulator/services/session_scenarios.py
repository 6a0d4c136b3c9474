"""Scenario use cases: binding scenarios to partner sessions, planning each confirmed attempt, faults.

A new session's scenario is chosen once, at Initiate Flow (or the first presign of a pre-v1.2 user
token), and its script is kept with the session (`session_scripts`), so an inline binding or a changed
catalog never changes a running session behind its back. A magic selfie may switch the session at
confirm; another component may switch it by name (the Web SDK page), which the name check honours.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from typing import Any

from simulator.domain.binding import Choice, Source, choose, rebind_for_image
from simulator.domain.faults import Endpoint, fires, seeded_draw
from simulator.domain.scripts import Behaviour, FaultScript, plan_json
from simulator.errors import SimNotFound
from simulator.services.context import Services
from simulator.store.records import SessionRecord, SubmissionRecord
from simulator.store.scenario_state import ANY_PARTNER, BindingRecord, SessionScriptRecord

log = logging.getLogger("simulator.scenarios")


async def choose_for_new_session(svc: Services, client_id: str, partner_session_id: str, user_id: str) -> Choice:
    """First match wins: admin binding, magic user id, the partner's default, liveness pass."""
    binding = await svc.repo.find_binding(client_id, partner_session_id)
    bound = _choice_of_binding(svc, binding) if binding is not None else None
    partner = svc.partner(client_id)
    return choose(
        svc.scripts, binding=bound, user_id=user_id, partner_default=partner.default_scenario if partner else None
    )


def _choice_of_binding(svc: Services, binding: BindingRecord) -> Choice | None:
    if binding.script is not None:
        return Choice(binding.scenario, Behaviour.model_validate(binding.script), Source.BINDING)
    script = svc.scripts.get(binding.scenario)
    if script is None:
        log.warning("binding names an unknown scenario", extra={"scenario": binding.scenario})
        return None
    return Choice(script.name, script, Source.BINDING)


async def remember_choice(svc: Services, session: SessionRecord, choice: Choice) -> None:
    """Keep the script the new session runs (its own copy: later catalog or binding changes leave it be)."""
    await svc.repo.save_session_script(
        SessionScriptRecord(
            session_key=session.key,
            client_id=session.client_id,
            partner_session_id=session.partner_session_id,
            scenario=choice.name,
            source=choice.source.value,
            behaviour=_plain(choice.behaviour),
            updated_at=svc.clock.now(),
        )
    )


def _plain(behaviour: Behaviour) -> Behaviour:
    """Just the behaviour of a script (no name or magic values)."""
    if type(behaviour) is Behaviour:
        return behaviour
    return Behaviour.model_validate(behaviour.model_dump(include=set(Behaviour.model_fields)))


async def session_choice(svc: Services, session: SessionRecord) -> Choice:
    """The script the session runs now."""
    saved = await svc.repo.session_script(session.key)
    if saved is not None and saved.scenario == session.scenario:
        return Choice(saved.scenario, saved.behaviour, Source(saved.source))
    # Chosen by name elsewhere (the Web SDK page), or a session older than its script row.
    script = svc.scripts.get(session.scenario) or svc.scripts.default()
    return Choice(script.name, script, Source.BINDING if saved is not None else Source.DEFAULT)


@dataclass(frozen=True, slots=True)
class ConfirmPlan:
    """What confirm stores: the plan JSON, and when processing ends (after polls, or after a delay)."""

    plan: dict[str, Any]
    after_polls: int | None
    delay_seconds: float


async def plan_confirm(svc: Services, submission: SubmissionRecord, session: SessionRecord) -> ConfirmPlan:
    """The plan of the attempt being confirmed; a magic selfie first switches the session's scenario."""
    choice = await session_choice(svc, session)
    selfie = submission.documents.get("SELFIE")
    found = await svc.repo.get_document(selfie.reference) if selfie is not None else None
    if found is not None and found[1] is not None:
        switched = rebind_for_image(choice, svc.scripts, hashlib.sha256(found[1]).hexdigest())
        if switched is not None:
            await svc.repo.set_session_scenario(session.key, switched.name, session.max_attempts)
            session_now = await svc.repo.get_session(session.key) or session
            await remember_choice(svc, session_now, switched)
            choice = switched
    attempt = choice.behaviour.plan_for(submission.attempt)
    delay = attempt.after_seconds if attempt.after_seconds is not None else svc.settings.processing_delay_seconds
    return ConfirmPlan(plan_json(choice.name, attempt), attempt.after_polls, delay)


# -- faults -----------------------------------------------------------------------------------


async def fault_for_call(
    svc: Services, endpoint: Endpoint, client_id: str, partner_session_id: str, behaviour: Behaviour
) -> FaultScript | None:
    """Count this call of `endpoint` in the session and return the first of its faults that fires."""
    faults = behaviour.faults_on(endpoint)
    if not faults:
        return None
    call = await svc.repo.count_call(client_id, partner_session_id, endpoint.value)
    for fault in faults:
        if fault.seed is not None:
            draw = seeded_draw(fault.seed, endpoint, call)
        else:
            draw = svc.ids.rng(f"fault:{client_id}:{partner_session_id}:{endpoint.value}:{call}").random()
        if fires(fault.on_calls, fault.probability, call, draw):
            return fault
    return None


# -- admin bindings ---------------------------------------------------------------------------


async def bind(
    svc: Services, partner_session_id: str, scenario: str, script: dict[str, Any] | None, client_id: str | None
) -> BindingRecord:
    """Bind a catalog scenario, or an inline script named `scenario`, to a future partner session."""
    if script is None and scenario not in svc.scripts:
        known = ", ".join(sorted(svc.scripts))
        raise SimNotFound(f"No scenario is named {scenario!r}. Known scenarios: {known}.")
    if client_id is not None and client_id != ANY_PARTNER and svc.partner(client_id) is None:
        raise SimNotFound(f"No partner has client id {client_id!r}; omit clientId to bind for any partner.")
    normalised = Behaviour.model_validate(script).model_dump(mode="json") if script is not None else None
    record = BindingRecord(client_id or ANY_PARTNER, partner_session_id, scenario, normalised, svc.clock.now())
    await svc.repo.put_binding(record)
    return record


async def bindings(svc: Services, client_id: str | None) -> list[BindingRecord]:
    """The bindings made in advance, oldest first: one partner's (`client_id`) or all."""
    return await svc.repo.list_bindings(client_id)


async def unbind(svc: Services, partner_session_id: str, client_id: str | None) -> None:
    if not await svc.repo.delete_binding(client_id or ANY_PARTNER, partner_session_id):
        raise SimNotFound(
            f"No binding for partner session id {partner_session_id!r}"
            + (f" of client {client_id!r}" if client_id else "")
            + "; GET /_sim/bindings lists them.",
        )
