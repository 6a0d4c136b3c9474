"""A small async client of the vendor API, playing partner backend and SDK.

The replay runner, the pytest plugin, the benchmark and the tests drive the simulator through it,
so they all speak to it exactly as a partner's code would: over HTTP, with the vendor's headers.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

from simulator.partners import SAMPLE_CLIENT_ID, SAMPLE_PASS_KEY


def sample_jpeg(color: tuple[int, int, int] = (200, 160, 120), size: tuple[int, int] = (64, 64)) -> bytes:
    """A small generated JPEG (no real face) for uploads."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "JPEG")
    return buffer.getvalue()


@dataclass
class SdkSession:
    """What the SDK holds after launch: the user token and the two session headers."""

    token: str
    partner_session_id: str
    sdk_session_id: str

    def headers(self) -> dict[str, str]:
        return {
            "x-onekyc-token": self.token,
            "x-partner-session-id": self.partner_session_id,
            "x-sdk-session-id": self.sdk_session_id,
        }


@dataclass
class VendorClient:
    http: httpx.AsyncClient
    client_id: str = SAMPLE_CLIENT_ID
    pass_key: str = SAMPLE_PASS_KEY
    onboarding_partner: str = "CLIENT_X-SDK-STANDALONE_LIVENESS"
    partner_token: str | None = field(default=None, repr=False)

    # -- partner backend ----------------------------------------------------------------------

    async def get_partner_token(self, path: str = "/v1/esign/partner/authentication") -> httpx.Response:
        return await self.http.get(path, headers={"client-id": self.client_id, "pass-key": self.pass_key})

    async def ensure_partner_token(self) -> str:
        if self.partner_token is None:
            response = await self.get_partner_token()
            response.raise_for_status()
            self.partner_token = str(response.json()["data"]["token"])
        return self.partner_token

    async def initiate(
        self,
        partner_session_id: str,
        *,
        user_id: str = "user-1",
        user_id_type: str = "CLIENT_X_USER_ID",
        flow: str = "STANDALONE_LIVENESS",
        source: str = "SDK",
        onboarding_partner: str | None = None,
        body: dict[str, Any] | None = None,
    ) -> httpx.Response:
        token = await self.ensure_partner_token()
        payload = body if body is not None else {"flow": flow, "source": source}
        if body is None and source == "WEB_SDK":
            payload |= {
                "successRedirectionUrl": "https://partner.example/success",
                "failureRedirectionUrl": "https://partner.example/failure",
            }
        return await self.http.post(
            "/coe-partner/v1/initiate-flow",
            headers={
                "x-onekyc-token": token,
                "x-onboarding-partner": onboarding_partner or self.onboarding_partner,
                "x-partner-user-id": user_id,
                "x-partner-user-id-type": user_id_type,
                "x-partner-session-id": partner_session_id,
            },
            json=payload,
        )

    async def launch(self, partner_session_id: str, sdk_session_id: str = "sdk-1", **kwargs: Any) -> SdkSession:
        """Initiate Flow, then what the SDK holds: raises unless the flow started."""
        response = await self.initiate(partner_session_id, **kwargs)
        response.raise_for_status()
        return SdkSession(response.json()["data"]["token"], partner_session_id, sdk_session_id)

    async def details(
        self, *, partner_session_id: str | None = None, submission_id: str | None = None
    ) -> httpx.Response:
        headers = {"x-onekyc-token": await self.ensure_partner_token()}
        if partner_session_id is not None:
            headers["x-partner-session-id"] = partner_session_id
        if submission_id is not None:
            headers["x-submission-id"] = submission_id
        return await self.http.get("/coe/v1/submissions", headers=headers)

    # -- SDK ----------------------------------------------------------------------------------

    async def presign(self, sdk: SdkSession, submission_type: str = "STANDALONE_LIVENESS") -> httpx.Response:
        return await self.http.get(
            "/coe/v1/submissions/urls", params={"submissionType": submission_type}, headers=sdk.headers()
        )

    async def upload(self, document_url: str, data: bytes, content_type: str = "image/jpeg") -> httpx.Response:
        """PUT to a presigned URL through this client's connection, presenting the URL's own host.

        The URL is signed for the host of the simulator's public base URL (`Host` is a signed header),
        which this client may not reach by that name: it connects where it is pointed and sends the
        signed `Host`, as a port forward or `curl --connect-to` would.
        """
        parts = urlsplit(document_url)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        headers = {"content-type": content_type}
        if parts.netloc:
            headers["host"] = parts.netloc
        return await self.http.put(target, content=data, headers=headers)

    async def confirm(
        self, sdk: SdkSession, submission_id: str, metadata: dict[str, Any] | None = None
    ) -> httpx.Response:
        body: dict[str, Any] = {"submissionId": submission_id}
        if metadata is not None:
            body["metadata"] = metadata
        return await self.http.put("/coe/v1/submissions/urls", headers=sdk.headers(), json=body)

    async def status(self, sdk: SdkSession, submission_id: str) -> httpx.Response:
        return await self.http.get(f"/coe/v1/submissions/{submission_id}/status", headers=sdk.headers())

    async def capture(self, sdk: SdkSession, image: bytes | None = None) -> str:
        """Presign, upload the selfie, confirm: the submission id (raises on any failure)."""
        presigned = await self.presign(sdk)
        presigned.raise_for_status()
        data = presigned.json()["data"]
        uploaded = await self.upload(data["documents"]["SELFIE"]["documentUrl"], image or sample_jpeg())
        uploaded.raise_for_status()
        confirmed = await self.confirm(sdk, data["submissionId"])
        confirmed.raise_for_status()
        return str(data["submissionId"])
