"""The one test of a URL a browser will be sent to: absolute `http(s)` only.

Used for the Web SDK redirection URLs (Initiate Flow refuses others; the hosted page re-checks what it
is given). Browsers read `//evil.example`, `/\\evil.example` and `\\\\evil.example` as another host, and run
`javascript:` and `data:` URLs, so anything but `http://host…` / `https://host…` is refused.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

_UNSAFE_CHARS = re.compile(r"[\\\x00-\x20\x7f]")


def is_absolute_http_url(value: str) -> bool:
    """Whether `value` is `http(s)://host[:port][/path][?query][#fragment]` with no backslash or blank."""
    if _UNSAFE_CHARS.search(value) or not value.lower().startswith(("http://", "https://")):
        return False
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 -- raises ValueError on a malformed port
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)
