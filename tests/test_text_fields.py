"""Plain-text fields are text: markup is refused on the way in, every output escapes for its
own context (even rows written before the rule), and `byline clean-text` strips what old
rows hold."""

import html
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from xml.etree import ElementTree as ET

import feedparser
import pytest
from sqlalchemy import select

from app.models import (
    ArticleAuthor,
    ArticleRevision,
    AuditEvent,
    Correction,
    Event,
    Site,
)
from tests.factories import (
    make_article,
    make_author,
    make_feed_entry,
    make_key,
    make_photo,
    make_related,
    make_section,
    make_tag,
)
from tests.test_cli import run
from tests.test_resource_writes import image_bytes
from tests.validators import ninjs_errors

pytestmark = pytest.mark.anyio

MARKUP = [
    "<script>alert(1)</script>",
    '<a href="javascript:x">',
    "<iframe src=javascript:x>",
    "<!-- x -->",
    "<?php",
    "</script>",
]
# Text that looks a little like markup and is not: kept exactly as typed.
TEXT = 'a < b & "c", a<3, &amp; <= 5'


@pytest.fixture
def editor(session) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_key(session, 'content:write', 'content:preview')}"}


@pytest.fixture
def admin(session) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_key(session, 'admin')}"}


@pytest.fixture
def existing(session) -> dict[str, str]:
    """Objects the writes below refer to, made past the API."""
    session.add(Site(name="Daily", url="https://daily.test", timezone="UTC", language="en"))
    session.commit()
    author = make_author(session)
    return {
        "article": make_article(session, authors=[author]).id,
        "author": author.id,
        "section": make_section(session).id,
        "tag": make_tag(session).id,
    }


@dataclass(frozen=True)
class Case:
    """One plain-text field of one write: where it goes, and the name errors give it."""

    method: str
    path: str
    body: Callable[[str], dict[str, Any]]
    field: str
    # Where the value comes back in the answer's `data` (None: not checked there).
    out: Callable[[dict[str, Any]], Any] | None = None
    multipart: bool = False
    admin: bool = False

    @property
    def id(self) -> str:
        return f"{self.method} {self.path} {self.field}"


def _field(field: str, /, **base: Any) -> Callable[[str], dict[str, Any]]:
    return lambda v: {**base, field: v}


def _block(block: dict[str, Any], name: str) -> Callable[[str], dict[str, Any]]:
    return lambda v: {"headline": "A story", "body": [{**block, name: v}]}


PHOTO = {"url": "https://media.test/a.jpg"}
CARD = {"url": "https://elsewhere.test/story", "title": "Elsewhere"}
CASES = [
    Case("POST", "/v1/articles", _field("headline"), "headline", lambda d: d["headline"]),
    *(
        Case("POST", "/v1/articles", _field(n, headline="A story"), n, lambda d, n=n: d[n])
        for n in ("subheadline", "dateline", "summary")
    ),
    Case("PATCH", "/v1/articles/{article}", _field("headline"), "headline"),
    Case(
        "POST",
        "/v1/articles",
        _block({"type": "heading"}, "text"),
        "body[0].text",
        lambda d: d["body"][0]["text"],
    ),
    Case(
        "POST",
        "/v1/articles",
        _block({"type": "quote", "text": "Said"}, "attribution"),
        "body[0].attribution",
        lambda d: d["body"][0]["attribution"],
    ),
    Case("POST", "/v1/articles", _block({"type": "quote"}, "text"), "body[0].text"),
    Case(
        "POST",
        "/v1/articles",
        _block({"type": "embed", "provider": "x", "url": "https://v.test/1"}, "title"),
        "body[0].title",
    ),
    Case(
        "POST",
        "/v1/articles",
        _block({"type": "embed", "url": "https://v.test/1"}, "provider"),
        "body[0].provider",
    ),
    Case(
        "POST",
        "/v1/articles",
        lambda v: {"headline": "A story", "authors": [{"author": "{author}", "role": v}]},
        "authors[0].role",
        lambda d: d["authors"][0]["role"],
    ),
    *(
        Case(
            "POST",
            "/v1/articles/{article}/related",
            _field(n, **CARD),
            n,
            lambda d, n=n: d["related"][0][n],
        )
        for n in ("title", "summary", "site_name")
    ),
    Case(
        "POST",
        "/v1/articles/{article}/corrections",
        _field("text"),
        "text",
        lambda d: d["corrections"][0]["text"],
    ),
    *(
        Case("POST", "/v1/authors", _field(n, name="Someone"), n, lambda d, n=n: d[n])
        for n in ("name", "job_title", "bio")
    ),
    Case("PATCH", "/v1/authors/{author}", _field("bio"), "bio"),
    *(
        Case("POST", "/v1/photos", _field(n, **PHOTO), n, lambda d, n=n: d[n])
        for n in ("caption", "credit", "photographer", "agency", "alt_text")
    ),
    *(
        Case("POST", "/v1/photos", _field(n, **PHOTO), n, lambda d, n=n: d["rights"][n])
        for n in ("copyright_holder", "usage_terms")
    ),
    *(
        Case("POST", "/v1/photos", _field(n), n, lambda d, n=n: d[n], multipart=True)
        for n in ("caption", "credit", "alt_text")
    ),
    *(
        Case("POST", f"/v1/{kind}", _field(n, name="Name"), n, lambda d, n=n: d[n])
        for kind in ("sections", "tags")
        for n in ("name", "description")
    ),
    Case("PATCH", "/v1/sections/{section}", _field("name"), "name"),
    Case("PATCH", "/v1/tags/{tag}", _field("description"), "description"),
    *(
        Case("POST", "/v1/feed", _field(n, title="Entry"), n, lambda d, n=n: d[n])
        for n in ("title", "summary")
    ),
    *(
        Case("PATCH", "/v1/site", _field(n), n, lambda d, n=n: d[n])
        for n in ("name", "description")
    ),
    Case(
        "PATCH",
        "/v1/site",
        _field("banner_text"),
        "banner_text",
        lambda d: d["membership_banner"]["text"],
    ),
    Case("PATCH", "/v1/site", _field("banner_cta", banner_text="Join"), "banner_cta"),
    Case(
        "POST",
        "/v1/webhooks",
        # A public address written as one: nothing to resolve, and nothing is sent to it here.
        _field("description", url="https://93.184.215.14/x", events=["*"]),
        "description",
        admin=True,
    ),
    Case("POST", "/v1/keys", _field("name", scopes=["content:read"]), "name", admin=True),
]


async def _send(client, case: Case, value: str, existing, editor, admin):
    path = case.path.format(**existing)
    headers = dict(admin if case.admin else editor)
    if case.method == "PATCH":
        current = await client.get(path, headers=headers)
        headers["If-Match"] = current.headers["etag"]
    body = json.loads(json.dumps(case.body(value)).replace("{author}", existing["author"]))
    if case.multipart:
        return await client.post(
            path,
            data=body,
            files={"file": ("a.jpg", image_bytes(size=(40, 30)), "image/jpeg")},
            headers=headers,
        )
    return await client.request(case.method, path, json=body, headers=headers)


@pytest.mark.parametrize("markup", MARKUP)
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
async def test_markup_in_a_plain_text_field_is_a_422_naming_it(
    client, existing, editor, admin, case, markup
):
    response = await _send(client, case, f"Hello {markup} there", existing, editor, admin)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert response.headers["content-type"] == "application/problem+json"
    assert case.field in [e["field"] for e in problem["errors"]], problem["errors"]
    message = next(e["message"] for e in problem["errors"] if e["field"] == case.field)
    assert "markup" in message


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
async def test_text_that_only_looks_like_markup_is_kept_as_typed(
    client, existing, editor, admin, case
):
    response = await _send(client, case, TEXT, existing, editor, admin)
    assert response.status_code in (200, 201), response.text
    if case.out is not None:
        assert case.out(response.json()["data"]) == TEXT


async def test_paragraph_html_is_still_sanitized_not_refused(client, session, editor):
    response = await client.post(
        "/v1/articles",
        json={
            "headline": "A story",
            "body": [
                {"type": "paragraph", "html": "<em>Yes</em><script>alert(1)</script>"},
                {"type": "list", "items": ["<strong>one</strong><iframe src=x></iframe>"]},
            ],
        },
        headers=editor,
    )
    assert response.status_code == 201, response.text
    body = response.json()["data"]["body"]
    assert body[0]["html"] == "<em>Yes</em>"
    assert body[1]["items"] == ["<strong>one</strong>"]


# --- Outputs, from rows written past the API (as rows older than the rule may be).

HEADLINE = 'Talks <script>alert(1)</script> a < b & "c"'
SUMMARY = '<a href="javascript:x">click</a> <iframe src=javascript:x></iframe> </script> a < b'


@pytest.fixture
def hostile(session):
    """A published story whose plain-text fields hold markup, as an old row might."""
    session.add(
        Site(name="Daily <b>News</b>", url="https://daily.test", timezone="UTC", language="en")
    )
    session.commit()
    photo = make_photo(session, caption="<img src=x onerror=alert(1)>", credit="<b>AP</b>")
    author = make_author(session, name="<script>x</script>Olena")
    tag = make_tag(session, name="<i>Peace</i>")
    section = make_section(session, name="<u>News</u>")
    article = make_article(
        session,
        authors=[author],
        tags=[tag],
        headline=HEADLINE,
        subheadline="</script><script>alert(2)</script>",
        dateline="<b>KYIV</b>",
        summary=SUMMARY,
        section_id=section.id,
        lead_photo_id=photo.id,
        paragraphs=["The text says &lt;/script&gt; in words."],
    )
    return article


def _feed(response) -> feedparser.FeedParserDict:
    assert response.status_code == 200, response.text
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.get("bozo_exception")
    return feed


async def test_rss_description_is_the_text_escaped_for_html(hostile, client):
    response = await client.get("/v1/feeds/site.rss")
    [entry] = _feed(response).entries
    # The description is HTML to readers: it must show the summary, not run it.
    for element in ("<a", "<iframe", "</script", "<script"):
        assert element not in entry.summary
    assert html.unescape(entry.summary) == SUMMARY
    item = ET.fromstring(response.content).find("channel/item")
    assert "<" not in item.findtext("description")
    # A title is text: feedparser reads it as text, with its `<` as a character.
    assert entry.title == HEADLINE
    assert entry.title_detail.type == "text/plain"


async def test_atom_summary_and_title_are_text(hostile, client):
    [entry] = _feed(await client.get("/v1/feeds/site.atom")).entries
    assert entry.summary_detail.type == "text/plain"
    assert entry.summary == SUMMARY
    assert entry.title_detail.type == "text/plain"
    assert entry.title == HEADLINE
    # The body's HTML is sanitized HTML: the story's text shows, nothing runs.
    assert "<script" not in entry.content[0].value


async def test_json_feed_carries_the_text_as_text(hostile, client):
    response = await client.get("/v1/feeds/site.json")
    assert response.status_code == 200
    [item] = response.json()["items"]
    assert item["title"] == HEADLINE
    assert item["summary"] == SUMMARY
    assert "<script" not in item["content_html"]
    assert "&lt;/script&gt;" in item["content_html"]


async def test_json_ld_has_no_less_than_sign_at_all(hostile, client):
    response = await client.get(f"/v1/articles/{hostile.id}?format=jsonld")
    assert response.status_code == 200
    assert b"<" not in response.content
    assert b">" not in response.content
    assert b"\\u003c/script\\u003e" in response.content
    doc = json.loads(response.content)
    assert doc["headline"] == HEADLINE
    assert doc["description"] == SUMMARY
    assert "</script>" in doc["articleBody"]


@pytest.mark.parametrize(("fmt", "version"), [("ninjs", "2.2"), ("ninjs3", "3.1")])
async def test_ninjs_of_a_story_with_markup_is_still_valid(hostile, client, fmt, version):
    response = await client.get(f"/v1/articles/{hostile.id}?format={fmt}")
    assert response.status_code == 200
    assert ninjs_errors(response.json(), version) == []


async def test_body_html_escapes_stored_heading_and_quote_text(session, client):
    article = make_article(session)
    # Written past the API and the body's validation, as an old row.
    article.body = [{"type": "heading", "level": 2, "text": "<script>x</script>"}]
    from app.articles.blocks import derive

    article.body_html = derive(article.body).html
    session.add(article)
    session.commit()
    data = (await client.get(f"/v1/articles/{article.id}")).json()["data"]
    assert "<script" not in data["body_html"]
    assert "&lt;script&gt;" in data["body_html"]


async def test_written_summary_reaches_feeds_and_json_ld_as_text(client, session, editor):
    created = await client.post(
        "/v1/articles", json={"headline": TEXT, "summary": TEXT}, headers=editor
    )
    assert created.status_code == 201, created.text
    ref = created.json()["data"]["id"]
    await client.post(f"/v1/articles/{ref}/publish", headers=editor)
    [rss] = _feed(await client.get("/v1/feeds/site.rss")).entries
    assert html.unescape(rss.summary) == TEXT
    assert rss.title == TEXT
    [atom] = _feed(await client.get("/v1/feeds/site.atom")).entries
    assert atom.summary == TEXT
    jsonld = await client.get(f"/v1/articles/{ref}?format=jsonld")
    assert b"<" not in jsonld.content and b"&" not in jsonld.content
    assert json.loads(jsonld.content)["description"] == TEXT


# --- `byline clean-text`, on the test database.


@pytest.fixture
def old_rows(session) -> dict[str, Any]:
    """Rows holding markup in every kind of plain-text field, written past the API."""
    session.add(
        Site(
            name="Daily",
            url="https://daily.test",
            timezone="UTC",
            language="en",
            banner_text="<b>Join</b> us",
        )
    )
    session.commit()
    author = make_author(session, bio="Writes <em>a lot</em> &amp; well, a < b")
    article = make_article(
        session, authors=[author], headline="<script>alert(1)</script>Talks resume"
    )
    article.body = [
        *article.body,
        {"type": "heading", "level": 2, "text": "<i>Why</i> it matters"},
    ]
    session.add(article)
    session.commit()
    session.execute(
        ArticleAuthor.__table__.update()
        .where(ArticleAuthor.article_id == article.id)
        .values(role="<b>reporter</b>")
    )
    card = make_related(
        session, article, url="https://e.test/x", title="<a href='javascript:x'>Read</a>"
    )
    session.add(Correction(id="cor_old", article_id=article.id, text="Fixed <!-- x --> a name."))
    session.commit()
    return {
        "article": article,
        "card": card,
        "author": author,
        "photo": make_photo(session, caption="<iframe src=javascript:x></iframe>Kyiv"),
        "section": make_section(session, description="<?php echo 1 ?>Politics"),
        "tag": make_tag(session, name="Peace</script>"),
        "entry": make_feed_entry(session, title="<b>Live</b> updates"),
    }


def test_clean_text_reports_by_default_and_changes_nothing(session, old_rows):
    result = run("clean-text")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    article = old_rows["article"]
    assert f"article {article.id} headline: '<script>alert(1)</script>Talks resume' -> " in (
        result.stdout
    )
    for where in (
        f"article {article.id} body[1].text:",
        f"article {article.id} authors[0].role:",
        f"article {article.id} related[{old_rows['card'].id}].title:",
        f"article {article.id} corrections[cor_old].text:",
        f"author {old_rows['author'].id} bio:",
        f"photo {old_rows['photo'].id} caption:",
        f"section {old_rows['section'].id} description:",
        f"tag {old_rows['tag'].id} name:",
        f"feed_entry {old_rows['entry'].id} title:",
        "site 1 banner_text:",
    ):
        assert any(line.startswith(where) for line in lines), where
    assert lines[-1] == "11 fields with markup in 7 objects; run with --apply to strip it"
    session.expire_all()
    assert session.get(Correction, "cor_old").text == "Fixed <!-- x --> a name."


def test_clean_text_apply_strips_tags_through_the_save_paths(session, old_rows):
    article = old_rows["article"]
    result = run("clean-text", "--apply")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "cleaned 11 fields in 7 objects"
    session.expire_all()
    session.refresh(article)
    assert article.headline == "Talks resume"
    assert article.body[1]["text"] == "Why it matters"
    assert "<h2>Why it matters</h2>" in article.body_html
    assert session.get(Correction, "cor_old").text == "Fixed  a name."
    assert session.scalars(select(ArticleAuthor.role)).all() == ["reporter"]
    for key, field, expected in (
        ("card", "title", "Read"),
        ("author", "bio", "Writes a lot & well, a < b"),
        ("photo", "caption", "Kyiv"),
        ("section", "description", "Politics"),
        ("tag", "name", "Peace"),
        ("entry", "title", "Live updates"),
    ):
        row = old_rows[key]
        session.refresh(row)
        assert getattr(row, field) == expected, key
        if key != "card":
            assert row.version == 2, key
    assert session.get(Site, 1).banner_text == "Join us"
    # Saved as an edit is: new versions, revisions, audit records and events.
    revisions = session.scalars(
        select(ArticleRevision.action).where(ArticleRevision.article_id == article.id)
    ).all()
    assert sorted(revisions) == ["relate", "update"]
    audited = session.scalars(select(AuditEvent.key_name)).all()
    assert audited and set(audited) == {"byline clean-text"}
    assert "article.updated" in session.scalars(select(Event.type)).all()
    # Nothing is left to report.
    again = run("clean-text")
    assert again.stdout.strip() == "0 fields with markup in 0 objects"
