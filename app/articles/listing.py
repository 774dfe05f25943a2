"""The query of every list of articles (filters, order, search, embeds) and the answer it
gets: shared by `GET /v1/articles` and the lists under other objects (an author's)."""

from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import Depends, Query, Request
from pydantic import Field

from app import surrogate
from app.articles import service
from app.articles.rendering import article_out
from app.articles.schemas import FIELDS, INCLUDE_PATTERN, INCLUDES
from app.articles.service import ArticleFilters
from app.db import SessionDep
from app.errors import InvalidParameter
from app.models import ArticleType
from app.pagination import PageParams, list_response
from app.representation import Fields, parse_include
from app.responses import JSONResponse
from app.search.query import SearchSyntaxError, parse
from app.timeparams import QueryTime, as_utc
from app.visibility import Viewer

MAX_TAG_GROUPS = 10


@dataclass(frozen=True)
class ArticleQuery:
    filters: ArticleFilters
    order: str
    include: frozenset[str]


def article_query(
    section: Annotated[str | None, Query(max_length=100, description="Section id or slug.")] = None,
    tag: Annotated[
        # Each `tag=` names at least one tag.
        list[Annotated[str, Field(pattern=r"^.*[^,\s].*$")]] | None,
        Query(
            max_length=500,
            description="Tag ids or slugs: `tag=a,b` matches any of them; "
            "repeated `tag=` parameters must all match.",
        ),
    ] = None,
    type: Annotated[ArticleType | None, Query(description="Article type.")] = None,
    language: Annotated[
        str | None, Query(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$", description="BCP 47 tag.")
    ] = None,
    published_after: Annotated[
        QueryTime | None, Query(description="Published strictly after this time.")
    ] = None,
    published_before: Annotated[
        QueryTime | None, Query(description="Published strictly before this time.")
    ] = None,
    updated_since: Annotated[
        QueryTime | None, Query(description="Updated at or after this time.")
    ] = None,
    q: Annotated[
        str | None,
        Query(
            max_length=2000,
            description='Full-text search: words (all must match), `"a phrase"`, '
            "`AND`, `OR`, `NOT` or `-word`, parentheses, `prefix*`. "
            "Each item then carries `search.snippet`.",
        ),
    ] = None,
    order: Annotated[
        Literal["newest", "oldest", "updated", "relevance"] | None,
        Query(
            description="`newest` (the default without `q`), `oldest`, `updated`, or "
            "`relevance` (the default with `q`, and only with it)."
        ),
    ] = None,
    include: Annotated[
        str | None,
        Query(
            max_length=200,
            pattern=INCLUDE_PATTERN,
            description="Embed: `authors,tags,lead_photo,related,body`.",
        ),
    ] = None,
) -> "ArticleQuery":
    search = None
    if q is not None:
        try:
            search = parse(q)
        except SearchSyntaxError as exc:
            raise InvalidParameter("q", str(exc)) from None
    if order is None:
        # As the Guardian's Content API does: a search is ranked unless told otherwise.
        order = "relevance" if search is not None else "newest"
    if order == "relevance" and search is None:
        raise InvalidParameter("order", "relevance ordering needs a full-text query `q`")
    groups = tuple(
        tuple(part.strip() for part in value.split(",") if part.strip()) for value in tag or []
    )
    if any(not g for g in groups):
        raise InvalidParameter("tag", "empty tag")
    if len(groups) > MAX_TAG_GROUPS:
        raise InvalidParameter("tag", f"at most {MAX_TAG_GROUPS} tag parameters")
    filters = ArticleFilters(
        section=section,
        tag_groups=groups,
        type=type,
        language=language,
        published_after=as_utc(published_after),
        published_before=as_utc(published_before),
        updated_since=as_utc(updated_since),
        q=search,
    )
    return ArticleQuery(filters=filters, order=order, include=parse_include(include, INCLUDES))


ArticleQueryDep = Annotated[ArticleQuery, Depends(article_query)]


def article_list_response(
    request: Request,
    session: SessionDep,
    query: ArticleQuery,
    page: PageParams,
    fields: Fields,
    viewer: Viewer,
) -> JSONResponse:
    """A page of articles as the list envelope; shared by every list of articles."""
    fields.check(FIELDS)
    # Asking for an embeddable field by name embeds it.
    include = query.include | (fields.names & set(INCLUDES))
    result = service.list_articles(
        session, filters=query.filters, order=query.order, page=page, viewer=viewer
    )
    embeds = service.load_embeds(session, result.items, include=include, viewer=viewer)
    full = [article_out(a, embeds, include=include, now=viewer.now) for a in result.items]
    filters = query.filters
    keys = surrogate.article_list_keys(
        section=filters.section,
        tags=[ref for group in filters.tag_groups for ref in group],
        author=filters.author,
        type=filters.type,
    )
    data = [fields.apply(a) for a in full]
    if query.filters.q is not None:
        # Whatever `fields` says: a search result without its excerpt says little.
        found = service.search_snippets(session, query=query.filters.q, articles=result.items)
        for item in data:
            item["search"] = {"snippet": found.get(item["id"], "")}
    return list_response(request, result, data, page.limit, keys=keys)
