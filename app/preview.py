"""Preview links: a signed, expiring token that shows one article, draft or not."""

import os
import secrets
import time
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

from itsdangerous import BadSignature, URLSafeSerializer

from app.auth import Unauthorized
from app.config import get_settings

MAX_SECONDS = 7 * 24 * 3600


@lru_cache
def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(signing_key(), salt="byline.preview")


def signing_key() -> str:
    """SECRET_KEY, or a random key kept in DATA_DIR (enough for one host's workers)."""
    settings = get_settings()
    if settings.secret_key:
        return settings.secret_key
    path = Path(settings.data_dir) / "secret.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def make_token(article_id: str, *, seconds: int) -> tuple[str, datetime]:
    """A token for `article_id`, valid for `seconds`."""
    expires = int(time.time()) + seconds
    return _serializer().dumps({"a": article_id, "e": expires}), datetime.fromtimestamp(
        expires, UTC
    )


def read_token(token: str) -> str:
    """The article id a valid, unexpired token names; Unauthorized otherwise."""
    try:
        payload = _serializer().loads(token)
    except BadSignature:
        raise Unauthorized("The preview link is not valid.") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("a"), str):
        raise Unauthorized("The preview link is not valid.")
    if not isinstance(payload.get("e"), int) or payload["e"] <= time.time():
        raise Unauthorized("The preview link has expired.")
    return payload["a"]
