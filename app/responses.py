"""Fast JSON bodies: orjson, times as ISO 8601 in UTC with `Z`."""

from typing import Any

import orjson
from starlette.responses import Response

_OPTIONS = orjson.OPT_UTC_Z | orjson.OPT_NAIVE_UTC


def dumps(content: Any) -> bytes:
    return orjson.dumps(content, option=_OPTIONS)


class JSONResponse(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return dumps(content)


class ProblemResponse(JSONResponse):
    media_type = "application/problem+json"
