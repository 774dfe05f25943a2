"""The one rule that decides which content a reader may see, in every form a path needs:
SQL conditions on live rows, on the News Feed's join to its stories, and on tombstones
(which deleted objects a reader is told of); and the Python form a delete records. Every
read path calls it, and no other module decides visibility.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, case, false, or_, select, true
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement

from app.db import utcnow
from app.models import (
    Article,
    ArticleStatus,
    ArticleTag,
    Deletion,
    DeletionTag,
    FeedEntry,
    Photo,
    Section,
    Tag,
)

# A scheduled story is visible from its `published_at` on, with no job needing to run.
_LIVE = (ArticleStatus.published.value, ArticleStatus.scheduled.value)

# The story a News Feed entry links to, as a second name for the article table, made once.
LINKED = aliased(Article, name="linked")


@dataclass(frozen=True)
class Viewer:
    """Who is reading, as far as visibility goes, and when."""

    now: datetime = field(default_factory=utcnow)
    # content:preview, or a preview link: drafts, scheduled and embargoed stories too.
    preview: bool = False
    # A syndication partner: only its sections and tags, no photo without syndication rights.
    partner: bool = False
    sections: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    advance_embargo: bool = False

    @property
    def early(self) -> bool:
        """Whether embargoed stories reach this viewer before their time."""
        return self.preview or (self.partner and self.advance_embargo)


@dataclass(frozen=True)
class _Story:
    """What the rule reads of a story: a live article's columns, or its tombstone's."""

    status: Any
    published_at: Any
    first_published_at: Any
    embargo_until: Any
    # The moment the rule is read at: now for a live story, its deletion for a tombstone.
    at: Any
    # Whether readers without preview or advance access could ever have seen it.
    once_public: ColumnElement[bool]
    allowlisted: Callable[["Viewer"], ColumnElement[bool]]


def _section_ids(viewer: Viewer) -> Any:
    """The ids of a partner's sections (its key names them by slug or id)."""
    return select(Section.id).where(
        or_(Section.slug.in_(viewer.sections), Section.id.in_(viewer.sections))
    )


def _tag_ids(viewer: Viewer) -> Any:
    """The ids of a partner's tags (its key names them by slug or id)."""
    return select(Tag.id).where(or_(Tag.slug.in_(viewer.tags), Tag.id.in_(viewer.tags)))


def _allowlist(
    viewer: Viewer,
    by_section: Callable[[], ColumnElement[bool]],
    by_tag: Callable[[], ColumnElement[bool]],
) -> ColumnElement[bool]:
    """A partner sees a story of one of its sections, or carrying one of its tags."""
    allowed = []
    if viewer.sections:
        allowed.append(by_section())
    if viewer.tags:
        allowed.append(by_tag())
    # A partner key always has an allowlist; an empty one would show nothing.
    return or_(*allowed) if allowed else false()


def _article(model: Any, now: datetime) -> _Story:
    def allowlisted(viewer: Viewer) -> ColumnElement[bool]:
        return _allowlist(
            viewer,
            lambda: model.section_id.in_(_section_ids(viewer)),
            lambda: model.id.in_(
                select(ArticleTag.article_id).where(ArticleTag.tag_id.in_(_tag_ids(viewer)))
            ),
        )

    return _Story(
        status=model.status,
        published_at=model.published_at,
        first_published_at=model.first_published_at,
        embargo_until=model.embargo_until,
        at=now,
        once_public=and_(
            model.first_published_at <= now,
            or_(model.embargo_until.is_(None), model.embargo_until <= now),
        ),
        allowlisted=allowlisted,
    )


def _deleted_article() -> _Story:
    def allowlisted(viewer: Viewer) -> ColumnElement[bool]:
        """The partner's sections and tags as the story had them when it was deleted (by
        id, or by slug then, should the section or tag have gone or been renamed since)."""
        return _allowlist(
            viewer,
            lambda: or_(
                Deletion.section_id.in_(_section_ids(viewer)),
                Deletion.section_slug.in_(viewer.sections),
            ),
            lambda: Deletion.resource_id.in_(
                select(DeletionTag.article_id).where(
                    or_(
                        DeletionTag.tag_id.in_(_tag_ids(viewer)),
                        DeletionTag.tag_slug.in_(viewer.tags),
                    )
                )
            ),
        )

    return _Story(
        status=Deletion.status,
        published_at=Deletion.published_at,
        first_published_at=Deletion.first_published_at,
        embargo_until=Deletion.embargo_until,
        at=Deletion.deleted_at,
        once_public=Deletion.public.is_(True),
        allowlisted=allowlisted,
    )


def _visible(viewer: Viewer, story: _Story) -> ColumnElement[bool]:
    """The rule itself: whether `viewer` sees `story` at `story.at`."""
    if viewer.preview:
        return true()
    conditions = [story.status.in_(_LIVE), story.published_at <= story.at]
    if not viewer.early:
        conditions.append(or_(story.embargo_until.is_(None), story.embargo_until <= story.at))
    if viewer.partner:
        conditions.append(story.allowlisted(viewer))
    return and_(*conditions)


def _once_shown(viewer: Viewer, story: _Story) -> ColumnElement[bool]:
    """Whether `viewer` may have been shown `story` at some time before `story.at`: it was
    public once (its id is no secret then, and a partner is told of it even outside its
    sections, so that a mirror drops a story that moved away), or a partner with advance
    access received it early (a story once live, in its sections or tags)."""
    if viewer.preview:
        return true()
    shown = [story.once_public]
    if viewer.early:
        shown.append(and_(story.first_published_at <= story.at, story.allowlisted(viewer)))
    return or_(*shown)


def visible_articles(viewer: Viewer, model: Any = Article) -> ColumnElement[bool]:
    """SQL condition for the articles `viewer` may see.

    `model` may be an alias of `Article` (related cards join a second copy of the table).
    """
    return _visible(viewer, _article(model, viewer.now))


def published_by(viewer: Viewer, column: Any) -> ColumnElement[bool]:
    """SQL condition on a copy of an article's `published_at` (a link table's) that every
    article `visible_articles` lets `viewer` see passes: it narrows nothing, and lets a list
    that walks the copy's index start at the present, not at the scheduled stories."""
    return true() if viewer.preview else column <= viewer.now


def known_articles(viewer: Viewer, model: Any = Article) -> ColumnElement[bool]:
    """SQL condition for the articles `viewer` hears of in the sync log: those it may see
    (upserts), and those it may have been shown before that it may not see now (a
    `delete`). Of a story it could never have seen it learns nothing, not even the id."""
    story = _article(model, viewer.now)
    return or_(_visible(viewer, story), _once_shown(viewer, story))


def visible_feed_entries(viewer: Viewer, linked: Any = LINKED) -> ColumnElement[bool]:
    """SQL condition for News Feed entries `viewer` may see: no drafts, a scheduled entry
    from its time; a partner's feed holds only entries about stories it may see. The
    statement must join `linked` with `with_linked_story`."""
    if viewer.preview:
        return true()
    conditions = [FeedEntry.status.in_(_LIVE), FeedEntry.published_at <= viewer.now]
    if viewer.partner:
        conditions += [linked.id.is_not(None), visible_articles(viewer, linked)]
    return and_(*conditions)


def known_feed_entries(viewer: Viewer, linked: Any = LINKED) -> ColumnElement[bool]:
    """SQL condition for the entries `viewer` hears of in the sync log and the stream:
    those it may see, and as a bare `delete` any that was public once (joined as for
    `visible_feed_entries`)."""
    if viewer.preview:
        return true()
    once_public = and_(
        FeedEntry.status != ArticleStatus.draft.value, FeedEntry.published_at <= viewer.now
    )
    return or_(visible_feed_entries(viewer, linked), once_public)


def with_linked_story(stmt: Select, linked: Any = LINKED) -> Select:
    """`stmt` over entries, outer-joined to the story each links to (whatever its state:
    its changes are the entry's; `linked_story_slug` shows it only to who may see it)."""
    return stmt.outerjoin(linked, linked.id == FeedEntry.article_id)


def linked_story_slug(viewer: Viewer, linked: Any = LINKED) -> Any:
    """The linked story's slug while `viewer` may see the story, else null."""
    return case((visible_articles(viewer, linked), linked.slug), else_=None)


def visible_photos(viewer: Viewer) -> ColumnElement[bool]:
    """SQL condition for photos `viewer` may receive: partners only syndicable ones."""
    return Photo.syndication_allowed.is_(True) if viewer.partner else true()


def known_deletions(viewer: Viewer) -> ColumnElement[bool]:
    """SQL condition for the tombstones `viewer` receives: of what it may have been shown
    before the delete, by the rule above read on what the tombstone kept of the story.
    Of anything else deleted, only what was public once (photos, authors, sections and
    tags always are; an entry once out of draft and past its time)."""
    if viewer.preview:
        return true()
    story = _deleted_article()
    article = and_(
        Deletion.resource_type == "article",
        or_(_visible(viewer, story), _once_shown(viewer, story)),
    )
    return or_(article, and_(Deletion.resource_type != "article", Deletion.public.is_(True)))


def was_public(row: Any, now: datetime) -> bool:
    """Whether readers without preview or advance access could have seen `row` by `now`;
    the Python form of `once_public` above and in `known_feed_entries`, kept on tombstones."""
    if isinstance(row, Article):
        return (
            row.first_published_at is not None
            and row.first_published_at <= now
            and (row.embargo_until is None or row.embargo_until <= now)
        )
    if isinstance(row, FeedEntry):
        return (
            row.status != ArticleStatus.draft
            and row.published_at is not None
            and row.published_at <= now
        )
    return True


def public_status(status: str, published_at: datetime | None, now: datetime) -> str:
    """What a reader is told: a scheduled story whose time has come is published."""
    if status == ArticleStatus.scheduled and published_at is not None and published_at <= now:
        return ArticleStatus.published.value
    return status


def visible_from(
    status: str, published_at: datetime | None, embargo_until: datetime | None
) -> datetime | None:
    """The moment readers see a story (past or future), by the rule above; None while it
    is not live (a draft, or unpublished)."""
    if status not in _LIVE or published_at is None:
        return None
    return max(published_at, embargo_until) if embargo_until else published_at
