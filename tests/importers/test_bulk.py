"""The bulk path of `byline import`: `create_articles` leaves each story exactly as the write
API's create and then publish (or schedule) would, 200 to a transaction; a story the batch
cannot write is skipped alone."""

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlmodel import Session

from app.articles.schemas import ArticleCreate, PublishIn, ScheduleIn
from app.articles.workflow import NewArticle, create_articles
from app.db import utcnow
from app.editorial import Editor
from app.importers.apply import Importer, Story, import_into
from app.models import (
    Article,
    ArticleAuthor,
    ArticleRevision,
    ArticleStatus,
    ArticleTag,
    AuditEvent,
    ContentState,
    Event,
    ImportSource,
)
from tests.conftest import is_postgres
from tests.factories import make_author, make_key, make_photo, make_section, make_tag
from tests.test_query_count import count_statements

pytestmark = pytest.mark.anyio

PAST = datetime(2024, 3, 4, 5, 6, 7, tzinfo=UTC)
# Times that differ between two saves made moments apart, whatever path made them.
_MOMENTS = {"created_at", "updated_at", "occurred_at", "request_id"}


@pytest.fixture
def editor(session: Session) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_key(session, 'content:write', 'content:preview')}"}


def _story(session: Session, slug: str) -> dict[str, Any]:
    """An article body with every kind of reference the save resolves."""
    section = make_section(session)
    photo = make_photo(session)
    return {
        "headline": "Talks in Istanbul",
        "slug": slug,
        "summary": "Delegations met for three hours.",
        "section": section.slug,
        "lead_photo": photo.id,
        "authors": [{"author": make_author(session).slug, "role": "reporter"}],
        "tags": [make_tag(session).slug, make_tag(session).id],
        "body": [
            {
                "type": "paragraph",
                "html": 'One <em>two</em> <script>x</script><a href="/a">three</a>.',
            },
            {"type": "photo", "photo_id": photo.id},
            {"type": "heading", "text": "Next"},
        ],
    }


def _without_moments(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_moments(v) for k, v in value.items() if k not in _MOMENTS}
    if isinstance(value, list):
        return [_without_moments(v) for v in value]
    return value


def _traces(session: Session, article_id: str) -> dict[str, Any]:
    """Everything a save leaves about a story beside its row: revisions, events, audit."""
    session.expire_all()
    revisions = session.scalars(
        select(ArticleRevision)
        .where(ArticleRevision.article_id == article_id)
        .order_by(ArticleRevision.number)
    ).all()
    events = session.scalars(
        select(Event).where(Event.subject_id == article_id).order_by(Event.occurred_at, Event.id)
    ).all()
    audits = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.resource_id == article_id)
        .order_by(AuditEvent.at, AuditEvent.id)
    ).all()
    return {
        "revisions": [[r.number, r.action, r.key_id, r.snapshot] for r in revisions],
        "events": [
            [e.type, e.subject_type, e.data, e.occurred_at > e.created_at + timedelta(seconds=1)]
            for e in events
        ],
        "audit": [[a.action, a.resource_type, a.version, a.fields, a.key_id] for a in audits],
    }


def _same_but_names(value: Any, api: Article, bulk: Article) -> Any:
    """`value` of the API's story as it reads for the bulk story (its id, slug, section)."""
    raw = json.dumps(_without_moments(value))
    for old, new in ((api.id, bulk.id), (api.slug, bulk.slug)):
        raw = raw.replace(old, new)
    return json.loads(raw)


async def _via_api(client, editor, session: Session, body: dict[str, Any], step: str) -> Article:
    created = await client.post("/v1/articles", json=body, headers=editor)
    assert created.status_code == 201, created.text
    ref = created.json()["data"]["id"]
    if step == "publish":
        done = await client.post(
            f"/v1/articles/{ref}/publish", json={"published_at": PAST.isoformat()}, headers=editor
        )
        assert done.status_code == 200, done.text
    elif step == "schedule":
        at = (utcnow() + timedelta(days=3)).replace(microsecond=0)
        done = await client.post(
            f"/v1/articles/{ref}/schedule", json={"publish_at": at.isoformat()}, headers=editor
        )
        assert done.status_code == 200, done.text
    article = session.get(Article, ref, populate_existing=True)
    assert article is not None
    return article


def _as_the_key(session: Session, article_id: str) -> Editor:
    """The editor the API's save recorded: the same key writes the bulk story."""
    row = session.scalars(select(AuditEvent).where(AuditEvent.resource_id == article_id)).first()
    assert row is not None
    return Editor(key_id=row.key_id, key_name=row.key_name, request_id=None, if_match="*")


def _new(body: dict[str, Any], step: str, api: Article) -> NewArticle:
    data = ArticleCreate(**body)
    if step == "publish":
        return NewArticle(data, publish=PublishIn(published_at=PAST))
    if step == "schedule":
        assert api.published_at is not None
        return NewArticle(data, schedule=ScheduleIn(publish_at=api.published_at))
    return NewArticle(data)


@pytest.mark.parametrize(
    ("step", "status", "version"),
    [
        ("publish", ArticleStatus.published, 2),
        ("schedule", ArticleStatus.scheduled, 2),
        ("draft", ArticleStatus.draft, 1),
    ],
)
async def test_a_bulk_story_is_what_the_api_makes(
    client, editor, session: Session, step: str, status: ArticleStatus, version: int
) -> None:
    body = _story(session, "api-story")
    api = await _via_api(client, editor, session, body, step)
    bulk_body = {**body, "slug": "bulk-story"}
    [bulk] = create_articles(session, _as_the_key(session, api.id), [_new(bulk_body, step, api)])

    assert bulk.status == status and bulk.version == version
    api_json = (await client.get(f"/v1/articles/{api.id}", headers=editor)).json()["data"]
    bulk_json = (await client.get(f"/v1/articles/{bulk.id}", headers=editor)).json()["data"]
    assert bulk_json["version"] == version
    assert _without_moments(bulk_json) == _same_but_names(api_json, api, bulk)

    api_traces, bulk_traces = _traces(session, api.id), _traces(session, bulk.id)
    actions = {"publish": ["create", "publish"], "schedule": ["create", "schedule"]}
    assert [r[1] for r in bulk_traces["revisions"]] == actions.get(step, ["create"])
    assert _without_moments(bulk_traces) == _same_but_names(api_traces, api, bulk)
    # Its tag and author rows carry its publication time, as the lists read them.
    for link in (ArticleTag, ArticleAuthor):
        times = session.scalars(select(link.published_at).where(link.article_id == bulk.id))
        assert set(times) == {bulk.published_at}


def test_a_batch_moves_the_content_generation_once(session: Session) -> None:
    who = Editor(key_id=None, key_name="test", request_id=None, if_match="*")
    before = session.scalar(select(ContentState.generation))
    items = [
        NewArticle(ArticleCreate(headline=f"Story {n}"), publish=PublishIn(published_at=PAST))
        for n in range(5)
    ]
    made = create_articles(session, who, items)
    session.expire_all()
    assert session.scalar(select(ContentState.generation)) == (before or 0) + 1
    assert len({a.slug for a in made}) == 5
    assert session.scalar(select(func.count()).select_from(Article)) == 5


def test_a_batch_costs_the_same_number_of_statements_at_any_size(engine, session: Session) -> None:
    who = Editor(key_id=None, key_name="test", request_id=None, if_match="*")
    section, author, tag = make_section(session), make_author(session), make_tag(session)
    counts = []
    for size in (3, 30):
        items = [
            NewArticle(
                ArticleCreate(
                    headline=f"Story {size} {n}",
                    section=section.slug,
                    authors=[author.slug],
                    tags=[tag.slug],
                    body=[{"type": "photo", "photo_id": make_photo(session).id}],
                ),
                publish=PublishIn(published_at=PAST),
            )
            for n in range(size)
        ]
        with count_statements(engine) as statements:
            create_articles(session, who, items)
        # (A key's last use, written by a timer of its own, is not the batch's.)
        counts.append(len([s for s in statements if "api_key" not in s]))
    assert counts[0] == counts[1]


def _stories(*statuses: tuple[str, datetime | None]) -> list[Story]:
    return [
        Story(
            source_id=str(n),
            kind="post",
            headline=f"Story {n}",
            slug=f"story-{n}",
            body_html=f"<p>Paragraph {n}.</p>",
            status=status,
            published_at=at,
        )
        for n, (status, at) in enumerate(statuses, start=1)
    ]


def _run(session: Session, stories: list[Story]) -> Any:
    importer = Importer(session, system="wordpress")
    return import_into(
        session, importer, authors=[], tags=[], sections=[], photos=[], stories=stories, old_urls={}
    )


def _rows(session: Session) -> dict[str, int]:
    session.expire_all()
    return {
        m.__tablename__: session.scalar(select(func.count()).select_from(m)) or 0
        for m in (Article, ArticleRevision, Event, AuditEvent, ImportSource)
    }


def test_a_story_the_batch_cannot_save_is_skipped_and_the_rest_land(session: Session) -> None:
    # Scheduled for a time already past: the API refuses the schedule, so the batch fails.
    stories = _stories(("published", PAST), ("scheduled", PAST), ("draft", None))
    summary = _run(session, stories)
    assert [s["source_id"] for s in summary.skipped] == ["2"]
    assert "publish_at" in summary.skipped[0]["reason"]
    slugs = set(session.scalars(select(Article.slug)))
    assert slugs == {"story-1", "story-3"}
    recorded = set(session.scalars(select(ImportSource.source_id)))
    assert recorded == {"1", "3"}  # nothing half-written of the skipped one
    assert summary.as_json()["counts"]["post"] == {"imported": 2, "skipped": 1}


@pytest.fixture
def refused_headline(session: Session) -> Iterator[str]:
    """The database itself refuses a story with this headline (a trigger), as it would one
    that breaks a constraint no check before it knows of."""
    headline = "Refused by the database"
    if is_postgres():
        session.execute(
            text(
                "CREATE FUNCTION refuse_story() RETURNS trigger AS $$ BEGIN "
                f"IF NEW.headline = '{headline}' THEN "
                "RAISE EXCEPTION 'refused' USING ERRCODE = 'check_violation'; END IF; "
                "RETURN NEW; END $$ LANGUAGE plpgsql"
            )
        )
        session.execute(
            text(
                "CREATE TRIGGER refuse_story BEFORE INSERT ON article "
                "FOR EACH ROW EXECUTE FUNCTION refuse_story()"
            )
        )
    else:
        session.execute(
            text(
                "CREATE TRIGGER refuse_story BEFORE INSERT ON article "
                f"WHEN NEW.headline = '{headline}' BEGIN SELECT RAISE(ABORT, 'refused'); END"
            )
        )
    session.commit()
    yield headline
    session.rollback()
    session.execute(text("DROP TRIGGER refuse_story" + (" ON article" if is_postgres() else "")))
    if is_postgres():
        session.execute(text("DROP FUNCTION refuse_story()"))
    session.commit()


def test_a_story_the_database_refuses_is_skipped_and_the_rest_land(
    session: Session, refused_headline: str
) -> None:
    stories = _stories(*[("published", PAST)] * 5)
    stories[2].headline = refused_headline
    summary = _run(session, stories)
    assert [s["source_id"] for s in summary.skipped] == ["3"]
    # A constraint the database enforces: the 409 the write API answers with.
    assert summary.skipped[0]["reason"].startswith("The change conflicts")
    assert set(session.scalars(select(ImportSource.source_id))) == {"1", "2", "4", "5"}
    assert set(session.scalars(select(Article.slug))) == {
        "story-1",
        "story-2",
        "story-4",
        "story-5",
    }
    # Each story that landed is whole: its two saves' revisions, audit records and events.
    rows = _rows(session)
    assert rows["article_revision"] == 8 and rows["audit_event"] == 8
    assert rows["event"] == 8


def test_a_second_run_writes_nothing(session: Session) -> None:
    stories = _stories(("published", PAST), ("draft", None))
    _run(session, stories)
    before = _rows(session)
    generation = session.scalar(select(ContentState.generation))
    again = _run(session, _stories(("published", PAST), ("draft", None)))
    assert _rows(session) == before
    assert session.scalar(select(ContentState.generation)) == generation
    assert again.as_json()["counts"]["post"] == {"unchanged": 2}


def test_a_story_listed_twice_is_made_once(session: Session) -> None:
    stories = _stories(("published", PAST), ("draft", None))
    stories.append(_stories(("published", PAST))[0])  # source id "1" again
    summary = _run(session, stories)
    assert set(session.scalars(select(ImportSource.source_id))) == {"1", "2"}
    assert _rows(session)["article"] == 2
    assert summary.as_json()["counts"]["post"] == {"imported": 2, "unchanged": 1}
