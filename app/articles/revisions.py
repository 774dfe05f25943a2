"""An article's revisions: list, read, diff, and restore one as a new save."""

import difflib
from typing import Any

from sqlalchemy import delete, select
from sqlmodel import Session

from app.articles.blocks import body_columns, inline_text
from app.articles.events import (
    memberships_of,
)
from app.articles.saving import RESTORED, Refs, find_article, finish, write_relations
from app.editorial import Editor, save_version
from app.errors import NotFound
from app.models import (
    Article,
    ArticleRevision,
    Author,
    Photo,
    RelatedLink,
    Section,
    Tag,
)


def list_revisions(session: Session, *, ref: str) -> list[ArticleRevision]:
    """Every revision of an article, newest first."""
    article = find_article(session, ref)
    return list(
        session.scalars(
            select(ArticleRevision)
            .where(ArticleRevision.article_id == article.id)
            .order_by(ArticleRevision.number.desc())
        )
    )


def get_revision(session: Session, *, ref: str, number: int) -> ArticleRevision:
    """Revision `number` of an article."""
    article = find_article(session, ref)
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
    article = find_article(session, article_id)
    values = {name: old[name] for name in RESTORED if name in old}
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
    write_relations(session, article_id, Refs({}, authors=authors, tags=tags))
    return finish(
        session,
        who,
        article,
        version,
        "restore",
        sorted(values),
        revision_action=f"restore:{number}",
        left=left,
    )
