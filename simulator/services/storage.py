"""Object storage: presigned URLs in the S3 style the vendor's storage uses (SigV4-like query).

The image check every stored or fetched image passes is `simulator.services.images`."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlencode

from simulator.errors import Forbidden

STORAGE_PREFIX = "/storage"
_DATE_FORMAT = "%Y%m%dT%H%M%SZ"


@dataclass(frozen=True, slots=True)
class ObjectKey:
    flow: str
    reference: str

    @property
    def path(self) -> str:
        return f"{STORAGE_PREFIX}/{self.flow}/{self.reference}"


class UrlSigner:
    def __init__(self, secret: str, base_url: str) -> None:
        self._secret = secret.encode()
        self._base_url = base_url

    def sign(self, method: str, key: ObjectKey, now: float, expires_in: int) -> str:
        date = datetime.fromtimestamp(int(now), UTC).strftime(_DATE_FORMAT)
        query = {
            "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
            "X-Amz-Date": date,
            "X-Amz-Expires": str(expires_in),
            "X-Amz-SignedHeaders": "host",
            "X-Amz-Signature": self._signature(method, key.path, date, str(expires_in)),
        }
        return f"{self._base_url}{key.path}?{urlencode(query)}"

    def check(self, method: str, path: str, query: dict[str, str], now: float) -> None:
        """Raise the storage's 403 unless the query is a valid, unexpired signature of `method path`."""
        try:
            date, expires = query["X-Amz-Date"], query["X-Amz-Expires"]
            signature = query["X-Amz-Signature"]
            signed_at = datetime.strptime(date, _DATE_FORMAT).replace(tzinfo=UTC).timestamp()
            lifetime = int(expires)
        except (KeyError, ValueError) as exc:
            raise Forbidden("403", "SIGNATURE_DOES_NOT_MATCH") from exc
        expected = self._signature(method, path, date, expires)
        if not hmac.compare_digest(expected, signature):
            raise Forbidden("403", "SIGNATURE_DOES_NOT_MATCH")
        if now >= signed_at + lifetime:
            raise Forbidden("403", "REQUEST_EXPIRED")

    def _signature(self, method: str, path: str, date: str, expires: str) -> str:
        message = f"{method}\n{path}\n{date}\n{expires}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()
