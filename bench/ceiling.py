"""The ceiling: a bare ASGI app that answers every request with prepared bytes.

Served by the same uvicorn command and workers as Byline, it measures what the server,
the loop and the load generator cost by themselves on this machine.
"""

import os

_BODY = b'{"data": "' + b"x" * max(0, int(os.environ.get("CEILING_BYTES", "2048")) - 12) + b'"}'
_HEADERS = [
    (b"content-type", b"application/json"),
    (b"content-length", str(len(_BODY)).encode()),
]


async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": _HEADERS})
    await send({"type": "http.response.body", "body": _BODY})
