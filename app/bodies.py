"""Request bodies at the edge: content types (415), size limits (413) before a body is read
whole, and the body read once so that the idempotency check and the route can both see it.
Refusals are the typed errors of `app.errors`, rendered where every problem is."""

from starlette.types import Message, Receive, Scope

from app.config import get_settings
from app.errors import BadRequest, PayloadTooLarge, UnsupportedMediaType

BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
JSON_TYPES = ("application/json", "application/merge-patch+json")


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return value.decode("latin-1")
    return None


def _media_type(scope: Scope) -> str:
    return (_header(scope, b"content-type") or "").split(";")[0].strip().lower()


def limit_for(scope: Scope, *, upload: bool) -> int:
    """The largest body this request may send, in bytes (`upload`: its route takes files)."""
    settings = get_settings()
    if upload and _media_type(scope) == "multipart/form-data":
        return settings.max_upload_mb * 1024 * 1024
    return settings.max_body_kb * 1024


def check_headers(scope: Scope, *, upload: bool) -> None:
    """Refuse by headers alone: a declared length over the limit (413), a body that is
    neither JSON nor (where the route takes files) multipart (415)."""
    length = _header(scope, b"content-length")
    chunked = "chunked" in (_header(scope, b"transfer-encoding") or "").lower()
    has_body = chunked or (length is not None and length.strip() not in ("", "0"))
    if not has_body:
        return
    if length is not None:
        try:
            declared = int(length)
        except ValueError:
            raise BadRequest("Invalid Content-Length.") from None
        limit = limit_for(scope, upload=upload)
        if declared > limit:
            raise _too_large(limit)
    media_type = _media_type(scope)
    if media_type in JSON_TYPES or media_type.endswith("+json"):
        return
    if upload and media_type == "multipart/form-data":
        return
    accepted = "application/json" + (" or multipart/form-data" if upload else "")
    raise UnsupportedMediaType(
        f"Content-Type {media_type or '(none)'} is not accepted here; send {accepted}."
    )


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"The request body is larger than {limit} bytes, the most this endpoint takes."
    )


async def read_body(scope: Scope, receive: Receive, *, upload: bool) -> bytes:
    """The whole body, refused with 413 as soon as it passes the limit (not after)."""
    limit = limit_for(scope, upload=upload)
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def replay(body: bytes, receive: Receive) -> Receive:
    """A `receive` that gives `body` once, then waits on the real one (for disconnects)."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed
