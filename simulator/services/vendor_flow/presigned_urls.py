"""Object storage: presigned URLs signed as S3 signs them (SigV4 query).

A URL binds what it says it binds, as S3's canonical request does: the HTTP method, the path, every
query parameter and the `host` header (`X-Amz-SignedHeaders=host`). The signed host is the host of
the public base URL the URL was issued under (`--public-base-url`, default `http://HOST:PORT`).
Checks run in S3's order and before any body byte is read: ambiguous or missing parameters (400),
then the signature (403), then the expiry (403). The image check every stored or fetched image
passes is `simulator.services.vendor_flow.images`.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote, urlencode, urlsplit

from simulator.errors import StorageError

STORAGE_PREFIX = "/storage"
ALGORITHM = "AWS4-HMAC-SHA256"
ACCESS_KEY_ID = "ONEKYCSIMULATOR"
REGION = "ap-southeast-5"  # the vendor's example bucket is on oss-ap-southeast-5 (vendor-notes, storage host)
MAX_EXPIRES = 604_800  # S3's limit on X-Amz-Expires (7 days)
_DATE_FORMAT = "%Y%m%dT%H%M%SZ"
_AUTH_PARAMS = (
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Date",
    "X-Amz-Expires",
    "X-Amz-SignedHeaders",
    "X-Amz-Signature",
)
_DEFAULT_PORTS = {"http": "80", "https": "443"}


@dataclass(frozen=True, slots=True)
class ObjectKey:
    flow: str
    reference: str

    @property
    def path(self) -> str:
        return f"{STORAGE_PREFIX}/{self.flow}/{self.reference}"


def normalise_host(host: str, scheme: str = "http") -> str:
    """`host` lower-cased and without the scheme's default port (`sim.test:80` -> `sim.test`)."""
    host = host.strip().lower()
    default = _DEFAULT_PORTS.get(scheme)
    if default is not None and host.endswith(f":{default}") and not host.endswith("]"):
        host = host[: -len(default) - 1]
    return host


def _error(status: int, code: str, message: str, details: dict[str, str] | None = None) -> StorageError:
    return StorageError(status, code, message, details)


def _params_error(message: str) -> StorageError:
    return _error(400, "AuthorizationQueryParametersError", message)


class UrlSigner:
    """Signs and checks presigned URLs for the public base URL `base_url` with the HMAC key `secret`."""

    def __init__(self, secret: str, base_url: str) -> None:
        parts = urlsplit(base_url)
        self._secret = secret.encode()
        self._scheme = parts.scheme or "http"
        self._base_url = base_url.rstrip("/")
        self.host = normalise_host(parts.netloc, self._scheme)

    def sign(self, method: str, key: ObjectKey, now: float, expires_in: int) -> str:
        """A URL for `method` on `key`, valid `expires_in` seconds from `now` (simulator clock, epoch s)."""
        date = datetime.fromtimestamp(int(now), UTC).strftime(_DATE_FORMAT)
        params = [
            ("X-Amz-Algorithm", ALGORITHM),
            ("X-Amz-Credential", f"{ACCESS_KEY_ID}/{date[:8]}/{REGION}/s3/aws4_request"),
            ("X-Amz-Date", date),
            ("X-Amz-Expires", str(expires_in)),
            ("X-Amz-SignedHeaders", "host"),
        ]
        signature = self._signature(method, key.path, params, self.host, date)
        return f"{self._base_url}{key.path}?{urlencode([*params, ('X-Amz-Signature', signature)])}"

    def check(self, method: str, path: str, query: Sequence[tuple[str, str]], host: str | None, now: float) -> None:
        """Accept a request on a presigned URL, or raise its S3 error (`StorageError`).

        `query` is every decoded query pair in order; `host` the request's Host header. Raises 403
        AccessDenied (no signature at all, or expired), 400 InvalidArgument (a parameter given twice),
        400 AuthorizationQueryParametersError (missing or malformed X-Amz-* parameters) and 403
        SignatureDoesNotMatch (another method, path, host or query than the one signed).
        """
        values: dict[str, str] = {}
        for name, value in query:
            if name in values:
                raise _error(400, "InvalidArgument", f"Query parameter {name} is given more than once")
            values[name] = value
        if not any(name in values for name in _AUTH_PARAMS):
            raise _error(403, "AccessDenied", "Access Denied")
        missing = [name for name in _AUTH_PARAMS if not values.get(name)]
        if missing:
            raise _params_error(f"Query-string authentication requires the {', '.join(missing)} parameters")
        if values["X-Amz-Algorithm"] != ALGORITHM:
            raise _params_error(f"X-Amz-Algorithm only supports {ALGORITHM}")
        date, expires = values["X-Amz-Date"], values["X-Amz-Expires"]
        try:
            signed_at = datetime.strptime(date, _DATE_FORMAT).replace(tzinfo=UTC).timestamp()
        except ValueError:
            raise _params_error("X-Amz-Date must be in the ISO8601 Long Format yyyyMMdd'T'HHmmss'Z'") from None
        if not expires.isdigit() or not 1 <= int(expires) <= MAX_EXPIRES:
            raise _params_error(f"X-Amz-Expires must be a number of seconds from 1 to {MAX_EXPIRES}")
        if values["X-Amz-SignedHeaders"] != "host":
            raise _params_error("X-Amz-SignedHeaders must be host")
        signed = [(name, value) for name, value in query if name != "X-Amz-Signature"]
        expected = self._signature(method, path, signed, normalise_host(host or "", self._scheme), date)
        if not hmac.compare_digest(expected, values["X-Amz-Signature"]):
            raise _error(
                403,
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided. "
                "Check your key and signing method.",
            )
        if now >= signed_at + int(expires):
            server_time = datetime.fromtimestamp(int(now), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            expired_at = datetime.fromtimestamp(int(signed_at) + int(expires), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            raise _error(
                403,
                "AccessDenied",
                "Request has expired",
                {"X-Amz-Expires": expires, "Expires": expired_at, "ServerTime": server_time},
            )

    def _signature(self, method: str, path: str, params: Sequence[tuple[str, str]], host: str, date: str) -> str:
        """SigV4's shape: canonical request (method, path, sorted query, host) -> string to sign -> HMAC."""
        query = "&".join(f"{quote(name, safe='-_.~')}={quote(value, safe='-_.~')}" for name, value in sorted(params))
        canonical = "\n".join((method, quote(path, safe="/-_.~"), query, f"host:{host}\n", "host", "UNSIGNED-PAYLOAD"))
        scope = f"{date[:8]}/{REGION}/s3/aws4_request"
        to_sign = "\n".join((ALGORITHM, date, scope, hashlib.sha256(canonical.encode()).hexdigest()))
        return hmac.new(self._secret, to_sign.encode(), hashlib.sha256).hexdigest()
