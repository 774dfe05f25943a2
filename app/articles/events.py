"""What an article's events say and when they happen.

Events follow what readers see: `article.published` when a story becomes visible (at the
save, or, for a scheduled or embargoed story, at its time: that event is written with the
save and falls due then), `article.unpublished` when it stops being visible,
`article.scheduled` when a save sets a future time, `article.updated` for any other save.
Each carries the story as an editor sees it (without its body) and the surrogate keys a
CDN should purge. The payload is built from the rows the save has just written, in its
transaction.
"""

from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session

from app.articles import service
from app.articles.schemas import article_out, surrogate_keys
from app.db import utcnow
from app.events.outbox import cancel_deferred, emit
from app.models import Article, RelatedLink
from app.visibility import Viewer, public_status, visible_from

_EMBEDS = ("authors", "tags")
# The article as a payload carries: enough to act on, not the whole body.
_PAYLOAD_FIELDS = (
    "id",
    "slug",
    "type",
    "status",
    "headline",
    "summary",
    "language",
    "section",
    "authors",
    "tags",
    "published_at",
    "updated_at",
    "first_published_at",
    "canonical_url",
    "version",
)


def payload(session: Session, article: Article, *, now: datetime, fields: list[str]) -> dict:
    """The `data` of an article event: the story as a list gives it (with byline and tags),
    the fields the save touched, and every surrogate key a CDN should purge."""
    viewer = Viewer(preview=True, now=now)
    embeds = service.load_embeds(session, [article], include=_EMBEDS, viewer=viewer)
    out = article_out(article, embeds, include=_EMBEDS, now=now)
    keys = surrogate_keys(out) | {"articles"}
    photos = [article.lead_photo_id, *(b["photo_id"] for b in article.body if b["type"] == "photo")]
    keys.update(f"photo:{photo}" for photo in photos if photo)
    targets = session.scalars(
        select(RelatedLink.target_article_id).where(
            RelatedLink.article_id == article.id, RelatedLink.target_article_id.is_not(None)
        )
    )
    keys.update(f"article:{target}" for target in targets)
    return {
        "article": {name: out.get(name) for name in _PAYLOAD_FIELDS},
        "embargo_until": article.embargo_until,
        "fields": sorted(fields),
        "surrogate_keys": sorted(keys),
    }


def seen_from(article: Article) -> datetime | None:
    """When readers see `article` as it is now in memory (None: not live)."""
    return visible_from(article.status, article.published_at, article.embargo_until)


def announce_save(
    session: Session,
    article: Article,
    *,
    action: str,
    fields: list[str],
    before: datetime | None,
    created: bool = False,
) -> None:
    """The events of one save of `article` (flushed and reloaded), in its transaction;
    `before` is when readers saw the story before the save (`seen_from` then)."""
    now = utcnow()
    after = seen_from(article)
    was_visible = before is not None and before <= now
    is_visible = after is not None and after <= now
    if created:
        kind = "article.created"
    elif is_visible and not was_visible:
        kind = "article.published"
    elif was_visible and not is_visible:
        kind = "article.unpublished"
    elif after is not None and after > now and action in ("publish", "schedule"):
        kind = "article.scheduled"
    else:
        kind = "article.updated"
    data = payload(session, article, now=now, fields=fields)
    emit(
        session,
        kind,
        subject_type="article",
        subject_id=article.id,
        data={**data, "visible_at": after} if kind == "article.scheduled" else data,
    )
    # The moment readers will see it is written now and falls due then; an earlier plan for
    # this story (another time, or none any more), written when `before` lay ahead, goes.
    if before is not None and before > now:
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
