"""Property-based fuzz (hypothesis) of what no input may break: arbitrary strings at every `/_sim` query
parameter (enumerated from `/_sim/openapi.json`, so a new parameter is fuzzed as soon as it is
documented), arbitrary bytes as an uploaded selfie and as a fetched reference image (served by the real
local receiver). Nothing answers 5xx, every refusal is the error envelope, and once the clock has moved
past the retry budget no job is left pending or running.

`make test` runs FUZZ_EXAMPLES examples per test (default 25; a third of that where one example is a
whole flow or a sweep of every parameter; derandomized, so a failure reproduces); `make fuzz` runs many
more (FUZZ_EXAMPLES=400). Awkward values (`²`, `1e9`, `-1`, `nan`, …) are swept deterministically too.
"""

from __future__ import annotations

import io
import itertools
import os
from collections.abc import Awaitable, Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal
from conftest import Sim, s3_error
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from outbound_support import running_sim
from PIL import Image

from simulator.client import VendorClient, sample_jpeg
from simulator.jobs.retry import RetryPolicy
from simulator.settings import Settings
from simulator.testing_receiver import Receiver, Reply

T = TypeVar("T")

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))
FUZZ = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
# A whole flow, or a sweep of every /_sim query parameter, per example: a third as many, still derandomized.
FUZZ_FLOWS = settings(FUZZ, max_examples=max(8, EXAMPLES // 3))
# Values Python's own parsing treats oddly (str.isdigit, int(), float()) or the store cannot hold.
AWKWARD = [
    "²", "٣", "1_000", " 5", "+5", "-1", "0", "1e9", "1.5", "nan", "inf", "-inf", "9" * 30, str(2**63),
    "", " ", "4xx", "4XX", "999", "2026-01-01T00:00:00Z", "9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+14:00",
    "true", "null", "%", "\x00", "*", "desc", "asc", "failed", "pending", "outbound",
]  # fmt: skip
TEXT = st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=40)
RAW_VALUES = st.binary(max_size=24).map(lambda b: quote(b, safe=""))


def _image(fmt: str, size: tuple[int, int] = (32, 24), mode: str = "RGB") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, 0).save(buffer, fmt)
    return buffer.getvalue()


SEEDS = [sample_jpeg(), _image("PNG"), _image("WEBP"), _image("GIF"), _image("PNG", (16320, 12240), "1")]


def _splice(seed: bytes, at: int, cut: int, insert: bytes) -> bytes:
    at %= len(seed) + 1
    return seed[:at] + insert + seed[at + cut :]


MUTATED = st.builds(_splice, st.sampled_from(SEEDS), st.integers(0, 30_000), st.integers(0, 64), st.binary(max_size=16))
BYTES = st.one_of(st.binary(max_size=4096), MUTATED, st.sampled_from(SEEDS))


def _assert_not_a_server_error(response: httpx.Response) -> None:
    assert response.status_code < 500, f"{response.request.method} {response.request.url} -> {response.text}"
    if response.status_code >= 400 and response.url.path.startswith("/storage/"):
        s3_error(response)  # the storage answers as S3 does, in XML
    elif response.status_code >= 400:
        body = response.json()
        assert body["success"] is False
        assert body["errors"][0]["code"].startswith("SIM_") or body["errors"][0]["code"].isdigit()


@dataclass
class Running:
    """One simulator and one reference-image host, run by an event loop in a thread (hypothesis drives
    plain functions; each example calls into that loop)."""

    portal: BlockingPortal
    sim: Sim
    host: Receiver
    selfie_url: str
    operations: list[tuple[str, str, list[str]]]

    def run(self, func: Callable[..., Awaitable[T]], *args: Any) -> T:
        return self.portal.call(func, *args)

    @property
    def vendor(self) -> VendorClient:
        return self.sim.vendor()


async def _query_operations(sim: Sim) -> list[tuple[str, str, list[str]]]:
    """(method, concrete path, query parameter names) of every /_sim operation that has query parameters."""
    document = (await sim.http.get("/_sim/openapi.json")).json()
    found = []
    for path, item in document["paths"].items():
        if not path.startswith("/_sim"):
            continue
        for method in ("get", "delete"):
            operation = item.get(method)
            if operation is None:
                continue
            params = [*item.get("parameters", []), *operation.get("parameters", [])]
            names = [p["name"] for p in params if p["in"] == "query"]
            if names:
                concrete = "/".join("fuzz" if part.startswith("{") else part for part in path.split("/"))
                found.append((method.upper(), concrete, names))
    return found


async def _selfie_url(sim: Sim) -> str:
    vendor = sim.vendor()
    sdk = await vendor.launch("fuzz-upload")
    presigned = (await vendor.presign(sdk)).json()["data"]
    url: str = presigned["documents"]["SELFIE"]["documentUrl"]
    return url


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    database: Path = tmp_path_factory.mktemp("sim-fuzz") / "sim.db"
    settings = Settings(
        database=str(database), public_base_url="http://sim.test", frozen_clock=True, log_level="CRITICAL"
    )
    with ExitStack() as stack:
        portal = stack.enter_context(start_blocking_portal())
        sim = stack.enter_context(portal.wrap_async_context_manager(running_sim(settings)))
        host = stack.enter_context(portal.wrap_async_context_manager(Receiver()))
        operations = portal.call(_query_operations, sim)
        yield Running(portal, sim, host, portal.call(_selfie_url, sim), operations)


def test_the_fuzzed_operations_cover_every_query_parameter(running: Running) -> None:
    operations = {(m, p): names for m, p, names in running.operations}
    assert {"limit", "after", "since", "status", "direction", "order"} <= set(operations["GET", "/_sim/requests"])
    for path in ("/_sim/sessions", "/_sim/callbacks", "/_sim/jobs"):
        assert "limit" in operations["GET", path], path
    assert ("GET", "/_sim/bindings") in operations


async def _every_parameter(running: Running, value: str) -> list[httpx.Response]:
    """One request per (operation, query parameter) with that parameter set to `value` (already encoded)."""
    responses = []
    for method, path, names in running.operations:
        for name in names:
            responses.append(await running.sim.http.request(method, f"{path}?{quote(name)}={value}"))
    return responses


def test_no_awkward_value_at_any_query_parameter_makes_sim_answer_5xx(running: Running) -> None:
    for value in AWKWARD:
        for response in running.run(_every_parameter, running, quote(value, safe="")):
            _assert_not_a_server_error(response)


@FUZZ_FLOWS
@given(value=st.one_of(TEXT, st.integers().map(str)).map(lambda v: quote(v, safe="")) | RAW_VALUES)
def test_no_query_string_makes_sim_answer_5xx(running: Running, value: str) -> None:
    for response in running.run(_every_parameter, running, value):
        _assert_not_a_server_error(response)


@FUZZ
@given(data=BYTES)
def test_no_upload_makes_storage_answer_5xx(running: Running, data: bytes) -> None:
    response = running.run(running.vendor.upload, running.selfie_url, data, "image/jpeg")
    _assert_not_a_server_error(response)
    assert response.status_code in (200, 413, 422), response.text


def _budget_seconds() -> float:
    policy = RetryPolicy()
    return sum(policy.delay_after(n) or 0 for n in range(1, policy.max_attempts + 1))


_SESSIONS = itertools.count()


async def _reference_attempt(running: Running, image: bytes) -> tuple[dict[str, Any], dict[str, Any]]:
    """One whole attempt whose reference image is `image`; (final status data, health) after the budget."""
    running.host.route("/ktp", Reply(200, image, "image/jpeg"))
    details = {"referenceImageUrl": running.host.url_for("/ktp")}
    body = {"flow": "STANDALONE_LIVENESS", "source": "SDK", "additionalDetails": details}
    vendor = running.vendor
    sdk = await vendor.launch(f"fuzz-ref-{next(_SESSIONS)}", body=body)
    submission_id = await vendor.capture(sdk)
    await running.sim.advance(2 + _budget_seconds())
    status: dict[str, Any] = (await vendor.status(sdk, submission_id)).json()["data"]
    health: dict[str, Any] = (await running.sim.http.get("/_sim/health")).json()
    return status, health


@FUZZ_FLOWS
@given(image=BYTES)
def test_no_reference_image_leaves_a_submission_or_a_job_unsettled(running: Running, image: bytes) -> None:
    status, health = running.run(_reference_attempt, running, image)
    assert status["status"] in ("COMPLETED", "ERROR"), status
    assert (health["jobs"]["pending"], health["jobs"]["running"], health["failedJobs"]) == (0, 0, 0), health
