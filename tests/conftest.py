"""Fixtures: settings(tmp_path) -> app (with its lifespan) -> httpx client through the real ASGI stack.

Every vendor response any test receives through `client` is validated against the vendor's
published schema of its endpoint (tests/vendor_openapi), so a drift fails the test that caused it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import httpx
import pytest
from starlette.applications import Starlette
from vendor_schema import validate_response, vendor_operation

from simulator.app import create_app
from simulator.client import VendorClient
from simulator.domain.faults import gateway_body
from simulator.services.context import Services
from simulator.settings import Settings

BASE_URL = "http://sim.test"
VALIDATED: list[tuple[str, str, int]] = []


def s3_error(response: httpx.Response) -> tuple[int, str]:
    """The status and S3 `<Code>` of a storage error answer (which must be S3's XML)."""
    assert response.headers["content-type"].startswith("application/xml"), response.text
    root = ElementTree.fromstring(response.content)
    assert root.tag == "Error", response.text
    assert root.findtext("RequestId"), response.text
    return response.status_code, root.findtext("Code") or ""


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def settings(tmp_path: Path, db_backend: str, request: pytest.FixtureRequest) -> Settings:
    """A test's settings: a fresh temp-file SQLite, or (`db_backend` postgres) a fresh PostgreSQL database."""
    database = str(tmp_path / "sim.db")
    if db_backend == "postgres":
        database = request.getfixturevalue("postgres_url")
    return Settings(
        database=database,
        public_base_url=BASE_URL,
        frozen_clock=True,
        processing_delay_seconds=2.0,
        log_level="WARNING",
    )


async def _validate(response: httpx.Response) -> None:
    request = response.request
    if vendor_operation(request.method, request.url.path) is None:
        return
    await response.aread()
    body = response.json()
    if response.status_code >= 400 and body == gateway_body(response.status_code):
        return  # a scenario fault answering as the gateway in front of the vendor would (not a vendor body)
    validate_response(request.method, request.url.path, response.status_code, body)
    VALIDATED.append((request.method, request.url.path, response.status_code))


class Sim:
    """One running simulator in process: its app, services and an HTTP client into it."""

    def __init__(self, app: Starlette, http: httpx.AsyncClient) -> None:
        self.app = app
        self.http = http

    @property
    def services(self) -> Services:
        services: Services = self.app.state.services
        return services

    def vendor(self, **kwargs: Any) -> VendorClient:
        return VendorClient(self.http, **kwargs)

    async def advance(self, seconds: float) -> dict[str, Any]:
        response = await self.http.post("/_sim/clock/advance", json={"seconds": seconds})
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        return body


SimFactory = Callable[[Settings], Awaitable[Sim]]


@pytest.fixture
async def sim_factory() -> AsyncIterator[SimFactory]:
    """Open simulators on given settings; each is closed (lifespan shutdown) at the end of the test."""
    from contextlib import AsyncExitStack, asynccontextmanager

    async with AsyncExitStack() as stack:

        @asynccontextmanager
        async def open_sim(settings: Settings) -> AsyncIterator[Sim]:
            app = create_app(settings)
            async with (
                app.router.lifespan_context(app),
                httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=app),
                    base_url=BASE_URL,
                    event_hooks={"response": [_validate]},
                ) as http,
            ):
                yield Sim(app, http)

        async def enter(settings: Settings) -> Sim:
            return await stack.enter_async_context(open_sim(settings))

        yield enter


@pytest.fixture
async def sim(sim_factory: SimFactory, settings: Settings) -> Sim:
    return await sim_factory(settings)


@pytest.fixture
def client(sim: Sim) -> httpx.AsyncClient:
    return sim.http


@pytest.fixture
def vendor(sim: Sim) -> VendorClient:
    return sim.vendor()


# -- PostgreSQL: a throwaway cluster per test session, a fresh database per test ----------------------

POSTGRES_URL_ENV = "ONEKYC_SIM_TEST_POSTGRES_URL"  # a server to use instead (its user may CREATE DATABASE)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Tests marked `both_databases` run once on SQLite and once on PostgreSQL."""
    if metafunc.definition.get_closest_marker("both_databases") and "db_backend" in metafunc.fixturenames:
        metafunc.parametrize("db_backend", ["sqlite", "postgres"], indirect=True)


@pytest.fixture
def db_backend(request: pytest.FixtureRequest) -> str:
    backend: str = getattr(request, "param", "sqlite")
    return backend


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """The URL of a PostgreSQL database on a server the tests may create databases on."""
    import os

    from simulator.testing_postgres import server_binaries, throwaway_cluster

    given = os.environ.get(POSTGRES_URL_ENV)
    if given:
        yield given
        return
    if server_binaries() is None:
        if os.environ.get("CI"):
            pytest.fail("CI is set but the PostgreSQL server binaries are missing: .ci/run installs postgresql")
        pytest.skip(f"no PostgreSQL server binaries (apt-get install postgresql, or set {POSTGRES_URL_ENV})")
    with throwaway_cluster() as cluster:
        yield cluster.url("postgres")


@pytest.fixture(scope="session")
def postgres_template(postgres_server: str) -> str:
    """A database migrated to the current schema, the template of each test's database."""
    import asyncio
    import concurrent.futures
    import uuid

    from simulator.store.db import make_engine
    from simulator.store.migrate import upgrade
    from simulator.testing_postgres import create_database

    name = f"onekyc_template_{uuid.uuid4().hex[:8]}"
    url = create_database(postgres_server, name)

    async def migrate() -> None:
        engine = make_engine(url)
        try:
            await upgrade(engine)
        finally:
            await engine.dispose()

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, migrate()).result()
    return name


@pytest.fixture
def postgres_url(postgres_server: str, postgres_template: str) -> str:
    """A fresh, migrated database for this test."""
    import uuid

    from simulator.testing_postgres import create_database

    return create_database(postgres_server, f"t_{uuid.uuid4().hex[:12]}", postgres_template)


@pytest.fixture
def empty_postgres_url(postgres_server: str) -> str:
    """A fresh database without any table."""
    import uuid

    from simulator.testing_postgres import create_database

    return create_database(postgres_server, f"e_{uuid.uuid4().hex[:12]}")
