"""Article writes: create, merge-patch, delete, the workflow, related cards, corrections and
revisions. Each save is one transaction: a conditional UPDATE on the version (a stale
`If-Match` loses, in the database), the article's rows, a revision and an audit record."""

import difflib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlmodel import Session

from app.articles.blocks import body_columns, inline_text
from app.articles.events import (
    announce_delete,
    announce_save,
    memberships_of,
    seen_before,
    seen_from,
)
from app.articles.schemas import (
    ArticleCreate,
    ArticleUpdate,
    BylineIn,
    PublishIn,
    RelatedIn,
    ScheduleIn,
)
from app.db import utcnow
from app.editorial import Editor, audit, save_version
from app.errors import Conflict, NotFound, ValidationFailed
from app.ids import new_id
from app.inputs import slugify
from app.lookup import check_ids_exist, id_for_body, ids_for_body, row_for_body
from app.models import (
    Article,
    ArticleAuthor,
    ArticleRevision,
    ArticleStatus,
    ArticleTag,
    Author,
    Correction,
    FeedEntry,
    Photo,
    RelatedLink,
    Section,
    Site,
    Tag,
)
from app.tombstones import record_deletion
from app.writes import (
    check_slug,
    commit_or_conflict,
    delete_version,
    find_for_write,
    slug_free,
)

# Columns an editor writes directly (the rest are derived or belong to the workflow).
_PLAIN = ("type", "headline", "subheadline", "dateline", "summary", "language", "canonical_url")
# What a revision keeps and a restore puts back: the story, not its workflow state.
_RESTORED = (*_PLAIN, "section_id", "lead_photo_id", "body")
# Fields whose change moves a story between lists (sections', tags', authors', types').
_MOVES = frozenset({"section", "tags", "authors", "type"})


def _article(session: Session, ref: str) -> Article:
    return find_for_write(session, Article, ref, label="article")


def _check_body(
    session: Session, blocks: list[dict[str, Any]], link_ids: set[str]
) -> dict[str, Any]:
    """Sanitized body columns; photos must exist and related blocks name this article's cards."""
    columns = body_columns(blocks)
    photos = [
        (f"body[{i}].photo_id", b["photo_id"])
        for i, b in enumerate(columns["body"])
        if b["type"] == "photo"
    ]
    check_ids_exist(session, Photo, photos, label="photo")
    for i, block in enumerate(columns["body"]):
        if block["type"] == "related" and block["related_id"] not in link_ids:
            raise ValidationFailed(
                f"body[{i}].related_id",
                f"{block['related_id']!r} is not a related card of this article "
                "(add it with POST /v1/articles/{ref}/related first)",
            )
    return columns


@dataclass
class _Refs:
    """An editor's references, resolved to ids (None: not sent)."""

    columns: dict[str, Any]
    authors: list[tuple[str, str]] | None = None
    tags: list[str] | None = None


def _resolve(
    session: Session,
    data: ArticleCreate | ArticleUpdate,
    sent: set[str],
    *,
    article: Article | None,
) -> _Refs:
    columns: dict[str, Any] = {name: getattr(data, name) for name in _PLAIN if name in sent}
    refs = _Refs(columns)
    if "slug" in sent:
        check_slug(
            session, Article, data.slug, label="article", other_than=article.id if article else None
        )
        columns["slug"] = data.slug
    if "section" in sent:
        columns["section_id"] = (
            id_for_body(session, Section, data.section, field="section", label="section")
            if data.section is not None
            else None
        )
    if "lead_photo" in sent:
        # `null` takes the photo away; any other value must name a photo ("" names none).
        if data.lead_photo is not None:
            check_ids_exist(session, Photo, [("lead_photo", data.lead_photo)], label="photo")
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
        columns.update(_check_body(session, [b.model_dump() for b in data.body], link_ids))
    if "authors" in sent:
        bylines = [a if isinstance(a, BylineIn) else BylineIn(author=a) for a in data.authors]
        ids = ids_for_body(
            session, Author, [b.author for b in bylines], field="authors", label="author"
        )
        refs.authors = [(author_id, b.role) for author_id, b in zip(ids, bylines, strict=True)]
    if "tags" in sent:
        refs.tags = ids_for_body(session, Tag, data.tags, field="tags", label="tag")
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


def _write_relations(session: Session, article_id: str, refs: _Refs) -> None:
    if refs.authors is not None:
        session.execute(delete(ArticleAuthor).where(ArticleAuthor.article_id == article_id))
        session.add_all(
            ArticleAuthor(article_id=article_id, author_id=a, position=i, role=role)
            for i, (a, role) in enumerate(refs.authors)
        )
    if refs.tags is not None:
        session.execute(delete(ArticleTag).where(ArticleTag.article_id == article_id))
        session.add_all(
            ArticleTag(article_id=article_id, tag_id=t, position=i) for i, t in enumerate(refs.tags)
        )
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
    """The editable state of an article, as a revision keeps it (JSON-ready)."""
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

    def when(value: datetime | None) -> str | None:
        return value.isoformat().replace("+00:00", "Z") if value else None

    return {
        "slug": article.slug,
        **{name: getattr(article, name) for name in _RESTORED},
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


def _revise(session: Session, who: Editor, article_id: str, version: int, action: str) -> None:
    """Store the revision this save made, and audit it, in the save's transaction."""
    session.flush()
    article = session.get(Article, article_id, populate_existing=True)
    assert article is not None
    session.add(
        ArticleRevision(
            id=new_id("rev"),
            article_id=article_id,
            number=version,
            action=action,
            key_id=who.key_id,
            snapshot=snapshot(session, article),
        )
    )


def _commit(session: Session) -> None:
    commit_or_conflict(
        session,
        label="article",
        detail="The change conflicts with another one made at the same time.",
    )


def _done(session: Session, article_id: str) -> Article:
    article = session.get(Article, article_id, populate_existing=True)
    assert article is not None
    return article


def _finish(
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
    """Revision, events, audit, commit: the end of every save of an article.

    `article` is the row as the caller loaded it before the save: `save_version` writes
    with an UPDATE that leaves the loaded object as it was, so it still tells what readers
    saw before (the events need that), until `_revise` reloads it. When another save came
    between that load and this one, the previous revision tells instead.
    """
    # Saved by nobody else since the caller loaded it: what it holds is what readers saw.
    raced = version != article.version + 1
    before = seen_before(session, article.id, version) if raced else seen_from(article)
    _revise(session, who, article.id, version, revision_action or action)
    announce_save(session, article, action=action, fields=fields, before=before, left=left)
    audit(
        session,
        who,
        action=f"article.{action}",
        resource_type="article",
        resource_id=article.id,
        version=version,
        fields=fields,
    )
    _commit(session)
    return _done(session, article.id)


def create_article(session: Session, who: Editor, *, data: ArticleCreate) -> Article:
    """A new draft with its byline, tags and body; revision 1."""
    sent = set(data.model_fields_set) | {"type", "language", "body", "authors", "tags"}
    refs = _resolve(session, data, sent - {"slug"}, article=None)
    slug = data.slug
    if slug is None:
        slug = slugify(data.headline, language=data.language)
        while not slug_free(session, Article, slug):
            short = slugify(data.headline, language=data.language, max_length=70)
            slug = f"{short}-{new_id('x')[-6:]}"
    else:
        check_slug(session, Article, slug, label="article")
    columns = dict(refs.columns)
    if not data.canonical_url:
        site = session.get(Site, 1)
        columns["canonical_url"] = f"{site.url.rstrip('/')}/{slug}/" if site else None
    article = Article(id=new_id("art"), slug=slug, status=ArticleStatus.draft, **columns)
    session.add(article)
    session.flush()
    _write_relations(session, article.id, refs)
    _revise(session, who, article.id, 1, "create")
    announce_save(
        session,
        article,
        action="create",
        fields=sorted(data.model_fields_set),
        before=None,
        created=True,
    )
    audit(
        session,
        who,
        action="article.create",
        resource_type="article",
        resource_id=article.id,
        version=1,
        fields=sorted(data.model_fields_set),
    )
    _commit(session)
    return _done(session, article.id)


def _save(
    session: Session,
    who: Editor,
    article: Article,
    *,
    values: dict[str, Any],
    action: str,
    expected: int | None,
    fields: list[str],
    refs: _Refs | None = None,
) -> Article:
    # A story that moves leaves lists: what it was in is read before the save rewrites it.
    moved = _MOVES.intersection(fields)
    left = frozenset(memberships_of(session, article)) if moved else frozenset()
    version = save_version(session, Article, article.id, expected=expected, values=values)
    if refs is not None:
        _write_relations(session, article.id, refs)
    return _finish(session, who, article, version, action, fields, left=left)


def update_article(session: Session, who: Editor, *, ref: str, data: ArticleUpdate) -> Article:
    """Apply a merge patch to the version `If-Match` names (428 without, 412 when stale)."""
    expected = who.expected_version()
    article = _article(session, ref)
    sent = set(data.model_fields_set)
    refs = _resolve(session, data, sent, article=article)
    return _save(
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
    article = _article(session, ref)
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
    _commit(session)


def publish_article(session: Session, who: Editor, *, ref: str, data: PublishIn) -> Article:
    """Make the story visible now (or at a past time given for back-dating)."""
    article = _article(session, ref)
    now = utcnow()
    if data.published_at is not None and data.published_at > now:
        raise ValidationFailed(
            "published_at", "a future time schedules the story: use /schedule with publish_at"
        )
    if data.published_at is not None:
        at = data.published_at
    elif article.status == ArticleStatus.unpublished and article.published_at:
        at = article.published_at  # back after a takedown: keeps its date
    elif article.status == ArticleStatus.published and article.published_at:
        at = article.published_at
    else:
        at = now
    values: dict[str, Any] = {
        "status": ArticleStatus.published,
        "published_at": at,
        "first_published_at": article.first_published_at or at,
    }
    if "embargo_until" in data.model_fields_set:
        values["embargo_until"] = data.embargo_until
    return _save(
        session,
        who,
        article,
        values=values,
        action="publish",
        expected=who.expected_version(required=False),
        fields=sorted(values),
    )


def schedule_article(session: Session, who: Editor, *, ref: str, data: ScheduleIn) -> Article:
    """Make the story visible exactly from `publish_at`, with no job needing to run."""
    article = _article(session, ref)
    if data.publish_at <= utcnow():
        raise ValidationFailed("publish_at", "must be in the future (use /publish for now)")
    if article.status == ArticleStatus.published and article.published_at <= utcnow():
        raise Conflict("The story is already published; unpublish it first to reschedule.")
    values: dict[str, Any] = {"status": ArticleStatus.scheduled, "published_at": data.publish_at}
    if article.first_published_at is None or article.first_published_at > utcnow():
        # It will first be seen then (if it was never seen before).
        values["first_published_at"] = data.publish_at
    if "embargo_until" in data.model_fields_set:
        values["embargo_until"] = data.embargo_until
    return _save(
        session,
        who,
        article,
        values=values,
        action="schedule",
        expected=who.expected_version(required=False),
        fields=sorted(values),
    )


def unpublish_article(session: Session, who: Editor, *, ref: str) -> Article:
    """Take the story down; it keeps its dates and can be published again."""
    article = _article(session, ref)
    if article.status == ArticleStatus.draft:
        raise Conflict("A draft is not published.")
    values: dict[str, Any] = {"status": ArticleStatus.unpublished}
    now = utcnow()
    if article.first_published_at is not None and article.first_published_at > now:
        values["first_published_at"] = None  # scheduled, never seen: it was not published
    return _save(
        session,
        who,
        article,
        values=values,
        action="unpublish",
        expected=who.expected_version(required=False),
        fields=["status"],
    )


def add_correction(session: Session, who: Editor, *, ref: str, text: str) -> Article:
    """Append a dated, public correction; corrections are never edited or removed."""
    article = _article(session, ref)
    version = save_version(
        session, Article, article.id, expected=who.expected_version(required=False), values={}
    )
    session.add(Correction(id=new_id("cor"), article_id=article.id, text=text))
    return _finish(session, who, article, version, "correct", ["corrections"])


def _link_values(session: Session, data: RelatedIn, sent: set[str]) -> dict[str, Any]:
    values: dict[str, Any] = {
        k: getattr(data, k) for k in ("url", "title", "summary", "site_name") if k in sent
    }
    if "article" in sent:
        values["target_article_id"] = (
            id_for_body(session, Article, data.article, field="article", label="article")
            if data.article
            else None
        )
    return values


def _check_link(values: dict[str, Any]) -> None:
    if values.get("target_article_id") and values.get("url"):
        raise ValidationFailed("url", "a card links to one of our articles or to a URL, not both")
    if not values.get("target_article_id") and not values.get("url"):
        raise ValidationFailed("article", "a card needs `article` (ours) or `url` (external)")
    if values.get("url") and not values.get("title"):
        raise ValidationFailed("title", "an external card needs a title")


def add_related(session: Session, who: Editor, *, ref: str, data: RelatedIn) -> Article:
    """Add a related card (its id goes in a `related` body block to place it inline)."""
    article = _article(session, ref)
    values = _link_values(session, data, set(data.model_fields_set))
    _check_link(values)
    if values.get("target_article_id") == article.id:
        raise ValidationFailed("article", "an article is not related to itself")
    version = save_version(
        session, Article, article.id, expected=who.expected_version(required=False), values={}
    )
    position = data.position
    if position is None:
        last = session.scalar(
            select(func.max(RelatedLink.position)).where(RelatedLink.article_id == article.id)
        )
        position = 0 if last is None else last + 1
    link = RelatedLink(id=new_id("rel"), article_id=article.id, position=position, **values)
    session.add(link)
    return _finish(session, who, article, version, "relate", ["related"])


def _link(session: Session, article: Article, link_id: str) -> RelatedLink:
    link = session.get(RelatedLink, link_id)
    if link is None or link.article_id != article.id:
        raise NotFound(f"No related card {link_id!r} on this article.")
    return link


def update_related(
    session: Session, who: Editor, *, ref: str, link_id: str, data: RelatedIn
) -> Article:
    """Change a related card; takes the article's ETag (a card is part of its article)."""
    expected = who.expected_version()
    article = _article(session, ref)
    link = _link(session, article, link_id)
    sent = set(data.model_fields_set)
    values = _link_values(session, data, sent)
    merged = {
        "target_article_id": link.target_article_id,
        "url": link.url,
        "title": link.title,
        **values,
    }
    _check_link(merged)
    if "position" in sent and data.position is not None:
        values["position"] = data.position
    version = save_version(session, Article, article.id, expected=expected, values={})
    if values:
        session.execute(update(RelatedLink).where(RelatedLink.id == link.id).values(**values))
    return _finish(session, who, article, version, "relate", ["related"])


def delete_related(session: Session, who: Editor, *, ref: str, link_id: str) -> Article:
    """Remove a related card, and any body block that placed it."""
    expected = who.expected_version()
    article = _article(session, ref)
    link = _link(session, article, link_id)
    body = [b for b in article.body if not (b["type"] == "related" and b["related_id"] == link.id)]
    values = body_columns(body) if len(body) != len(article.body) else {}
    version = save_version(session, Article, article.id, expected=expected, values=values)
    session.execute(delete(RelatedLink).where(RelatedLink.id == link.id))
    return _finish(session, who, article, version, "relate", ["related"])


# Revisions.


def list_revisions(session: Session, *, ref: str) -> list[ArticleRevision]:
    """Every revision of an article, newest first."""
    article = _article(session, ref)
    return list(
        session.scalars(
            select(ArticleRevision)
            .where(ArticleRevision.article_id == article.id)
            .order_by(ArticleRevision.number.desc())
        )
    )


def get_revision(session: Session, *, ref: str, number: int) -> ArticleRevision:
    """Revision `number` of an article."""
    article = _article(session, ref)
    revision = session.scalars(
        select(ArticleRevision).where(
            ArticleRevision.article_id == article.id, ArticleRevision.number == number
        )
    ).first()
    if revision is None:
        raise NotFound(f"Article {ref!r} has no revision {number}.")
    return revision


def _body_lines(blocks: list[dict[str, Any]]) -> list[str]:
    lines = []
    for block in blocks:
        kind = block["type"]
        if kind == "paragraph":
            lines.append(inline_text(block["html"]))
        elif kind == "list":
            lines.extend(f"- {inline_text(item)}" for item in block["items"])
        elif kind in ("heading", "quote"):
            lines.append(f"[{kind}] {block['text']}")
        else:
            ref = block.get("photo_id") or block.get("related_id") or block.get("url")
            lines.append(f"[{kind}] {ref}")
    return lines


def diff_revisions(
    session: Session, *, ref: str, number: int, against: int | None
) -> dict[str, Any]:
    """What changed from revision `against` (default: the one before) to revision `number`."""
    after = get_revision(session, ref=ref, number=number)
    base = against if against is not None else number - 1
    before = get_revision(session, ref=ref, number=base)
    old, new = before.snapshot, after.snapshot
    changes = [
        {"field": key, "before": old.get(key), "after": new.get(key)}
        for key in sorted(set(old) | set(new))
        if old.get(key) != new.get(key)
    ]
    body_diff = "\n".join(
        difflib.unified_diff(
            _body_lines(old.get("body", [])),
            _body_lines(new.get("body", [])),
            fromfile=f"revision {base}",
            tofile=f"revision {number}",
            lineterm="",
        )
    )
    return {
        "article_id": after.article_id,
        "number": number,
        "against": base,
        "changes": changes,
        "body_diff": body_diff,
    }


def restore_revision(session: Session, who: Editor, *, ref: str, number: int) -> Article:
    """Put back the story as revision `number` had it, as a new revision. Workflow state
    (status, times) is left as it is now: restoring text never publishes or unpublishes."""
    revision = get_revision(session, ref=ref, number=number)
    old = revision.snapshot
    article_id = revision.article_id
    article = _article(session, article_id)
    values = {name: old[name] for name in _RESTORED if name in old}
    # What has been deleted since cannot come back; the story comes back without it.
    if values.get("section_id") and session.get(Section, values["section_id"]) is None:
        values["section_id"] = None
    if values.get("lead_photo_id") and session.get(Photo, values["lead_photo_id"]) is None:
        values["lead_photo_id"] = None
    values.update(body_columns(old.get("body", [])))
    authors = [
        (a["author_id"], a["role"])
        for a in old.get("authors", [])
        if session.get(Author, a["author_id"])
    ]
    tags = [t for t in old.get("tags", []) if session.get(Tag, t)]
    left = frozenset(memberships_of(session, article))  # a restore may move the story back
    version = save_version(
        session, Article, article_id, expected=who.expected_version(required=False), values=values
    )
    session.execute(delete(RelatedLink).where(RelatedLink.article_id == article_id))
    for position, link in enumerate(old.get("related", [])):
        target = link.get("target_article_id")
        if target and session.get(Article, target) is None:
            continue
        session.add(
            RelatedLink(
                id=link["id"],
                article_id=article_id,
                position=position,
                target_article_id=target,
                url=link.get("url"),
                title=link.get("title"),
                summary=link.get("summary"),
                site_name=link.get("site_name"),
                inline=link.get("inline", False),
            )
        )
    _write_relations(session, article_id, _Refs({}, authors=authors, tags=tags))
    return _finish(
        session,
        who,
        article,
        version,
        "restore",
        sorted(values),
        revision_action=f"restore:{number}",
        left=left,
    )
