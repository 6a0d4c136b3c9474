"""The tables. Times are simulator-clock epoch seconds (REAL), except the wall-clock leases and heartbeats.

Every change to them is an Alembic migration in `simulator.store.migrations` (0001 is the schema of the
version before migrations). Values a partner sends (partner session id, user ids, SDK session id) are
unbounded text: the vendor documents no maximum length, so no length can turn a request into a 500.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Float,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

meta = Table(
    "meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", JSON, nullable=False),
)

partners = Table(
    "partners",
    metadata,
    Column("client_id", String(128), primary_key=True),
    Column("config", JSON, nullable=False),
    Column("updated_at", Float, nullable=False),
)

partner_sessions = Table(
    "partner_sessions",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("client_id", String(128), nullable=False),
    Column("partner_session_id", Text, nullable=False),
    Column("onboarding_partner", Text, nullable=False),
    Column("user_id", Text, nullable=False),
    Column("user_id_type", Text, nullable=False),
    Column("flow", String(64), nullable=False),
    Column("source", String(16), nullable=False),
    Column("theme", String(32), nullable=False),
    Column("success_url", Text),
    Column("failure_url", Text),
    Column("additional_details", JSON, nullable=False),
    Column("scenario", String(128), nullable=False),
    Column("max_attempts", Integer, nullable=False),
    Column("token_jti", String(64), nullable=False),
    Column("created_at", Float, nullable=False),
    UniqueConstraint("client_id", "partner_session_id", name="uq_session_per_client"),
)

submissions = Table(
    "submissions",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("session_key", String(64), nullable=False),
    Column("client_id", String(128), nullable=False),
    Column("partner_session_id", Text, nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("max_attempts", Integer, nullable=False),
    Column("submission_type", String(64), nullable=False),
    Column("flow", String(64), nullable=False),
    Column("status", String(16), nullable=False),
    Column("result", String(16)),
    Column("reason_code", String(64)),
    Column("retriable", Boolean, nullable=False, default=False),
    Column("error_message", Text),
    Column("reference_reason_code", String(64)),
    Column("plan", JSON),
    Column("after_polls", Integer),
    Column("polls", Integer, nullable=False, default=0),
    Column("sdk_session_id", Text),
    Column("metadata", JSON),
    Column("created_at", Float, nullable=False),
    Column("confirmed_at", Float),
    Column("completed_at", Float),
    UniqueConstraint("session_key", "attempt", name="uq_attempt_per_session"),
)
Index("ix_submissions_session", submissions.c.session_key, submissions.c.attempt)

documents = Table(
    "documents",
    metadata,
    Column("reference", String(128), primary_key=True),
    Column("submission_id", String(64), nullable=False, index=True),
    Column("doc_type", String(32), nullable=False),
    Column("status", String(16), nullable=False),
    Column("content_type", String(128)),
    Column("size", Integer),
    Column("data", LargeBinary),
    Column("uploaded_at", Float),
)

transitions = Table(
    "transitions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("submission_id", String(64), nullable=False, index=True),
    Column("session_key", String(64), nullable=False, index=True),
    Column("from_status", String(16)),
    Column("to_status", String(16), nullable=False),
    Column("at", Float, nullable=False),
    Column("cause", String(128), nullable=False),
)

jobs = Table(
    "jobs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(32), nullable=False),
    Column("ref", String(64), nullable=False),
    Column("due_at", Float, nullable=False),
    Column("state", String(16), nullable=False, default="pending"),
    Column("attempts", Integer, nullable=False, default=0),
    Column("payload", JSON),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    Column("last_error", Text),
    Column("owner", String(64)),  # the instance running it (state running)
    Column("lease_until", Float),  # wall clock: past it, any instance may take the job over
)
Index("ix_jobs_due", jobs.c.state, jobs.c.due_at)
Index("ix_jobs_ref", jobs.c.kind, jobs.c.ref)

# -- outbound calls: partner callbacks (an outbox written with the state change) and reference fetches --

callbacks = Table(
    "callbacks",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("id", String(64), nullable=False, unique=True),
    Column("client_id", String(128), nullable=False),
    Column("session_key", String(64), nullable=False, index=True),
    Column("submission_id", String(64), nullable=False, index=True),
    Column("partner_session_id", Text, nullable=False),
    Column("cause", String(32), nullable=False),
    Column("redelivery_of", String(64)),
    Column("state", String(16), nullable=False),
    Column("body", JSON, nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("created_at", Float, nullable=False),
    Column("next_attempt_at", Float),
    Column("finished_at", Float),
    Column("last_status", Integer),
    Column("last_error", Text),
)
Index("ix_callbacks_client", callbacks.c.client_id, callbacks.c.seq)

callback_attempts = Table(
    "callback_attempts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("callback_id", String(64), nullable=False, index=True),
    Column("client_id", String(128), nullable=False),
    Column("session_key", String(64), nullable=False, index=True),
    Column("submission_id", String(64), nullable=False),
    Column("number", Integer, nullable=False),
    Column("at", Float, nullable=False),
    Column("duration_ms", Float, nullable=False),
    Column("method", String(8), nullable=False),
    Column("url", Text, nullable=False),
    Column("request_headers", JSON, nullable=False),
    Column("status_code", Integer),
    Column("response_excerpt", Text),
    Column("error", Text),
)

reference_fetches = Table(
    "reference_fetches",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("client_id", String(128), nullable=False),
    Column("session_key", String(64), nullable=False, index=True),
    Column("submission_id", String(64), nullable=False, unique=True),
    Column("url", Text, nullable=False),
    Column("state", String(16), nullable=False),
    Column("outcome", String(32)),
    Column("status_code", Integer),
    Column("final_url", Text),
    Column("redirects", Integer, nullable=False, default=0),
    Column("content_type", String(128)),
    Column("bytes_read", Integer, nullable=False, default=0),
    Column("data", LargeBinary),
    Column("error", Text),
    Column("response_excerpt", Text),
    Column("created_at", Float, nullable=False),
    Column("fetched_at", Float),
    Column("duration_ms", Float),
)

# -- the request journal (bounded: oldest rows evicted past the cap) and revoked tokens -----------

journal = Table(
    "journal",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", Float, nullable=False),
    Column("direction", String(8), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("method", String(8), nullable=False),
    Column("path", Text, nullable=False),
    Column("url", Text, nullable=False),
    Column("status", Integer),
    Column("latency_ms", Float, nullable=False),
    Column("client_id", String(128)),
    Column("partner_session_id", Text),
    Column("session_key", String(64)),
    Column("submission_id", String(64)),
    Column("request_headers", Text),
    Column("request_body", Text),
    Column("request_size", Integer),
    Column("response_headers", Text),
    Column("response_body", Text),
    Column("response_size", Integer),
    Column("error", Text),
    Column("extra", Text),
    # Identical consecutive polls coalesced into this row (services/journal/coalesce.py); migration 0003.
    Column("repeats", Integer, nullable=False, server_default="1"),
    Column("last_at", Float),
)
Index("ix_journal_partner_session", journal.c.client_id, journal.c.partner_session_id)
Index("ix_journal_submission", journal.c.submission_id)

revoked_tokens = Table(
    "revoked_tokens",
    metadata,
    Column("jti", String(64), primary_key=True),
    Column("client_id", String(128), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("expires_at", Float, nullable=False),
    Column("revoked_at", Float, nullable=False),
)

# -- scenarios: bindings made in advance, the script each session runs, fault call counters --

scenario_bindings = Table(
    "scenario_bindings",
    metadata,
    Column("client_id", String(128), primary_key=True),  # "*": a session of any partner
    Column("partner_session_id", Text, primary_key=True),
    Column("scenario", String(128), nullable=False),
    Column("script", JSON),  # an inline behaviour; null: the catalog's scenario of that name
    Column("created_at", Float, nullable=False),
)

session_scripts = Table(
    "session_scripts",
    metadata,
    Column("session_key", String(64), primary_key=True),
    Column("client_id", String(128), nullable=False),
    Column("partner_session_id", Text, nullable=False),
    Column("scenario", String(128), nullable=False),
    Column("source", String(32), nullable=False),
    Column("script", JSON, nullable=False),
    Column("updated_at", Float, nullable=False),
)

fault_calls = Table(
    "fault_calls",
    metadata,
    Column("client_id", String(128), primary_key=True),
    Column("partner_session_id", Text, primary_key=True),
    Column("endpoint", String(16), primary_key=True),
    Column("calls", Integer, nullable=False),
)


# -- state shared by every instance on the database -------------------------------------------------

clock = Table(
    "clock",
    metadata,
    Column("id", Integer, primary_key=True),  # always 1: one simulator clock
    Column("offset_seconds", Float, nullable=False),  # running: simulator time = wall clock + offset
    Column("frozen_at", Float),  # frozen: simulator time stands here
)

instances = Table(
    "instances",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("started_at", Float, nullable=False),  # wall clock
    Column("heartbeat_at", Float, nullable=False),  # wall clock; stale past the job lease: the instance is gone
    Column("seeded", Boolean, nullable=False),
    Column("base_url", Text, nullable=False),
    Column("host", Text, nullable=False),  # with `pid`: a restart on the same host sees at once that it died
    Column("pid", Integer, nullable=False),
)
