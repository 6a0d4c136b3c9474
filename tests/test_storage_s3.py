"""The upload storage behaves like S3 presigned URLs: Content-MD5, the method, the host and every query
parameter are bound; the signature and expiry are checked before the body is read; errors are S3's XML.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
import pytest
from conftest import Sim, SimFactory, s3_error

from simulator.client import SdkSession, VendorClient, sample_jpeg
from simulator.services.vendor_flow.presigned_urls import ObjectKey
from simulator.settings import Settings
from simulator.testing_server import ThreadedSimulator, simulator_in_thread

pytestmark = pytest.mark.anyio


async def _presigned(vendor: VendorClient, name: str) -> tuple[SdkSession, str, str]:
    sdk = await vendor.launch(name)
    data = (await vendor.presign(sdk)).json()["data"]
    return sdk, data["submissionId"], data["documents"]["SELFIE"]["documentUrl"]


def _md5(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data, usedforsecurity=False).digest()).decode()


async def _nothing_stored_then_confirm_is_422(vendor: VendorClient, sdk: SdkSession, submission_id: str) -> None:
    response = await vendor.confirm(sdk, submission_id)
    assert (response.status_code, response.json()["errors"][0]["cause"]) == (422, "INVALID_UPLOAD_ARTIFACT")


async def test_a_content_md5_that_does_not_match_is_bad_digest_and_stores_nothing(
    sim: Sim, vendor: VendorClient
) -> None:
    sdk, submission_id, url = await _presigned(vendor, "md5-wrong")
    image = sample_jpeg()
    response = await sim.http.put(url, content=image, headers={"content-md5": _md5(b"other bytes")})
    assert s3_error(response) == (400, "BadDigest")
    await _nothing_stored_then_confirm_is_422(vendor, sdk, submission_id)


@pytest.mark.parametrize(
    "header",
    ["not base64 at all!", base64.b64encode(b"fifteen bytes!!").decode(), "", hashlib.md5(b"x").hexdigest()],
    ids=["not-base64", "15-bytes", "empty", "hex-not-base64"],
)
async def test_a_malformed_content_md5_is_invalid_digest_and_stores_nothing(
    sim: Sim, vendor: VendorClient, header: str
) -> None:
    sdk, submission_id, url = await _presigned(vendor, f"md5-{len(header)}")
    response = await sim.http.put(url, content=sample_jpeg(), headers={"content-md5": header})
    assert s3_error(response) == (400, "InvalidDigest")
    await _nothing_stored_then_confirm_is_422(vendor, sdk, submission_id)


async def test_a_matching_content_md5_is_stored_with_its_etag(sim: Sim, vendor: VendorClient) -> None:
    sdk, submission_id, url = await _presigned(vendor, "md5-right")
    image = sample_jpeg()
    response = await sim.http.put(url, content=image, headers={"content-md5": _md5(image)})
    assert response.status_code == 200
    assert response.headers["etag"] == f'"{hashlib.md5(image, usedforsecurity=False).hexdigest()}"'
    assert (await vendor.confirm(sdk, submission_id)).status_code == 200


async def test_the_signature_binds_the_method(sim: Sim, vendor: VendorClient) -> None:
    """As on S3 the method is part of the canonical request: a URL signed for GET refuses HEAD and PUT."""
    _, _, put_url = await _presigned(vendor, "method-bound")
    assert (await sim.http.put(put_url, content=sample_jpeg())).status_code == 200
    assert s3_error(await sim.http.get(put_url)) == (403, "SignatureDoesNotMatch")
    svc = sim.services
    reference = urlsplit(put_url).path.rsplit("/", 1)[1]
    get_url = svc.signer.sign("GET", ObjectKey("STANDALONE_LIVENESS", reference), svc.clock.now(), 600)
    assert (await sim.http.get(get_url)).content == sample_jpeg()
    head = await sim.http.head(get_url)
    assert head.status_code == 403
    assert head.headers["content-type"].startswith("application/xml")
    assert s3_error(await sim.http.put(get_url, content=sample_jpeg())) == (403, "SignatureDoesNotMatch")


async def test_the_signature_binds_the_host(sim: Sim, vendor: VendorClient) -> None:
    """The URL is signed for the host of the public base URL (http://sim.test here) and nothing else."""
    sdk, submission_id, url = await _presigned(vendor, "host-bound")
    for host in ("evil.example", "sim.test:8080", "127.0.0.1"):
        response = await sim.http.put(url, content=sample_jpeg(), headers={"host": host})
        assert s3_error(response) == (403, "SignatureDoesNotMatch"), host
    await _nothing_stored_then_confirm_is_422(vendor, sdk, submission_id)
    # The same host, spelled with its default port or in capitals, is the same host.
    for host in ("sim.test:80", "SIM.TEST"):
        assert (await sim.http.put(url, content=sample_jpeg(), headers={"host": host})).status_code == 200


async def test_every_query_parameter_is_bound_and_duplicates_are_refused(sim: Sim, vendor: VendorClient) -> None:
    sdk, submission_id, url = await _presigned(vendor, "query-bound")
    parts = urlsplit(url)
    pairs = parse_qsl(parts.query)
    base = f"{parts.scheme}://{parts.netloc}{parts.path}"

    extra = await sim.http.put(f"{url}&response-content-type=text%2Fhtml", content=sample_jpeg())
    assert s3_error(extra) == (403, "SignatureDoesNotMatch")
    longer = [(k, "1200" if k == "X-Amz-Expires" else v) for k, v in pairs]
    assert s3_error(await sim.http.put(f"{base}?{urlencode(longer)}", content=sample_jpeg())) == (
        403,
        "SignatureDoesNotMatch",
    )
    for name, value in pairs:
        twice = f"{url}&{urlencode({name: value + '0'})}"
        assert s3_error(await sim.http.put(twice, content=sample_jpeg())) == (400, "InvalidArgument"), name
        same_twice = f"{url}&{urlencode({name: value})}"
        assert s3_error(await sim.http.put(same_twice, content=sample_jpeg())) == (400, "InvalidArgument"), name
    missing = [(k, v) for k, v in pairs if k != "X-Amz-Credential"]
    response = await sim.http.put(f"{base}?{urlencode(missing)}", content=sample_jpeg())
    assert s3_error(response) == (400, "AuthorizationQueryParametersError")
    await _nothing_stored_then_confirm_is_422(vendor, sdk, submission_id)
    # Reordering the parameters changes nothing: S3 signs them sorted.
    reordered = f"{base}?{urlencode(list(reversed(pairs)))}"
    assert (await sim.http.put(reordered, content=sample_jpeg())).status_code == 200


async def test_an_expired_url_is_access_denied_with_s3s_details(sim: Sim, vendor: VendorClient) -> None:
    _, _, url = await _presigned(vendor, "expired")
    await sim.advance(600)
    response = await sim.http.put(url, content=sample_jpeg())
    assert s3_error(response) == (403, "AccessDenied")
    assert "<Message>Request has expired</Message>" in response.text
    assert "<X-Amz-Expires>600</X-Amz-Expires>" in response.text
    assert response.headers["x-amz-request-id"] in response.text


async def test_an_unknown_object_is_no_such_key(sim: Sim) -> None:
    svc = sim.services
    url = svc.signer.sign("GET", ObjectKey("STANDALONE_LIVENESS", "nothing_SELFIE"), svc.clock.now(), 600)
    assert s3_error(await sim.http.get(url)) == (404, "NoSuchKey")


# -- before the body: a real server on a free port, a raw socket ------------------------------------


@pytest.fixture
def running(tmp_path: Path) -> Iterator[ThreadedSimulator]:
    settings = Settings(database=str(tmp_path / "raw.db"), frozen_clock=True, log_level="WARNING")
    with simulator_in_thread(settings) as started:
        yield started


async def _raw_put_expecting_continue(running: ThreadedSimulator, target: str, body: bytes) -> tuple[bytes, bytes]:
    """Send the head of a PUT with `Expect: 100-continue`; the first answer, and the final one (after
    sending the body only if the server said 100 Continue)."""
    port = running.settings.port
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        head = (
            f"PUT {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: image/jpeg\r\n"
            f"Content-Length: {len(body)}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n"
        )
        writer.write(head.encode())
        await writer.drain()
        first = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
        if not first.startswith(b"HTTP/1.1 100"):
            return first, first
        writer.write(body)
        await writer.drain()
        final = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
        return first, final
    finally:
        writer.close()


async def test_signature_and_expiry_are_checked_before_the_body_is_read(running: ThreadedSimulator) -> None:
    async with httpx.AsyncClient(base_url=running.base_url) as http:
        vendor = VendorClient(http)
        _, _, url = await _presigned(vendor, "expect-continue")
    parts = urlsplit(url)
    assert parts.netloc == f"127.0.0.1:{running.settings.port}"
    big = b"\xff" * (3 * 1024 * 1024)

    tampered = f"{parts.path}?{parts.query[:-6]}{'0' * 6 if not parts.query.endswith('0' * 6) else '1' * 6}"
    first, _ = await _raw_put_expecting_continue(running, tampered, big)
    assert first.startswith(b"HTTP/1.1 403"), first
    assert b"x-amz-request-id" in first.lower()

    image = sample_jpeg()
    first, final = await _raw_put_expecting_continue(running, f"{parts.path}?{parts.query}", image)
    assert first.startswith(b"HTTP/1.1 100"), first  # a good URL is answered 100 Continue, then stored
    assert final.startswith(b"HTTP/1.1 200"), final


async def test_an_expired_url_is_refused_before_the_body_is_read(running: ThreadedSimulator) -> None:
    async with httpx.AsyncClient(base_url=running.base_url) as http:
        vendor = VendorClient(http)
        _, _, url = await _presigned(vendor, "expect-expired")
        assert (await http.post("/_sim/clock/advance", json={"seconds": 601})).status_code == 200
    parts = urlsplit(url)
    first, _ = await _raw_put_expecting_continue(running, f"{parts.path}?{parts.query}", b"\xff" * 3_000_000)
    assert first.startswith(b"HTTP/1.1 403"), first


async def test_a_public_base_url_on_another_host_signs_for_that_host(
    sim_factory: SimFactory, settings: Settings
) -> None:
    """Served as http://sim.test but published as http://10.0.2.2:8080 (an emulator's view of the host): the
    URLs carry and bind the published host; a client reaching the simulator by another name sends it."""
    sim = await sim_factory(settings.model_copy(update={"public_base_url": "http://10.0.2.2:8080"}))
    vendor = sim.vendor()
    sdk, submission_id, url = await _presigned(vendor, "emulator")
    parts = urlsplit(url)
    assert parts.netloc == "10.0.2.2:8080"
    local = await sim.http.put(f"{parts.path}?{parts.query}", content=sample_jpeg())  # Host: sim.test
    assert s3_error(local) == (403, "SignatureDoesNotMatch")
    assert (await vendor.upload(url, sample_jpeg())).status_code == 200  # sends Host: 10.0.2.2:8080
    assert (await vendor.confirm(sdk, submission_id)).status_code == 200
