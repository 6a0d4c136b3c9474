"""One settings object. Environment variables use the `ONEKYC_SIM_` prefix; the CLI flags are its fields."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, NonNegativeFloat
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ONEKYC_SIM_", extra="forbid")

    host: str = Field("127.0.0.1", description="Interface to listen on.")
    port: int = Field(8080, description="Port of the IAB Gateway (and of the Token Gateway unless token_port).")
    token_port: int | None = Field(
        None, description="Serve the Token Gateway on a second port too, mirroring the vendor's two hosts."
    )
    database: str = Field("onekyc-sim.db", description="SQLite file path, or a full SQLAlchemy async URL.")
    public_base_url: str | None = Field(
        None,
        description="Base URL the SDK and browsers reach the simulator at (upload URLs, image URLs, launchUrl). "
        "Default: http://HOST:PORT. Set it when a phone emulator or container sees another host name.",
    )
    config: Path | None = Field(None, description="YAML file with partners (credentials, callbacks, defaults).")
    seed: int | None = Field(None, description="Make ids, tokens and random faults deterministic.")
    strict: bool = Field(False, description="Drop every response field the vendor does not document.")
    frozen_clock: bool = Field(False, description="Start with the simulator clock frozen.")
    processing_delay_seconds: float = Field(2.0, ge=0, description="Default time from confirm to verdict.")
    max_attempts: int = Field(3, ge=1, description="Default submissions per partner session.")
    upload_max_bytes: int = Field(5 * 1024 * 1024, ge=1, description="Size cap of one uploaded document.")
    upload_url_ttl_seconds: int = Field(600, ge=1, description="Lifetime of a presigned upload URL.")
    image_url_ttl_seconds: int = Field(432000, ge=1, description="Lifetime of a presigned image URL.")
    callback_retry_schedule: list[NonNegativeFloat] = Field(
        [10.0, 30.0, 120.0, 600.0, 1800.0],
        description="Seconds to wait before each callback retry (simulator clock); after the last, give up.",
    )
    reference_timeout_seconds: float = Field(5.0, gt=0, description="Time limit of one reference-image fetch.")
    reference_max_bytes: int = Field(5 * 1024 * 1024, ge=1, description="Size cap of a fetched reference image.")
    reference_max_redirects: int = Field(3, ge=0, description="Redirects a reference-image fetch follows.")
    scenario_dirs: list[Path] = Field(
        default_factory=list,
        description="Directories of extra scenario files (magic values, partner defaults) beside the shipped ones.",
    )
    scheduler_concurrency: int = Field(
        16, ge=1, description="Jobs (deliveries, fetches, completions) the scheduler runs at once."
    )
    scheduler_interval_seconds: float = Field(
        0.5, gt=0, description="Longest the scheduler sleeps between looks at the job table."
    )
    job_lease_seconds: float = Field(
        15.0,
        gt=0,
        description="How long a claimed job stays an instance's without its heartbeat (every third of it); "
        "past it, another instance on the database takes the job over.",
    )
    sync_interval_seconds: float = Field(
        0.5,
        gt=0,
        le=1.0,
        description="Longest another instance's change stays unseen when no notification arrives "
        "(PostgreSQL listener down, or SQLite shared by several processes).",
    )
    journal_max_entries: int = Field(
        10_000, ge=1, description="Requests the journal keeps (memory and disk); the oldest are evicted first."
    )
    journal_excerpt_bytes: int = Field(2048, ge=0, description="Bytes of each body the journal keeps (redacted).")
    admin_token: str | None = Field(
        None, description="When set, every /_sim route requires `Authorization: Bearer <token>`."
    )
    log_level: str = Field("INFO", description="DEBUG, INFO, WARNING or ERROR.")
    log_format: str = Field("json", pattern="^(json|text)$", description="Structured JSON lines or plain text.")

    @property
    def database_url(self) -> str:
        if "://" in self.database:
            return self.database
        # aiosqlite, the project's fixed choice. `sqlite+inline:///PATH` opts in to in-place SQLite calls
        # (simulator.store.inline_sqlite), measured faster under heavy write load.
        return f"sqlite+aiosqlite:///{Path(self.database).expanduser()}"

    @property
    def base_url(self) -> str:
        if self.public_base_url:
            return self.public_base_url.rstrip("/")
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::") else self.host
        return f"http://{host}:{self.port}"
