"""Start the built image's entrypoint on 127.0.0.1 and play one whole flow against it.

    python container/check.py [IMAGE]        (make image-check; needs root, buildah)

Runs the image's ENTRYPOINT inside a buildah working container (chroot isolation, the host's network,
so it listens on 127.0.0.1 only: `--host 127.0.0.1 --port <free port>` are appended), waits for
`/_sim/health`, then plays partner token -> Initiate Flow -> presign -> upload -> confirm -> clock advance
-> status COMPLETED/EXIT -> Get Submission Details, runs the image's HEALTHCHECK command, checks that the
plain entrypoint refuses to start without an admin token, and prints the figures (start to ready, flow time).
"""

from __future__ import annotations

import asyncio
import json
import os
import shlex
import socket
import subprocess
import sys
import time

import httpx

from simulator.client import VendorClient

ADMIN_TOKEN = "image-check"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _ready(base_url: str, process: subprocess.Popen[bytes], within: float = 120.0) -> None:
    started = time.perf_counter()
    async with httpx.AsyncClient(base_url=base_url, timeout=2.0) as http:
        while time.perf_counter() - started < within:
            if process.poll() is not None:
                raise SystemExit(f"the container exited with {process.returncode} before it was ready")
            try:
                if (await http.get("/_sim/health")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise SystemExit(f"not ready within {within:g} s")


async def _flow(base_url: str) -> dict[str, object]:
    async with httpx.AsyncClient(base_url=base_url, timeout=10.0) as http:
        vendor = VendorClient(http)
        sdk = await vendor.launch("image-check-1")
        submission_id = await vendor.capture(sdk)
        admin = {"authorization": f"Bearer {ADMIN_TOKEN}"}
        (await http.post("/_sim/clock/advance", json={"seconds": 5}, headers=admin)).raise_for_status()
        status = (await vendor.status(sdk, submission_id)).json()["data"]
        details = (await vendor.details(submission_id=submission_id)).json()["data"]
        assert (status["status"], status["nextAction"]) == ("COMPLETED", "EXIT"), status
        assert details["status"] == "COMPLETED", details
        unauthorized = await http.get("/_sim/partners")
        assert unauthorized.status_code == 401, unauthorized.text
        return {"submissionId": submission_id, "status": status["status"], "result": details.get("result")}


def main() -> int:
    image = sys.argv[1] if len(sys.argv) > 1 else "localhost/onekyc-sim:latest"
    buildah = shlex.split(os.environ.get("BUILDAH", "buildah --storage-driver vfs"))
    inspected = json.loads(subprocess.check_output([*buildah, "inspect", "--type", "image", image]))
    config = inspected["OCIv1"]["config"]
    entrypoint = config["Entrypoint"]
    healthcheck = (inspected.get("Docker", {}).get("config", {}).get("Healthcheck") or {}).get("Test", [])
    container = subprocess.check_output([*buildah, "from", image], text=True).strip()
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = ["--env", f"ONEKYC_SIM_ADMIN_TOKEN={ADMIN_TOKEN}", "--env", "ONEKYC_SIM_DATABASE=/data/check.db"]
    command = [*buildah, "run", "--isolation", "chroot", *env, container, "--", *entrypoint]
    command += ["--host", "127.0.0.1", "--port", str(port)]
    run = [*buildah, "run", "--isolation", "chroot"]
    refused = subprocess.run([*run, container, "--", *entrypoint], capture_output=True, text=True, check=False)
    assert refused.returncode == 2, refused
    assert "--admin-token" in refused.stderr, refused.stderr
    started = time.perf_counter()
    process = subprocess.Popen(command)
    try:
        asyncio.run(_ready(base_url, process))
        ready = time.perf_counter() - started
        result = asyncio.run(_flow(base_url))
        flow = time.perf_counter() - started - ready
        whoami = subprocess.check_output([*run, container, "--", "id", "-un"], text=True).strip()
        healthy = subprocess.run(
            [*run, "--env", f"ONEKYC_SIM_PORT={port}", container, "--", *healthcheck[1:]], check=False
        )
        figures = {"image": image, "entrypoint": entrypoint, "user": config.get("User"), "runsAs": whoami}
        figures |= {"healthcheckExit": healthy.returncode, "refusedWithoutAdminToken": refused.stderr.strip()}
        figures |= {"startToReadySeconds": round(ready, 2), "flowSeconds": round(flow, 2), **result}
        print(json.dumps(figures, indent=2))
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        subprocess.run([*buildah, "rm", container], check=False, capture_output=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
