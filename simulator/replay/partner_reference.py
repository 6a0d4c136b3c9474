"""The reference image as the replay runner's partner serves it: a URL in Initiate Flow, or its endpoint.

`replay.reference_image` says what the image is (ok, missing, not-an-image, error, unreachable) and
`replay.reference_endpoint` how the simulator learns of it: `none` sends `additionalDetails.
referenceImageUrl`; `url` and `image` register the partner with a Get Reference Image endpoint on the
runner's receiver, which answers `{"referenceImageUrl": ...}` (url) or the image itself (image). Each
scenario gets its own paths (by partner session id), so replays on one receiver never collide.
"""

from __future__ import annotations

import json

from simulator.client import sample_jpeg
from simulator.replay.stage import PartnerEndpoint
from simulator.scenarios.schema import ReferenceEndpoint, ReferenceImage, Replay
from simulator.testing_receiver import Reply
from simulator.testing_server import free_port

IMAGE_COLOUR = (90, 90, 90)


def _reply(kind: ReferenceImage) -> Reply:
    return {
        ReferenceImage.OK: Reply.image(sample_jpeg(IMAGE_COLOUR)),
        ReferenceImage.MISSING: Reply(404, b"not found", "text/plain"),
        ReferenceImage.NOT_AN_IMAGE: Reply(200, b"this is not an image", "text/plain"),
        ReferenceImage.ERROR: Reply(500, b'{"error":"internal error"}'),
    }[kind]


def _serve(endpoint: PartnerEndpoint, path: str, kind: ReferenceImage) -> str:
    """Serve `kind` at `path` of the receiver; its URL (a closed port for unreachable)."""
    if kind is ReferenceImage.UNREACHABLE:
        return f"http://127.0.0.1:{free_port()}{path}"
    endpoint.route(path, _reply(kind))
    return endpoint.url_for(path)


def initiate_reference_url(endpoint: PartnerEndpoint, replay: Replay, partner_session_id: str) -> str | None:
    """The additionalDetails.referenceImageUrl Initiate Flow sends, if any."""
    if replay.reference_image is ReferenceImage.NONE or replay.reference_endpoint is not ReferenceEndpoint.NONE:
        return None
    return _serve(endpoint, f"/reference/{partner_session_id}.jpg", replay.reference_image)


def reference_endpoint_url(endpoint: PartnerEndpoint, replay: Replay, partner_session_id: str) -> str | None:
    """The partner's Get Reference Image endpoint to register, scripted as `replay` says; None for none."""
    path = f"/reference-endpoint/{partner_session_id}"
    if replay.reference_endpoint is ReferenceEndpoint.IMAGE:
        return _serve(endpoint, path, replay.reference_image)
    if replay.reference_endpoint is ReferenceEndpoint.URL:
        image_url = _serve(endpoint, f"/reference/{partner_session_id}.jpg", replay.reference_image)
        endpoint.route(path, Reply(200, json.dumps({"referenceImageUrl": image_url}).encode()))
        return endpoint.url_for(path)
    return None
