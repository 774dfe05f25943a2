"""The change log behind `/v1/sync`: every synced object in the order it last changed for a
viewer, with a tombstone for what was deleted or left the viewer's view.

A change's time is an effective time computed in SQL: for an article the latest of its
save, its publication time once passed and its embargo's end once passed, so a story
scheduled for later reaches a mirror that synced before its time, with no write then.
"""

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    and_,
    literal,
    or_,
    select,
    true,
    tuple_,
    type_coerce,
    union_all,
)
from sqlmodel import Session

from app.articles.rendering import article_out
from app.articles.schemas import INCLUDES
from app.articles.service import load_embeds
from app.authors.schemas import author_out
from app.db import UTCDateTime
from app.feed.schemas import feed_entry_out
from app.models import Article, Author, Deletion, FeedEntry, Photo, Section, Tag
from app.pagination import Ordering, SortKey, decode_cursor, encode_cursor
from app.photos.schemas import photo_out
from app.sections.schemas import section_out
from app.tags.schemas import tag_out
from app.visibility import (
    LINKED,
    Viewer,
    known_articles,
    known_deletions,
    known_feed_entries,
    linked_story_slug,
    visible_articles,
    visible_feed_entries,
    visible_photos,
    with_linked_story,
)

# Position in the log: (time, type, id). Types compare as these strings do.
ORDERING = Ordering(
    "sync",
    (
        SortKey(Deletion.deleted_at, False),
        SortKey(Deletion.resource_type, False),
        SortKey(Deletion.resource_id, False),
    ),
)
TYPES = ("article", "author", "feed_entry", "photo", "section", "tag")

# Times are taken when a transaction writes, not when it commits: a save may become visible
# slightly after one stamped later. The cursor of a last page therefore never moves past
# this margin before now, so a late commit is re-read next time instead of skipped.
SETTLE = timedelta(seconds=5)


@dataclass(frozen=True)
class Change:
    at: datetime
    type: str
    id: str
    visible: bool

    @property
    def key(self) -> tuple[datetime, str, str]:
        return (self.at, self.type, self.id)


@dataclass
class SyncPage:
    items: list[dict[str, Any]]
    next_key: tuple[datetime, str, str] | None
    has_more: bool


def _passed(column: Any, now: datetime) -> ColumnElement[bool]:
    """The stored time is set and no longer ahead (a publication or an embargo's end)."""
    return and_(column.is_not(None), column <= now)


def _article_parts(now: datetime, model: Any = Article) -> list[tuple[Any, ColumnElement[bool]]]:
    """The three disjoint parts of the articles, each with the column that is its change
    time (when it last changed for readers: the latest of its save, its publication and
    the end of its embargo, once passed): saved last, published after the last save, out of
    embargo after the last save (the publication wins a tie with the embargo). The last
    two are what the partial indexes on article hold."""
    published, embargo, saved = model.published_at, model.embargo_until, model.updated_at
    published_passed = _passed(published, now)
    embargo_passed = _passed(embargo, now)
    return [
        (
            saved,
            and_(
                or_(~published_passed, published <= saved),
                or_(~embargo_passed, embargo <= saved),
            ),
        ),
        (
            published,
            and_(published > saved, published_passed, or_(~embargo_passed, embargo <= published)),
        ),
        (
            embargo,
            and_(embargo > saved, embargo_passed, or_(~published_passed, published < embargo)),
        ),
    ]


@dataclass(frozen=True)
class _Source:
    """One kind of object in the log, as SQL for a viewer."""

    type: str
    stmt: Any  # select of (at, id, visible), already filtered to what the viewer receives
    at: Any
    id: Any


def _sources(viewer: Viewer, dialect: str) -> list[_Source]:
    now = viewer.now
    out: list[_Source] = []

    # Articles. A hidden story the viewer may have been shown comes as a tombstone; one it
    # never could (a draft, a story before its time or embargo) does not appear at all.
    # The change time is the latest of three columns (`_article_parts`); the log reads
    # it as three disjoint parts, each where one column is that latest and in that
    # column's order, from an index: a sort of every story by a computed time would cost
    # in proportion to the archive on every page.
    known = known_articles(viewer)
    visible = visible_articles(viewer).label("visible")
    for column, part in _article_parts(now):
        out.append(
            _Source(
                "article",
                select(column.label("at"), Article.id.label("id"), visible).where(known, part),
                column,
                Article.id,
            )
        )

    # Feed entries: their change time is the latest of their own save, their publication
    # and their linked story's change time (its visibility shows in them). Read the same
    # way, as five disjoint parts: the entry's save or publication is the latest (the entry
    # wins ties), or one of the story's three parts' columns is. Sorting every entry by
    # the computed time cost in proportion to the archive on every page (1.8 s a page of
    # the log from the start at a million stories).
    linked = LINKED
    saved, published = FeedEntry.updated_at, FeedEntry.published_at
    entry_published = _passed(published, now)

    def story_not_after(t: Any) -> ColumnElement[bool]:
        """No linked story, or its change time is at most `t`."""
        return or_(
            linked.id.is_(None),
            and_(
                linked.updated_at <= t,
                or_(~_passed(linked.published_at, now), linked.published_at <= t),
                or_(~_passed(linked.embargo_until, now), linked.embargo_until <= t),
            ),
        )

    entry_parts: list[tuple[Any, ColumnElement[bool]]] = [
        (saved, and_(or_(~entry_published, published <= saved), story_not_after(saved))),
        (published, and_(entry_published, published > saved, story_not_after(published))),
    ]
    for column, part in _article_parts(now, linked):
        later = and_(column > saved, or_(~entry_published, published < column))
        entry_parts.append((column, and_(linked.id.is_not(None), part, later)))
    entry_visible = visible_feed_entries(viewer, linked).label("visible")
    entry_known = known_feed_entries(viewer, linked)
    for column, part in entry_parts:
        stmt = select(column.label("at"), FeedEntry.id.label("id"), entry_visible)
        out.append(
            _Source(
                "feed_entry",
                with_linked_story(stmt, linked).where(entry_known, part),
                column,
                FeedEntry.id,
            )
        )

    # Photos are library assets: all of them, except that a partner gets a tombstone for
    # one it may not syndicate.
    out.append(
        _Source(
            "photo",
            select(
                type_coerce(Photo.updated_at, UTCDateTime()).label("at"),
                Photo.id.label("id"),
                visible_photos(viewer).label("visible"),
            ),
            Photo.updated_at,
            Photo.id,
        )
    )
    for name, model in (("author", Author), ("section", Section), ("tag", Tag)):
        out.append(
            _Source(
                name,
                select(model.updated_at.label("at"), model.id.label("id"), true().label("visible")),
                model.updated_at,
                model.id,
            )
        )
    return out


def _after(source: _Source, cursor: tuple[datetime, str, str]) -> ColumnElement[bool]:
    """Rows of `source` strictly after `cursor` in (time, type, id) order."""
    at, type_, id_ = cursor
    if source.type > type_:
        condition = source.at >= at
    elif source.type < type_:
        condition = source.at > at
    else:
        condition = tuple_(source.at, source.id) > tuple_(literal(at, UTCDateTime()), literal(id_))
    return condition


def _deletions(
    viewer: Viewer, cursor: tuple[datetime, str, str] | None, limit: int, types: Collection[str]
) -> Any:
    stmt = select(Deletion.deleted_at, Deletion.resource_type, Deletion.resource_id)
    if set(types) != set(TYPES):
        stmt = stmt.where(Deletion.resource_type.in_(types))
    stmt = stmt.where(known_deletions(viewer))
    return ORDERING.apply(stmt, list(cursor) if cursor else None).limit(limit)


def changes(
    session: Session,
    viewer: Viewer,
    cursor: tuple[datetime, str, str] | None,
    limit: int,
    types: Collection[str] = TYPES,
) -> tuple[list[Change], bool]:
    """The first `limit` changes of these types after `cursor` that `viewer` receives, and
    whether more follow. One query per kind of object: a kind read in parts is a UNION ALL
    of the parts, each walking its own index, each bounded by the limit."""
    dialect = session.get_bind().dialect.name
    found: list[Change] = []
    wanted = [s for s in _sources(viewer, dialect) if s.type in types]
    for type_ in dict.fromkeys(s.type for s in wanted):
        parts = []
        for source in (s for s in wanted if s.type == type_):
            stmt = source.stmt
            if cursor is not None:
                stmt = stmt.where(_after(source, cursor))
            parts.append(stmt.order_by(source.at, source.id).limit(limit + 1))
        stmt = parts[0] if len(parts) == 1 else union_all(*(select(p.subquery()) for p in parts))
        found.extend(Change(at, type_, id_, bool(v)) for at, id_, v in session.execute(stmt))
    for at, type_, id_ in session.execute(_deletions(viewer, cursor, limit + 1, types)):
        found.append(Change(at, type_, id_, False))
    found.sort(key=lambda c: c.key)
    return found[:limit], len(found) > limit


def _render(session: Session, viewer: Viewer, wanted: dict[str, list[str]]) -> dict[Any, Any]:
    """The objects to upsert, as the read API gives them, keyed by (type, id); one query per
    kind. What is no longer visible by now is left out (and goes out as a tombstone)."""
    out: dict[tuple[str, str], dict[str, Any]] = {}
    if ids := wanted.get("article"):
        articles = list(
            session.scalars(select(Article).where(Article.id.in_(ids), visible_articles(viewer)))
        )
        embeds = load_embeds(session, articles, include=INCLUDES, viewer=viewer, detail=True)
        for a in articles:
            data = article_out(a, embeds, include=INCLUDES, now=viewer.now, detail=True)
            out["article", a.id] = data
    if ids := wanted.get("feed_entry"):
        stmt = with_linked_story(select(FeedEntry, linked_story_slug(viewer)))
        stmt = stmt.where(FeedEntry.id.in_(ids), visible_feed_entries(viewer))
        for entry, slug in session.execute(stmt):
            out["feed_entry", entry.id] = feed_entry_out(entry, slug)
    if ids := wanted.get("photo"):
        for p in session.scalars(select(Photo).where(Photo.id.in_(ids), visible_photos(viewer))):
            out["photo", p.id] = photo_out(p)
    simple = (("author", Author, author_out), ("section", Section, section_out))
    for name, model, render in (*simple, ("tag", Tag, tag_out)):
        if ids := wanted.get(name):
            for row in session.scalars(select(model).where(model.id.in_(ids))):
                out[name, row.id] = render(row)
    return out


def sync_page(
    session: Session,
    viewer: Viewer,
    cursor: tuple[datetime, str, str] | None,
    limit: int,
    types: Collection[str] = TYPES,
) -> SyncPage:
    """One page of the log after `cursor`, each change an upsert with the object as the read
    API gives it to `viewer`, or a delete tombstone; and the cursor to resume from."""
    page, has_more = changes(session, viewer, cursor, limit, types)
    wanted: dict[str, list[str]] = {}
    for change in page:
        if change.visible:
            wanted.setdefault(change.type, []).append(change.id)
    objects = _render(session, viewer, wanted) if wanted else {}
    items: list[dict[str, Any]] = []
    for change in page:
        data = objects.get((change.type, change.id)) if change.visible else None
        item: dict[str, Any] = {
            "type": change.type,
            "id": change.id,
            "action": "upsert" if data is not None else "delete",
            "at": change.at,
        }
        if data is not None:
            item["data"] = data
        items.append(item)
    next_key = page[-1].key if page else cursor
    if not has_more:
        # The end of the log: resume a little before now, so a commit that lands late with
        # an earlier time is read next time. Never behind where this page started.
        settled = (viewer.now - SETTLE, "", "")
        if next_key is None or settled < next_key:
            next_key = settled if cursor is None or cursor < settled else cursor
    return SyncPage(items=items, next_key=next_key, has_more=has_more)


def decode(raw: str | None) -> tuple[datetime, str, str] | None:
    """The position a cursor names (400 for one this API did not make)."""
    if not raw:
        return None
    at, type_, id_ = decode_cursor(ORDERING, raw)
    return (at, type_, id_)


def encode(key: tuple[datetime, str, str]) -> str:
    """The opaque cursor of a position in the log."""
    return encode_cursor(ORDERING, list(key))
