"""Values no one means: a wait of 1e308 seconds, a port past 65535, an IPv6 host, output piped into `head`.

Each is refused where it is given (a 400 in the admin format, a validation error, two lines from the CLI) or
handled, never a 500 later on a `/_sim` listing that formats the instant.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import Sim
from pydantic import ValidationError
from test_startup_errors import serve, two_lines

from simulator.clock import MAX_WAIT_SECONDS, iso
from simulator.partners import SAMPLE_CLIENT_ID
from simulator.settings import Settings

pytestmark = pytest.mark.anyio

HUGE = 1e308


async def test_a_scenario_wait_past_ten_years_is_refused(sim: Sim) -> None:
    for script in (
        {"attempts": [{"outcome": "PASS", "after_seconds": HUGE}]},
        {"attempts": [{"outcome": "PASS", "callback": {"delay_seconds": HUGE}}]},
        {"user_token_lifetime_seconds": 10**18},
    ):
        response = await sim.http.put("/_sim/bindings/huge", json={"scenario": "huge", "script": script})
        assert response.status_code == 400, response.text
        assert response.json()["errors"][0]["code"] == "SIM_400"
    fits = {"attempts": [{"outcome": "PASS", "after_seconds": MAX_WAIT_SECONDS}]}
    assert (await sim.http.put("/_sim/bindings/fits", json={"scenario": "fits", "script": fits})).status_code == 200


async def test_a_callback_retry_wait_past_ten_years_is_refused(sim: Sim) -> None:
    response = await sim.http.patch(
        f"/_sim/partners/{SAMPLE_CLIENT_ID}/callback",
        json={"url": "http://127.0.0.1:9/cb", "retry_schedule_seconds": [HUGE]},
    )
    assert response.status_code == 400, response.text
    assert "ten years" in response.text


def test_settings_refuse_waits_past_ten_years_and_ports_past_65535() -> None:
    for bad in (
        {"processing_delay_seconds": HUGE},
        {"processing_delay_seconds": float("inf")},
        {"callback_retry_schedule": [10, HUGE]},
        {"job_retry_max_seconds": HUGE},
        {"port": 99999},
        {"port": -1},
        {"token_port": 70000},
    ):
        with pytest.raises(ValidationError):
            Settings(**bad)


def test_a_port_out_of_range_is_two_lines_not_a_traceback() -> None:
    first, _ = two_lines(serve("--port", "99999"))
    assert "--port" in first
    first, _ = two_lines(serve(env={"ONEKYC_SIM_TOKEN_PORT": "70000"}))
    assert "ONEKYC_SIM_TOKEN_PORT" in first


def test_iso_never_raises() -> None:
    assert iso(HUGE) == "9999-12-31T23:59:59Z"
    assert iso(-HUGE) == "1970-01-01T00:00:00Z"
    assert iso(float("nan")) == "1970-01-01T00:00:00Z"
    assert iso(0.0) == "1970-01-01T00:00:00Z"


def test_an_ipv6_host_is_bracketed_in_urls() -> None:
    assert Settings(host="::1", port=18080).base_url == "http://[::1]:18080"
    assert Settings(host="127.0.0.1", port=18080).base_url == "http://127.0.0.1:18080"


async def test_jobs_of_the_reference_endpoint_can_be_listed(sim: Sim) -> None:
    response = await sim.http.get("/_sim/jobs", params={"kind": "ask_reference_image"})
    assert response.status_code == 200, response.text


def test_output_piped_into_head_ends_quietly() -> None:
    result = subprocess.run(
        f"{sys.executable} -m simulator scenarios list | head -1",
        shell=True,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.stdout.strip()
    assert "Traceback" not in result.stderr, result.stderr
    assert "BrokenPipeError" not in result.stderr


async def test_a_callback_header_that_http_cannot_carry_is_refused(sim: Sim) -> None:
    for headers in ({"x\nbad": "y"}, {"x-ok": "line\r\nInjected: 1"}):
        response = await sim.http.patch(
            f"/_sim/partners/{SAMPLE_CLIENT_ID}/callback", json={"url": "http://127.0.0.1:9/cb", "headers": headers}
        )
        assert response.status_code == 400, response.text


@pytest.mark.both_databases
async def test_a_partner_session_id_past_512_characters_is_a_400_on_both_databases(sim: Sim) -> None:
    vendor = sim.vendor()
    fits = await vendor.initiate("a" * 512)
    assert fits.status_code == 200, fits.text
    too_long = await vendor.initiate("b" * 3000)
    assert too_long.status_code == 400, too_long.text
    assert too_long.json()["errors"][0]["cause"] == "X_PARTNER_SESSION_ID_TOO_LONG"
    # The refused request is journaled (its id cut to fit the index), and so is everything after it.
    await vendor.initiate("after-the-long-one")
    listed = (await sim.http.get("/_sim/requests", params={"path": "/coe-partner/v1/initiate-flow"})).json()
    assert listed["count"] == 3


def test_a_database_password_is_never_printed() -> None:
    shown = Settings(database="postgresql+asyncpg://sim:s3cr3t@127.0.0.1:5432/onekyc").shown_database
    assert "s3cr3t" not in shown
    assert shown == "postgresql+asyncpg://sim:***@127.0.0.1:5432/onekyc"
    assert Settings(database="/tmp/sim.db").shown_database == "/tmp/sim.db"


def test_a_libpq_only_url_parameter_is_two_lines() -> None:
    problem, remedy = two_lines(serve("--database", "postgresql+asyncpg://sim:pw@127.0.0.1:9/onekyc?sslmode=require"))
    assert "sslmode" in problem
    assert "pw" not in problem
    assert "?ssl=require" in remedy
