"""`byline import ghost`: a Ghost 2.x export (mobiledoc), and newer shapes (lexical)."""

import io
import json
from pathlib import Path

from PIL import Image as PILImage
from sqlalchemy import func, select
from sqlmodel import Session

from app.importers.ghost import import_ghost, lexical_html, mobiledoc_html
from app.models import (
    Article,
    ArticleAuthor,
    ArticleRevision,
    ArticleStatus,
    ArticleTag,
    Author,
    Event,
    Photo,
    Section,
    Tag,
)

EXPORT = Path(__file__).parent / "fixtures" / "imports" / "ghost-theme-unit-test.json"


def _count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def _article(session: Session, slug: str) -> Article:
    article = session.scalars(select(Article).where(Article.slug == slug)).one()
    session.refresh(article)
    return article


def test_everything_comes_over(session: Session) -> None:
    summary = import_ghost(session, EXPORT)
    counts = summary.as_json()["counts"]
    assert counts == {
        "author": {"imported": 1},
        "page": {"imported": 2},
        "photo": {"imported": 16},
        "post": {"imported": 17},
        "tag": {"imported": 46},
    }
    assert summary.ignored == {"settings": 26}
    assert _count(session, Article) == 19
    assert _count(session, Author) == 1
    assert _count(session, Tag) == 46
    assert _count(session, Section) == 0
    author = session.scalars(select(Author)).one()
    assert author.slug == "nick" and author.bio and author.bio.startswith("Nick is")
    assert author.avatar_url and author.avatar_url.startswith("https://www.gravatar.com/")
    for article in session.scalars(select(Article)):
        assert article.status == ArticleStatus.published
    assert _article(session, "lorem-ipsum").type == "page"


def test_bodies_tags_and_bylines(session: Session) -> None:
    import_ghost(session, EXPORT)
    formatting = _article(session, "html-tags-and-formatting")
    kinds = [b["type"] for b in formatting.body]
    assert {"heading", "paragraph", "list", "quote"} <= set(kinds)
    featured = _article(session, "this-is-a-featured-post")
    assert featured.body[0] == {"type": "paragraph", "html": "This is a featured post."}
    assert featured.published_at.isoformat() == "2015-03-01T21:08:20+00:00"
    tags = session.scalars(
        select(Tag.slug)
        .join(ArticleTag, ArticleTag.tag_id == Tag.id)
        .where(ArticleTag.article_id == featured.id)
        .order_by(ArticleTag.position)
    ).all()
    assert tags[:2] == ["featured", "uncategorized"]
    assert session.scalar(select(func.count()).where(ArticleAuthor.article_id == featured.id)) == 1
    photos = [b for a in session.scalars(select(Article)) for b in a.body if b["type"] == "photo"]
    assert len(photos) == 16


def test_a_second_run_changes_nothing(session: Session) -> None:
    import_ghost(session, EXPORT)
    before = {m: _count(session, m) for m in (Article, ArticleRevision, Event, Photo, Tag)}
    again = import_ghost(session, EXPORT)
    assert {m: _count(session, m) for m in before} == before
    assert again.as_json()["counts"]["post"] == {"unchanged": 17}


def test_primary_tags_as_sections(session: Session) -> None:
    import_ghost(session, EXPORT, sections_from_primary_tag=True)
    featured = _article(session, "this-is-a-featured-post")
    section = session.get(Section, featured.section_id)
    assert section is not None and section.slug == "featured"


def _export(tmp_path: Path, posts: list[dict], **data: list[dict]) -> Path:
    path = tmp_path / "ghost.json"
    body = {"meta": {"version": "5.80.0"}, "data": {"posts": posts, **data}}
    path.write_text(json.dumps({"db": [body]}))
    return path


LEXICAL = {
    "root": {
        "children": [
            {"type": "paragraph", "children": [{"type": "text", "text": "Hi ", "format": 1}]},
            {"type": "heading", "tag": "h3", "children": [{"type": "text", "text": "Head"}]},
            {"type": "image", "src": "https://cdn.example/a.jpg", "altText": "A", "caption": "C"},
            {"type": "embed", "url": "https://www.youtube.com/watch?v=abc"},
            {"type": "signup"},
        ]
    }
}


def test_lexical_scheduled_drafts_and_internal_tags(session: Session, tmp_path: Path) -> None:
    posts = [
        {
            "id": "p1",
            "title": "Later",
            "slug": "later",
            "type": "post",
            "status": "scheduled",
            "published_at": "2031-05-01T10:00:00.000Z",
            "lexical": json.dumps(LEXICAL),
            "codeinjection_head": "<script>x</script>",
        },
        {"id": "p2", "title": "Not yet", "slug": "not-yet", "type": "post", "status": "draft"},
    ]
    tags = [
        {"id": "t1", "name": "#internal", "slug": "hash-internal", "visibility": "internal"},
        {"id": "t2", "name": "World", "slug": "world"},
    ]
    links = [
        {"post_id": "p1", "tag_id": "t1", "sort_order": 0},
        {"post_id": "p1", "tag_id": "t2", "sort_order": 1},
    ]
    summary = import_ghost(session, _export(tmp_path, posts, tags=tags, posts_tags=links))
    later = _article(session, "later")
    assert later.status == ArticleStatus.scheduled
    assert later.published_at.isoformat() == "2031-05-01T10:00:00+00:00"
    assert [b["type"] for b in later.body] == ["paragraph", "heading", "photo", "embed"]
    assert later.body[0]["html"] == "<strong>Hi </strong>"
    assert later.body[1] == {"type": "heading", "level": 3, "text": "Head"}
    photo = session.get(Photo, later.body[2]["photo_id"])
    assert photo is not None and (photo.alt_text, photo.caption) == ("A", "C")
    assert _article(session, "not-yet").status == ArticleStatus.draft
    assert session.scalars(select(Tag.slug)).all() == ["world"]
    assert summary.ignored["internal tags (#name)"] == 1
    assert {"kind": "post", "source_id": "p1", "message": "code injection dropped"} in (
        summary.warnings
    )
    assert "Ghost card signup not converted" in summary.losses[0]["notes"]


def test_mobiledoc_renders_sections_and_cards() -> None:
    document = {
        "version": "0.3.1",
        "markups": [["a", ["href", "https://example.org"]], ["strong"]],
        "atoms": [],
        "cards": [["image", {"src": "https://cdn.example/b.jpg", "caption": "Cap"}]],
        "sections": [
            [1, "p", [[0, [0], 1, "link"], [0, [], 0, " and "], [0, [1], 1, "bold"]]],
            [3, "ul", [[[0, [], 0, "one"]], [[0, [], 0, "two"]]]],
            [10, 0],
        ],
    }
    notes: list[str] = []
    assert mobiledoc_html(document, notes) == (
        '<p><a href="https://example.org">link</a> and <strong>bold</strong></p>\n'
        "<ul><li>one</li><li>two</li></ul>\n"
        '<figure><img src="https://cdn.example/b.jpg" alt=""><figcaption>Cap</figcaption></figure>'
    )
    assert notes == []
    assert lexical_html({"root": {"children": []}}, notes) == ""


def test_media_dir_uploads_the_file(session: Session, tmp_path: Path) -> None:
    images = tmp_path / "content" / "images" / "2024" / "05"
    images.mkdir(parents=True)
    buffer = io.BytesIO()
    PILImage.new("RGB", (640, 480), "red").save(buffer, "JPEG")
    (images / "cover.jpg").write_bytes(buffer.getvalue())
    posts = [
        {
            "id": "p1",
            "title": "With a cover",
            "slug": "with-a-cover",
            "status": "published",
            "published_at": "2024-05-01 10:00:00",
            "html": "<p>Text.</p>",
            "feature_image": "https://old.example/content/images/2024/05/cover.jpg",
        }
    ]
    meta = [
        {"post_id": "p1", "feature_image_alt": "Red", "feature_image_caption": "<b>All</b> red"}
    ]
    summary = import_ghost(
        session,
        _export(tmp_path, posts, posts_meta=meta),
        media_dir=tmp_path / "content" / "images",
    )
    assert summary.as_json()["counts"]["photo"] == {"uploaded": 1}
    article = _article(session, "with-a-cover")
    photo = session.get(Photo, article.lead_photo_id)
    assert photo is not None and photo.storage_key is not None
    assert (photo.width, photo.height) == (640, 480)
    assert photo.renditions
    assert (photo.alt_text, photo.caption) == ("Red", "All red")
