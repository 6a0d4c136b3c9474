"""A request the HTTP parser refuses still gets the vendor's answer, never uvicorn's plain-text 400.

uvicorn answers bytes it cannot parse as HTTP/1.1 (a control character in a header value, a bad
`Content-Length`, two of them, a lower-case method, broken chunking, an over-long request line, …) with
`400 text/plain` "Invalid HTTP request received." before any route sees the request. The simulator's
protocols answer those with the same 400 in the dialect of the path when the parser got that far: S3's
XML (`BadRequest`) under the storage prefix, else the vendor error envelope with cause
`MALFORMED_HTTP_REQUEST` (the vendor publishes no body for this; it is the envelope every other refusal
of ours uses, `gateway/edges.py`). The connection is closed after the answer, as uvicorn does.
"""

from __future__ import annotations

import secrets

import orjson
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from simulator.errors import StorageError, VendorError, render_error_body, render_storage_error
from simulator.services.vendor_flow.presigned_urls import STORAGE_PREFIX

MALFORMED = VendorError("400", "MALFORMED_HTTP_REQUEST", status=400)
STORAGE_MALFORMED = StorageError(400, "BadRequest", "An error occurred when parsing the HTTP request.")


def malformed_answer(target: bytes, default_headers: list[tuple[bytes, bytes]]) -> bytes:
    """The whole HTTP/1.1 400 response (status line, headers, body) for an unparseable request.

    `target` is the request target the parser read before it failed (b"" when it failed earlier);
    `default_headers` are uvicorn's own (`server`, `date`), sent on every answer.
    """
    extra: list[tuple[bytes, bytes]] = []
    if target.startswith(STORAGE_PREFIX.encode()):
        request_id = secrets.token_hex(8).upper()
        body = render_storage_error(STORAGE_MALFORMED, request_id)
        extra = [(b"content-type", b"application/xml"), (b"x-amz-request-id", request_id.encode())]
    else:
        body = orjson.dumps(render_error_body(MALFORMED))  # compact, as every vendor body (endpoints.py)
        extra = [(b"content-type", b"application/json")]
    headers = [*default_headers, *extra, (b"content-length", str(len(body)).encode()), (b"connection", b"close")]
    head = b"HTTP/1.1 400 Bad Request\r\n" + b"".join(name + b": " + value + b"\r\n" for name, value in headers)
    return head + b"\r\n" + body


class HttpToolsVendorProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol (the default when httptools is installed) with `malformed_answer`."""

    def send_400_response(self, msg: str) -> None:
        target = getattr(self, "url", b"") or b""
        self.transport.write(malformed_answer(target, self.server_state.default_headers))
        self.transport.close()


class H11VendorProtocol(H11Protocol):
    """uvicorn's pure-Python h11 protocol (when httptools is absent) with `malformed_answer`."""

    def send_400_response(self, msg: str) -> None:
        self.transport.write(malformed_answer(b"", self.server_state.default_headers))
        self.transport.close()


def vendor_protocol() -> type[HttpToolsProtocol] | type[H11Protocol]:
    """The protocol class `onekyc-sim serve` gives uvicorn: httptools' when installed, like uvicorn's "auto"."""
    try:
        import httptools  # noqa: F401
    except ImportError:  # pragma: no cover - httptools ships with uvicorn[standard]
        return H11VendorProtocol
    return HttpToolsVendorProtocol
