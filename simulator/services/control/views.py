"""Read-only views for `/_sim`: sessions, submissions, journal requests, and a session's timeline.

The timeline merges transitions, inbound requests, calls of the partner's reference-image endpoint,
reference fetches, callbacks and their attempts, and the session's jobs that failed past their retry
budget, by simulator time. Under a frozen clock many events share one instant; then a transition is placed
right after the request that caused it (presign, confirm, the deciding status poll), and one with no
request behind it (processing delay, force) right after the transition before it, else first.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from simulator.clock import iso
from simulator.services.context import Services
from simulator.services.journal.redaction import redact_text
from simulator.services.partner_calls.reference_endpoint import JOURNAL_KIND as REFERENCE_ENDPOINT
from simulator.store import job_listing
from simulator.store.journal_rows import JournalRecord, JournalStore
from simulator.store.records import SessionRecord, SubmissionRecord, TransitionRecord

TIMELINE_REQUESTS_MAX = 5000
Key = tuple[float, int, int, float]


def job_json(job: job_listing.JobView) -> dict[str, Any]:
    """A job as `/_sim` shows it (`attempts`: failed runs; `lastError`: the last failure, or why it waits)."""
    return {
        "id": job.id,
        "kind": job.kind,
        "ref": job.ref,
        "state": job.state,
        "attempts": job.attempts,
        "dueAt": iso(job.due_at),
        "createdAt": iso(job.created_at),
        "updatedAt": iso(job.updated_at),
        "lastError": job.last_error,
    }


def iso_ms(ts: float | None) -> str | None:
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def submission_summary(sub: SubmissionRecord | None) -> dict[str, Any] | None:
    if sub is None:
        return None
    return {
        "id": sub.id,
        "attempt": sub.attempt,
        "status": sub.status.value,
        "result": sub.result.value if sub.result else None,
        "reasonCode": sub.reason_code,
        "nextAction": sub.next_action.value,
    }


def submission_json(sub: SubmissionRecord) -> dict[str, Any]:
    summary = submission_summary(sub) or {}
    return summary | {
        "maxAttempts": sub.max_attempts,
        "submissionType": sub.submission_type,
        "retriable": sub.retriable,
        "errorMessage": sub.error_message,
        "plan": sub.plan,
        "afterPolls": sub.after_polls,
        "polls": sub.polls,
        "sdkSessionId": sub.sdk_session_id,
        "createdAt": iso(sub.created_at),
        "confirmedAt": iso(sub.confirmed_at),
        "completedAt": iso(sub.completed_at),
        "documents": {
            doc_type: {"status": d.status.value, "contentType": d.content_type, "size": d.size}
            for doc_type, d in sub.documents.items()
        },
    }


def session_json(session: SessionRecord, latest: SubmissionRecord | None) -> dict[str, Any]:
    return {
        "key": session.key,
        "clientId": session.client_id,
        "partnerSessionId": session.partner_session_id,
        "onboardingPartner": session.onboarding_partner,
        "userId": session.user_id,
        "userIdType": session.user_id_type,
        "flow": session.flow,
        "source": session.source,
        "scenario": session.scenario,
        "maxAttempts": session.max_attempts,
        "referenceImageUrl": redact_text(session.reference_image_url or "") or None,
        "createdAt": iso(session.created_at),
        "latestSubmission": submission_summary(latest),
    }


def request_json(r: JournalRecord, *, brief: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": r.id,
        "at": iso_ms(r.at),
        "direction": r.direction,
        "kind": r.kind,
        "method": r.method,
        "path": r.path,
        "status": r.status,
        "latencyMs": r.latency_ms,
        "clientId": r.client_id,
        "partnerSessionId": r.partner_session_id,
        "submissionId": r.submission_id,
        # Identical consecutive polls are one entry (services/journal/coalesce.py): how many, first and last.
        "repeats": r.repeats,
        "firstAt": iso_ms(r.at),
        "lastAt": iso_ms(r.last),
    }
    if brief:
        return body
    return body | {
        "epoch": r.at,
        "url": r.url,
        "sessionKey": r.session_key,
        "request": {"headers": r.request_headers, "body": r.request_body, "size": r.request_size},
        "response": {"headers": r.response_headers, "body": r.response_body, "size": r.response_size},
        "error": r.error,
    }


def _causes(r: JournalRecord, tr: TransitionRecord) -> bool:
    if r.submission_id != tr.submission_id or r.direction != "inbound" or r.at != tr.at:
        return False
    if tr.cause == "presign":
        return r.method == "GET" and r.path.endswith(("/urls", "/url"))
    if tr.cause == "confirm":
        return r.method == "PUT" and r.path.endswith(("/urls", "/url"))
    if tr.cause == "status-polls":
        body = r.response_body or ""
        return r.path.endswith("/status") and f'"status":"{tr.to_status}"' in body
    return False


def _transition_keys(requests: list[JournalRecord], transitions: list[TransitionRecord]) -> list[Key]:
    keys: list[Key] = []
    used: set[int] = set()
    for index, tr in enumerate(transitions):
        anchor = next((r for r in requests if r.id not in used and _causes(r, tr)), None)
        if anchor is not None:
            used.add(anchor.id)
            keys.append((anchor.at, 0, anchor.id, float(index)))
        elif index and transitions[index - 1].at == tr.at:
            keys.append((*keys[-1][:3], float(index)))
        else:
            keys.append((tr.at, -1, 0, float(index)))
    return keys


async def timeline(svc: Services, session: SessionRecord) -> list[dict[str, Any]]:
    """Every event of a partner session in time order (see the module docstring for ties)."""
    store = JournalStore(svc.repo)
    journaled = await store.of_session(
        session.client_id, session.partner_session_id, session.key, TIMELINE_REQUESTS_MAX
    )
    # Outbound calls appear as callback attempts and reference fetches, which outlive journal eviction; the
    # call of the partner's reference-image endpoint comes from the journal (`referenceEndpoint` events).
    requests = [r for r in journaled if r.direction == "inbound"]
    transitions = await svc.repo.transitions_of(session.key)
    events: list[tuple[Key, dict[str, Any]]] = []
    for r in requests:
        summary = f"{r.method} {r.path} -> {r.status}" + (f" (x{r.repeats})" if r.repeats > 1 else "")
        events.append(((r.at, 0, r.id, -1.0), {"type": "request", "summary": summary, **request_json(r)}))
    terminal_keys: dict[str, Key] = {}
    for key, tr in zip(_transition_keys(requests, transitions), transitions, strict=True):
        summary = f"{tr.from_status or '-'} -> {tr.to_status} ({tr.cause})"
        event = {"type": "transition", "at": iso_ms(tr.at), "summary": summary, "submissionId": tr.submission_id}
        events.append((key, event | {"from": tr.from_status, "to": tr.to_status, "cause": tr.cause}))
        if tr.to_status in ("COMPLETED", "ERROR"):
            terminal_keys[tr.submission_id] = key
    for r in journaled:
        if r.direction == "outbound" and r.kind == REFERENCE_ENDPOINT:
            answer = r.status if r.status is not None else r.error
            summary = f"reference image asked of the partner: {r.method} {redact_text(r.url or r.path)} -> {answer}"
            asked = {"type": "referenceEndpoint", "summary": summary, **request_json(r)}
            events.append(((r.at, 2, -1, float(r.id)), asked))
    for fetch in await svc.repo.reference_fetches_of_session(session.key):
        at = fetch.fetched_at or fetch.created_at
        via = " (from the partner's reference-image endpoint)" if session.reference_image_url is None else ""
        summary = f"reference image fetch {fetch.state}{via}" + (f": {fetch.outcome}" if fetch.outcome else "")
        details = fetch.to_json() | {
            "url": redact_text(fetch.url),
            "finalUrl": redact_text(fetch.final_url or "") or None,
        }
        fetched = {"type": "referenceFetch", "at": iso_ms(at), "summary": summary, "fetch": details}
        events.append(((at, 2, 0, float(fetch.id)), fetched))
    for n, cb in enumerate(await svc.repo.callbacks_of_session(session.key)):
        anchor = terminal_keys.get(cb.submission_id)
        key = (*anchor[:3], anchor[3] + 0.5) if anchor and anchor[0] == cb.created_at else (cb.created_at, 2, 1, n)
        summary = f"callback {cb.cause} enqueued, now {cb.state.value}"
        events.append((key, {"type": "callback", "at": iso_ms(cb.created_at), "summary": summary} | cb.to_json()))
        for attempt in cb.attempt_log:
            result = attempt.status_code if attempt.status_code is not None else attempt.error
            event = attempt.to_json() | {"type": "callbackAttempt", "at": iso_ms(attempt.at), "callbackId": cb.id}
            event["summary"] = f"callback attempt {attempt.number}: {attempt.method} {attempt.url} -> {result}"
            events.append(((attempt.at, 2, 2, n + attempt.number / 1000), event))
    refs = [s.id for s in await svc.repo.submissions_of(session.key)]
    refs += [cb.id for cb in await svc.repo.callbacks_of_session(session.key)]
    for job in await job_listing.failed_jobs_of(svc.repo, refs):
        summary = f"job {job.kind} failed after {job.attempts} attempt(s): {job.last_error}"
        failed = {"type": "job", "at": iso_ms(job.updated_at), "summary": summary}
        events.append(((job.updated_at, 1, 0, float(job.id)), failed | {"job": job_json(job)}))
    events.sort(key=lambda pair: pair[0])
    return [event for _, event in events]
