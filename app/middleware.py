"""Headers every answer carries: the request id, and those that make it safe in a browser."""

import random
import re

from starlette.types import Scope

_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")

SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
]
# JSON needs nothing; the docs pages run their own scripts and styles, from this host only.
_API_CSP = (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'")
_DOCS_CSP = (
    b"content-security-policy",
    b"default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    b"img-src 'self' data:; worker-src 'self' blob:; frame-ancestors 'none'",
)
_DOCS_PATHS = ("/docs", "/redoc", "/docs-assets/")
_HSTS = (b"strict-transport-security", b"max-age=63072000")


def request_id_of(scope: Scope) -> str:
    """The caller's `X-Request-ID` when it is 1-64 safe characters, else a new one."""
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            candidate = value.decode("latin-1")
            if _SAFE_ID.match(candidate):
                return candidate
            break
    # Unique enough to find a request in logs; not a secret, so no system entropy call.
    return f"{random.getrandbits(96):024x}"


def common_headers(scope: Scope, request_id: str) -> list[tuple[bytes, bytes]]:
    """The request id and the security headers, for any answer to `scope`."""
    csp = _DOCS_CSP if scope["path"].startswith(_DOCS_PATHS) else _API_CSP
    headers = [(b"x-request-id", request_id.encode()), *SECURITY_HEADERS, csp]
    if scope.get("scheme") == "https":
        headers.append(_HSTS)
    return headers
