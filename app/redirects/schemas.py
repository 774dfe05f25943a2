"""What a redirect looks like on the wire."""

from pydantic import BaseModel, Field


class RedirectOut(BaseModel):
    path: str = Field(description="The story's path on the site it was imported from.")
    article_id: str
    slug: str = Field(description="The story's slug here.")
    location: str = Field(
        description="Where the old path now leads: the story's canonical URL (else `/<slug>/`)."
    )
    status: int = Field(301, description="The HTTP status a redirect should answer with.")
    source: str = Field(description="The system it came from: `ghost` or `wordpress`.")
