"""What an API key may do. Apart from the tables, so the command line lists the scopes
without loading the schema."""

from enum import StrEnum


class Scope(StrEnum):
    content_read = "content:read"
    content_preview = "content:preview"
    content_write = "content:write"
    partner = "partner"
    admin = "admin"
