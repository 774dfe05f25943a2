"""The public shape of a most-read list item: an article summary with its views."""

from pydantic import Field

from app.articles.schemas import FIELDS, ArticleSummary


class PopularArticle(ArticleSummary):
    views: int = Field(description="Views counted in the window.")


POPULAR_FIELDS = (*FIELDS, "views")
