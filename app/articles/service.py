"""Article queries: lists with filters and keyset order, one article, and batch-loaded embeds."""

from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import aliased, load_only
from sqlmodel import Session

from app.lookup import by_ref, get_by_ref
from app.models import (
    Article,
    ArticleAuthor,
    ArticleTag,
    Author,
    Correction,
    Photo,
    RelatedLink,
    Section,
    Site,
    Tag,
)
from app.pagination import (
    Ordering,
    Page,
    PageParams,
    SortKey,
    count_rows,
    cursor_order,
    decode_cursor,
    fetch_page,
    paginate,
    planner_rows,
)
from app.search import index as search_index
from app.search.query import SearchQuery
from app.visibility import Viewer, published_by, visible_articles, visible_photos

ORDERINGS = {
    "newest": Ordering("newest", (SortKey(Article.published_at), SortKey(Article.id))),
    "oldest": Ordering(
        "oldest", (SortKey(Article.published_at, False), SortKey(Article.id, False))
    ),
    "updated": Ordering("updated", (SortKey(Article.updated_at), SortKey(Article.id))),
}


@dataclass(frozen=True)
class ArticleFilters:
    section: str | None = None
    # Each group is one `tag=` parameter: any tag of a group matches, every group must match.
    tag_groups: tuple[tuple[str, ...], ...] = ()
    author: str | None = None
    type: str | None = None
    language: str | None = None
    published_after: datetime | None = None
    published_before: datetime | None = None
    updated_since: datetime | None = None
    # Full-text search, parsed; lists only articles that match it.
    q: SearchQuery | None = None


def _link_walk(filters: ArticleFilters, order: str) -> tuple[Any, Any] | None:
    """For a list of one author's or one tag's stories in publication order: the link
    table to walk and the condition naming its author or tag, else None.

    The link rows carry their article's `published_at` (kept by the database), so the
    list reads the link's index in order, (author_id | tag_id, published_at, article_id),
    and a deep page costs what the first one does; joining the link to the article and
    sorting by the article's time makes the planner walk every article instead.
    """
    if order not in ("newest", "oldest") or filters.q is not None:
        return None
    if filters.author:
        return ArticleAuthor, ArticleAuthor.author_id == _one_id(Author, filters.author)
    if filters.tag_groups and len(filters.tag_groups[0]) == 1:
        return ArticleTag, ArticleTag.tag_id == _one_id(Tag, filters.tag_groups[0][0])
    return None


def _one_id(model: Any, ref: str) -> Any:
    # One value, so that the index is read for it in order (an IN would be a join). Should
    # one row's slug be another's id, the id wins, as it does for a ref in the path.
    return (
        select(model.id)
        .where(by_ref(model, ref))
        .order_by((model.id == ref).desc())
        .limit(1)
        .scalar_subquery()
    )


def _link_ordering(link: Any, order: str) -> Ordering:
    # The same name and values as the article's ordering: a cursor continues either.
    descending = order == "newest"
    return Ordering(
        order,
        (
            SortKey(link.published_at, descending),
            SortKey(link.article_id, descending, attribute="id"),
        ),
    )


def _filtered(filters: ArticleFilters, viewer: Viewer, order: str) -> tuple[Any, Ordering]:
    """The statement of a list (the articles `viewer` may see that match `filters`) and
    the keyset ordering to page it by; for `order="relevance"` the ordering is the
    updated one, which the caller replaces."""
    stmt = select(Article).where(visible_articles(viewer))
    ordering = ORDERINGS.get(order, ORDERINGS["updated"])
    tag_groups = filters.tag_groups
    # The column a publication time filter reads: the walked link's copy when there is one.
    published_at: Any = Article.published_at
    walk = _link_walk(filters, order)
    if walk is not None:
        link, condition = walk
        stmt = stmt.join_from(link, Article, Article.id == link.article_id).where(
            condition, published_by(viewer, link.published_at)
        )
        ordering = _link_ordering(link, order)
        published_at = link.published_at
        if link is ArticleTag:
            tag_groups = tag_groups[1:]
    if order not in ("updated", "relevance"):
        # Drafts have no publication time; a preview reader finds them with order=updated.
        stmt = stmt.where(published_at.is_not(None))
    if filters.section:
        # One value, so that the (section_id, published_at, id) index is read in order.
        stmt = stmt.where(Article.section_id == _one_id(Section, filters.section))
    for group in tag_groups:
        stmt = stmt.where(
            Article.id.in_(
                select(ArticleTag.article_id)
                .join(Tag, Tag.id == ArticleTag.tag_id)
                .where(or_(Tag.slug.in_(group), Tag.id.in_(group)))
            )
        )
    if filters.author and (walk is None or walk[0] is not ArticleAuthor):
        stmt = stmt.where(
            Article.id.in_(
                select(ArticleAuthor.article_id)
                .join(Author, Author.id == ArticleAuthor.author_id)
                .where(by_ref(Author, filters.author))
            )
        )
    if filters.type:
        stmt = stmt.where(Article.type == filters.type)
    if filters.language:
        stmt = stmt.where(Article.language == filters.language)
    if filters.published_after:
        stmt = stmt.where(published_at > filters.published_after)
    if filters.published_before:
        stmt = stmt.where(published_at < filters.published_before)
    if filters.updated_since:
        stmt = stmt.where(Article.updated_at >= filters.updated_since)
    return stmt, ordering


def list_articles(
    session: Session, *, filters: ArticleFilters, order: str, page: PageParams, viewer: Viewer
) -> Page:
    """One page of the articles `viewer` may see, filtered and in keyset order; with a
    search query, only those matching it, and `order="relevance"` ranks them."""
    stmt, ordering = _filtered(filters, viewer, order)
    if filters.q is None:
        return paginate(session, stmt, ordering, page)
    # A search may match most of the table: rank and sort the matches by their keys alone,
    # then load the page's whole rows (sorting whole rows, bodies and all, costs twice as
    # much on SQLite).
    stmt = search_index.matching(session, stmt, filters.q).options(_KEYS_ONLY)
    if order == "relevance":
        result = _by_relevance(session, stmt, filters.q, page)
    else:
        result = paginate(session, stmt, ordering, page)
    _load_rest(session, result.items)
    return result


_KEYS_ONLY = load_only(Article.id, Article.published_at, Article.updated_at)


def _load_rest(session: Session, articles: Sequence[Article]) -> None:
    # One query fills in every column the keyset query left unloaded.
    if articles:
        session.execute(select(Article).where(Article.id.in_([a.id for a in articles]))).all()


# `order=relevance` ranks the RANK_WINDOW most recently updated matches, and lists every
# older match after them, most recently updated first. Ranking every match of a word that
# most stories hold reads and scores each of them for every page (1.4 s for one word in
# 250,000 stories); the window bounds that work at any size of archive.
RANK_WINDOW = 1000

# The boundary of a window that holds every match: before any update time.
_EVERYTHING = [datetime(1970, 1, 1, tzinfo=UTC), ""]


def _by_relevance(session: Session, stmt: Any, query: SearchQuery, page: PageParams) -> Page:
    # Two cursor forms, each naming the query's fingerprint, so that a cursor only
    # continues the search that made it. In the window, `relevance:` carries the window's
    # boundary (the update time and id of its oldest match, fixed by the first page) and
    # then the score and id of the last row: best first, the id breaking ties. After it,
    # `relevance-rest:` carries the update time and id of the last row.
    score = search_index.score(session, query)
    updated = ORDERINGS["updated"]
    ranked = Ordering(f"relevance:{query.fingerprint}", (SortKey(score), SortKey(Article.id)))
    carried = Ordering(ranked.name, (*updated.keys, *ranked.keys))
    rest = Ordering(f"relevance-rest:{query.fingerprint}", updated.keys)
    if page.cursor and cursor_order(page.cursor) == rest.name:
        return paginate(session, stmt, rest, page)
    last = None
    if page.cursor:
        values = decode_cursor(carried, page.cursor)
        boundary, last = values[:2], values[2:]
    else:
        boundary = _window_boundary(session, stmt)
    in_window = stmt
    if boundary != _EVERYTHING:
        # The rows the updated order puts at or before the boundary.
        newer = Ordering("", tuple(SortKey(k.column, not k.descending) for k in updated.keys))
        in_window = in_window.where(newer.after(boundary, inclusive=True))
    if last is not None:
        in_window = in_window.where(ranked.after(last))
    result = fetch_page(session, in_window, ranked, replace(page, cursor=None), score=score)
    if result.next_values:
        result.next_values = [*boundary, *result.next_values]
        result.ordering = carried
    elif boundary != _EVERYTHING:
        # Older matches follow the window (there were when the first page was read).
        result.next_values = list(boundary)
        result.ordering = rest
    if page.count:
        result.total = count_rows(session, stmt, page.count)
    return result


# A window boundary is found by sorting the keys of every match when there are at most
# this many (and the planner expects few, see `_few`).
SORT_AT_MOST = 50_000


def _window_boundary(session: Session, stmt: Any) -> list[Any]:
    """The update time and id of the RANK_WINDOW-th most recently updated row of `stmt`
    when more rows follow it, else _EVERYTHING: the window holds every row.

    Two ways to it. Walking the update index until RANK_WINDOW matches have passed reads
    about RANK_WINDOW * stories / matches stories: quick for a common word, most of the
    archive for a rare one or a phrase (14 s for 1,967 matches in a million). Fetching
    every match's keys from the search index and sorting them reads each match once. So
    PostgreSQL sorts when its planner expects fewer matches than the walk would read,
    and walks otherwise (or when the sort finds more matches than SORT_AT_MOST).
    """
    keys = stmt.with_only_columns(Article.updated_at, Article.id, maintain_column_froms=True)
    if _few(session, keys):
        found = [tuple(row) for row in session.execute(keys.order_by(None).limit(SORT_AT_MOST + 1))]
        if len(found) <= SORT_AT_MOST:
            if len(found) <= RANK_WINDOW:
                return _EVERYTHING
            found.sort(reverse=True)  # the updated order: newest first, the id breaking ties
            return list(found[RANK_WINDOW - 1])
    edge = session.execute(
        keys.order_by(*ORDERINGS["updated"].order_by()).offset(RANK_WINDOW - 1).limit(2)
    ).all()
    return list(edge[0]) if len(edge) == 2 else _EVERYTHING


def _few(session: Session, keys: Any) -> bool:
    """Whether the planner expects fewer matches than walking the update index for
    RANK_WINDOW of them would read: matches ** 2 < RANK_WINDOW * stories (PostgreSQL only)."""
    if session.get_bind().dialect.name != "postgresql":
        return False
    matches = planner_rows(session, keys)
    stories = planner_rows(session, select(Article.id))
    return matches * matches < RANK_WINDOW * stories


def search_snippets(
    session: Session, *, query: SearchQuery, articles: Sequence[Article]
) -> dict[str, str]:
    """Each article's excerpt around its matches, HTML-escaped with matches in `<mark>`."""
    return search_index.snippets(session, query, [a.id for a in articles])


def get_article(session: Session, *, ref: str, viewer: Viewer) -> Article:
    """The article with this id or slug if `viewer` may see it, else NotFound (never 403:
    a hidden story must not even be confirmed to exist)."""
    return get_by_ref(session, Article, ref, where=visible_articles(viewer), label="article")


@dataclass
class RelatedCard:
    link: RelatedLink
    target: Any | None  # a row of the target article's public columns


@dataclass
class Embeds:
    """Everything a page of articles refers to, loaded in a fixed number of queries."""

    site: Site | None = None
    sections: dict[str, Section] = field(default_factory=dict)
    authors: dict[str, list[tuple[Author, str]]] = field(default_factory=dict)
    tags: dict[str, list[Tag]] = field(default_factory=dict)
    photos: dict[str, Photo] = field(default_factory=dict)
    related: dict[str, list[RelatedCard]] = field(default_factory=dict)
    related_authors: dict[str, list[tuple[Author, str]]] = field(default_factory=dict)
    corrections: dict[str, list[Correction]] = field(default_factory=dict)
    translations: dict[str, list[Any]] = field(default_factory=dict)


def _authors_of(
    session: Session, article_ids: Collection[str]
) -> dict[str, list[tuple[Author, str]]]:
    out: dict[str, list[tuple[Author, str]]] = defaultdict(list)
    if not article_ids:
        return out
    rows = session.execute(
        select(ArticleAuthor.article_id, ArticleAuthor.role, Author)
        .join(Author, Author.id == ArticleAuthor.author_id)
        .where(ArticleAuthor.article_id.in_(article_ids))
        .order_by(ArticleAuthor.article_id, ArticleAuthor.position)
    )
    for article_id, role, author in rows:
        out[article_id].append((author, role))
    return out


def load_embeds(
    session: Session,
    articles: Sequence[Article],
    *,
    include: Collection[str],
    viewer: Viewer,
    detail: bool = False,
) -> Embeds:
    """Batch-load what `include` asks for: one query per kind of object, never one per row."""
    embeds = Embeds()
    ids = [a.id for a in articles]
    if not ids:
        return embeds
    section_ids = {a.section_id for a in articles if a.section_id}
    if section_ids:
        embeds.sections = {
            s.id: s for s in session.scalars(select(Section).where(Section.id.in_(section_ids)))
        }
    if "authors" in include:
        embeds.authors = _authors_of(session, ids)
    if "tags" in include:
        tags: dict[str, list[Tag]] = defaultdict(list)
        for article_id, tag in session.execute(
            select(ArticleTag.article_id, Tag)
            .join(Tag, Tag.id == ArticleTag.tag_id)
            .where(ArticleTag.article_id.in_(ids))
            .order_by(ArticleTag.article_id, ArticleTag.position)
        ):
            tags[article_id].append(tag)
        embeds.tags = tags
    photo_ids: set[str] = set()
    if "lead_photo" in include:
        photo_ids |= {a.lead_photo_id for a in articles if a.lead_photo_id}
    if "body" in include:
        photo_ids |= {b["photo_id"] for a in articles for b in a.body if b.get("type") == "photo"}
    if photo_ids:
        embeds.photos = {
            p.id: p
            for p in session.scalars(
                select(Photo).where(Photo.id.in_(photo_ids), visible_photos(viewer))
            )
        }
    if "related" in include or "body" in include:
        _load_related(session, embeds, ids, viewer)
    if detail:
        corrections: dict[str, list[Correction]] = defaultdict(list)
        for c in session.scalars(
            select(Correction)
            .where(Correction.article_id.in_(ids))
            .order_by(Correction.created_at, Correction.id)
        ):
            corrections[c.article_id].append(c)
        embeds.corrections = corrections
        groups = {a.translation_group for a in articles if a.translation_group}
        if groups:
            translations: dict[str, list[Any]] = defaultdict(list)
            for row in session.execute(
                select(
                    Article.id,
                    Article.slug,
                    Article.language,
                    Article.headline,
                    Article.canonical_url,
                    Article.translation_group,
                )
                .where(Article.translation_group.in_(groups), visible_articles(viewer))
                .order_by(Article.language, Article.id)
            ):
                translations[row.translation_group].append(row)
            embeds.translations = translations
    return embeds


# The target of a related card: a second copy of the article table, made once.
_TARGET = aliased(Article, name="target")


def _load_related(session: Session, embeds: Embeds, ids: list[str], viewer: Viewer) -> None:
    target = _TARGET
    rows = session.execute(
        select(
            RelatedLink,
            target.id,
            target.slug,
            target.headline,
            target.summary,
            target.published_at,
            target.canonical_url,
        )
        # The target joins only when a reader may see it: an unpublished story's card vanishes.
        .outerjoin(
            target,
            (target.id == RelatedLink.target_article_id) & visible_articles(viewer, target),
        )
        .where(RelatedLink.article_id.in_(ids))
        .order_by(RelatedLink.article_id, RelatedLink.position, RelatedLink.id)
    )
    related: dict[str, list[RelatedCard]] = defaultdict(list)
    target_ids: list[str] = []
    for link, *target_cols in rows:
        if link.target_article_id is None:
            related[link.article_id].append(RelatedCard(link, None))
        elif target_cols[0] is not None:
            keys = ("id", "slug", "headline", "summary", "published_at", "canonical_url")
            related[link.article_id].append(
                RelatedCard(link, dict(zip(keys, target_cols, strict=True)))
            )
            target_ids.append(target_cols[0])
    embeds.related = related
    embeds.related_authors = _authors_of(session, target_ids)
    embeds.site = session.get(Site, 1)
