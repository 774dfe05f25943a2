"""The OpenAPI document, rendered the same way for the file and for the test that checks it."""

import json


def render() -> bytes:
    from app.main import api

    return (json.dumps(api.openapi(), indent=2, ensure_ascii=False) + "\n").encode()
