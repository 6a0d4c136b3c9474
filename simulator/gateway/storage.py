"""The object storage the presigned URLs point at: PUT uploads a document, GET (and HEAD) serve it back.

It answers as S3 does, errors included: `application/xml` `<Error>` bodies with S3's codes (README
"Upload storage"). HEAD is routed (Starlette adds it to GET) but a URL signed for GET does not allow
it, as on S3: the method is part of what is signed.
"""

from __future__ import annotations

import functools
import logging

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from simulator.endpoints import Endpoint, Handler, read_body, services_of
from simulator.errors import StorageError, VendorError, render_storage_error
from simulator.services.context import Services
from simulator.services.vendor_flow import documents
from simulator.services.vendor_flow.presigned_urls import STORAGE_PREFIX, ObjectKey

log = logging.getLogger("simulator.storage")

SINGLE_HEADERS = ("host", "content-md5", "content-type")


def storage_error_response(error: VendorError, request_id: str, headers: dict[str, str] | None = None) -> Response:
    """The S3 XML answer of `error` (also used for unknown storage paths and refused methods)."""
    return Response(
        render_storage_error(error, request_id),
        status_code=error.status,
        media_type="application/xml",
        headers={"x-amz-request-id": request_id, **(headers or {})},
    )


def storage_endpoint(handler: Handler) -> Endpoint:
    """The storage's error boundary: every failure leaves as S3's XML error, never a vendor JSON body."""

    @functools.wraps(handler)
    async def endpoint(request: Request) -> Response:
        svc = services_of(request)
        try:
            for name in SINGLE_HEADERS:
                if len(set(request.headers.getlist(name))) > 1:
                    raise StorageError(400, "InvalidArgument", f"Header {name} is given more than once")
            return await handler(request, svc)
        except VendorError as error:
            return storage_error_response(error, svc.ids.request_id())
        except Exception:
            log.exception("unexpected error", extra={"method": request.method, "path": request.url.path})
            return storage_error_response(
                StorageError(500, "InternalError", "We encountered an internal error. Please try again."),
                svc.ids.request_id(),
            )

    return endpoint


def _storage_request(request: Request) -> documents.StorageRequest:
    return documents.StorageRequest(
        method=request.method,
        key=ObjectKey(request.path_params["flow"], request.path_params["reference"]),
        query=request.query_params.multi_items(),
        host=request.headers.get("host"),
        content_md5=request.headers.get("content-md5"),
    )


@storage_endpoint
async def put_object(request: Request, svc: Services) -> Response:
    limit = svc.settings.upload_max_bytes

    async def body() -> bytes:
        return await read_body(request, limit, documents.entity_too_large(limit))

    digest = await documents.upload_document(svc, _storage_request(request), body)
    return Response(status_code=200, headers={"ETag": f'"{digest.hex()}"'})


@storage_endpoint
async def get_object(request: Request, svc: Services) -> Response:
    data, content_type = await documents.download_document(svc, _storage_request(request))
    return Response(data, media_type=content_type)


routes = [
    Route(f"{STORAGE_PREFIX}/{{flow}}/{{reference}}", put_object, methods=["PUT"]),
    Route(f"{STORAGE_PREFIX}/{{flow}}/{{reference}}", get_object, methods=["GET"]),
]
