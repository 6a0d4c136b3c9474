"""Control actions of `/_sim`: reset a scope, force a submission's outcome, expire a token.

Each is one use case over the repository; none bypasses the state machine. Forcing an INITIATED
submission takes it through IN_PROGRESS first, and the verdict is written by the same completion
path as processing, so the partner callback is enqueued exactly as for a natural verdict.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from simulator.domain.outcomes import Outcome
from simulator.domain.states import TERMINAL, Status
from simulator.errors import SimBadRequest, SimConflict, SimNotFound
from simulator.services.context import Services
from simulator.services.vendor_flow.processing import complete_submission
from simulator.store import admin_queries as store
from simulator.store.errors import StaleStateError
from simulator.store.records import SubmissionRecord
from simulator.tokens import TokenClaims

FORCED_CAUSE = "force"


@dataclass(frozen=True, slots=True)
class ResetResult:
    scope: dict[str, str]
    deleted: dict[str, int]


async def reset(svc: Services, client_id: str | None, partner_session_id: str | None) -> ResetResult:
    """Delete the state, journal and callbacks of everything, one partner, or one partner session.

    Partners, the clock, the signing key and token revocations are kept; no restart is needed.
    """
    if partner_session_id is not None and client_id is None:
        raise SimBadRequest(
            "A partner session id is unique only within its partner: send clientId with partnerSessionId.",
        )
    await svc.journal.flush()
    deleted = await store.reset_state(svc.repo, client_id, partner_session_id)
    svc.repo.forget()
    scope = {k: v for k, v in (("clientId", client_id), ("partnerSessionId", partner_session_id)) if v}
    return ResetResult(scope, {str(name): count for name, count in sorted(deleted.items()) if count})


async def force_outcome(
    svc: Services, submission_id: str, outcome: Outcome, retriable: bool | None = None
) -> SubmissionRecord:
    """Complete an INITIATED or IN_PROGRESS submission now with `outcome` (terminal ones are refused)."""
    record = await svc.repo.get_submission(submission_id)
    if record is None:
        raise SimNotFound(f"There is no submission {submission_id!r}; list sessions with GET /_sim/sessions.")
    if record.status in TERMINAL:
        raise SimConflict(
            f"Submission {submission_id} is already {record.status.value}; terminal states never change. "
            "Start a new attempt (presign again) to get another verdict.",
        )
    plan: dict[str, Any] = {**(record.plan or {}), "outcome": outcome.value, "forced": True}
    if retriable is not None:
        plan["retriable"] = retriable
    try:
        if record.status is Status.INITIATED:
            await svc.repo.confirm(
                record.id,
                record.session_key,
                record.sdk_session_id or "",
                None,
                plan,
                None,
                None,
                svc.clock.now(),
                cause=FORCED_CAUSE,
            )
        elif not await store.set_plan(svc.repo, record.id, plan):
            raise StaleStateError(record.id)
    except StaleStateError:
        current = await svc.repo.get_submission(submission_id)
        state = current.status.value if current else "gone"
        raise SimConflict(f"Submission {submission_id} changed meanwhile (now {state}); try again.") from None
    done = await complete_submission(svc, record.id, FORCED_CAUSE, wait_for_reference=False)
    if done is None:
        raise SimNotFound(f"Submission {submission_id} disappeared while being forced (was it reset?).")
    return done


@dataclass(frozen=True, slots=True)
class Revocation:
    claims: TokenClaims
    newly_revoked: bool


async def expire_token(svc: Services, token: Any) -> Revocation:
    """Revoke a token the simulator issued, at once and for good (persisted: it survives a restart)."""
    if not isinstance(token, str) or not token.strip():
        raise SimBadRequest('Send the token to expire as {"token": "<the JWT the simulator issued>"}.')
    claims = svc.tokens.peek(token.strip())
    if claims is None:
        raise SimBadRequest(
            "That is not a token this simulator issued (malformed, or signed with another key): pass the exact "
            "`data.token` value of the token or Initiate Flow response.",
        )
    newly = await store.revoke(
        svc.repo, claims.jti, claims.client_id, claims.kind, float(claims.expires_at), svc.clock.now()
    )
    svc.tokens.revoke(claims.jti)
    return Revocation(claims, newly)
