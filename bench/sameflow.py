"""The same-flow floor: the Selfie Liveness request sequence on bare Starlette and stdlib sqlite3.

`python -m bench.sameflow PORT DATABASE` serves the paths the paced flow drives (partner token, Initiate
Flow, presign, presigned upload, confirm, status, Get Submission Details) with the same shapes the SDK reads,
every state change one sqlite3 write (WAL, synchronous=NORMAL, as the simulator), and nothing else: no
journal, no callbacks, no token signatures, no scenario, and a verdict at confirm. It prints
`same-flow floor ready` once it listens. The simulator's paced flows/s are reported as a ratio to this.
"""

from __future__ import annotations

import socket
import sqlite3
import sys
import time
import uuid

import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

READY = "same-flow floor ready"
SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (id TEXT PRIMARY KEY, token TEXT NOT NULL, created_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS submissions (
    id TEXT PRIMARY KEY, session_id TEXT NOT NULL, status TEXT NOT NULL, result TEXT,
    selfie BLOB, created_at REAL NOT NULL, confirmed_at REAL, completed_at REAL
);
"""


def _json(body: object, status: int = 200) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type="application/json")


class SameFlow:
    """The handlers over one sqlite3 connection (the event loop is the only writer)."""

    def __init__(self, database: str, base_url: str) -> None:
        self.db = sqlite3.connect(database, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(SCHEMA)
        self.base_url = base_url

    async def token(self, request: Request) -> Response:
        return _json({"success": True, "data": {"token": uuid.uuid4().hex, "expiresIn": 1800}})

    async def initiate(self, request: Request) -> Response:
        await request.body()
        token = uuid.uuid4().hex
        self.db.execute(
            "INSERT INTO sessions VALUES (?, ?, ?)", (request.headers["x-partner-session-id"], token, time.time())
        )
        return _json({"success": True, "data": {"token": token, "expiresIn": 5184000}})

    async def presign(self, request: Request) -> Response:
        submission = str(uuid.uuid4())
        self.db.execute(
            "INSERT INTO submissions (id, session_id, status, created_at) VALUES (?, ?, 'INITIATED', ?)",
            (submission, request.headers["x-partner-session-id"], time.time()),
        )
        url = f"{self.base_url}/upload/{submission}?X-Amz-Expires=900&X-Amz-Signature=floor"
        return _json(
            {
                "success": True,
                "data": {
                    "submissionId": submission,
                    "documents": {"SELFIE": {"documentUrl": url, "documentReference": f"{submission}_SELFIE"}},
                },
            }
        )

    async def upload(self, request: Request) -> Response:
        body = await request.body()
        self.db.execute("UPDATE submissions SET selfie = ? WHERE id = ?", (body, request.path_params["submission"]))
        return Response(status_code=200)

    async def confirm(self, request: Request) -> Response:
        submission = orjson.loads(await request.body())["submissionId"]
        now = time.time()
        self.db.execute(
            "UPDATE submissions SET status = 'COMPLETED', result = 'VALID', confirmed_at = ?, completed_at = ? "
            "WHERE id = ? AND status = 'INITIATED'",
            (now, now, submission),
        )
        return _json({"success": True, "data": {"submissionId": submission, "status": "IN_PROGRESS"}})

    async def status(self, request: Request) -> Response:
        row = self.db.execute(
            "SELECT status, created_at FROM submissions WHERE id = ?", (request.path_params["submission"],)
        ).fetchone()
        done = row[0] == "COMPLETED"
        return _json(
            {
                "success": True,
                "data": {
                    "submissionId": request.path_params["submission"],
                    "status": row[0],
                    "submissionType": "STANDALONE_LIVENESS",
                    "createdAt": row[1],
                    "nextAction": "EXIT" if done else "STATUS",
                    "attempt": 1,
                    "maxAttempts": 3,
                },
            }
        )

    async def details(self, request: Request) -> Response:
        row = self.db.execute(
            "SELECT s.id, s.status, s.result FROM submissions s JOIN sessions p ON s.session_id = p.id "
            "WHERE p.id = ? ORDER BY s.created_at DESC LIMIT 1",
            (request.headers["x-partner-session-id"],),
        ).fetchone()
        return _json({"success": True, "data": {"submissionId": row[0], "status": row[1], "result": row[2]}})

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/v1/esign/partner/authentication", self.token),
                Route("/coe-partner/v1/initiate-flow", self.initiate, methods=["POST"]),
                Route("/coe/v1/submissions/urls", self.presign, methods=["GET"]),
                Route("/coe/v1/submissions/urls", self.confirm, methods=["PUT"]),
                Route("/upload/{submission}", self.upload, methods=["PUT"]),
                Route("/coe/v1/submissions/{submission}/status", self.status),
                Route("/coe/v1/submissions", self.details),
            ]
        )


class _Server(uvicorn.Server):
    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        print(READY, flush=True)


def main() -> None:
    port, database = int(sys.argv[1]), sys.argv[2]
    app = SameFlow(database, f"http://127.0.0.1:{port}").app()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, loop="uvloop", http="httptools", access_log=False, log_level="warning"
    )
    _Server(config).run()


if __name__ == "__main__":
    main()
