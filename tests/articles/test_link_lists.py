"""One tag's or one author's list read from the link table's own index: the same stories in
the same order as the article's, across cursors, and the copy of `published_at` that the
database keeps on each link."""

from datetime import timedelta

import pytest
from sqlalchemy import select, update
from sqlmodel import Session

from app.articles import service
from app.db import utcnow
from app.models import Article, ArticleAuthor, ArticleStatus, ArticleTag
from app.visibility import Viewer
from tests.factories import BASE, make_article, make_author, make_key, make_section, make_tag

pytestmark = pytest.mark.anyio


def _archive(session: Session) -> tuple:
    """A tag and an author on visible stories (some at the same minute), on hidden ones,
    and stories of neither."""
    tag, other_tag = make_tag(session), make_tag(session)
    author, other_author = make_author(session), make_author(session)
    news = make_section(session)
    shown = []
    for i in range(9):
        shown.append(
            make_article(
                session,
                tags=[tag] if i % 3 else [other_tag, tag],
                authors=[author],
                minutes_after=i // 2,  # pairs share a publication time: the id breaks ties
                section_id=news.id if i % 2 else None,
            )
        )
    hidden = [
        {"status": ArticleStatus.draft, "published_at": None, "first_published_at": None},
        {"status": ArticleStatus.unpublished},
        {"status": ArticleStatus.scheduled, "published_at": utcnow() + timedelta(hours=1)},
        {"embargo_until": utcnow() + timedelta(hours=1)},
    ]
    for overrides in hidden:
        make_article(session, tags=[tag], authors=[author], **overrides)
    make_article(session, tags=[other_tag], authors=[other_author])
    return tag, author, news, shown


def _in_order(articles: list[Article], order: str) -> list[str]:
    keyed = sorted(articles, key=lambda a: (a.published_at, a.id), reverse=order == "newest")
    return [a.id for a in keyed]


async def _walk(client, url: str) -> list[str]:
    """Every id of a list, two to a page, following `next_cursor`."""
    ids: list[str] = []
    cursor = None
    while True:
        page = f"{url}&limit=2" + (f"&cursor={cursor}" if cursor else "")
        response = await client.get(page)
        assert response.status_code == 200, response.text
        body = response.json()
        ids += [a["id"] for a in body["data"]]
        cursor = body["meta"]["next_cursor"]
        if cursor is None:
            return ids


@pytest.mark.parametrize("order", ["newest", "oldest"])
async def test_tag_list_pages_through_the_visible_stories_in_order(session, client, order):
    tag, _, _, shown = _archive(session)
    for ref in (tag.slug, tag.id):
        ids = await _walk(client, f"/v1/articles?tag={ref}&order={order}")
        assert ids == _in_order(shown, order)


@pytest.mark.parametrize("order", ["newest", "oldest"])
async def test_author_list_pages_through_the_visible_stories_in_order(session, client, order):
    _, author, _, shown = _archive(session)
    assert await _walk(client, f"/v1/articles?author={author.slug}&order={order}") == _in_order(
        shown, order
    )
    assert await _walk(client, f"/v1/authors/{author.id}/articles?order={order}") == _in_order(
        shown, order
    )


async def test_link_list_keeps_the_other_filters(session, client):
    tag, author, news, shown = _archive(session)
    in_news = [a for a in shown if a.section_id == news.id]
    after = shown[1].published_at.isoformat().replace("+00:00", "Z")
    url = f"/v1/articles?tag={tag.slug}&author={author.id}&section={news.slug}"
    assert await _walk(client, url) == _in_order(in_news, "newest")
    later = [a for a in shown if a.published_at > shown[1].published_at]
    assert await _walk(client, f"/v1/articles?tag={tag.id}&published_after={after}") == _in_order(
        later, "newest"
    )


async def test_link_list_equals_the_article_walk(session):
    # The same filters through the link index and through the article's: one answer.
    tag, author, _, _ = _archive(session)
    viewer = Viewer()
    for filters in (
        service.ArticleFilters(tag_groups=((tag.slug,),)),
        service.ArticleFilters(author=author.slug),
    ):
        walked, ordering = service._filtered(filters, viewer, "newest")
        assert ordering.keys[0].column.table.name in ("article_tag", "article_author")
        joined, _ = service._filtered(filters, viewer, "updated")
        by_article = service.ORDERINGS["newest"]
        expected = session.scalars(
            joined.where(Article.published_at.is_not(None)).order_by(*by_article.order_by())
        ).all()
        got = session.scalars(walked.order_by(*ordering.order_by())).all()
        assert [a.id for a in got] == [a.id for a in expected]
        assert len(got) == 9


async def test_preview_reader_sees_hidden_stories_with_a_time_in_a_tag_list(session, client):
    tag, _, _, shown = _archive(session)
    headers = {"Authorization": f"Bearer {make_key(session, 'content:preview')}"}
    body = (await client.get(f"/v1/articles?tag={tag.id}&limit=100", headers=headers)).json()
    # Everything tagged that has a publication time: not the draft.
    assert len(body["data"]) == len(shown) + 3


async def test_cursor_of_the_article_list_continues_a_tag_list(session, client):
    # A cursor carries the same ordering name and values through either index.
    tag, _, _, shown = _archive(session)
    untagged = make_article(session, minutes_after=100_000)
    first = (await client.get("/v1/articles?limit=1")).json()
    assert first["data"][0]["id"] == untagged.id
    rest = await client.get(f"/v1/articles?tag={tag.id}&cursor={first['meta']['next_cursor']}")
    assert [a["id"] for a in rest.json()["data"]] == _in_order(shown, "newest")


def _link_times(session: Session, article_id: str) -> set:
    session.expire_all()
    tags = session.scalars(
        select(ArticleTag.published_at).where(ArticleTag.article_id == article_id)
    ).all()
    authors = session.scalars(
        select(ArticleAuthor.published_at).where(ArticleAuthor.article_id == article_id)
    ).all()
    return set(tags) | set(authors)


async def test_links_take_their_article_time_when_written(session):
    tag, author = make_tag(session), make_author(session)
    article = make_article(session, tags=[tag], authors=[author])
    assert _link_times(session, article.id) == {article.published_at}
    draft = make_article(session, tags=[tag], status=ArticleStatus.draft, published_at=None)
    assert _link_times(session, draft.id) == {None}


async def test_links_follow_a_new_publication_time(session):
    tag, author = make_tag(session), make_author(session)
    article = make_article(session, tags=[tag], authors=[author])
    later = BASE + timedelta(days=3)
    session.execute(update(Article).where(Article.id == article.id).values(published_at=later))
    session.commit()
    assert _link_times(session, article.id) == {later}
    session.execute(update(Article).where(Article.id == article.id).values(published_at=None))
    session.commit()
    assert _link_times(session, article.id) == {None}


async def test_publishing_through_the_api_moves_the_story_into_its_tag_list(session, client):
    tag = make_tag(session)
    older = make_article(session, tags=[tag])
    draft = make_article(
        session, tags=[tag], status=ArticleStatus.draft, published_at=None, first_published_at=None
    )
    editor = {"Authorization": f"Bearer {make_key(session, 'content:write', 'content:preview')}"}
    assert (await client.get(f"/v1/articles?tag={tag.id}")).json()["data"][0]["id"] == older.id
    published = await client.post(f"/v1/articles/{draft.id}/publish", headers=editor)
    assert published.status_code == 200, published.text
    ids = [a["id"] for a in (await client.get(f"/v1/articles?tag={tag.id}")).json()["data"]]
    assert ids == [draft.id, older.id]
    assert _link_times(session, draft.id) == {
        session.get(Article, draft.id).published_at  # type: ignore[union-attr]
    }
