"""What an article's events say and when they happen.

Events follow what readers see: `article.published` when a story becomes visible (at the
save, or, for a scheduled or embargoed story, at its time: that event is written with the
save and falls due then), `article.unpublished` when it stops being visible,
`article.scheduled` when a save sets a future time, `article.updated` for any other save.
Each carries the story as an editor sees it (without its body) and the surrogate keys a
CDN should purge.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from app.articles import service
from app.articles.schemas import INCLUDES, article_out, surrogate_keys
from app.db import utcnow
from app.events.outbox import cancel_deferred, emit
from app.models import Article, ArticleRevision
from app.timeparams import as_utc
from app.visibility import Viewer, visible_from

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
    """The `data` of an article event: the story, the fields the save touched, purge keys."""
    viewer = Viewer(preview=True, now=now)
    embeds = service.load_embeds(session, [article], include=INCLUDES, viewer=viewer, detail=True)
    out = article_out(article, embeds, include=INCLUDES, now=now, detail=True)
    return {
        "article": {name: out.get(name) for name in _PAYLOAD_FIELDS},
        "embargo_until": article.embargo_until,
        "fields": sorted(fields),
        "surrogate_keys": sorted(surrogate_keys(out) | {"articles"}),
    }


def _when(value: Any) -> datetime | None:
    return as_utc(datetime.fromisoformat(value)) if value else None


def _visible_before(session: Session, article_id: str, version: int) -> datetime | None:
    """When readers saw the story as the previous save left it (every save is a revision)."""
    snapshot = session.scalar(
        select(ArticleRevision.snapshot).where(
            ArticleRevision.article_id == article_id, ArticleRevision.number == version - 1
        )
    )
    if not snapshot:
        return None
    return visible_from(
        snapshot["status"], _when(snapshot["published_at"]), _when(snapshot["embargo_until"])
    )


def _visible(article: Article) -> datetime | None:
    return visible_from(article.status, article.published_at, article.embargo_until)


def announce_save(
    session: Session, article: Article, *, action: str, fields: list[str], created: bool = False
) -> None:
    """The events of one save of `article` (already flushed), in its transaction."""
    now = utcnow()
    after = _visible(article)
    before = None if created else _visible_before(session, article.id, article.version)
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
    if kind == "article.scheduled":
        data["visible_at"] = after
    emit(session, kind, subject_type="article", subject_id=article.id, data=data)
    # The moment readers will see it is written now and falls due then; any earlier plan
    # for this story (another time, or none any more) is dropped.
    cancel_deferred(
        session, type_="article.published", subject_type="article", subject_id=article.id
    )
    if after is not None and after > now:
        emit(
            session,
            "article.published",
            subject_type="article",
            subject_id=article.id,
            data=payload(session, article, now=after, fields=["status"]),
            at=after,
        )


def announce_delete(session: Session, article: Article) -> None:
    """`article.deleted`, before the rows go (the payload reads them), in the same transaction."""
    data = payload(session, article, now=utcnow(), fields=[])
    cancel_deferred(
        session, type_="article.published", subject_type="article", subject_id=article.id
    )
    emit(session, "article.deleted", subject_type="article", subject_id=article.id, data=data)
