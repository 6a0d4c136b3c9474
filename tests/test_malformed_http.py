"""Bytes the HTTP parser refuses get the vendor's 400 (S3's XML under the storage), never uvicorn's plain
text: a real server on a free port (the same protocol `onekyc-sim serve` installs), a raw socket."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from simulator.settings import Settings
from simulator.testing_server import ThreadedSimulator, simulator_in_thread

pytestmark = pytest.mark.anyio


@pytest.fixture
def running(tmp_path: Path) -> Iterator[ThreadedSimulator]:
    settings = Settings(database=str(tmp_path / "raw.db"), frozen_clock=True, log_level="WARNING")
    with simulator_in_thread(settings) as started:
        yield started


async def _raw(running: ThreadedSimulator, request: bytes) -> tuple[bytes, dict[str, str], bytes]:
    """Send `request` as is; the status line, the headers (lower-case names) and the body of the answer."""
    reader, writer = await asyncio.open_connection("127.0.0.1", running.settings.port)
    try:
        writer.write(request)
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(), 10)  # the server closes the connection
    finally:
        writer.close()
    head, _, body = answer.partition(b"\r\n\r\n")
    status, *lines = head.split(b"\r\n")
    headers = {k.decode().lower(): v.decode().strip() for k, _, v in (line.partition(b":") for line in lines)}
    return status, headers, body


MALFORMED = {
    "a control character in a header value": (
        b"POST /coe-partner/v1/initiate-flow HTTP/1.1\r\nHost: x\r\nx-partner-session-id: a\x01b\r\n\r\n"
    ),
    "a lower-case method": b"get /v1/esign/partner/authentication HTTP/1.1\r\nHost: x\r\n\r\n",
    "a Content-Length that is not a number": (
        b"POST /coe/v1/submissions HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n"
    ),
    "Content-Length with chunked": (
        b"POST /coe/v1/submissions HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"
    ),
}


@pytest.mark.parametrize("request_bytes", MALFORMED.values(), ids=MALFORMED.keys())
async def test_an_unparseable_vendor_request_gets_the_vendor_envelope(
    running: ThreadedSimulator, request_bytes: bytes
) -> None:
    status, headers, body = await _raw(running, request_bytes)
    assert status.startswith(b"HTTP/1.1 400"), status
    assert headers["content-type"] == "application/json"
    assert int(headers["content-length"]) == len(body)
    assert json.loads(body) == {
        "success": False,
        "errors": [{"code": "400", "cause": "MALFORMED_HTTP_REQUEST"}],
    }


async def test_an_unparseable_storage_request_gets_s3_xml(running: ThreadedSimulator) -> None:
    status, headers, body = await _raw(
        running,
        b"PUT /storage/onekyc/STANDALONE_LIVENESS/x HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nx: a\x01\r\n\r\n",
    )
    assert status.startswith(b"HTTP/1.1 400"), status
    assert headers["content-type"] == "application/xml"
    assert b"<Code>BadRequest</Code>" in body
    assert headers["x-amz-request-id"].encode() in body


async def test_a_well_formed_request_still_reaches_the_routes(running: ThreadedSimulator) -> None:
    status, _, body = await _raw(running, b"GET /nowhere HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert status.startswith(b"HTTP/1.1 404"), status
    assert json.loads(body)["errors"][0]["cause"] == "PATH_NOT_FOUND"
