"""Secrets are write-only in `/_sim`: partners are shown with fingerprints, and a read-back round trip keeps them."""

from __future__ import annotations

import json

import pytest
from conftest import Sim

from simulator.partners import SAMPLE_CLIENT_ID, SAMPLE_PASS_KEY

pytestmark = pytest.mark.anyio

SECRETS = ("pk-very-secret", "bearer-very-secret", "basic-very-secret", "apikey-very-secret", "hdr-very-secret")


def _partner(auth: dict[str, str]) -> dict[str, object]:
    return {
        "pass_key": "pk-very-secret",
        "onboarding_partners": ["QA-SDK-STANDALONE_LIVENESS"],
        "callback": {"url": "http://127.0.0.1:9/cb", "auth": auth, "headers": {"x-secret-header": "hdr-very-secret"}},
    }


@pytest.mark.parametrize(
    "auth",
    [
        {"type": "bearer", "token": "bearer-very-secret"},
        {"type": "basic", "username": "qa", "password": "basic-very-secret"},
        {"type": "api_key", "header": "x-api-key", "value": "apikey-very-secret"},
    ],
)
async def test_no_secret_is_ever_returned(sim: Sim, auth: dict[str, str]) -> None:
    put = await sim.http.put("/_sim/partners/qa", json=_partner(auth))
    patched = await sim.http.patch("/_sim/partners/qa/callback", json={"auth": auth})
    listed = await sim.http.get("/_sim/partners")
    one = await sim.http.get("/_sim/partners/qa")
    for response in (put, patched, listed, one):
        assert response.status_code < 300
        for secret in (*SECRETS, SAMPLE_PASS_KEY):
            assert secret not in response.text
    shown = one.json()
    assert shown["pass_key"].startswith("sha256:")
    assert shown["pass_key"].endswith("…")
    assert shown["callback"]["headers"]["x-secret-header"].startswith("sha256:")
    secret_field = {"bearer": "token", "basic": "password", "api_key": "value"}[auth["type"]]
    assert shown["callback"]["auth"][secret_field].startswith("sha256:")
    assert shown["callback"]["auth"].get("username") in (None, "qa")


async def test_putting_back_what_was_read_keeps_the_secrets(sim: Sim) -> None:
    await sim.http.put("/_sim/partners/qa", json=_partner({"type": "bearer", "token": "bearer-very-secret"}))
    shown = (await sim.http.get("/_sim/partners/qa")).json()
    assert (await sim.http.put("/_sim/partners/qa", json=shown)).status_code == 200
    assert (await sim.http.patch("/_sim/partners/qa/callback", json=shown["callback"])).status_code == 200
    token = await sim.http.get(
        "/v1/coe/partner/authentication", headers={"client-id": "qa", "pass-key": "pk-very-secret"}
    )
    assert token.status_code == 200
    stored = sim.services.partner("qa")
    assert stored is not None
    assert stored.callback.auth.token == "bearer-very-secret"
    assert stored.callback.headers["x-secret-header"] == "hdr-very-secret"


async def test_the_sample_partner_pass_key_is_not_listed(sim: Sim) -> None:
    body = (await sim.http.get(f"/_sim/partners/{SAMPLE_CLIENT_ID}")).json()
    assert SAMPLE_PASS_KEY not in json.dumps(body)


async def test_the_reference_image_endpoint_secrets_are_write_only_too(sim: Sim) -> None:
    auth = {"type": "bearer", "token": "ref-bearer-very-secret"}
    body = {"url": "http://127.0.0.1:9/ref", "auth": auth, "headers": {"x-secret-header": "ref-hdr-very-secret"}}
    patched = await sim.http.patch(f"/_sim/partners/{SAMPLE_CLIENT_ID}/reference-image", json=body)
    one = await sim.http.get(f"/_sim/partners/{SAMPLE_CLIENT_ID}")
    for response in (patched, one):
        assert response.status_code == 200
        assert "ref-bearer-very-secret" not in response.text
        assert "ref-hdr-very-secret" not in response.text
    shown = one.json()["reference_image"]
    assert shown["auth"]["token"].startswith("sha256:")
    # Sending back what was read keeps the stored secret.
    again = await sim.http.patch(f"/_sim/partners/{SAMPLE_CLIENT_ID}/reference-image", json=shown)
    assert again.status_code == 200
    partner = sim.services.partner(SAMPLE_CLIENT_ID)
    assert partner is not None
    stored = partner.reference_image
    assert stored.auth.token == "ref-bearer-very-secret"
    assert stored.headers["x-secret-header"] == "ref-hdr-very-secret"
