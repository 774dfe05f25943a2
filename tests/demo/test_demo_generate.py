"""Generated demo stories: their words come from data files, and they have revisions."""

from sqlalchemy import select
from sqlmodel import Session

from app.articles.revisions import restore_revision
from app.articles.saving import snapshot
from app.demo import generate as demo
from app.editorial import Editor
from app.models import Article, ArticleRevision


def test_word_lists_are_read_as_tuples() -> None:
    assert demo.SECTIONS[0] == (
        "ukraine",
        "Ukraine",
        "The war, politics and everyday life in Ukraine.",
    )
    assert isinstance(demo.SECTION_TEXT["ukraine"].headlines, tuple)
    assert demo.COMMON["person"] is demo.SOURCES
    assert "ї".translate(demo._UK_LATIN) == "i"


def test_each_story_has_the_revision_a_save_would_keep(session: Session) -> None:
    demo.generate(session, count=40, seed=3)
    articles = session.scalars(select(Article)).all()
    assert len(articles) == 40
    for article in articles:
        revisions = session.scalars(
            select(ArticleRevision).where(ArticleRevision.article_id == article.id)
        ).all()
        assert [(r.number, r.action) for r in revisions] == [(1, "create")]
        assert revisions[0].snapshot == snapshot(session, article)


def test_a_generated_story_can_be_restored(session: Session) -> None:
    demo.generate(session, count=5, seed=3)
    article = session.scalars(select(Article).order_by(Article.slug)).first()
    assert article is not None
    who = Editor(key_id=None, key_name="test", request_id=None, if_match=None)
    restored = restore_revision(session, who, ref=article.id, number=1)
    assert restored.version == 2
    assert restored.headline == article.headline
