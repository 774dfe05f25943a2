"""The step every importer shares: objects read from an export are written through the write
API's own services (validation, sanitizing, revisions, audit, events; search indexing is
the database's), each recorded in `import_source` under its id in the old system.

New stories go through the bulk path, `create_articles`, 200 to a transaction: each is
saved once, straight into the state the API's create and then publish (or schedule) would
leave it in, with the same revisions, events and audit records. When a batch fails, its
stories are written again one by one, so that only the bad one is reported and skipped.

A second run of the same export finds every object recorded with the same digest and
changes nothing; an object whose source changed is updated. The record is written in the
transaction of the save that makes the object, so a run that stops half way leaves no
object without its record. A bad item is reported and skipped; the others go on.

This is the only module of the importers that calls the write services.
"""

import hashlib
import json
import mimetypes
import re
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from pydantic import ValidationError
from sqlalchemy import event, select
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlmodel import Session

from app.articles.saving import update_article
from app.articles.schemas import ArticleCreate, ArticleUpdate, BylineIn, PublishIn, ScheduleIn
from app.articles.workflow import (
    NewArticle,
    create_articles,
    publish_article,
    schedule_article,
    unpublish_article,
)
from app.authors.schemas import AuthorCreate
from app.authors.service import AUTHORS
from app.config import get_settings
from app.db import utcnow
from app.editorial import Editor
from app.errors import ProblemError
from app.ids import new_id
from app.importers.body import Converted, convert, plain_text, web_url
from app.inputs import slugify
from app.models import (
    Article,
    ArticleStatus,
    Author,
    ImportSource,
    Photo,
    Section,
    Site,
    Tag,
)
from app.photos.schemas import PhotoCreate, PhotoMetadata
from app.photos.service import create_linked, create_uploaded
from app.sections.schemas import SectionCreate
from app.sections.service import SECTIONS
from app.tags.schemas import TagCreate
from app.tags.service import TAGS
from app.writes import create as create_resource

# New stories written in one transaction: large enough that the fixed cost of a commit (the
# content generation, the sync to disk) is spread thin, small enough that a batch retried one
# by one after a failure is quick.
BATCH = 200
# Rows read in one query when a run looks up many stories at once (well under the number of
# parameters SQLite takes in one statement).
_CHUNK = 500

_RESOURCES = {"author": (AUTHORS, Author), "tag": (TAGS, Tag), "section": (SECTIONS, Section)}


@dataclass
class Person:
    source_id: str
    name: str
    slug: str | None = None
    bio: str | None = None
    avatar_url: str | None = None
    url: str | None = None


@dataclass
class Term:
    source_id: str
    name: str
    slug: str | None = None
    description: str | None = None


@dataclass
class Image:
    source_id: str
    url: str
    caption: str | None = None
    alt_text: str | None = None


@dataclass
class Story:
    """A post or page as an export holds it, before its body is converted."""

    source_id: str
    kind: str  # "post" or "page"
    headline: str
    slug: str
    body_html: str
    status: str  # draft, published or scheduled
    published_at: datetime | None = None
    summary: str | None = None
    canonical_url: str | None = None
    language: str = "en"
    authors: list[str] = field(default_factory=list)  # source ids, in byline order
    tags: list[str] = field(default_factory=list)
    section: str | None = None
    lead_photo: Image | None = None
    old_path: str | None = None
    warnings: list[str] = field(default_factory=list)
    # What was lost before the body reached HTML (a shortcode, a card).
    notes: list[str] = field(default_factory=list)


@dataclass
class _New:
    """A new story waiting for its batch."""

    story: Story
    item: NewArticle
    value: str  # the digest its import record keeps
    losses: list[str]
    article_id: str | None = None
    record: ImportSource | None = None


@dataclass
class Summary:
    """What a run did, by kind of object; `losses` and `skipped` name each item."""

    system: str
    dry_run: bool
    counts: dict[str, Counter[str]] = field(default_factory=dict)
    losses: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)
    ignored: Counter[str] = field(default_factory=Counter)

    def count(self, kind: str, outcome: str) -> None:
        self.counts.setdefault(kind, Counter())[outcome] += 1

    def as_json(self) -> dict[str, Any]:
        return {
            "system": self.system,
            "dry_run": self.dry_run,
            "counts": {kind: dict(sorted(c.items())) for kind, c in sorted(self.counts.items())},
            "converted_with_loss": self.losses,
            "skipped": self.skipped,
            "warnings": self.warnings,
            "ignored": dict(sorted(self.ignored.items())),
        }

    def lines(self) -> Iterator[str]:
        verb = "would be" if self.dry_run else ""
        yield f"{self.system} import{' (dry run: nothing written)' if self.dry_run else ''}"
        for kind, counter in sorted(self.counts.items()):
            parts = ", ".join(f"{n} {outcome}" for outcome, n in sorted(counter.items()))
            yield f"  {kind}: {parts}"
        yield f"  converted with loss: {len(self.losses)} stories {verb}".rstrip()
        for item in self.losses:
            notes = ", ".join(f"{n}x {note}" for note, n in sorted(Counter(item["notes"]).items()))
            yield f"    {item['kind']} {item['source_id']} ({item['slug']}): {notes}"
        yield f"  skipped: {len(self.skipped)}"
        for item in self.skipped:
            yield f"    {item['kind']} {item['source_id']}: {item['reason']}"
        for item in self.warnings:
            yield f"  warning: {item['kind']} {item['source_id']}: {item['message']}"
        for what, n in sorted(self.ignored.items()):
            yield f"  not imported: {n} {what}"


def digest(value: Any) -> str:
    return hashlib.sha256(
        json.dumps(value, sort_keys=True, default=str, ensure_ascii=False).encode()
    ).hexdigest()


@contextmanager
def _recorded(
    session: Session, make: Callable[[Session, str | None], None], model: Any = None
) -> Iterator[None]:
    """Run `make` inside the next commit of `session`: the import record is written in the
    transaction of the save it describes, or not at all. `make` is given the id of the first
    `model` row added to the session meanwhile (the row the save creates)."""
    added: list[Any] = []

    def on_add(_session: Session, instance: Any) -> None:
        if model is not None and isinstance(instance, model):
            added.append(instance)

    def hook(s: Session) -> None:
        make(s, added[0].id if added else None)

    event.listen(session, "transient_to_pending", on_add)
    event.listen(session, "before_commit", hook)
    try:
        yield
    finally:
        event.remove(session, "before_commit", hook)
        event.remove(session, "transient_to_pending", on_add)


def _problem(exc: Exception) -> str:
    if isinstance(exc, DBAPIError):
        return f"{type(exc.orig).__name__}: {exc.orig}"
    if isinstance(exc, ProblemError):
        errors = getattr(exc, "errors", None) or []
        detail = "; ".join(f"{e.get('field')}: {e.get('message')}" for e in errors)
        return detail or str(exc.detail if hasattr(exc, "detail") else exc)
    if isinstance(exc, ValidationError):
        return "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:5]
        )
    return f"{type(exc).__name__}: {exc}"


class Importer:
    """One run of an import into `session` (nothing is written with `dry_run`)."""

    def __init__(
        self,
        session: Session,
        *,
        system: str,
        dry_run: bool = False,
        media_dir: Path | None = None,
    ) -> None:
        self.session = session
        self.system = system
        self.dry_run = dry_run
        self.media_dir = media_dir.resolve() if media_dir else None
        self.summary = Summary(system=system, dry_run=dry_run)
        self.who = Editor(
            key_id=None, key_name=f"byline import {system}", request_id=None, if_match="*"
        )
        self.ids: dict[tuple[str, str], str] = {}  # (kind, source id) -> object id
        self.photos_by_url: dict[str, str] = {}
        self._counted: set[tuple[str, str]] = set()
        self.link_map: dict[str, str] = {}  # old URL (no scheme, no trailing /) -> new URL
        self._new: dict[str, _New] = {}  # new stories waiting for their batch, by source id
        self._known = {
            (row.kind, row.source_id): row
            for row in session.scalars(select(ImportSource).where(ImportSource.system == system))
        }
        self._before = set(self._known)
        for row in self._known.values():
            self.ids[(row.kind, row.source_id)] = row.object_id
            if row.kind == "photo" and row.old_path:
                self.photos_by_url[row.old_path] = row.object_id
        row = session.get(Site, 1)
        self.site_url = (row.url if row else get_settings().public_url or "").rstrip("/")

    # Records.

    def _record(
        self,
        kind: str,
        source_id: str,
        object_id: str | None,
        value: str | None,
        old_path: str | None,
    ) -> Callable[[Session, str | None], None]:
        def make(s: Session, made: str | None) -> None:
            object_id_ = object_id or made
            assert object_id_ is not None
            row = s.get(ImportSource, (self.system, kind, source_id))
            if row is None:
                row = ImportSource(
                    system=self.system, kind=kind, source_id=source_id, object_id=object_id_
                )
                s.add(row)
            row.object_id = object_id_
            row.digest = value
            row.old_path = old_path
            row.imported_at = utcnow()
            self._known[(kind, source_id)] = row

        return make

    def _skip(self, kind: str, source_id: str, reason: str) -> None:
        self.summary.count(kind, "skipped")
        self.summary.skipped.append({"kind": kind, "source_id": source_id, "reason": reason})

    def warn(self, kind: str, source_id: str, message: str) -> None:
        self.summary.warnings.append({"kind": kind, "source_id": source_id, "message": message})

    # Authors, tags, sections.

    def term(self, kind: str, item: Person | Term) -> str | None:
        """The id of the author, tag or section `item` became: recorded, matched by slug
        (merged), or created."""
        key = (kind, item.source_id)
        slug = slugify(item.slug or item.name)[:100]
        resource, model = _RESOURCES[kind]
        known = self._known.get(key)
        if known is not None and self.session.get(model, known.object_id) is not None:
            self.summary.count(kind, "unchanged")
            return known.object_id
        if key in self.ids and known is None:  # made earlier in this run (dry run)
            return self.ids[key]
        existing = self.session.scalar(select(model.id).where(model.slug == slug))
        if existing is not None:
            self.summary.count(kind, "merged")
            if not self.dry_run:
                with _recorded(
                    self.session, self._record(kind, item.source_id, existing, "", None)
                ):
                    self.session.commit()
            self.ids[key] = existing
            return existing
        try:
            if isinstance(item, Person):
                data: Any = AuthorCreate(
                    name=item.name[:200],
                    slug=slug,
                    bio=item.bio,
                    avatar_url=web_url(item.avatar_url) if item.avatar_url else None,
                    url=web_url(item.url) if item.url else None,
                )
            elif kind == "tag":
                data = TagCreate(name=item.name[:200], slug=slug, description=item.description)
            else:
                data = SectionCreate(name=item.name[:200], slug=slug, description=item.description)
            if self.dry_run:
                object_id = new_id(resource.id_prefix)
            else:
                record = self._record(kind, item.source_id, None, "", None)
                with _recorded(self.session, record, model):
                    object_id = create_resource(self.session, self.who, resource, data).id
        except (ProblemError, ValidationError) as exc:
            self.session.rollback()
            self._skip(kind, item.source_id, _problem(exc))
            return None
        self.summary.count(kind, "imported")
        self.ids[key] = object_id
        return object_id

    # Photos.

    def _local_file(self, url: str) -> Path | None:
        """The file for `url` in the media folder: the longest tail of its path found there."""
        if self.media_dir is None:
            return None
        parts = [p for p in unquote(urlsplit(url).path).split("/") if p and p != ".."]
        for start in range(len(parts)):
            candidate = (self.media_dir / Path(*parts[start:])).resolve()
            if candidate.is_file() and candidate.is_relative_to(self.media_dir):
                return candidate
        return None

    def photo(self, image: Image) -> str | None:
        """The id of the photo `image` became (the same photo for the same URL)."""
        url = web_url(image.url)
        key = ("photo", image.source_id)
        if key in self.ids:
            if key in self._before and key not in self._counted:
                self._counted.add(key)
                self.summary.count("photo", "unchanged")
            return self.ids[key]
        if url in self.photos_by_url:
            return self.photos_by_url[url]
        metadata = {"caption": image.caption or None, "alt_text": image.alt_text or None}
        try:
            if self.dry_run:
                PhotoCreate(url=url, **metadata)
                photo_id = new_id("pho")
                local = self._local_file(url)
            else:
                local = self._local_file(url)
                record = self._record("photo", image.source_id, None, "", url)
                with _recorded(self.session, record, Photo):
                    if local is not None:
                        photo_id = create_uploaded(
                            self.session,
                            self.who,
                            data=PhotoMetadata(**metadata),
                            content=local.read_bytes(),
                        ).id
                    else:
                        mime, _ = mimetypes.guess_type(urlsplit(url).path)
                        photo_id = create_linked(
                            self.session,
                            self.who,
                            data=PhotoCreate(
                                url=url,
                                mime_type=mime if mime and mime.startswith("image/") else None,
                                **metadata,
                            ),
                        ).id
        except (ProblemError, ValidationError, ValueError, OSError) as exc:
            self.session.rollback()
            self._skip("photo", image.source_id, _problem(exc))
            return None
        self.summary.count("photo", "imported" if local is None else "uploaded")
        self.ids[key] = photo_id
        self.photos_by_url[url] = photo_id
        return photo_id

    def body_photo(self, url: str, alt: str | None, caption: str | None) -> str | None:
        """The photo of an image in a body: an imported one of the same file (WordPress
        links sized copies, `-300x200.jpg` or `?w=300`), else a new photo of its URL."""
        plain = url.split("?")[0]
        for candidate in (url, plain, _SIZED.sub(r"\1", plain)):
            if candidate in self.photos_by_url:
                return self.photos_by_url[candidate]
        return self.photo(Image(source_id=url, url=url, caption=caption, alt_text=alt))

    # Stories.

    def plan(self, stories: list[Story], old_urls: dict[str, list[str]]) -> None:
        """Settle every story's slug before any is written, so that links between imported
        stories can point at the new URLs; and map their old URLs to their new ones. The
        slugs recorded stories have and those new ones ask for are read in a few queries."""
        recorded = [self.ids[k] for s in stories if (k := ("article", s.source_id)) in self.ids]
        slug_of: dict[str, str] = {}
        for chunk in _chunks(recorded):
            rows = self.session.execute(
                select(Article.id, Article.slug).where(Article.id.in_(chunk))
            )
            slug_of.update((row.id, row.slug) for row in rows)
        bases = {
            s.source_id: slugify(unquote(s.slug or "") or s.headline, max_length=190)
            for s in stories
            if ("article", s.source_id) not in self.ids
        }
        asked = set(bases.values())
        taken: set[str] = set()
        for chunk in _chunks(list(asked)):
            taken.update(self.session.scalars(select(Article.slug).where(Article.slug.in_(chunk))))

        def free(slug: str) -> bool:
            if slug in planned:
                return False
            if slug in asked:
                return slug not in taken
            return self.session.scalar(select(Article.id).where(Article.slug == slug)) is None

        planned: set[str] = set()
        for story in stories:
            key = ("article", story.source_id)
            if key in self.ids:
                story.slug = slug_of.get(self.ids[key]) or story.slug
            else:
                base = bases[story.source_id]
                slug, n = base, 1
                while not free(slug):
                    n += 1
                    slug = f"{base}-{n}"
                if n > 1:
                    story.warnings.append(f"slug {base!r} was taken: imported as {slug!r}")
                story.slug = slug
            planned.add(story.slug)
            for old in old_urls.get(story.source_id, []):
                self.link_map[_url_key(old)] = f"{self.site_url}/{story.slug}/"

    def map_link(self, href: str) -> str:
        return self.link_map.get(_url_key(href), href)

    def story(self, story: Story) -> None:
        kind = story.kind
        key = ("article", story.source_id)
        if story.source_id in self._new:
            self.write_new()  # listed twice: the second one finds the first recorded
        # The source as the export has it: not the slug settled here, nor this run's warnings.
        value = digest({k: v for k, v in asdict(story).items() if k not in ("slug", "warnings")})
        known = self._known.get(key)
        if known is not None and known.digest == value:
            self.summary.count(kind, "unchanged")
            return
        if known is not None and self.session.get(Article, known.object_id) is None:
            known = None  # deleted here since: made again
        for warning in story.warnings:
            self.warn(kind, story.source_id, warning)
        try:
            converted = convert(story.body_html, photo=self.body_photo, link=self.map_link)
            converted.losses[:0] = story.notes
            fields = self._fields(story, converted)
            if self.dry_run:
                ArticleCreate(**fields)
                outcome = "updated" if known is not None else "imported"
            elif known is not None:
                outcome = self._update(story, known.object_id, fields, value)
            else:
                item = self._new_article(story, ArticleCreate(**fields))
                self._new[story.source_id] = _New(story, item, value, converted.losses)
                if len(self._new) >= BATCH:
                    self.write_new()
                return
        except (ProblemError, ValidationError) as exc:
            self.session.rollback()
            self._skip(kind, story.source_id, _problem(exc))
            return
        self._done(story, outcome, converted.losses)

    def _done(self, story: Story, outcome: str, losses: list[str]) -> None:
        if losses:
            self.summary.losses.append(
                {
                    "kind": story.kind,
                    "source_id": story.source_id,
                    "slug": story.slug,
                    "notes": losses,
                }
            )
        self.summary.count(story.kind, outcome)

    def _new_article(self, story: Story, data: ArticleCreate) -> NewArticle:
        """The story to create, and the step of the workflow that gives it its state."""
        if story.status == "draft":
            return NewArticle(data)
        step = self._step(story)
        if isinstance(step, PublishIn):
            return NewArticle(data, publish=step)
        return NewArticle(data, schedule=step)

    def _step(self, story: Story) -> PublishIn | ScheduleIn:
        """How a published or scheduled story reaches its state here."""
        at = story.published_at
        if story.status == "published" and (at is None or at <= utcnow()):
            return PublishIn(published_at=at)
        # Scheduled there, or published there with a time ahead: seen from then, here too.
        return ScheduleIn.model_validate({"publish_at": at})

    def write_new(self) -> None:
        """Write the new stories waiting for their batch, in one transaction; when it fails,
        again one by one, so that a bad story is reported and skipped and the rest land."""
        batch, self._new = list(self._new.values()), {}
        if not batch:
            return
        if len(batch) > 1:
            try:
                self._create(batch)
            except (ProblemError, ValidationError, SQLAlchemyError):
                self.session.rollback()
            else:
                for new in batch:
                    self._created(new)
                return
        for new in batch:
            try:
                self._create([new])
            except (ProblemError, ValidationError, SQLAlchemyError) as exc:
                self.session.rollback()
                self._skip(new.story.kind, new.story.source_id, _problem(exc))
                continue
            self._created(new)

    def _create(self, batch: list[_New]) -> None:
        def records(articles: list[Article]) -> list[ImportSource]:
            rows = []
            for new, article in zip(batch, articles, strict=True):
                new.article_id = article.id
                key = ("article", new.story.source_id)
                # A story deleted here since its last import keeps its record, renewed.
                row = self._known.get(key) or ImportSource(
                    system=self.system,
                    kind="article",
                    source_id=new.story.source_id,
                    object_id=article.id,
                )
                row.object_id = article.id
                row.digest = new.value
                row.old_path = new.story.old_path
                row.imported_at = utcnow()
                new.record = row
                rows.append(row)
            return rows

        create_articles(self.session, self.who, [new.item for new in batch], also=records)

    def _created(self, new: _New) -> None:
        key = ("article", new.story.source_id)
        assert new.article_id is not None and new.record is not None
        self.ids[key] = new.article_id
        self._known[key] = new.record
        self._done(new.story, "imported", new.losses)

    def _fields(self, story: Story, converted: Converted) -> dict[str, Any]:
        lead = self.photo(story.lead_photo) if story.lead_photo else None
        authors = [self.ids.get(("author", a)) for a in story.authors]
        tags = list(dict.fromkeys(t for t in (self.ids.get(("tag", x)) for x in story.tags) if t))
        section = self.ids.get(("section", story.section)) if story.section else None
        fields: dict[str, Any] = {
            "type": "page" if story.kind == "page" else "article",
            "headline": plain_text(story.headline)[:300] or "Untitled",
            "slug": story.slug,
            "language": story.language,
            "summary": story.summary or None,
            "body": converted.blocks[:2000],
            "authors": [BylineIn(author=a) for a in dict.fromkeys(a for a in authors if a)],
            "tags": tags[:100],
            "section": section,
            "lead_photo": lead,
        }
        if story.canonical_url:
            fields["canonical_url"] = web_url(story.canonical_url)
        if len(converted.blocks) > 2000:
            converted.losses.append("body cut at 2,000 blocks")
        return fields

    def _update(self, story: Story, article_id: str, fields: dict[str, Any], value: str) -> str:
        article = self.session.get(Article, article_id)
        assert article is not None  # `story` makes a deleted one again
        fields.pop("slug")  # a story keeps the URL it has here
        data = ArticleUpdate(**fields)
        final = self._needs_workflow(story, article) is None
        with _recorded(self.session, self._article_record(story, value if final else None)):
            article = update_article(self.session, self.who, ref=article.id, data=data)
        self._workflow(story, article, value)
        return "updated"

    def _article_record(
        self, story: Story, value: str | None
    ) -> Callable[[Session, str | None], None]:
        def make(s: Session, made: str | None) -> None:
            object_id = made or self.ids[("article", story.source_id)]
            self.ids[("article", story.source_id)] = object_id
            self._record("article", story.source_id, object_id, value, story.old_path)(s, None)

        return make

    def _needs_workflow(self, story: Story, article: Article | None) -> str | None:
        status = article.status if article is not None else ArticleStatus.draft
        at = story.published_at
        if story.status == "published":
            if status != ArticleStatus.published or (at and article and article.published_at != at):
                return "publish"
        elif story.status == "scheduled":
            if status != ArticleStatus.scheduled or (article and article.published_at != at):
                return "schedule"
        elif status in (ArticleStatus.published, ArticleStatus.scheduled):
            return "unpublish"
        return None

    def _workflow(self, story: Story, article: Article, value: str) -> None:
        step = self._needs_workflow(story, article)
        if step is None:
            return
        record = self._article_record(story, value)
        with _recorded(self.session, record):
            if step == "unpublish":
                unpublish_article(self.session, self.who, ref=article.id)
                return
            data = self._step(story)
            if isinstance(data, PublishIn):
                publish_article(self.session, self.who, ref=article.id, data=data)
            else:
                schedule_article(self.session, self.who, ref=article.id, data=data)


_SIZED = re.compile(r"-\d+x\d+(\.\w+)$")


def _chunks(values: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


def _url_key(url: str) -> str:
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower().removeprefix("www.")
    path = parts.path.rstrip("/")
    query = f"?{parts.query}" if parts.query else ""
    return f"{host}{path}{query}"


def old_path(url: str | None) -> str | None:
    """The path (and query) of a URL on the old site: what a redirect starts from."""
    if not url:
        return None
    parts = urlsplit(url)
    path = parts.path or "/"
    return (path + (f"?{parts.query}" if parts.query else ""))[:1000]


def import_into(
    session: Session,
    importer: Importer,
    *,
    authors: list[Person],
    tags: list[Term],
    sections: list[Term],
    photos: list[Image],
    stories: list[Story],
    old_urls: dict[str, list[str]],
) -> Summary:
    """Write an export's objects in dependency order: people and terms, then stories."""
    for person in authors:
        importer.term("author", person)
    for tag in tags:
        importer.term("tag", tag)
    for section in sections:
        importer.term("section", section)
    for image in photos:
        importer.photo(image)
    importer.plan(stories, old_urls)
    for story in stories:
        importer.story(story)
    importer.write_new()
    return importer.summary
