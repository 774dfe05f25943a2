"""Standard Webhooks signatures (https://www.standardwebhooks.com), with its reference
library: `webhook-signature: v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">`."""

import base64
import secrets
from datetime import datetime

from standardwebhooks import Webhook as Signer

SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    """A signing secret: 32 random bytes, base64, with the scheme's `whsec_` prefix."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def headers(secrets_: list[str], *, message_id: str, at: datetime, body: bytes) -> dict[str, str]:
    """The three headers of a signed message sent at `at`: one signature per secret, space
    separated, as the scheme allows while a secret is being rotated."""
    text = body.decode()
    signatures = " ".join(Signer(s).sign(message_id, at, text) for s in secrets_)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signatures,
    }
