"""End to end against the real server on a free port: uvicorn, real sockets, a real child process."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from simulator.client import VendorClient
from simulator.settings import Settings
from simulator.testing_server import simulator_in_thread, start_child

pytestmark = [pytest.mark.anyio, pytest.mark.e2e]


async def test_flow_against_threaded_server(tmp_path: Path) -> None:
    settings = Settings(database=str(tmp_path / "e2e.db"), frozen_clock=True, log_level="WARNING")
    with simulator_in_thread(settings) as running:
        async with httpx.AsyncClient(base_url=running.base_url) as http:
            vendor = VendorClient(http)
            sdk = await vendor.launch("e2e-session")
            submission_id = await vendor.capture(sdk)
            advanced = await http.post("/_sim/clock/advance", json={"seconds": 5})
            assert advanced.json()["jobsRun"] == 1
            status = (await vendor.status(sdk, submission_id)).json()["data"]
            assert (status["status"], status["nextAction"]) == ("COMPLETED", "EXIT")
            missing = await http.get("/no/such/path")
            assert missing.status_code == 404
            assert missing.json() == {"success": False, "errors": [{"code": "404", "cause": "PATH_NOT_FOUND"}]}


async def test_restart_in_the_middle_of_processing_still_completes(tmp_path: Path) -> None:
    database = tmp_path / "restart.db"
    child = start_child(database, extra_args=["--frozen-clock"])
    try:
        async with httpx.AsyncClient(base_url=child.base_url) as http:
            vendor = VendorClient(http)
            sdk = await vendor.launch("restart-session")
            submission_id = await vendor.capture(sdk)
    finally:
        child.kill()

    child = start_child(database, port=child.port)
    try:
        async with httpx.AsyncClient(base_url=child.base_url) as http:
            vendor = VendorClient(http)
            before = (await vendor.status(sdk, submission_id)).json()["data"]
            assert before["status"] == "IN_PROGRESS"
            await http.post("/_sim/clock/advance", json={"seconds": 5})
            after = (await vendor.status(sdk, submission_id)).json()["data"]
            assert after["status"] == "COMPLETED"
            details = (await vendor.details(partner_session_id="restart-session")).json()["data"]
            assert details["result"] == "VALID"
    finally:
        child.stop()
