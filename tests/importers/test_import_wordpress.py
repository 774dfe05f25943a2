"""`byline import wordpress`: WordPress's theme unit test export, object by object."""

from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import func, select
from sqlmodel import Session

from app.cli import cli
from app.importers.wordpress import import_wordpress
from app.models import (
    Article,
    ArticleAuthor,
    ArticleRevision,
    ArticleStatus,
    AuditEvent,
    Author,
    Event,
    ImportSource,
    Photo,
    Section,
    Tag,
)

EXPORT = Path(__file__).parent / "fixtures" / "imports" / "wordpress-theme-unit-test.xml"


def _count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def _article(session: Session, slug: str) -> Article:
    article = session.scalars(select(Article).where(Article.slug == slug)).one()
    session.refresh(article)
    return article


def test_everything_comes_over(session: Session) -> None:
    summary = import_wordpress(session, EXPORT)
    counts = summary.as_json()["counts"]
    assert counts["post"] == {"imported": 58}
    assert counts["page"] == {"imported": 21}
    # Two declared authors; a third login, "themedemos" again in other letters, is merged.
    assert counts["author"] == {"imported": 2, "merged": 1}
    assert counts["section"] == {"imported": 68}
    assert counts["photo"] == {"imported": 37}
    assert summary.skipped == []
    assert _count(session, Article) == 79
    types = dict(session.execute(select(Article.type, func.count()).group_by(Article.type)).all())
    assert types == {"article": 58, "page": 21}
    assert _count(session, Author) == 2
    assert _count(session, Section) == 68
    assert _count(session, Photo) == 37
    assert _count(session, Tag) == counts["tag"]["imported"]
    assert summary.ignored == {"comments": 33, "nav_menu_item items": 70}


def test_states_times_and_relations(session: Session) -> None:
    import_wordpress(session, EXPORT)
    scheduled = _article(session, "scheduled")
    assert scheduled.status == ArticleStatus.scheduled
    assert scheduled.published_at.isoformat() == "2030-01-01T19:00:18+00:00"
    assert _article(session, "draft").status == ArticleStatus.draft
    # Password-protected there: not for everyone here either.
    assert _article(session, "template-password-protected").status == ArticleStatus.draft
    sticky = _article(session, "template-sticky")
    assert sticky.status == ArticleStatus.published
    assert sticky.published_at.isoformat() == "2012-01-07T14:07:21+00:00"
    featured = _article(session, "template-featured-image-horizontal")
    lead = session.get(Photo, featured.lead_photo_id)
    assert lead is not None and lead.url.endswith("/2013/03/featured-image-horizontal.jpg")
    section = session.get(Section, featured.section_id)
    assert section is not None
    byline = session.scalars(
        select(Author.slug)
        .join(ArticleAuthor, ArticleAuthor.author_id == Author.id)
        .where(ArticleAuthor.article_id == featured.id)
    ).all()
    assert byline == ["themedemos"]
    canola = session.scalars(select(Photo).where(Photo.url.endswith("/canola2.jpg"))).one()
    assert canola.alt_text == "canola"
    assert canola.caption and canola.caption.startswith("Lorem ipsum dolor sit amet")
    # The old path is kept, for redirects.
    path = session.scalar(
        select(ImportSource.old_path).where(ImportSource.object_id == featured.id)
    )
    assert path == "/2012/03/15/template-featured-image-horizontal/"


def test_bodies_become_blocks(session: Session) -> None:
    import_wordpress(session, EXPORT)
    quotes = _article(session, "block-quotes")
    assert quotes.body[1] == {
        "type": "quote",
        "text": "Gutenberg is more than an editor.",
        "attribution": "The Gutenberg Team",
    }
    media = _article(session, "media-category-blocks")
    kinds = [b["type"] for b in media.body]
    assert kinds[:3] == ["paragraph", "paragraph", "photo"]
    assert kinds.count("photo") >= 6
    first = session.get(Photo, media.body[2]["photo_id"])
    assert first is not None and first.alt_text == "dsc20050727_091048_222"
    embeds = [b for a in session.scalars(select(Article)) for b in a.body if b["type"] == "embed"]
    assert {"youtube", "x", "facebook"} <= {e["provider"] for e in embeds}
    # Classic-editor text: a blank line ends a paragraph.
    excerpt = _article(session, "template-excerpt-defined")
    assert excerpt.body[0]["type"] == "paragraph"
    assert excerpt.summary and "<" not in excerpt.summary
    for article in session.scalars(select(Article)):
        html = article.body_html.lower()
        assert "<script" not in html and "onclick" not in html and "javascript:" not in html


def test_the_story_has_its_revisions_and_events(session: Session) -> None:
    import_wordpress(session, EXPORT)
    article = _article(session, "template-sticky")
    actions = session.scalars(
        select(ArticleRevision.action)
        .where(ArticleRevision.article_id == article.id)
        .order_by(ArticleRevision.number)
    ).all()
    assert actions == ["create", "publish"]
    assert session.scalar(
        select(func.count()).where(
            Event.subject_id == article.id, Event.type == "article.published"
        )
    )
    who = session.scalars(
        select(AuditEvent.key_name).where(AuditEvent.resource_id == article.id)
    ).all()
    assert set(who) == {"byline import wordpress"}


def test_a_second_run_changes_nothing(session: Session) -> None:
    import_wordpress(session, EXPORT)
    before = {
        m: _count(session, m) for m in (Article, ArticleRevision, Event, AuditEvent, Photo, Tag)
    }
    versions = dict(session.execute(select(Article.id, Article.version)).all())
    again = import_wordpress(session, EXPORT)
    assert {m: _count(session, m) for m in before} == before
    assert dict(session.execute(select(Article.id, Article.version)).all()) == versions
    counts = again.as_json()["counts"]
    assert counts["post"] == {"unchanged": 58}
    assert counts["page"] == {"unchanged": 21}
    assert again.losses == [] and again.skipped == []


def test_a_dry_run_writes_nothing(session: Session) -> None:
    summary = import_wordpress(session, EXPORT, dry_run=True)
    assert summary.as_json()["counts"]["post"] == {"imported": 58}
    assert _count(session, Article) == 0
    assert _count(session, ImportSource) == 0


UNSAFE = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE rss [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
     xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.1/">
<channel><title>T</title><link>https://old.example</link>
<item><title>A &amp; B</title><link>https://old.example/2020/01/02/a-b/</link>
<dc:creator>ed</dc:creator>
<content:encoded><![CDATA[First <b>bold</b> <a href="javascript:alert(1)" onclick="x()">x</a>
<script>alert(1)</script>

See <a href="https://old.example/2020/01/02/a-b/">myself</a> &secret;]]></content:encoded>
<wp:post_id>7</wp:post_id><wp:post_date_gmt>2020-01-02 03:04:05</wp:post_date_gmt>
<wp:post_name>a-b</wp:post_name><wp:status>publish</wp:status><wp:post_type>post</wp:post_type>
<category domain="category" nicename="news"><![CDATA[News]]></category>
</item></channel></rss>
"""


def test_untrusted_markup_is_cleaned_and_entities_are_not_read(
    session: Session, tmp_path: Path
) -> None:
    export = tmp_path / "unsafe.xml"
    export.write_text(UNSAFE.replace("&secret;]]>", "]]>&secret;"))
    summary = import_wordpress(session, export)
    assert summary.as_json()["counts"]["post"] == {"imported": 1}
    article = _article(session, "a-b")
    assert article.headline == "A & B"
    assert article.body[0]["html"] == 'First <strong>bold</strong> <a rel="noopener">x</a>'
    # A link to an imported story points at its new address.
    assert article.body[1]["html"] == 'See <a href="/a-b/" rel="noopener">myself</a>'
    assert "root:" not in article.body_html
    assert "<script> removed" in summary.losses[0]["notes"]
    assert article.section_id is not None  # the first category


def test_the_command_prints_json(session: Session) -> None:
    result = CliRunner().invoke(cli, ["import", "wordpress", str(EXPORT), "--dry-run", "--json"])
    assert result.exit_code == 0, result.output
    assert '"dry_run": true' in result.output
    assert '"post": {\n      "imported": 58' in result.output
