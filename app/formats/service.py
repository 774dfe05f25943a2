"""The reads behind the formats: the publication, a feed's scope and articles, the sitemap's
window. Every read goes through the article service and so through the one visibility rule."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from sqlmodel import Session

from app import surrogate
from app.articles.service import ArticleFilters, Embeds, list_articles, load_embeds
from app.authors.service import get_author
from app.errors import NotFound
from app.models import Article, Site
from app.pagination import PageParams
from app.sections.service import get_section
from app.tags.service import get_tag
from app.visibility import Viewer

# What a feed item shows: the byline, tags, the lead photo and the full body.
FEED_INCLUDE = ("authors", "tags", "lead_photo", "body")
FEED_KINDS = ("section", "tag", "author")
SITEMAP_WINDOW = timedelta(hours=48)
SITEMAP_MAX = 1000


@dataclass(frozen=True)
class Logo:
    """The publication's logo: its address, and its size in pixels when known."""

    url: str
    width: int | None = None
    height: int | None = None


@dataclass(frozen=True)
class Publication:
    """The site as the publisher named by every format."""

    name: str
    url: str
    language: str
    description: str | None = None
    updated_at: datetime | None = None
    logo: Logo | None = None

    @classmethod
    def of(cls, site: Site | None, *, fallback_url: str) -> "Publication":
        """The site's row, or before the site is set up a stand-in named after the API's
        own address, so that formats answer on a fresh install too."""
        if site is None:
            name = urlsplit(fallback_url).netloc or "Byline"
            return cls(name=name, url=fallback_url, language="en")
        return cls(
            name=site.name,
            url=site.url,
            language=site.language,
            description=site.description,
            updated_at=site.updated_at,
            logo=Logo(site.logo_url, site.logo_width, site.logo_height) if site.logo_url else None,
        )


def get_publication(session: Session, *, fallback_url: str) -> Publication:
    """The publication, read from the site row (see `Publication.of`)."""
    return Publication.of(session.get(Site, 1), fallback_url=fallback_url)


@dataclass(frozen=True)
class FeedScope:
    """What a feed covers: the whole site, or one section, tag or author."""

    kind: str  # "site", "section", "tag" or "author"
    slug: str | None
    name: str | None
    description: str | None
    filters: ArticleFilters
    # What the feed was drawn from (its collection) and what its title shows.
    surrogate_keys: frozenset[str]


def _keys(drawn_from: set[str], shown: str) -> frozenset[str]:
    return frozenset({*drawn_from, shown, surrogate.SITE})


def resolve_scope(session: Session, *, kind: str, ref: str | None) -> FeedScope:
    """The scope of `/v1/feeds/{kind}/{ref}`; NotFound for an unknown kind or ref."""
    if kind == "site":
        keys = surrogate.article_list_keys() | {surrogate.SITE}
        return FeedScope("site", None, None, None, ArticleFilters(), frozenset(keys))
    if kind == "section":
        section = get_section(session, ref=ref or "")
        return FeedScope(
            kind,
            section.slug,
            section.name,
            section.description,
            ArticleFilters(section=section.id),
            _keys(surrogate.article_list_keys(section=section.id), f"section:{section.slug}"),
        )
    if kind == "tag":
        tag = get_tag(session, ref=ref or "")
        return FeedScope(
            kind,
            tag.slug,
            tag.name,
            tag.description,
            ArticleFilters(tag_groups=((tag.id,),)),
            _keys(surrogate.article_list_keys(tags=[tag.id]), f"tag:{tag.slug}"),
        )
    if kind == "author":
        author = get_author(session, ref=ref or "")
        return FeedScope(
            kind,
            author.slug,
            author.name,
            None,
            ArticleFilters(author=author.id),
            _keys(surrogate.article_list_keys(author=author.id), f"author:{author.id}"),
        )
    raise NotFound(f"No feed scope {kind!r}: choose site, {', '.join(FEED_KINDS)}.")


def feed_articles(
    session: Session, *, scope: FeedScope, viewer: Viewer, limit: int
) -> tuple[list[Article], Embeds]:
    """The newest `limit` articles of `scope` that `viewer` may see, with what an item shows,
    in a fixed number of queries."""
    page = list_articles(
        session,
        filters=scope.filters,
        order="newest",
        page=PageParams(limit=limit, cursor=None, count=None),
        viewer=viewer,
    )
    embeds = load_embeds(session, page.items, include=FEED_INCLUDE, viewer=viewer)
    return page.items, embeds


def recent_articles(session: Session, *, viewer: Viewer) -> list[Article]:
    """Articles `viewer` may see that were published in the last 48 hours, newest first,
    at most 1,000 (the limits of a Google News sitemap)."""
    since: datetime = viewer.now - SITEMAP_WINDOW
    page = list_articles(
        session,
        filters=ArticleFilters(published_after=since),
        order="newest",
        page=PageParams(limit=SITEMAP_MAX, cursor=None, count=None),
        viewer=viewer,
    )
    return page.items
