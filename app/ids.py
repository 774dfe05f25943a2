"""Opaque, prefixed, creation-ordered identifiers (`art_0196f0c3a1b2c4d5e6f7a8b9`)."""

import secrets
import time


def new_id(prefix: str) -> str:
    """A new id: the prefix names the kind, then 48 bits of milliseconds and 48 random bits."""
    return f"{prefix}_{time.time_ns() // 1_000_000:012x}{secrets.token_hex(6)}"
