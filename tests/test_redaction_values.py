"""Secrets are masked by the look of their value, wherever they appear: journal, fetch records, callback attempts."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from conftest import Sim

from simulator.services.journal.redaction import redact_text
from simulator.testing_receiver import Receiver, Reply

pytestmark = pytest.mark.anyio

AWS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJxYSJ9.c2lnbmF0dXJlLXZhbHVl"
METADATA = (
    f'{{"Code": "Success", "AccessKeyId": "{AWS_KEY_ID}", "SecretAccessKey": "{AWS_SECRET}", '
    f'"Token": "IQoJb3JpZ2luX2VjEXAMPLE", "Note": "Authorization: Bearer abcdefgh12345678", "id": "{JWT}"}}'
)
CLEAR = (AWS_KEY_ID, AWS_SECRET, "IQoJb3JpZ2luX2VjEXAMPLE", "abcdefgh12345678", JWT)


@pytest.mark.parametrize(
    "text",
    [
        METADATA,
        f"<Credentials><AccessKeyId>{AWS_KEY_ID}</AccessKeyId><SecretAccessKey>{AWS_SECRET}</SecretAccessKey>"
        "<SessionToken>IQoJb3JpZ2luX2VjEXAMPLE</SessionToken></Credentials>",
        f"aws_access_key_id = {AWS_KEY_ID}\naws_secret_access_key = {AWS_SECRET}\n",
        f"login failed for Bearer abcdefgh12345678 (id {JWT})",
    ],
)
def test_secret_looking_values_are_masked(text: str) -> None:
    redacted = redact_text(text)
    for secret in CLEAR:
        assert secret not in redacted
    assert "[redacted sha256:" in redacted
    assert redact_text(redacted) == redacted


def test_ordinary_text_is_left_alone() -> None:
    body = '{"status": "COMPLETED", "tokenStatus": "ACTIVE", "userLocale": "en_ID", "zone": "Asia/Jakarta"}'
    assert redact_text(body) == body


@pytest.fixture
async def host() -> AsyncIterator[Receiver]:
    async with Receiver() as running:
        yield running


async def test_a_fetched_credentials_body_is_masked_everywhere(sim: Sim, host: Receiver) -> None:
    host.route("/ktp.jpg", Reply(body=METADATA.encode(), content_type="application/json"))
    vendor = sim.vendor()
    body = {
        "flow": "STANDALONE_LIVENESS",
        "source": "SDK",
        "additionalDetails": {"referenceImageUrl": host.url_for("/ktp.jpg")},
    }
    sdk = await vendor.launch("redact-fetch", body=body)
    await vendor.capture(sdk)
    await sim.advance(2)
    journal = await sim.http.get("/_sim/requests", params={"direction": "outbound"})
    sessions = (await sim.http.get("/_sim/sessions")).json()["sessions"]
    detail = await sim.http.get(f"/_sim/sessions/{sessions[0]['key']}")
    assert "SecretAccessKey" in journal.text
    assert "SecretAccessKey" in detail.text
    for shown in (journal.text, detail.text):
        for secret in CLEAR:
            assert secret not in shown
