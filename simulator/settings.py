"""One settings object. Environment variables use the `ONEKYC_SIM_` prefix; the CLI flags are its fields."""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, NonNegativeFloat, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from simulator.clock import MAX_WAIT_SECONDS

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
HOST_PATTERN = re.compile(r"^(\*\.)?[a-z0-9_-]+(\.[a-z0-9_-]+)*\.?$", re.IGNORECASE)


def hide_password(database: str) -> str:
    """`database` as it may be printed or logged: a URL's password replaced by `***`."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(database).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return re.sub(r"(://[^:/@]*:).*@", r"\1***@", database)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ONEKYC_SIM_", extra="forbid")

    host: str = Field("127.0.0.1", description="Interface to listen on.")
    port: int = Field(
        8080, ge=0, le=65535, description="Port of the IAB Gateway (and of the Token Gateway unless token_port)."
    )
    token_port: int | None = Field(
        None,
        ge=0,
        le=65535,
        description="Serve the Token Gateway on a second port too, mirroring the vendor's two hosts.",
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
    processing_delay_seconds: float = Field(
        2.0,
        ge=0,
        le=MAX_WAIT_SECONDS,
        description="Default time from confirm to verdict. A scenario attempt's own timing wins: after_seconds "
        "replaces it, after_polls ends processing on the Nth status poll instead.",
    )
    max_attempts: int = Field(3, ge=1, description="Default submissions per partner session.")
    upload_max_bytes: int = Field(5 * 1024 * 1024, ge=1, description="Size cap of one uploaded document.")
    image_max_pixels: int = Field(
        24_000_000,
        ge=1,
        description="Most pixels (width x height) an uploaded selfie or a reference image may have; "
        "far below the image library's decompression-bomb threshold.",
    )
    image_formats: list[Literal["JPEG", "PNG", "WEBP"]] = Field(
        ["JPEG", "PNG", "WEBP"], min_length=1, description="Image formats accepted for selfies and reference images."
    )
    upload_url_ttl_seconds: int = Field(600, ge=1, le=604_800, description="Lifetime of a presigned upload URL.")
    image_url_ttl_seconds: int = Field(432000, ge=1, le=604_800, description="Lifetime of a presigned image URL.")
    callback_retry_schedule: list[Annotated[NonNegativeFloat, Field(le=MAX_WAIT_SECONDS)]] = Field(
        [10.0, 30.0, 120.0, 600.0, 1800.0],
        description="Seconds to wait before each callback retry (simulator clock); after the last, give up.",
    )
    reference_timeout_seconds: float = Field(5.0, gt=0, le=600, description="Time limit of one reference-image fetch.")
    reference_max_bytes: int = Field(5 * 1024 * 1024, ge=1, description="Size cap of a fetched reference image.")
    reference_max_redirects: int = Field(3, ge=0, description="Redirects a reference-image fetch follows.")
    scenario_dirs: list[Path] = Field(
        default_factory=list,
        description="Directories of extra scenario files (magic values, partner defaults) beside the shipped ones.",
    )
    scheduler_concurrency: int = Field(
        16, ge=1, description="Jobs (deliveries, fetches, completions) the scheduler runs at once."
    )
    job_max_attempts: int = Field(
        5, ge=1, description="Runs a failing job (completion, reference fetch, callback delivery) gets, then it fails."
    )
    job_retry_base_seconds: float = Field(
        1.0,
        ge=0,
        le=MAX_WAIT_SECONDS,
        description="Wait before a failed job's first retry (simulator clock); doubled for each next one.",
    )
    job_retry_max_seconds: float = Field(
        300.0, ge=0, le=MAX_WAIT_SECONDS, description="Longest wait between two runs of a failing job."
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
    allow_unauthenticated_admin: bool = Field(
        False, description="Serve an open /_sim on a non-loopback address (refused without it or an admin token)."
    )
    outbound_allow: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Hosts (refs.example.com, *.example.com) and addresses/CIDRs (10.1.0.0/16) the reference-image "
        "fetch may reach although private, loopback or link-local; comma-separated in the environment.",
    )
    web_sdk_frame_ancestors: str = Field(
        "'self'",
        description="CSP frame-ancestors of the hosted Web SDK page: who may embed it in a frame "
        "(e.g. \"'self' https://app.example.com\"; 'none' forbids framing).",
    )
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Origins (scheme://host[:port], or *) whose browser pages may call the vendor and storage "
        "paths (CORS). Default: none, CORS off. The env var takes a comma-separated list.",
    )
    log_level: str = Field("INFO", description="DEBUG, INFO, WARNING or ERROR.")
    log_format: str = Field("json", pattern="^(json|text)$", description="Structured JSON lines or plain text.")

    @field_validator("outbound_allow", mode="before")
    @classmethod
    def _split_allow(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part for part in re.split(r"[,\s]+", value) if part]
        return value

    @field_validator("outbound_allow")
    @classmethod
    def _valid_targets(cls, entries: list[str]) -> list[str]:
        for entry in entries:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                if HOST_PATTERN.fullmatch(entry) is None:
                    raise ValueError(f"{entry!r} is neither a host name (or *.domain) nor an address/CIDR") from None
        return entries

    @field_validator("web_sdk_frame_ancestors")
    @classmethod
    def _one_directive(cls, value: str) -> str:
        if not value.strip() or any(c in value for c in ";,\r\n"):
            raise ValueError("give the sources of one frame-ancestors directive, e.g. \"'self' https://app.example\"")
        return value.strip()

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _origins(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [part for part in value.replace(" ", ",").split(",") if part]
        if not isinstance(value, list):
            return value
        origins = []
        for origin in value:
            origin = str(origin).strip().rstrip("/")
            parts = urlsplit(origin)
            if origin != "*" and (parts.scheme not in ("http", "https") or not parts.netloc or parts.path):
                raise ValueError(f"{origin!r} is not an origin: give scheme://host[:port] or *")
            origins.append(origin)
        return origins

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in LOG_LEVELS:
            raise ValueError(f"not a log level: give one of {', '.join(LOG_LEVELS)}")
        return level

    @field_validator("public_base_url")
    @classmethod
    def _absolute_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value.strip())
        try:
            port_ok = parts.port is None or parts.port > 0
        except ValueError:
            port_ok = False
        if parts.scheme not in ("http", "https") or not parts.hostname or not port_ok:
            raise ValueError("not an absolute http(s) URL with a valid port, e.g. http://10.0.2.2:8080")
        return value.strip()

    @property
    def database_url(self) -> str:
        if "://" in self.database:
            return self.database
        # aiosqlite, the project's fixed choice. `sqlite+inline:///PATH` opts in to in-place SQLite calls
        # (simulator.store.inline_sqlite), measured faster under heavy write load.
        return f"sqlite+aiosqlite:///{Path(self.database).expanduser()}"

    @property
    def shown_database(self) -> str:
        """The database setting as it may be printed or logged (no password)."""
        return hide_password(self.database)

    @property
    def base_url(self) -> str:
        if self.public_base_url:
            return self.public_base_url.rstrip("/")
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::") else self.host
        if ":" in host and not host.startswith("["):
            host = f"[{host}]"  # an IPv6 address in a URL (RFC 3986)
        return f"http://{host}:{self.port}"
