"""Partners: credentials, onboarding partners and per-partner defaults, from a YAML file and the seed.

The default partner carries the sample `client-id` / `pass-key` printed in the vendor's token guide,
so the vendor's own example requests work against a fresh simulator unchanged.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from simulator.clock import MAX_WAIT_SECONDS
from simulator.domain.scripts import HeaderName, HeaderValue

SAMPLE_CLIENT_ID = "b31fa508-331c-4e9e-9a60-b0f28c3f7e13"
SAMPLE_PASS_KEY = "2c7b2893-e49f-4cf3-89e6-1b9c5bf0500b"


class EndpointAuth(BaseModel):
    """How the simulator authenticates to one of the partner's endpoints (callback, reference image)."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["none", "basic", "bearer", "api_key"] = "none"
    username: str | None = None
    password: str | None = None
    token: str | None = None
    header: str = Field("x-api-key", min_length=1)
    value: str | None = None

    @model_validator(mode="after")
    def _complete(self) -> EndpointAuth:
        needed = {"basic": ("username", "password"), "bearer": ("token",), "api_key": ("value",)}.get(self.type, ())
        absent = [name for name in needed if not getattr(self, name)]
        if absent:
            raise ValueError(f"auth type {self.type!r} needs {' and '.join(absent)}")
        return self

    def headers(self) -> dict[str, str]:
        """The request header(s) this auth adds: Authorization (Basic / Bearer) or the API-key header."""
        if self.type == "basic":
            pair = f"{self.username}:{self.password}".encode()
            return {"authorization": f"Basic {base64.b64encode(pair).decode()}"}
        if self.type == "bearer":
            return {"authorization": f"Bearer {self.token}"}
        if self.type == "api_key":
            return {self.header: self.value or ""}
        return {}

    def secret_headers(self) -> list[str]:
        """Header names whose value must never be shown (besides Authorization, always masked)."""
        return [self.header] if self.type == "api_key" else []


CallbackAuth = EndpointAuth
"""The callback's auth (the same model as every partner endpoint's)."""


class PartnerEndpointConfig(BaseModel):
    """One endpoint of the partner backend the simulator calls: URL, auth, extra headers, time limit."""

    model_config = ConfigDict(extra="forbid")

    url: str | None = None
    auth: EndpointAuth = Field(default_factory=EndpointAuth)
    headers: dict[HeaderName, HeaderValue] = Field(
        default_factory=dict, max_length=20, description="Extra request headers (RFC 9110 names, printable values)."
    )
    timeout_seconds: float = Field(5.0, gt=0, le=600)

    @field_validator("url")
    @classmethod
    def _http_url(cls, url: str | None) -> str | None:
        if url is not None and not url.startswith(("http://", "https://")):
            raise ValueError("the url must start with http:// or https://")
        return url


class CallbackConfig(PartnerEndpointConfig):
    """Where and how the partner's callback is called when a submission completes."""

    method: Literal["POST", "PUT", "PATCH"] = "POST"
    retry_schedule_seconds: list[float] | None = Field(
        None, description="Waits before each retry; default: the simulator's --callback-retry-schedule."
    )

    @field_validator("retry_schedule_seconds")
    @classmethod
    def _non_negative(cls, schedule: list[float] | None) -> list[float] | None:
        if schedule is not None and any(not 0 <= wait <= MAX_WAIT_SECONDS for wait in schedule):
            raise ValueError(f"retry waits must be from 0 to {MAX_WAIT_SECONDS} seconds (ten years)")
        return schedule


class ReferenceImageConfig(PartnerEndpointConfig):
    """The partner's "Get Reference Image" endpoint (DESIGN §2 step 4), asked when Initiate Flow gave no URL.

    GET sends the user details as query parameters (`userId`, `userIdType`, `partnerSessionId`), POST as
    a JSON body with the same fields. Any answer but 200 is an error (vendor-notes §4.5, partner-hosted
    APIs); a 200 answers a JSON `{"referenceImageUrl": "..."}` (then fetched) or the image bytes.
    """

    method: Literal["GET", "POST"] = "GET"


class Partner(BaseModel):
    """One partner (client) of the IAB platform."""

    model_config = ConfigDict(extra="forbid")

    client_id: str
    pass_key: str
    name: str = ""
    onboarding_partners: list[str] = Field(default_factory=list)
    max_attempts: int | None = Field(None, ge=1)
    default_scenario: str | None = None
    callback: CallbackConfig = Field(default_factory=CallbackConfig)
    reference_image: ReferenceImageConfig = Field(default_factory=ReferenceImageConfig)

    def owns(self, onboarding_partner: str) -> bool:
        return onboarding_partner in self.onboarding_partners


class PartnersFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    partners: list[Partner] = Field(default_factory=list)


def sample_partner() -> Partner:
    return Partner(
        client_id=SAMPLE_CLIENT_ID,
        pass_key=SAMPLE_PASS_KEY,
        name="CLIENT_X (vendor guide sample)",
        onboarding_partners=[
            "CLIENT_X-SDK-COE_FACE_VERIFICATION",
            "CLIENT_X-WEB_SDK-COE_FACE_VERIFICATION",
            "CLIENT_X-SDK-STANDALONE_LIVENESS",
            "CLIENT_X-WEB_SDK-STANDALONE_LIVENESS",
            "CLIENT_X-WEB_SDK-STANDALONE_IDENTITY_VERIFICATION",
            "CLIENT_X-BE-CERT_REG",
            "PARTNER_CODE-PLATFORM-FLOW",
        ],
    )


class PartnersConfigError(ValueError):
    pass


def load_partners(path: Path | None) -> list[Partner]:
    """The sample partner, then the file's partners (a file entry with the sample client id replaces it)."""
    partners: dict[str, Partner] = {SAMPLE_CLIENT_ID: sample_partner()}
    if path is not None:
        try:
            raw = yaml.safe_load(path.read_text()) or {}
            parsed = PartnersFile.model_validate(raw)
        except OSError as exc:
            raise PartnersConfigError(f"{path}: cannot read partners file: {exc}") from exc
        except yaml.MarkedYAMLError as exc:
            line = f":{exc.problem_mark.line + 1}" if exc.problem_mark else ""
            raise PartnersConfigError(f"{path}{line}: not valid YAML: {exc.problem or exc}") from exc
        except yaml.YAMLError as exc:
            raise PartnersConfigError(f"{path}: not valid YAML: {exc}") from exc
        except ValidationError as exc:
            details = "; ".join(f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors())
            raise PartnersConfigError(f"{path}: {details}") from exc
        for partner in parsed.partners:
            partners[partner.client_id] = partner
    return list(partners.values())
