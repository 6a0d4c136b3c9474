"""Pre-create submissions left IN_PROGRESS (the server runs with a very long processing delay)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from simulator.client import VendorClient, sample_jpeg


async def _one(vendor: VendorClient, name: str, image: bytes, gate: asyncio.Semaphore) -> str:
    async with gate:
        for retry in range(3):
            try:
                # A kept-alive connection the server closes just then fails the request: start over, renamed.
                sdk = await vendor.launch(f"{name}-{retry}", sdk_session_id="bench-sdk")
                submission_id = await vendor.capture(sdk, image)
                return f"{submission_id}\t{sdk.token}\t{sdk.partner_session_id}"
            except httpx.TransportError:
                continue
        raise RuntimeError(f"could not create {name}")


async def _seed(base_url: str, count: int, prefix: str) -> list[str]:
    image = sample_jpeg()
    limits = httpx.Limits(max_connections=32, max_keepalive_connections=32)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=60) as http:
        vendor = VendorClient(http)
        await vendor.ensure_partner_token()
        gate = asyncio.Semaphore(32)
        return await asyncio.gather(*(_one(vendor, f"{prefix}-{i}", image, gate) for i in range(count)))


def seed_in_progress(base_url: str, count: int, out: Path, prefix: str = "bench-poll") -> Path:
    """`count` IN_PROGRESS submissions; writes one `submissionId TAB token TAB partnerSessionId` line each."""
    lines = asyncio.run(_seed(base_url, count, prefix))
    out.write_text("\n".join(lines) + "\n")
    return out
