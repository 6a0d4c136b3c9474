"""Write-only secrets of the partner config: what `/_sim` shows instead of a pass-key or a callback credential.

A secret is shown as its fingerprint, `sha256:` and the first 8 hex digits of its SHA-256 and `…`
(``sha256:1a2b3c4d…``), the same digits the journal's ``[redacted sha256:1a2b3c4d]`` uses, so a reader
can tell which secret is configured without being able to use it. A client that reads a partner and
sends it back unchanged sends the fingerprints back: `keep_unchanged` puts the stored values back in
their place, so a round trip never replaces a secret with its fingerprint.
"""

from __future__ import annotations

import hashlib
from typing import Any

from simulator.partners import Partner, PartnerEndpointConfig
from simulator.services.journal.redaction import is_secret_header

AUTH_SECRETS = ("password", "token", "value")
# The partner endpoints the simulator calls (callback, Get Reference Image): each has auth and headers.
ENDPOINTS = ("callback", "reference_image")


def fingerprint(value: str) -> str:
    """`sha256:<8 hex>…` of `value` (the empty string stays empty)."""
    if not value:
        return value
    return f"sha256:{hashlib.sha256(value.encode('utf-8', 'replace')).hexdigest()[:8]}…"


def _endpoint_json(endpoint: dict[str, Any]) -> dict[str, Any]:
    auth = endpoint.get("auth") or {}
    for name in AUTH_SECRETS:
        if auth.get(name):
            auth[name] = fingerprint(auth[name])
    headers = endpoint.get("headers") or {}
    for name, value in headers.items():
        if is_secret_header(name):
            headers[name] = fingerprint(value)
    return endpoint


def partner_view(partner: Partner) -> dict[str, Any]:
    """A partner as the config file spells it (snake_case), every secret replaced by its fingerprint."""
    body = partner.model_dump(mode="json")
    body["pass_key"] = fingerprint(partner.pass_key)
    for field in ENDPOINTS:
        if isinstance(body.get(field), dict):
            body[field] = _endpoint_json(body[field])
    return body


def _restore_endpoint(body: dict[str, Any], current: PartnerEndpointConfig) -> None:
    auth = body.get("auth")
    if isinstance(auth, dict):
        for name in AUTH_SECRETS:
            stored = getattr(current.auth, name)
            if stored and auth.get(name) == fingerprint(stored):
                auth[name] = stored
    headers = body.get("headers")
    if isinstance(headers, dict):
        for name, value in headers.items():
            stored = current.headers.get(name)
            if stored and value == fingerprint(stored):
                headers[name] = stored


def keep_unchanged(body: dict[str, Any], current: Partner | None) -> dict[str, Any]:
    """`body` (a partner entry) with each secret that is the fingerprint of `current`'s put back in clear."""
    if current is None:
        return body
    if body.get("pass_key") == fingerprint(current.pass_key):
        body["pass_key"] = current.pass_key
    for field in ENDPOINTS:
        endpoint = body.get(field)
        if isinstance(endpoint, dict):
            _restore_endpoint(endpoint, getattr(current, field))
    return body


def keep_unchanged_endpoint(body: dict[str, Any], current: PartnerEndpointConfig) -> dict[str, Any]:
    """`body` (fields of one partner endpoint config) with fingerprints of `current`'s secrets put back in clear."""
    _restore_endpoint(body, current)
    return body
