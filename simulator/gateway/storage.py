"""The object storage the presigned URLs point at: PUT uploads a document, GET serves it back."""

from __future__ import annotations

import hashlib

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from simulator.errors import ErrorDialect
from simulator.gateway.http import read_body, vendor_endpoint
from simulator.services import flows
from simulator.services.container import Services
from simulator.services.storage import STORAGE_PREFIX

STORAGE = ErrorDialect()


@vendor_endpoint(STORAGE)
async def put_object(request: Request, svc: Services) -> Response:
    data = await read_body(request, svc.settings.upload_max_bytes)
    await flows.upload_document(
        svc, request.path_params["flow"], request.path_params["reference"], dict(request.query_params), data
    )
    return Response(status_code=200, headers={"ETag": f'"{hashlib.md5(data, usedforsecurity=False).hexdigest()}"'})


@vendor_endpoint(STORAGE)
async def get_object(request: Request, svc: Services) -> Response:
    data, content_type = await flows.download_document(
        svc, request.path_params["flow"], request.path_params["reference"], dict(request.query_params)
    )
    return Response(data, media_type=content_type)


routes = [
    Route(f"{STORAGE_PREFIX}/{{flow}}/{{reference}}", put_object, methods=["PUT"]),
    Route(f"{STORAGE_PREFIX}/{{flow}}/{{reference}}", get_object, methods=["GET"]),
]
