"""What an article's events say and when they happen.

Events follow what readers see: `article.published` when a story becomes visible (at the
save, or, for a scheduled or embargoed story, at its time: that event is written with the
save and falls due then), `article.unpublished` when it stops being visible,
`article.scheduled` when a save sets a future time, `article.updated` for any other save.
Each carries the story in brief and the surrogate keys a CDN should purge, read in one
query from the rows the save has just written, in its transaction.
"""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Select, bindparam, literal, select, union_all
from sqlmodel import Session

from app import surrogate
from app.db import utcnow
from app.events.outbox import cancel_deferred, emit
from app.generation import note_removal
from app.models import (
    Article,
    ArticleAuthor,
    ArticleRevision,
    ArticleTag,
    Author,
    FeedEntry,
    Section,
    Tag,
)
from app.timeparams import as_utc
from app.visibility import public_status, visible_from

# The columns an event carries: enough to act on, not the whole body (fetch it by id).
_COLUMNS = (
    "id",
    "slug",
    "type",
    "headline",
    "summary",
    "language",
    "published_at",
    "first_published_at",
    "embargo_until",
    "updated_at",
    "canonical_url",
    "version",
)


def _references() -> Select:
    """Everything a story points at, as (kind, id, slug, position) rows, in one query;
    built once, with the story's ids bound at each run."""
    article_id, section_id = bindparam("article_id"), bindparam("section_id")
    return union_all(
        select(literal("author"), Author.id, Author.slug, ArticleAuthor.position)
        .join(ArticleAuthor, ArticleAuthor.author_id == Author.id)
        .where(ArticleAuthor.article_id == article_id),
        select(literal("tag"), Tag.id, Tag.slug, ArticleTag.position)
        .join(ArticleTag, ArticleTag.tag_id == Tag.id)
        .where(ArticleTag.article_id == article_id),
        select(literal("section"), Section.id, Section.slug, literal(0)).where(
            Section.id == section_id
        ),
        # Whether a News Feed entry links the story (and so shows its slug while visible).
        select(literal("feed"), FeedEntry.id, literal(None), literal(0)).where(
            FeedEntry.article_id == article_id
        ),
    )


_REFERENCES = _references()


# What a story points at, by kind ("author", "tag", "section", "feed"): (id, slug) in order.
References = dict[str, list[tuple[str, str]]]


def references(
    *,
    authors: Sequence[tuple[str, str]] = (),
    tags: Sequence[tuple[str, str]] = (),
    section: tuple[str, str] | None = None,
) -> References:
    """The references of a story not yet written (no News Feed entry links it yet)."""
    return {
        "author": list(authors),
        "tag": list(tags),
        "section": [section] if section else [],
        "feed": [],
    }


def payload(
    session: Session,
    article: Article,
    *,
    now: datetime,
    fields: list[str],
    left: frozenset[str] = frozenset(),
    refs: References | None = None,
) -> dict:
    """The `data` of an article event: the story in brief (its section and tags by slug, its
    byline by author id), the fields the save touched, and every surrogate key a CDN
    should purge: those of every answer that shows the story, and of the collections it
    left (`left`, from `memberships_of` before the save). `refs`: what the story points at,
    when the caller has it in hand (a batch, before its rows are written); otherwise read."""
    if refs is None:
        refs = _references_of(session, article)
    keys = surrogate.article_change(
        article.id,
        collections=_memberships(refs, article.type) | left,
        in_feed=bool(refs["feed"]),
    )
    story = {name: getattr(article, name) for name in _COLUMNS}
    story.update(
        status=public_status(article.status, article.published_at, now),
        section=refs["section"][0][1] if refs["section"] else None,
        authors=[ref_id for ref_id, _ in refs["author"]],
        tags=[slug for _, slug in refs["tag"]],
    )
    return {"article": story, "fields": sorted(fields), "surrogate_keys": sorted(keys)}


def memberships_of(session: Session, article: Article) -> set[str]:
    """The collections a story is in as the database holds it now: called before a save
    that moves it (another section, tags, byline or type), so that the lists it leaves are
    purged too."""
    return _memberships(_references_of(session, article), article.type)


def _references_of(session: Session, article: Article) -> References:
    refs: References = {"author": [], "tag": [], "section": [], "feed": []}
    rows = session.execute(
        _REFERENCES, {"article_id": article.id, "section_id": article.section_id}
    ).all()
    for kind, ref_id, slug, _ in sorted(rows, key=lambda row: (row[0], row[3])):
        refs[kind].append((ref_id, slug))
    return refs


def _memberships(refs: References, type_: str | None) -> set[str]:
    return surrogate.memberships(
        section=refs["section"][0] if refs["section"] else (None, None),
        tags=refs["tag"],
        authors=refs["author"],
        type=type_,
    )


def seen_from(article: Article) -> datetime | None:
    """When readers see `article` as it is now in memory (None: not live)."""
    return visible_from(article.status, article.published_at, article.embargo_until)


def seen_before(session: Session, article_id: str, version: int) -> datetime | None:
    """When readers saw the story as the save before `version` left it, from that save's
    revision (three fields of its snapshot, read by the database)."""
    snapshot = ArticleRevision.snapshot
    row = session.execute(
        select(
            snapshot["status"].as_string(),
            snapshot["published_at"].as_string(),
            snapshot["embargo_until"].as_string(),
        ).where(ArticleRevision.article_id == article_id, ArticleRevision.number == version - 1)
    ).first()
    if row is None:
        return None
    status, published_at, embargo_until = row
    return visible_from(status, _parsed(published_at), _parsed(embargo_until))


def _parsed(value: str | None) -> datetime | None:
    return as_utc(datetime.fromisoformat(value)) if value else None


def announce_save(
    session: Session,
    article: Article,
    *,
    action: str,
    fields: list[str],
    before: datetime | None,
    created: bool = False,
    left: frozenset[str] = frozenset(),
    refs: References | None = None,
    deferred: bool = True,
) -> None:
    """The events of one save of `article` (flushed and reloaded, or, with `refs`, built
    whole in memory), in its transaction; `before` is when readers saw the story before the
    save (`seen_from` then), `left` the collections it was in before, where the save moved
    it. `deferred=False`: no earlier save of the story deferred an event (it is new in this
    transaction), so there is none to cancel."""
    now = utcnow()
    after = seen_from(article)
    was_visible = before is not None and before <= now
    is_visible = after is not None and after <= now
    if created:
        kind = "article.created"
    elif action == "unpublish" or (was_visible and not is_visible):
        # An explicit takedown says so, even of a story readers were still waiting for.
        kind = "article.unpublished"
    elif is_visible and not was_visible:
        kind = "article.published"
    elif after is not None and after > now and after != before:
        kind = "article.scheduled"
    else:
        kind = "article.updated"
    if kind == "article.unpublished" or left:
        note_removal(session)  # it left lists: they changed now, whatever their rows say
    data = payload(session, article, now=now, fields=fields, left=left, refs=refs)
    emit(
        session,
        kind,
        subject_type="article",
        subject_id=article.id,
        data={**data, "visible_at": after} if kind == "article.scheduled" else data,
    )
    # The moment readers will see it is written now and falls due then; an earlier plan for
    # this story (another time, or none any more) goes.
    if deferred and not created:
        cancel_deferred(
            session, type_="article.published", subject_type="article", subject_id=article.id
        )
    if after is not None and after > now:
        # As readers will see it then.
        status = public_status(article.status, article.published_at, after)
        emit(
            session,
            "article.published",
            subject_type="article",
            subject_id=article.id,
            data={**data, "article": {**data["article"], "status": status}, "fields": ["status"]},
            at=after,
        )


def announce_delete(session: Session, article: Article) -> None:
    """`article.deleted`, before the rows go (the payload reads them), in the same transaction."""
    data = payload(session, article, now=utcnow(), fields=[])
    cancel_deferred(
        session, type_="article.published", subject_type="article", subject_id=article.id
    )
    emit(session, "article.deleted", subject_type="article", subject_id=article.id, data=data)
