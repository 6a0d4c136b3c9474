"""Partners at run time through /_sim/partners: register, change the callback, validation, restart rule."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import Sim
from outbound_support import running_sim

from simulator.partners import SAMPLE_CLIENT_ID
from simulator.services.control.secrets import fingerprint
from simulator.settings import Settings

pytestmark = pytest.mark.anyio

NEW_PARTNER = {
    "pass_key": "pk-1",
    "name": "My app",
    "onboarding_partners": ["MYAPP-SDK-STANDALONE_LIVENESS"],
    "callback": {"url": "http://127.0.0.1:9/cb", "auth": {"type": "bearer", "token": "t"}},
}


async def test_register_a_partner_and_use_it(sim: Sim) -> None:
    created = await sim.http.put("/_sim/partners/my-app", json=NEW_PARTNER)
    assert created.status_code == 201
    assert created.json()["client_id"] == "my-app"
    assert (await sim.http.put("/_sim/partners/my-app", json=NEW_PARTNER)).status_code == 200

    token = await sim.http.get("/v1/esign/partner/authentication", headers={"client-id": "my-app", "pass-key": "pk-1"})
    assert token.status_code == 200
    listed = (await sim.http.get("/_sim/partners")).json()["partners"]
    assert {p["client_id"] for p in listed} >= {"my-app", SAMPLE_CLIENT_ID}
    one = (await sim.http.get("/_sim/partners/my-app")).json()
    auth = one["callback"]["auth"]
    assert (auth["type"], auth["token"]) == ("bearer", fingerprint("t"))


@pytest.mark.parametrize(
    ("body", "hint"),
    [
        ({**NEW_PARTNER, "client_id": "other"}, "is not the path's"),
        ({"onboarding_partners": []}, "`pass_key`: Field required"),
        ({**NEW_PARTNER, "callback": {"auth": {"type": "basic", "username": "u"}}}, "needs password"),
        ({**NEW_PARTNER, "callback": {"url": "ftp://x", "method": "GET"}}, "callback.url"),
        ({**NEW_PARTNER, "surprise": 1}, "`surprise`: Extra inputs are not permitted"),
    ],
)
async def test_invalid_partner_is_refused_with_a_reason(sim: Sim, body: dict[str, Any], hint: str) -> None:
    response = await sim.http.put("/_sim/partners/my-app", json=body)
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["code"] == "SIM_400"
    assert hint in error["cause"]
    assert (await sim.http.get("/_sim/partners/my-app")).status_code == 404


async def test_patch_callback_changes_only_the_given_fields(sim: Sim) -> None:
    url = f"/_sim/partners/{SAMPLE_CLIENT_ID}/callback"
    first = await sim.http.patch(url, json={"url": "http://127.0.0.1:9/a", "timeout_seconds": 2})
    assert first.status_code == 200
    second = (await sim.http.patch(url, json={"method": "PATCH"})).json()["callback"]
    assert (second["url"], second["method"], second["timeout_seconds"]) == ("http://127.0.0.1:9/a", "PATCH", 2)

    bad = await sim.http.patch(url, json={"method": "GET"})
    assert bad.status_code == 400
    assert "method" in bad.json()["errors"][0]["cause"]
    missing = await sim.http.patch("/_sim/partners/nobody/callback", json={"url": "http://x/"})
    assert missing.status_code == 404
    assert missing.json()["errors"][0]["code"] == "SIM_404"
    not_json = await sim.http.patch(url, content=b"[1]")
    assert not_json.status_code == 400


async def test_runtime_changes_survive_a_restart_and_win_over_the_file(settings: Settings, tmp_path: Path) -> None:
    config = tmp_path / "partners.yaml"
    config.write_text(
        "partners:\n"
        "  - {client_id: file-a, pass_key: a, callback: {url: 'http://127.0.0.1:9/file-a'}}\n"
        "  - {client_id: file-b, pass_key: b, callback: {url: 'http://127.0.0.1:9/file-b'}}\n"
    )
    with_file = settings.model_copy(update={"config": config})
    async with running_sim(with_file) as first:
        changed = await first.http.patch("/_sim/partners/file-a/callback", json={"url": "http://127.0.0.1:9/runtime"})
        assert changed.status_code == 200
        assert (await first.http.put("/_sim/partners/added", json={"pass_key": "x"})).status_code == 201

    config.write_text(
        "partners:\n"
        "  - {client_id: file-a, pass_key: a, callback: {url: 'http://127.0.0.1:9/file-a-v2'}}\n"
        "  - {client_id: file-b, pass_key: b, callback: {url: 'http://127.0.0.1:9/file-b-v2'}}\n"
    )
    async with running_sim(with_file) as second:

        async def callback_url(client_id: str) -> str:
            url: str = (await second.http.get(f"/_sim/partners/{client_id}")).json()["callback"]["url"]
            return url

        assert await callback_url("file-a") == "http://127.0.0.1:9/runtime"
        assert await callback_url("file-b") == "http://127.0.0.1:9/file-b-v2"
        assert (await second.http.get("/_sim/partners/added")).status_code == 200

        reverted = await second.http.delete("/_sim/partners/file-a")
        assert reverted.json()["callback"]["url"] == "http://127.0.0.1:9/file-a-v2"
        gone = await second.http.delete("/_sim/partners/added")
        assert gone.json() == {"clientId": "added", "deleted": True}

    async with running_sim(with_file) as third:
        assert (await third.http.get("/_sim/partners/file-a")).json()["callback"]["url"].endswith("/file-a-v2")
        assert (await third.http.get("/_sim/partners/added")).status_code == 404
