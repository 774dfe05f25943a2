"""An article's workflow: publish, schedule, unpublish, and corrections; each a save."""

from typing import Any

from sqlmodel import Session

from app.articles.saving import find_article, finish, save
from app.articles.schemas import (
    PublishIn,
    ScheduleIn,
)
from app.db import utcnow
from app.editorial import Editor, save_version
from app.errors import Conflict, ValidationFailed
from app.ids import new_id
from app.models import (
    Article,
    ArticleStatus,
    Correction,
)


def publish_article(session: Session, who: Editor, *, ref: str, data: PublishIn) -> Article:
    """Make the story visible now (or at a past time given for back-dating)."""
    article = find_article(session, ref)
    now = utcnow()
    if data.published_at is not None and data.published_at > now:
        raise ValidationFailed(
            "published_at", "a future time schedules the story: use /schedule with publish_at"
        )
    if data.published_at is not None:
        at = data.published_at
    elif article.status == ArticleStatus.unpublished and article.published_at:
        at = article.published_at  # back after a takedown: keeps its date
    elif article.status == ArticleStatus.published and article.published_at:
        at = article.published_at
    else:
        at = now
    values: dict[str, Any] = {
        "status": ArticleStatus.published,
        "published_at": at,
        "first_published_at": article.first_published_at or at,
    }
    if "embargo_until" in data.model_fields_set:
        values["embargo_until"] = data.embargo_until
    return save(
        session,
        who,
        article,
        values=values,
        action="publish",
        expected=who.expected_version(required=False),
        fields=sorted(values),
    )


def schedule_article(session: Session, who: Editor, *, ref: str, data: ScheduleIn) -> Article:
    """Make the story visible exactly from `publish_at`, with no job needing to run."""
    article = find_article(session, ref)
    if data.publish_at <= utcnow():
        raise ValidationFailed("publish_at", "must be in the future (use /publish for now)")
    if article.status == ArticleStatus.published and article.published_at <= utcnow():
        raise Conflict("The story is already published; unpublish it first to reschedule.")
    values: dict[str, Any] = {"status": ArticleStatus.scheduled, "published_at": data.publish_at}
    if article.first_published_at is None or article.first_published_at > utcnow():
        # It will first be seen then (if it was never seen before).
        values["first_published_at"] = data.publish_at
    if "embargo_until" in data.model_fields_set:
        values["embargo_until"] = data.embargo_until
    return save(
        session,
        who,
        article,
        values=values,
        action="schedule",
        expected=who.expected_version(required=False),
        fields=sorted(values),
    )


def unpublish_article(session: Session, who: Editor, *, ref: str) -> Article:
    """Take the story down; it keeps its dates and can be published again."""
    article = find_article(session, ref)
    if article.status == ArticleStatus.draft:
        raise Conflict("A draft is not published.")
    values: dict[str, Any] = {"status": ArticleStatus.unpublished}
    now = utcnow()
    if article.first_published_at is not None and article.first_published_at > now:
        values["first_published_at"] = None  # scheduled, never seen: it was not published
    return save(
        session,
        who,
        article,
        values=values,
        action="unpublish",
        expected=who.expected_version(required=False),
        fields=["status"],
    )


def add_correction(session: Session, who: Editor, *, ref: str, text: str) -> Article:
    """Append a dated, public correction; corrections are never edited or removed."""
    article = find_article(session, ref)
    version = save_version(
        session, Article, article.id, expected=who.expected_version(required=False), values={}
    )
    session.add(Correction(id=new_id("cor"), article_id=article.id, text=text))
    return finish(session, who, article, version, "correct", ["corrections"])
