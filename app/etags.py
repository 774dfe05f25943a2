"""ETags: the version of an object and a digest of its bytes; what `If-Match` may carry."""

import hashlib


def etag(version: int, body: bytes) -> str:
    """A strong ETag: the object's version, then a digest of these exact bytes.

    The digest changes whenever the representation does (a related story's new headline);
    `If-Match` compares the version, so only a save of the object itself makes an edit stale.
    """
    return f'"{version}-{hashlib.blake2b(body, digest_size=8).hexdigest()}"'


def version_of(tag: str) -> int | None:
    """The version an entity tag of ours names, or None for a tag we did not give."""
    tag = tag.strip().removeprefix("W/").strip('"')
    head = tag.split("-", 1)[0]
    return int(head) if head.isdigit() else None


# RFC 9110's entity-tag list, as `If-Match` (and `If-None-Match`) carry it.
ENTITY_TAGS = r'^(\*|(W/)?"[\x21\x23-\x7e]*"( *, *(W/)?"[\x21\x23-\x7e]*")*)$'
