"""Build the simulator's OpenAPI 3.0 document: vendor endpoints (with their aliases), storage, `/_sim`.

Each vendor file is merged as published, with its component names prefixed (two files may both define
`ErrorResponse`) and every `$ref` rewritten to match. Alias paths get a copy of their operation. Any
`/_sim` route the hand-written part does not describe still appears, from its handler's docstring,
so the document cannot silently miss a control endpoint.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
ADMIN_PREFIX = "/_sim"
METHODS = ("get", "put", "post", "delete", "patch")
_PARAM = re.compile(r"\{[^}]*\}")


@dataclass(frozen=True, slots=True)
class VendorFile:
    file: str
    prefix: str
    tag: str
    operation_id: str
    aliases: tuple[str, ...] = ()


VENDOR_FILES = (
    VendorFile("getpartnertoken.json", "EsignToken", "Token Gateway", "getPartnerToken"),
    VendorFile("get_v1-coe-partner-authentication.json", "CoeToken", "Token Gateway", "getCoePartnerToken"),
    VendorFile("get_v2-coe-authentication.json", "UserToken", "Token Gateway", "getUserToken"),
    VendorFile("post_coe-partner-v1-initiate-flow.json", "InitiateFlow", "IAB Gateway", "initiateFlow"),
    VendorFile(
        "get_coe-partner-v1-submissions-url.json",
        "Presign",
        "IAB Gateway",
        "getPresignedUrls",
        ("/coe-partner/v1/submissions/urls", "/coe-partner/v1/submissions/url"),
    ),
    VendorFile(
        "put_coe-partner-v1-submissions-url.json",
        "Confirm",
        "IAB Gateway",
        "confirmUploadForSubmission",
        ("/coe-partner/v1/submissions/urls", "/coe-partner/v1/submissions/url"),
    ),
    VendorFile(
        "getsubmissionstatus.json",
        "Status",
        "IAB Gateway",
        "getSubmissionStatus",
        ("/coe-partner/v1/submissions/{submissionId}/status",),
    ),
    VendorFile(
        "get_coe-v1-submissions.json",
        "Details",
        "IAB Gateway",
        "getSubmissionDetails",
        ("/coe-partner/v1/submissions",),
    ),
)


def _rename_refs(node: Any, prefix: str) -> Any:
    if isinstance(node, dict):
        renamed = {key: _rename_refs(value, prefix) for key, value in node.items()}
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/"):
            kind, _, name = ref.removeprefix("#/components/").partition("/")
            renamed["$ref"] = f"#/components/{kind}/{prefix}{name}"
        return renamed
    if isinstance(node, list):
        return [_rename_refs(item, prefix) for item in node]
    return node


def _merge_vendor(document: dict[str, Any], vendor: VendorFile) -> None:
    source = _rename_refs(json.loads((HERE / "vendor" / vendor.file).read_text(encoding="utf-8")), vendor.prefix)
    for kind, items in source.get("components", {}).items():
        target = document["components"].setdefault(kind, {})
        for name, item in items.items():
            target[f"{vendor.prefix}{name}"] = item
    for path, item in source["paths"].items():
        item = {key: value for key, value in item.items() if key != "servers"}
        for method in METHODS:
            if method in item:
                item[method].setdefault("operationId", vendor.operation_id)
                item[method]["tags"] = [vendor.tag]
                item[method]["x-vendor-reference"] = vendor.file.removesuffix(".json")
        for number, alias in enumerate((path, *vendor.aliases)):
            copied = copy.deepcopy(item) if number else item
            if number:
                for method in METHODS:
                    if method in copied:
                        copied[method]["operationId"] += f"Alias{number}"
                        copied[method]["x-alias-of"] = path
            document["paths"].setdefault(alias, {}).update(copied)


def _shape(path: str) -> str:
    return _PARAM.sub("{}", path)


def _undocumented(document: dict[str, Any], routes: Iterable[Any]) -> None:
    """A minimal operation for every /_sim route the hand-written part leaves out."""
    documented = {(_shape(path), method) for path, item in document["paths"].items() for method in item}
    for route in routes:
        path = getattr(route, "path", "").replace(":path}", "}")
        methods = {m.lower() for m in getattr(route, "methods", None) or ()} & set(METHODS)
        methods = {m for m in methods if (_shape(path), m) not in documented}
        if not path.startswith(ADMIN_PREFIX) or not methods:
            continue
        item = document["paths"].setdefault(path, {})
        for method in sorted(methods):
            doc = (getattr(route, "endpoint", None).__doc__ or "").strip()
            slug = re.sub(r"[^A-Za-z0-9]", "_", path).lstrip("_")
            item[method] = {
                "tags": ["Control"],
                "operationId": f"{method}_{slug}",
                "summary": doc.splitlines()[0] if doc else f"{method.upper()} {path}",
                "responses": {"default": {"description": "JSON, or the /_sim error envelope"}},
            }
        parameters = [
            {"name": part[1:-1], "in": "path", "required": True, "schema": {"type": "string"}}
            for part in path.split("/")
            if part.startswith("{") and part.endswith("}")
        ]
        if parameters and "parameters" not in item:
            item["parameters"] = parameters


@functools.cache
def _control() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((HERE / "control.yaml").read_text(encoding="utf-8"))
    return loaded


def build_document(base_url: str, routes: Iterable[Any] = (), version: str = "0") -> dict[str, Any]:
    """The whole document, served from `base_url`."""
    control = copy.deepcopy(_control())
    document: dict[str, Any] = {
        "openapi": "3.0.3",
        "info": {
            "title": "OneKYC Selfie Liveness simulator",
            "version": version,
            "description": "The vendor endpoints the simulator serves (as the vendor publishes them, plus "
            "their alias paths), the presigned storage, and the simulator's /_sim control API.",
        },
        "servers": [{"url": base_url}],
        "tags": [
            {"name": "Token Gateway"},
            {"name": "IAB Gateway"},
            {"name": "Storage"},
            {"name": "Hosted Web SDK"},
            {"name": "Journal"},
            {"name": "Inspection"},
            {"name": "Control"},
        ],
        "paths": {},
        "components": control["components"],
    }
    for vendor in VENDOR_FILES:
        _merge_vendor(document, vendor)
    document["paths"].update(control["paths"])
    _undocumented(document, routes)
    for path, item in document["paths"].items():
        if path.startswith(ADMIN_PREFIX):
            for method in METHODS:
                if method in item:
                    item[method].setdefault(
                        "security", [{"adminToken": []}, {"partnerClientId": [], "partnerPassKey": []}, {}]
                    )
    return document
