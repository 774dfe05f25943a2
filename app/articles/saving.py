"""Saving an article: an editor's references resolved (slugs and ids to rows, 422 when
missing), then one transaction per save: a conditional UPDATE on the version (a stale
`If-Match` loses, in the database), the article's rows, a revision, events and an audit
record. `create_article` and `update_article` are the pipeline every writer goes through
(the editorial routes, `byline clean-text`, importers); `workflow.create_articles`, the bulk
path, is built from the same parts (`Lookup`, `Slugs`, `new_article`, `record_save`)."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlmodel import Session

from app.articles.blocks import PhotoBlock, body_columns
from app.articles.events import (
    References,
    announce_delete,
    announce_save,
    memberships_of,
    references,
    seen_before,
    seen_from,
)
from app.articles.schemas import (
    ArticleCreate,
    ArticleUpdate,
    BylineIn,
)
from app.db import utcnow
from app.editorial import Editor, audit, save_version
from app.errors import ValidationFailed
from app.ids import new_id
from app.inputs import slugify
from app.lookup import Prefetched, row_for_body
from app.models import (
    Article,
    ArticleAuthor,
    ArticleRevision,
    ArticleStatus,
    ArticleTag,
    Author,
    FeedEntry,
    Photo,
    RelatedLink,
    Section,
    Site,
    Tag,
)
from app.timeparams import as_utc
from app.tombstones import record_deletion
from app.writes import (
    check_slug,
    commit_or_conflict,
    delete_version,
    find_for_write,
    slug_free,
    slug_taken,
)

# Columns an editor writes directly (the rest are derived or belong to the workflow).
_PLAIN = ("type", "headline", "subheadline", "dateline", "summary", "language", "canonical_url")
# What a revision keeps and a restore puts back: the story, not its workflow state.
RESTORED = (*_PLAIN, "section_id", "lead_photo_id", "body")
# Fields whose change moves a story between lists (sections', tags', authors', types').
_MOVES = frozenset({"section", "tags", "authors", "type"})


def find_article(session: Session, ref: str) -> Article:
    """The article a write changes, by id or slug; 404 without."""
    return find_for_write(session, Article, ref, label="article")


def _check_body(
    blocks: list[dict[str, Any]], link_ids: set[str], photos: Prefetched
) -> dict[str, Any]:
    """Sanitized body columns; photos must exist and related blocks name this article's cards."""
    columns = body_columns(blocks)
    named = [
        (f"body[{i}].photo_id", b["photo_id"])
        for i, b in enumerate(columns["body"])
        if b["type"] == "photo"
    ]
    photos.check(named, label="photo")
    for i, block in enumerate(columns["body"]):
        if block["type"] == "related" and block["related_id"] not in link_ids:
            raise ValidationFailed(
                f"body[{i}].related_id",
                f"{block['related_id']!r} is not a related card of this article "
                "(add it with POST /v1/articles/{ref}/related first)",
            )
    return columns


@dataclass
class Refs:
    """An editor's references, resolved to ids (None: not sent)."""

    columns: dict[str, Any]
    authors: list[tuple[str, str]] | None = None
    tags: list[str] | None = None


def _byline(ref: str | BylineIn) -> BylineIn:
    return ref if isinstance(ref, BylineIn) else BylineIn(author=ref)


@dataclass
class Lookup:
    """The sections, authors, tags (by id or slug) and photos (by id) that a batch of
    stories names, each kind read in one query for the whole batch."""

    sections: Prefetched
    authors: Prefetched
    tags: Prefetched
    photos: Prefetched

    @classmethod
    def of(cls, session: Session, items: Iterable[ArticleCreate | ArticleUpdate]) -> "Lookup":
        sections: set[str] = set()
        authors: set[str] = set()
        tags: set[str] = set()
        photos: set[str] = set()
        for data in items:
            if data.section is not None:
                sections.add(data.section)
            authors.update(_byline(a).author for a in data.authors or [])
            tags.update(data.tags or [])
            if data.lead_photo is not None:
                photos.add(data.lead_photo)
            photos.update(b.photo_id for b in data.body or [] if isinstance(b, PhotoBlock))
        return cls(
            sections=Prefetched(session, Section, sections),
            authors=Prefetched(session, Author, authors),
            tags=Prefetched(session, Tag, tags),
            photos=Prefetched(session, Photo, photos, slugs=False),
        )

    def references(self, article: Article, refs: Refs) -> References:
        """What a new story points at (for its events), from the rows read for the batch."""
        section = article.section_id
        return references(
            authors=[(a, self.authors.slug_of[a]) for a, _ in refs.authors or []],
            tags=[(t, self.tags.slug_of[t]) for t in refs.tags or []],
            section=(section, self.sections.slug_of[section]) if section else None,
        )


def _resolve(
    session: Session,
    data: ArticleCreate | ArticleUpdate,
    sent: set[str],
    *,
    article: Article | None,
    lookup: Lookup | None = None,
) -> Refs:
    """The columns and relations `data` sets, its references resolved (422 when one names
    nothing); `lookup` holds them when a batch read them already."""
    if lookup is None:
        lookup = Lookup.of(session, [data])
    columns: dict[str, Any] = {name: getattr(data, name) for name in _PLAIN if name in sent}
    refs = Refs(columns)
    if "slug" in sent:
        check_slug(
            session, Article, data.slug, label="article", other_than=article.id if article else None
        )
        columns["slug"] = data.slug
    if "section" in sent:
        columns["section_id"] = (
            lookup.sections.id(data.section, field="section", label="section")
            if data.section is not None
            else None
        )
    if "lead_photo" in sent:
        # `null` takes the photo away; any other value must name a photo ("" names none).
        if data.lead_photo is not None:
            lookup.photos.check([("lead_photo", data.lead_photo)], label="photo")
        columns["lead_photo_id"] = data.lead_photo
    if "embargo_until" in sent:
        columns["embargo_until"] = data.embargo_until
    if "translation_of" in sent:
        columns["translation_group"] = _translation_group(session, data.translation_of, article)
    if "body" in sent:
        link_ids = (
            set(session.scalars(select(RelatedLink.id).where(RelatedLink.article_id == article.id)))
            if article
            else set()
        )
        columns.update(_check_body([b.model_dump() for b in data.body], link_ids, lookup.photos))
    if "authors" in sent:
        bylines = [_byline(a) for a in data.authors]
        ids = lookup.authors.ids([b.author for b in bylines], field="authors", label="author")
        refs.authors = [(author_id, b.role) for author_id, b in zip(ids, bylines, strict=True)]
    if "tags" in sent:
        refs.tags = lookup.tags.ids(data.tags, field="tags", label="tag")
    return refs


def _translation_group(session: Session, ref: str | None, article: Article | None) -> str | None:
    if ref is None:
        return None
    target = row_for_body(session, Article, ref, field="translation_of", label="article")
    if article is not None and target.id == article.id:
        raise ValidationFailed("translation_of", "an article is not its own translation")
    if target.translation_group is None:
        # The group is named after its first story, which joins it now.
        session.execute(
            update(Article).where(Article.id == target.id).values(translation_group=target.id)
        )
        return target.id
    return target.translation_group


def _relation_rows(article_id: str, refs: Refs) -> list[ArticleAuthor | ArticleTag]:
    """The byline and tag rows `refs` gives the story (the kinds it sets)."""
    rows: list[ArticleAuthor | ArticleTag] = [
        ArticleAuthor(article_id=article_id, author_id=a, position=i, role=role)
        for i, (a, role) in enumerate(refs.authors or [])
    ]
    rows.extend(
        ArticleTag(article_id=article_id, tag_id=t, position=i)
        for i, t in enumerate(refs.tags or [])
    )
    return rows


def write_relations(session: Session, article_id: str, refs: Refs) -> None:
    if refs.authors is not None:
        session.execute(delete(ArticleAuthor).where(ArticleAuthor.article_id == article_id))
    if refs.tags is not None:
        session.execute(delete(ArticleTag).where(ArticleTag.article_id == article_id))
    session.add_all(_relation_rows(article_id, refs))
    if "body" in refs.columns:
        _mark_inline(session, article_id, refs.columns["body"])


def _mark_inline(session: Session, article_id: str, body: list[dict[str, Any]]) -> None:
    """A card is `inline` while a `related` block of the body places it in the text."""
    placed = [b["related_id"] for b in body if b["type"] == "related"]
    session.execute(
        update(RelatedLink)
        .where(RelatedLink.article_id == article_id)
        .values(inline=RelatedLink.id.in_(placed) if placed else False)
    )


def snapshot(session: Session, article: Article) -> dict[str, Any]:
    """The editable state of an article, as a revision keeps it (JSON-ready), read back."""
    authors = session.execute(
        select(ArticleAuthor.author_id, ArticleAuthor.role)
        .where(ArticleAuthor.article_id == article.id)
        .order_by(ArticleAuthor.position)
    ).all()
    tags = session.scalars(
        select(ArticleTag.tag_id)
        .where(ArticleTag.article_id == article.id)
        .order_by(ArticleTag.position)
    ).all()
    links = session.scalars(
        select(RelatedLink)
        .where(RelatedLink.article_id == article.id)
        .order_by(RelatedLink.position, RelatedLink.id)
    ).all()
    return snapshot_of(article, [(a, r) for a, r in authors], list(tags), list(links))


def snapshot_of(
    article: Article,
    authors: list[tuple[str, str]],
    tags: list[str],
    links: list[RelatedLink],
) -> dict[str, Any]:
    """The snapshot of `article` with this byline (author id, role), tags and cards."""

    def when(value: datetime | None) -> str | None:
        return as_utc(value).isoformat().replace("+00:00", "Z") if value else None

    return {
        "slug": article.slug,
        **{name: getattr(article, name) for name in RESTORED},
        "status": article.status,
        "published_at": when(article.published_at),
        "embargo_until": when(article.embargo_until),
        "translation_group": article.translation_group,
        "authors": [{"author_id": a, "role": r} for a, r in authors],
        "tags": list(tags),
        "related": [
            {
                "id": link.id,
                "target_article_id": link.target_article_id,
                "url": link.url,
                "title": link.title,
                "summary": link.summary,
                "site_name": link.site_name,
                "inline": link.inline,
            }
            for link in links
        ],
    }


@dataclass
class Written:
    """What a batch save wrote beside the article row, in hand: nothing to read back."""

    authors: list[tuple[str, str]]  # (author id, role), in byline order
    tags: list[str]
    refs: References


def record_save(
    session: Session,
    who: Editor,
    article: Article,
    *,
    version: int,
    action: str,
    fields: list[str],
    before: datetime | None,
    revision_action: str | None = None,
    created: bool = False,
    left: frozenset[str] = frozenset(),
    written: Written | None = None,
    deferred: bool = True,
) -> None:
    """The revision, events and audit record of one save of `article`, in its transaction.

    Without `written` the save is flushed and the article and what it points at are read
    back (one story's save); a batch that has just built them passes them instead, and
    `deferred=False` when no earlier save of the story can have deferred an event.
    """
    if written is None:
        session.flush()
        session.get(Article, article.id, populate_existing=True)
        state = snapshot(session, article)
        refs = None
    else:
        state = snapshot_of(article, written.authors, written.tags, [])
        refs = written.refs
    session.add(
        ArticleRevision(
            id=new_id("rev"),
            article_id=article.id,
            number=version,
            action=revision_action or action,
            key_id=who.key_id,
            snapshot=state,
        )
    )
    announce_save(
        session,
        article,
        action=action,
        fields=fields,
        before=before,
        created=created,
        left=left,
        refs=refs,
        deferred=deferred,
    )
    audit(
        session,
        who,
        action=f"article.{action}",
        resource_type="article",
        resource_id=article.id,
        version=version,
        fields=fields,
    )


def commit_save(session: Session) -> None:
    """Commit a save (409 when a unique index refuses it: a slug taken meanwhile)."""
    commit_or_conflict(
        session,
        label="article",
        detail="The change conflicts with another one made at the same time.",
    )


def _done(session: Session, article_id: str) -> Article:
    article = session.get(Article, article_id, populate_existing=True)
    assert article is not None
    return article


def finish(
    session: Session,
    who: Editor,
    article: Article,
    version: int,
    action: str,
    fields: list[str],
    *,
    revision_action: str | None = None,
    left: frozenset[str] = frozenset(),
) -> Article:
    """Revision, events, audit, commit: the end of every save of an existing article.

    `article` is the row as the caller loaded it before the save: `save_version` writes
    with an UPDATE that leaves the loaded object as it was, so it still tells what readers
    saw before (the events need that), until `record_save` reloads it. When another save
    came between that load and this one, the previous revision tells instead.
    """
    # Saved by nobody else since the caller loaded it: what it holds is what readers saw.
    raced = version != article.version + 1
    before = seen_before(session, article.id, version) if raced else seen_from(article)
    record_save(
        session,
        who,
        article,
        version=version,
        action=action,
        fields=fields,
        before=before,
        revision_action=revision_action,
        left=left,
    )
    commit_save(session)
    return _done(session, article.id)


class Slugs:
    """Which slugs are taken, for a batch of new stories: those they ask for (or would make
    from their headlines) read in one query, and those given in the batch so far."""

    def __init__(self, session: Session, items: Iterable[ArticleCreate]) -> None:
        self._session = session
        self._asked = {d.slug or slugify(d.headline, language=d.language) for d in items}
        self._taken = set(
            session.scalars(select(Article.slug).where(Article.slug.in_(self._asked)))
        )

    def taken(self, slug: str) -> bool:
        if slug in self._asked:
            return slug in self._taken
        return not slug_free(self._session, Article, slug)

    def give(self, data: ArticleCreate) -> str:
        """The new story's slug: the one sent (409 when taken), or one made from its
        headline (a random tail when that is taken)."""
        slug = data.slug
        if slug is None:
            slug = slugify(data.headline, language=data.language)
            while self.taken(slug):
                short = slugify(data.headline, language=data.language, max_length=70)
                slug = f"{short}-{new_id('x')[-6:]}"
        elif self.taken(slug):
            raise slug_taken("article", slug)
        self._asked.add(slug)
        self._taken.add(slug)
        return slug


@dataclass
class Draft:
    """A new story built and checked, not yet added to the session."""

    data: ArticleCreate
    article: Article
    refs: Refs
    relations: list[ArticleAuthor | ArticleTag]


def new_article(
    session: Session, data: ArticleCreate, *, lookup: Lookup, slugs: Slugs, site: Site | None
) -> Draft:
    """A new draft as `create_article` makes it, its references resolved and its body
    checked (422 or 409 before anything is written)."""
    sent = set(data.model_fields_set) | {"type", "language", "body", "authors", "tags"}
    refs = _resolve(session, data, sent - {"slug"}, article=None, lookup=lookup)
    slug = slugs.give(data)
    columns = dict(refs.columns)
    if not data.canonical_url:
        columns["canonical_url"] = f"{site.url.rstrip('/')}/{slug}/" if site else None
    article = Article(id=new_id("art"), slug=slug, status=ArticleStatus.draft, **columns)
    return Draft(data, article, refs, _relation_rows(article.id, refs))


def add_new(session: Session, who: Editor, draft: Draft, lookup: Lookup) -> Written:
    """Add a built draft to the session with its revision 1, events and audit record."""
    session.add(draft.article)
    session.add_all(draft.relations)
    written = Written(
        authors=draft.refs.authors or [],
        tags=draft.refs.tags or [],
        refs=lookup.references(draft.article, draft.refs),
    )
    record_save(
        session,
        who,
        draft.article,
        version=1,
        action="create",
        fields=sorted(draft.data.model_fields_set),
        before=None,
        created=True,
        written=written,
    )
    return written


def create_article(session: Session, who: Editor, *, data: ArticleCreate) -> Article:
    """A new draft with its byline, tags and body; revision 1."""
    lookup = Lookup.of(session, [data])
    draft = new_article(
        session, data, lookup=lookup, slugs=Slugs(session, [data]), site=session.get(Site, 1)
    )
    add_new(session, who, draft, lookup)
    commit_save(session)
    return _done(session, draft.article.id)


def save(
    session: Session,
    who: Editor,
    article: Article,
    *,
    values: dict[str, Any],
    action: str,
    expected: int | None,
    fields: list[str],
    refs: Refs | None = None,
) -> Article:
    """Write `values` to the version `expected`, and `refs` when given, then `finish`."""
    # A story that moves leaves lists: what it was in is read before the save rewrites it.
    moved = _MOVES.intersection(fields)
    left = frozenset(memberships_of(session, article)) if moved else frozenset()
    version = save_version(session, Article, article.id, expected=expected, values=values)
    if refs is not None:
        write_relations(session, article.id, refs)
    return finish(session, who, article, version, action, fields, left=left)


def update_article(session: Session, who: Editor, *, ref: str, data: ArticleUpdate) -> Article:
    """Apply a merge patch to the version `If-Match` names (428 without, 412 when stale)."""
    expected = who.expected_version()
    article = find_article(session, ref)
    sent = set(data.model_fields_set)
    refs = _resolve(session, data, sent, article=article)
    return save(
        session,
        who,
        article,
        values=refs.columns,
        action="update",
        expected=expected,
        fields=sorted(sent),
        refs=refs,
    )


def delete_article(session: Session, who: Editor, *, ref: str) -> None:
    """Delete the version `If-Match` names, with its byline, cards, corrections, revisions."""
    expected = who.expected_version()
    article = find_article(session, ref)
    announce_delete(session, article)
    # Before the rows go (the tombstone keeps the story's tags); a stale delete rolls back.
    record_deletion(session, "article", article)
    # Entries about the story lose their link: a change to them, which sync and the stream
    # pass on (a partner, whose feed holds only entries about its stories, drops them).
    session.execute(
        update(FeedEntry).where(FeedEntry.article_id == article.id).values(updated_at=utcnow()),
        execution_options={"synchronize_session": False},
    )
    delete_version(session, Article, article.id, expected=expected)
    audit(
        session,
        who,
        action="article.delete",
        resource_type="article",
        resource_id=article.id,
        version=expected,
    )
    commit_save(session)
