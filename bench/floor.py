"""The floor: a bare Starlette JSON endpoint on uvicorn (uvloop + httptools), the same stack as the simulator.

`python -m bench.floor PORT` serves `GET /floor` and prints `floor ready` once it listens.
"""

from __future__ import annotations

import socket
import sys

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

READY = "floor ready"

# About the size and shape of a status answer for an IN_PROGRESS submission.
BODY = {
    "success": True,
    "data": {
        "submissionId": "00000000-0000-4000-8000-000000000000",
        "status": "IN_PROGRESS",
        "submissionType": "STANDALONE_LIVENESS",
        "createdAt": "2026-01-01T00:00:00Z",
        "completedAt": None,
        "documents": {
            "SELFIE": {"status": "UPLOADED", "documentReference": "00000000-0000-4000-8000-000000000000_SELFIE"},
            "ADDITIONAL_SELFIE": {"status": "PENDING", "documentReference": None},
        },
        "uiMessages": {"message_1": {"title": "Processing", "message": "Your submission is being processed"}},
        "nextAction": "STATUS",
        "attempt": 1,
        "maxAttempts": 3,
    },
}


async def floor(request: Request) -> Response:
    return JSONResponse(BODY)


class _Server(uvicorn.Server):
    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        print(READY, flush=True)


def main() -> None:
    port = int(sys.argv[1])
    app = Starlette(routes=[Route("/floor", floor)])
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, loop="uvloop", http="httptools", access_log=False, log_level="warning"
    )
    _Server(config).run()


if __name__ == "__main__":
    main()
