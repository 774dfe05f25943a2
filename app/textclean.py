"""Markup that rows stored before the plain-text rule still hold: finding it, and stripping
it through each object's own save path (`byline clean-text`).

Which fields are plain text is read from the write schemas (`inputs.plain_text_fields`),
so this covers exactly what the API now refuses. A fix is a normal save: a revision, an
audit record with no key (its name says `byline clean-text`), events and cache keys, as an
editor's PATCH would make. Corrections have no save path (they are never edited); their
text is rewritten in place, inside a save of their article, so that the article's
revision, event and caches carry the cleaned text. Revisions already kept are history and
stay as they were (a restore strips markup from body blocks only, see
`articles.blocks.sanitize`; a later run finds the rest).
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy import ColumnElement, or_, select, update
from sqlmodel import Session

from app.articles.blocks import EmbedBlock, HeadingBlock, QuoteBlock
from app.articles.schemas import ArticleUpdate, BylineIn, CorrectionIn, RelatedUpdate
from app.authors.schemas import AuthorUpdate
from app.editorial import Editor
from app.errors import ProblemError, field_path
from app.feed.schemas import FeedEntryUpdate
from app.inputs import has_markup, plain_text_fields, strip_markup
from app.models import (
    Article,
    ArticleAuthor,
    Correction,
    RelatedLink,
    Site,
)
from app.photos.schemas import PhotoUpdate
from app.sections.schemas import SectionUpdate
from app.site.schemas import SiteUpdate
from app.tags.schemas import TagUpdate

WHO = "byline clean-text"
_BLOCKS: dict[str, type[BaseModel]] = {
    "heading": HeadingBlock,
    "quote": QuoteBlock,
    "embed": EmbedBlock,
}


@dataclass(frozen=True)
class Finding:
    """One stored plain-text field holding markup, and what it becomes stripped."""

    kind: str  # "article", "author", "photo", "section", "tag", "feed_entry", "site"
    id: str
    field: str  # as the API names it: "headline", "body[2].text", "related[rel_..].title"
    before: str
    after: str


@dataclass
class _Fix:
    """What one object needs: its findings, and how to save them."""

    findings: list[Finding]
    apply: Callable[[Session], None]


def _dirty(row: Any, fields: tuple[str, ...]) -> dict[str, tuple[str, str]]:
    return {
        name: (value, strip_markup(value))
        for name in fields
        if isinstance(value := getattr(row, name), str) and has_markup(value)
    }


def _may_hold_markup(model: Any, fields: tuple[str, ...]) -> ColumnElement[bool]:
    """A cheap filter in the database: only rows with a `<` in one of `fields` are read."""
    return or_(*(getattr(model, name).like("%<%") for name in fields))


def _editor(version: int) -> Editor:
    return Editor(key_id=None, key_name=WHO, request_id=None, if_match=f'"{version}"')


def _simple_fixes(session: Session) -> Iterator[_Fix]:
    """Authors, photos, sections, tags and feed entries: one merge patch each."""
    from app import writes
    from app.authors.service import AUTHORS
    from app.feed.service import FEED_ENTRIES as FEED
    from app.photos.service import PHOTOS
    from app.sections.service import SECTIONS
    from app.tags.service import TAGS

    for resource, schema in (
        (AUTHORS, AuthorUpdate),
        (PHOTOS, PhotoUpdate),
        (SECTIONS, SectionUpdate),
        (TAGS, TagUpdate),
        (FEED, FeedEntryUpdate),
    ):
        fields = plain_text_fields(schema)
        model = resource.model
        rows = select(model).where(_may_hold_markup(model, fields)).order_by(model.id)
        for row in session.scalars(rows):
            dirty = _dirty(row, fields)
            if not dirty:
                continue

            def apply(s: Session, row: Any = row, dirty: dict = dirty, r: Any = resource) -> None:
                data = r.update.model_validate({k: after for k, (_, after) in dirty.items()})
                writes.update(s, _editor(row.version), r, row.id, data)

            yield _Fix(
                [Finding(resource.name, row.id, k, b, a) for k, (b, a) in dirty.items()], apply
            )


def _site_fix(session: Session) -> Iterator[_Fix]:
    from app.site.service import update_site

    site = session.get(Site, 1)
    dirty = _dirty(site, plain_text_fields(SiteUpdate)) if site else {}
    if site is None or not dirty:
        return

    def apply(s: Session) -> None:
        data = SiteUpdate.model_validate({k: after for k, (_, after) in dirty.items()})
        update_site(s, _editor(site.version), data=data)

    yield _Fix([Finding("site", "1", k, b, a) for k, (b, a) in dirty.items()], apply)


def _body_findings(article: Article) -> tuple[list[Finding], list[dict[str, Any]]]:
    findings: list[Finding] = []
    body: list[dict[str, Any]] = []
    for i, block in enumerate(article.body):
        model = _BLOCKS.get(block["type"])
        fields = plain_text_fields(model) if model else ()
        cleaned = dict(block)
        for name in fields:
            value = block.get(name)
            if isinstance(value, str) and has_markup(value):
                cleaned[name] = strip_markup(value)
                findings.append(
                    Finding("article", article.id, f"body[{i}].{name}", value, cleaned[name])
                )
        body.append(cleaned)
    return findings, body


def _article_fixes(session: Session) -> Iterator[_Fix]:
    """An article's own fields, body, byline roles, related cards and corrections."""
    from app.articles import related, saving

    link_fields = plain_text_fields(RelatedUpdate)
    (role,) = plain_text_fields(BylineIn)  # the column of ArticleAuthor by the same name
    (text,) = plain_text_fields(CorrectionIn)
    fields = plain_text_fields(ArticleUpdate)
    candidates = (
        select(Article)
        .where(
            or_(
                _may_hold_markup(Article, fields),
                # A heading's or quote's `<` is `&lt;` in the HTML derived from the body.
                Article.body_html.like("%&lt;%"),
                Article.id.in_(
                    select(ArticleAuthor.article_id).where(_may_hold_markup(ArticleAuthor, (role,)))
                ),
                Article.id.in_(
                    select(RelatedLink.article_id).where(_may_hold_markup(RelatedLink, link_fields))
                ),
                Article.id.in_(
                    select(Correction.article_id).where(_may_hold_markup(Correction, (text,)))
                ),
            )
        )
        .order_by(Article.id)
    )
    for article in session.scalars(candidates):
        dirty = _dirty(article, fields)
        findings = [Finding("article", article.id, k, b, a) for k, (b, a) in dirty.items()]
        body_findings, body = _body_findings(article)
        findings += body_findings
        bylines = session.scalars(
            select(ArticleAuthor)
            .where(ArticleAuthor.article_id == article.id)
            .order_by(ArticleAuthor.position)
        ).all()
        role_findings = [
            Finding("article", article.id, f"authors[{i}].{name}", before, strip_markup(before))
            for i, byline in enumerate(bylines)
            for name, (before, _) in _dirty(byline, (role,)).items()
        ]
        findings += role_findings
        # The byline is replaced whole: every author, each role stripped where it needs it.
        roles = [(b.author_id, strip_markup(b.role)) for b in bylines] if role_findings else []
        links = {
            link.id: _dirty(link, link_fields)
            for link in session.scalars(
                select(RelatedLink).where(RelatedLink.article_id == article.id)
            )
        }
        findings += [
            Finding("article", article.id, f"related[{link_id}].{k}", b, a)
            for link_id, dirty_link in links.items()
            for k, (b, a) in dirty_link.items()
        ]
        corrections = {
            c.id: (c.text, strip_markup(c.text))
            for c in session.scalars(select(Correction).where(Correction.article_id == article.id))
            if has_markup(c.text)
        }
        findings += [
            Finding("article", article.id, f"corrections[{cid}].{text}", b, a)
            for cid, (b, a) in corrections.items()
        ]
        if not findings:
            continue

        def apply(
            s: Session,
            article_id: str = article.id,
            dirty: dict = dirty,
            body: list = body if body_findings else [],
            roles: list = roles,
            links: dict = links,
            corrections: dict = corrections,
        ) -> None:
            for link_id, dirty_link in links.items():
                if dirty_link:
                    version = s.get(Article, article_id, populate_existing=True).version
                    data = RelatedUpdate.model_validate({k: a for k, (_, a) in dirty_link.items()})
                    related.update_related(
                        s, _editor(version), ref=article_id, link_id=link_id, data=data
                    )
            patch: dict[str, Any] = {k: a for k, (_, a) in dirty.items()}
            if body:
                patch["body"] = body
            if roles:
                patch["authors"] = [{"author": a, "role": r} for a, r in roles]
            if not patch and not corrections:
                return
            data = ArticleUpdate.model_validate(patch)
            version = s.get(Article, article_id, populate_existing=True).version
            for cid, (_, after) in corrections.items():
                # Not a save of its own: committed by the article's save below.
                s.execute(update(Correction).where(Correction.id == cid).values(text=after))
            saving.update_article(s, _editor(version), ref=article_id, data=data)

        yield _Fix(findings, apply)


def _fixes(session: Session) -> Iterator[_Fix]:
    yield from _article_fixes(session)
    yield from _simple_fixes(session)
    yield from _site_fix(session)


def find_markup(session: Session) -> list[Finding]:
    """Every stored plain-text field that holds a tag-like sequence."""
    return [f for fix in _fixes(session) for f in fix.findings]


@dataclass(frozen=True)
class Outcome:
    cleaned: list[Finding]
    failed: list[tuple[Finding, str]]  # the first finding of an object not saved, and why


def clean_markup(session_factory: Callable[[], Session]) -> Outcome:
    """Strip the markup of every finding, saving each object through its save path in a
    session of its own; an object that cannot be saved (a headline that would be empty) is
    left as it is and reported."""
    with session_factory() as session:
        fixes = list(_fixes(session))
    cleaned: list[Finding] = []
    failed: list[tuple[Finding, str]] = []
    for fix in fixes:
        with session_factory() as session:
            try:
                fix.apply(session)
            except ValidationError as exc:
                first = exc.errors()[0]
                where = field_path(first["loc"])
                failed.append((fix.findings[0], f"{where}: {first['msg']}"))
                continue
            except ProblemError as exc:
                session.rollback()
                failed.append((fix.findings[0], exc.detail))
                continue
        cleaned += fix.findings
    return Outcome(cleaned, failed)
