"""`make bench`: the production server under load, measured against a bare ASGI ceiling."""
