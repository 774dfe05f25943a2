"""Full-text search on `GET /v1/articles?q=`: ranking, the query language, filters,
visibility, snippets, cursors, hostile input, and an index the database keeps current.

The same expectations run on SQLite (FTS5) and PostgreSQL (tsvector): the two engines give
the same articles for the same data and query.
"""

from datetime import timedelta

import pytest
from sqlalchemy import delete, insert, update

from app.articles.blocks import body_columns
from app.db import utcnow
from app.ids import new_id
from app.models import Article, ArticleStatus, ArticleType
from tests.factories import BASE, make_article, make_key, make_section, make_tag
from tests.test_query_count import count_statements

pytestmark = pytest.mark.anyio

PROBLEM = "application/problem+json"


def _story(session, slug, headline, body, **kw):
    return make_article(session, slug=slug, headline=headline, paragraphs=[body], **kw)


@pytest.fixture
def newsroom(session):
    """A fixed set of stories; every query below has one right answer on both databases."""
    news = make_section(session, slug="news")
    business = make_section(session, slug="business")
    war = make_tag(session, slug="war")
    s = {"news": news, "business": business, "war": war}
    s["headline"] = _story(
        session,
        "ceasefire-headline",
        "Ceasefire talks resume in Istanbul",
        "Delegations met for three hours on Friday afternoon.",
        section_id=news.id,
        tags=[war],
        summary="Negotiators from both sides returned to the table.",
    )
    s["body"] = _story(
        session,
        "ceasefire-body",
        "Grain exports rise in spring",
        "Traders said shipments grew after the ceasefire proposal was mentioned.",
        section_id=business.id,
        summary="Ports handled more cargo than a year ago.",
    )
    s["peace"] = _story(
        session,
        "peace-talks",
        "Peace talks stall over prisoner exchange",
        "Officials said the peace talks would continue next week in Geneva.",
        section_id=news.id,
        tags=[war],
        type=ArticleType.analysis,
    )
    s["talks-peace"] = _story(
        session,
        "talks-about-peace",
        "Talks about a lasting peace",
        "Historians reflected on talks held decades ago and on what peace means.",
        section_id=news.id,
    )
    s["drones"] = _story(
        session,
        "drones-kyiv",
        "Drones strike Kyiv overnight",
        "Air defense downed most drones over Kyiv; Moscow denied involvement.",
        section_id=news.id,
        tags=[war],
    )
    s["kyiv-only"] = _story(
        session,
        "kyiv-museum",
        "Museum in Kyiv reopens",
        "Visitors queued for hours to see the restored collection.",
        section_id=news.id,
    )
    s["html"] = _story(
        session,
        "script-story",
        "Markup in copy",
        # Text, not markup: the body says "<script>" in words.
        "The string &lt;script&gt;alert(1)&lt;/script&gt; appeared near the word quarantine"
        " &amp; more.",
        section_id=business.id,
    )
    # Hidden from readers: a draft, a story scheduled for later, an embargoed one.
    later = utcnow() + timedelta(days=1)
    s["draft"] = _story(
        session,
        "secret-draft",
        "Ceasefire secret draft",
        "Ceasefire wording nobody may read yet.",
        status=ArticleStatus.draft,
        published_at=None,
    )
    s["scheduled"] = _story(
        session,
        "secret-scheduled",
        "Ceasefire scheduled story",
        "Ceasefire news for tomorrow.",
        status=ArticleStatus.scheduled,
        published_at=later,
    )
    s["embargoed"] = _story(
        session,
        "secret-embargo",
        "Ceasefire embargoed report",
        "Ceasefire figures under embargo.",
        embargo_until=later,
    )
    return s


async def _slugs(client, query: str, **headers: str) -> list[str]:
    response = await client.get(f"/v1/articles?{query}", headers=headers)
    assert response.status_code == 200, response.text
    return [item["slug"] for item in response.json()["data"]]


async def test_a_headline_hit_ranks_above_a_body_hit(newsroom, client):
    assert await _slugs(client, "q=ceasefire") == ["ceasefire-headline", "ceasefire-body"]


async def test_exclusions_do_not_flatten_the_ranking(newsroom, client):
    assert await _slugs(client, "q=ceasefire+-prisoner") == [
        "ceasefire-headline",
        "ceasefire-body",
    ]


async def test_an_estimated_total_of_a_search_is_exact(newsroom, client):
    body = (await client.get("/v1/articles?q=ceasefire&count=estimate")).json()
    assert body["meta"]["total"] == 2


async def test_with_q_the_default_order_is_relevance_and_newest_can_be_asked_for(newsroom, client):
    assert await _slugs(client, "q=ceasefire&order=relevance") == [
        "ceasefire-headline",
        "ceasefire-body",
    ]
    # The body story was made later: newest puts it first.
    assert await _slugs(client, "q=ceasefire&order=newest") == [
        "ceasefire-body",
        "ceasefire-headline",
    ]


@pytest.mark.parametrize(
    "q, expected",
    [
        ("ceasefire", {"ceasefire-headline", "ceasefire-body"}),
        ("CEASEFIRE", {"ceasefire-headline", "ceasefire-body"}),
        ('"peace talks"', {"peace-talks"}),
        ("peace talks", {"peace-talks", "talks-about-peace"}),
        ("peace AND talks", {"peace-talks", "talks-about-peace"}),
        ("ceasefire OR prisoner", {"ceasefire-headline", "ceasefire-body", "peace-talks"}),
        ("kyiv NOT moscow", {"kyiv-museum"}),
        ("kyiv -moscow", {"kyiv-museum"}),
        ("kyiv -drones -museum", set()),
        ("(ceasefire OR drones) AND kyiv", {"drones-kyiv"}),
        ("talk*", {"ceasefire-headline", "peace-talks", "talks-about-peace"}),
        ("negotiators", {"ceasefire-headline"}),  # the summary is searched too
        ("script", {"script-story"}),
        ("nothing-like-this", set()),
        ("Istanbul ceasefire-headline", set()),  # slugs are not text
    ],
)
async def test_query_language_finds_the_same_stories_on_every_database(
    newsroom, client, q, expected
):
    from urllib.parse import quote

    assert set(await _slugs(client, f"q={quote(q)}&limit=100")) == expected


async def test_search_combines_with_section_tag_and_type(newsroom, client):
    assert set(await _slugs(client, "q=talks&section=news&limit=100")) == {
        "ceasefire-headline",
        "peace-talks",
        "talks-about-peace",
    }
    assert await _slugs(client, "q=peace&section=news&tag=war") == ["peace-talks"]
    assert await _slugs(client, "q=ceasefire&section=business") == ["ceasefire-body"]
    assert await _slugs(client, "q=talks&type=analysis") == ["peace-talks"]
    assert await _slugs(client, "q=ceasefire&type=video") == []


async def test_hidden_stories_are_never_found_not_even_counted(newsroom, client):
    response = await client.get("/v1/articles?q=ceasefire&count=exact&limit=100")
    body = response.json()
    assert {i["slug"] for i in body["data"]} == {"ceasefire-headline", "ceasefire-body"}
    assert body["meta"]["total"] == 2
    for q in ("secret", "embargo", "scheduled", "nobody"):
        found = (await client.get(f"/v1/articles?q={q}&count=exact")).json()
        assert found["data"] == [] and found["meta"]["total"] == 0


async def test_a_partner_finds_only_its_own_sections(newsroom, session, client):
    secret = make_key(session, "partner", sections=["business"])
    body = (
        await client.get("/v1/articles?q=ceasefire&count=exact", headers={"X-API-Key": secret})
    ).json()
    assert [i["slug"] for i in body["data"]] == ["ceasefire-body"]
    assert body["meta"]["total"] == 1


async def test_a_preview_key_finds_drafts_by_relevance(newsroom, session, client):
    secret = make_key(session, "content:preview")
    slugs = await _slugs(client, "q=secret&limit=100", **{"X-API-Key": secret})
    assert set(slugs) == {"secret-draft"}


async def test_each_hit_carries_an_html_safe_snippet_with_marks(newsroom, client):
    body = (await client.get("/v1/articles?q=quarantine")).json()
    [hit] = body["data"]
    snippet = hit["search"]["snippet"]
    assert "<mark>quarantine</mark>" in snippet
    # Escaped (SQLite shows the words) or left out (PostgreSQL drops what looks like tags).
    assert "<script" not in snippet and "&amp; more" in snippet
    assert snippet.replace("<mark>", "").replace("</mark>", "").count("<") == 0
    # Without q there is no search object.
    plain = (await client.get("/v1/articles?limit=1")).json()["data"][0]
    assert "search" not in plain


async def test_the_snippet_stays_with_sparse_fields(newsroom, client):
    [hit] = (await client.get("/v1/articles?q=prisoner&fields=headline")).json()["data"]
    assert set(hit) == {"id", "headline", "search"}
    assert "<mark>" in hit["search"]["snippet"].lower()


async def test_relevance_cursors_walk_every_match_once(session, client):
    # Scores that differ (one to eight mentions), and ties among equal ones.
    for n in range(20):
        words = " ".join(["harvest"] * (1 + n % 8))
        _story(session, f"harvest-{n}", f"Farm report {n}", f"{words} and the weather.")
    everything = await _slugs(client, "q=harvest&limit=100")
    assert len(everything) == 20
    seen, cursor = [], None
    while True:
        url = "/v1/articles?q=harvest&limit=6" + (f"&cursor={cursor}" if cursor else "")
        body = (await client.get(url)).json()
        seen += [i["slug"] for i in body["data"]]
        cursor = body["meta"]["next_cursor"]
        if not cursor:
            break
        assert body["links"]["next"].endswith(f"cursor={cursor}")
    assert seen == everything


async def test_a_relevance_cursor_only_continues_its_own_query(newsroom, client):
    body = (await client.get("/v1/articles?q=talks&limit=1")).json()
    cursor = body["meta"]["next_cursor"]
    assert cursor
    other = await client.get(f"/v1/articles?q=peace&limit=1&cursor={cursor}")
    assert other.status_code == 400
    assert other.json()["errors"][0]["field"] == "cursor"


async def test_a_search_page_costs_the_same_number_of_queries_at_any_size(
    engine, newsroom, session, client
):
    for n in range(12):
        _story(session, f"orchard-{n}", f"Orchard {n}", "orchard " * (n + 1))
    counts = {}
    for limit in (2, 12):
        with count_statements(engine) as statements:
            response = await client.get(f"/v1/articles?q=orchard&include=authors&limit={limit}")
        assert len(response.json()["data"]) == limit
        counts[limit] = len(statements)
    assert counts[2] == counts[12]


HOSTILE = [
    '"',
    '""',
    '"unbalanced',
    "*",
    "ceasefire*",
    "NEAR(",
    "NEAR(ceasefire talks, 2)",
    "(((",
    "((( ceasefire",
    ")",
    "ceasefire)",
    "AND",
    "OR OR",
    "NOT",
    "NOT ceasefire",
    "-",
    "-ceasefire",
    "--ceasefire",
    ":",
    "headline:ceasefire",
    "^",
    "^ceasefire",
    "ceasefire^2",
    "🙂",
    "ceasefire 🙂 talks",
    "👨‍👩‍👧‍👦",
    "مفاوضات وقف إطلاق النار",
    "\u202eceasefire\u202c",
    "שלום",
    "e\u0301\u0301\u0301",
    "\u0301",
    "x" * 2000,
    "ceasefire " * 200,
    ("a " * 1000)[:2000],
    "\\",
    "\\\\ceasefire",
    "'",
    "ceasefire'",
    "O'Brien",
    "'; DROP TABLE article; --",
    "1 OR 1=1",
    "ceasefire' OR '1'='1",
    'ceasefire"; SELECT * FROM api_key; --',
    "%",
    "_",
    "{}[]",
    "<script>",
    "ceasefire & talks | peace ! war",
    "a <-> b",
    "ceasefire:*",
    "\t\n\r",
    "\ue000ceasefire\ue001",
]


@pytest.mark.parametrize("q", HOSTILE, ids=range(len(HOSTILE)))
async def test_hostile_queries_answer_200_or_a_400_problem_never_500(newsroom, client, q):
    for order in ("relevance", "newest"):
        params = {"q": q, "count": "exact", "order": order}
        response = await client.get("/v1/articles", params=params)
        assert response.status_code in (200, 400), (q, response.text)
        if response.status_code == 400:
            assert response.headers["content-type"] == PROBLEM
            assert response.json()["errors"][0]["field"] in ("q", "order")


async def test_an_over_long_query_is_a_400(newsroom, client):
    response = await client.get("/v1/articles", params={"q": "x" * 2001})
    assert response.status_code == 400
    assert response.headers["content-type"] == PROBLEM


async def test_relevance_without_q_is_a_400(client, session):
    response = await client.get("/v1/articles?order=relevance")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "order"


# The index is the database's: every write path keeps it current, in its transaction.


async def test_an_article_saved_through_the_orm_is_found(session, client):
    article = _story(session, "zeppelin", "Zeppelin lands", "A rare airship landed.")
    assert await _slugs(client, "q=zeppelin") == ["zeppelin"]

    article.headline = "Blimp lands"
    article.body_text = "A rare airship landed."
    session.add(article)
    session.commit()
    assert await _slugs(client, "q=zeppelin") == []
    assert await _slugs(client, "q=blimp") == ["zeppelin"]

    session.delete(article)
    session.commit()
    assert await _slugs(client, "q=blimp") == []
    assert await _slugs(client, "q=airship") == []


async def test_bulk_inserts_and_updates_in_sql_are_indexed(session, client):
    at = BASE + timedelta(days=1)
    rows = [
        {
            "id": new_id("art"),
            "slug": f"bulk-{n}",
            "headline": f"Bulk story {n}",
            "status": ArticleStatus.published.value,
            "published_at": at,
            "first_published_at": at,
            "created_at": at,
            "updated_at": at,
            **body_columns([{"type": "paragraph", "html": f"Walrus sighting number {n}."}]),
        }
        for n in range(3)
    ]
    session.execute(insert(Article), rows)
    session.commit()
    assert len(await _slugs(client, "q=walrus")) == 3

    session.execute(update(Article).where(Article.slug == "bulk-1").values(body_text="Seal."))
    session.commit()
    assert set(await _slugs(client, "q=walrus")) == {"bulk-0", "bulk-2"}

    session.execute(delete(Article).where(Article.slug == "bulk-2"))
    session.commit()
    assert await _slugs(client, "q=walrus") == ["bulk-0"]


async def test_a_rolled_back_write_leaves_no_trace_in_the_index(session, client):
    _story(session, "narwhal", "Narwhal", "A narwhal.")
    session.execute(update(Article).where(Article.slug == "narwhal").values(headline="Orca"))
    session.rollback()
    assert await _slugs(client, "q=narwhal") == ["narwhal"]
    assert await _slugs(client, "q=orca") == []
