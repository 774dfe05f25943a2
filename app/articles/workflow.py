"""An article's workflow: publish, schedule, unpublish, and corrections; each a save. And
`create_articles`, the bulk path: many new stories saved straight into their final state."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session

from app.articles.events import seen_from
from app.articles.saving import (
    Draft,
    Lookup,
    Slugs,
    add_new,
    commit_save,
    find_article,
    finish,
    new_article,
    record_save,
    save,
)
from app.articles.schemas import (
    ArticleCreate,
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
    Site,
)


def publish_values(article: Article, data: PublishIn, now: datetime) -> dict[str, Any]:
    """What publishing `article` as it is now writes (422 for a time ahead)."""
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
    return values


def schedule_values(article: Article, data: ScheduleIn, now: datetime) -> dict[str, Any]:
    """What scheduling `article` as it is now writes (422 for a past time, 409 when live)."""
    if data.publish_at <= now:
        raise ValidationFailed("publish_at", "must be in the future (use /publish for now)")
    if (
        article.status == ArticleStatus.published
        and article.published_at is not None
        and article.published_at <= now
    ):
        raise Conflict("The story is already published; unpublish it first to reschedule.")
    values: dict[str, Any] = {"status": ArticleStatus.scheduled, "published_at": data.publish_at}
    if article.first_published_at is None or article.first_published_at > now:
        # It will first be seen then (if it was never seen before).
        values["first_published_at"] = data.publish_at
    if "embargo_until" in data.model_fields_set:
        values["embargo_until"] = data.embargo_until
    return values


def publish_article(session: Session, who: Editor, *, ref: str, data: PublishIn) -> Article:
    """Make the story visible now (or at a past time given for back-dating)."""
    article = find_article(session, ref)
    values = publish_values(article, data, utcnow())
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
    values = schedule_values(article, data, utcnow())
    return save(
        session,
        who,
        article,
        values=values,
        action="schedule",
        expected=who.expected_version(required=False),
        fields=sorted(values),
    )


@dataclass
class NewArticle:
    """A story to create, and where its workflow takes it: published (`publish`),
    scheduled (`schedule`), or left a draft (neither)."""

    data: ArticleCreate
    publish: PublishIn | None = None
    schedule: ScheduleIn | None = None


def create_articles(
    session: Session,
    who: Editor,
    items: list[NewArticle],
    *,
    also: Callable[[list[Article]], Iterable[Any]] | None = None,
) -> list[Article]:
    """Create stories in one transaction, each written once, directly in the state that
    `create_article` and then `publish_article` or `schedule_article` leave it in: the
    same row and version (2 once published or scheduled), the same revisions, events and
    audit records, one set per save. What the batch names (sections, authors, tags,
    photos, slugs) is read once for all of it; the content generation moves once, at the
    commit. An invalid story fails the whole batch with its error, before anything is
    written; `also` gives rows of the caller's that commit with the stories.
    """
    lookup = Lookup.of(session, [item.data for item in items])
    slugs = Slugs(session, [item.data for item in items])
    site = session.get(Site, 1)
    planned: list[tuple[Draft, str | None, dict[str, Any]]] = []
    for item in items:
        draft = new_article(session, item.data, lookup=lookup, slugs=slugs, site=site)
        step, values = None, {}
        if item.publish is not None:
            step, values = "publish", publish_values(draft.article, item.publish, utcnow())
        elif item.schedule is not None:
            step, values = "schedule", schedule_values(draft.article, item.schedule, utcnow())
        planned.append((draft, step, values))
    for draft, step, values in planned:
        written = add_new(session, who, draft, lookup)
        if step is None:
            continue
        article = draft.article
        before = seen_from(article)
        for name, value in values.items():
            setattr(article, name, value)
        # The second save, as `save_version` would write it.
        article.version, article.updated_at = 2, utcnow()
        record_save(
            session,
            who,
            article,
            version=2,
            action=step,
            fields=sorted(values),
            before=before,
            written=written,
            deferred=False,
        )
    articles = [draft.article for draft, _, _ in planned]
    if also is not None:
        session.add_all(also(articles))
    commit_save(session)
    return articles


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
