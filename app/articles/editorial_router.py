"""The editorial side of articles (`content:write`): writes, workflow, cards, corrections,
revisions. Every write answers with the whole article as editors see it, and its ETag."""

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from sqlmodel import Session

from app.articles import related, revisions, saving, service, workflow
from app.articles.rendering import article_out
from app.articles.schemas import (
    INCLUDES,
    ArticleCreate,
    ArticleDetailAnswer,
    ArticleUpdate,
    CorrectionIn,
    PublishIn,
    RelatedIn,
    RelatedUpdate,
    RevisionDiff,
    RevisionOut,
    RevisionSummary,
    ScheduleIn,
)
from app.contract import conform
from app.db import SessionDep
from app.editorial import EditorDep
from app.models import Article, ArticleRevision
from app.pagination import envelope, written_response
from app.responses import JSONResponse
from app.schemas import PROBLEM_RESPONSES, WRITE_RESPONSES, Many, One
from app.urls import object_path
from app.visibility import Viewer

router = APIRouter(prefix="/articles", tags=["editorial"])

PRIVATE = {"Cache-Control": "private, no-store"}


def written(
    request: Request, session: Session, article: Article, *, status: int = 200
) -> JSONResponse:
    """The article as an editor sees it (drafts included), with the ETag for the next write."""
    viewer = Viewer(preview=True)
    embeds = service.load_embeds(session, [article], include=INCLUDES, viewer=viewer, detail=True)
    out = article_out(article, embeds, include=INCLUDES, now=viewer.now, detail=True)
    location = object_path("articles", article.id) if status == 201 else None
    return written_response(request, out, keys=(), status=status, location=location)


@router.post(
    "",
    summary="Create an article",
    status_code=201,
    response_model=One[ArticleDetailAnswer],
    responses=WRITE_RESPONSES,
)
def create_article(
    body: ArticleCreate, request: Request, session: SessionDep, who: EditorDep
) -> JSONResponse:
    """Create a draft. Send `Idempotency-Key` so that a retry cannot make a twin."""
    article = saving.create_article(session, who, data=body)
    return written(request, session, article, status=201)


@router.patch(
    "/{ref}",
    summary="Update an article",
    response_model=One[ArticleDetailAnswer],
    responses=WRITE_RESPONSES,
)
def update_article(
    ref: str, body: ArticleUpdate, request: Request, session: SessionDep, who: EditorDep
) -> JSONResponse:
    """Change fields (a JSON merge patch). Needs `If-Match`: 428 without, 412 when stale."""
    return written(request, session, saving.update_article(session, who, ref=ref, data=body))


@router.delete("/{ref}", summary="Delete an article", status_code=204, responses=WRITE_RESPONSES)
def delete_article(ref: str, session: SessionDep, who: EditorDep) -> Response:
    """Delete the article for good. Needs `If-Match`. To take a story down, unpublish it."""
    saving.delete_article(session, who, ref=ref)
    return Response(status_code=204)


@router.post(
    "/{ref}/publish",
    summary="Publish an article",
    response_model=One[ArticleDetailAnswer],
    responses=WRITE_RESPONSES,
)
def publish_article(
    ref: str,
    request: Request,
    session: SessionDep,
    who: EditorDep,
    body: PublishIn | None = None,
) -> JSONResponse:
    """Publish now, or at a past `published_at` (back-dating an import)."""
    article = workflow.publish_article(session, who, ref=ref, data=body or PublishIn())
    return written(request, session, article)


@router.post(
    "/{ref}/schedule",
    summary="Schedule an article",
    response_model=One[ArticleDetailAnswer],
    responses=WRITE_RESPONSES,
)
def schedule_article(
    ref: str, body: ScheduleIn, request: Request, session: SessionDep, who: EditorDep
) -> JSONResponse:
    """Schedule: the story is visible exactly from `publish_at`; no job has to run."""
    return written(request, session, workflow.schedule_article(session, who, ref=ref, data=body))


@router.post(
    "/{ref}/unpublish",
    summary="Unpublish an article",
    response_model=One[ArticleDetailAnswer],
    responses=WRITE_RESPONSES,
)
def unpublish_article(
    ref: str, request: Request, session: SessionDep, who: EditorDep
) -> JSONResponse:
    """Take the story down; it keeps its dates and can be published again."""
    return written(request, session, workflow.unpublish_article(session, who, ref=ref))


@router.post(
    "/{ref}/corrections",
    summary="Add a correction",
    status_code=201,
    response_model=One[ArticleDetailAnswer],
    responses=WRITE_RESPONSES,
)
def add_correction(
    ref: str, body: CorrectionIn, request: Request, session: SessionDep, who: EditorDep
) -> JSONResponse:
    """Append a dated, public correction. Corrections cannot be edited or removed."""
    article = workflow.add_correction(session, who, ref=ref, text=body.text)
    return written(request, session, article, status=201)


@router.post(
    "/{ref}/related",
    summary="Add a related card",
    status_code=201,
    response_model=One[ArticleDetailAnswer],
    responses=WRITE_RESPONSES,
)
def add_related(
    ref: str, body: RelatedIn, request: Request, session: SessionDep, who: EditorDep
) -> JSONResponse:
    """Add a related card; place it in the text with a body block
    `{"type": "related", "related_id": "<its id>"}`."""
    article = related.add_related(session, who, ref=ref, data=body)
    return written(request, session, article, status=201)


@router.patch(
    "/{ref}/related/{link_id}",
    summary="Update a related card",
    response_model=One[ArticleDetailAnswer],
    responses=WRITE_RESPONSES,
)
def update_related(
    ref: str,
    link_id: str,
    body: RelatedUpdate,
    request: Request,
    session: SessionDep,
    who: EditorDep,
) -> JSONResponse:
    """Change a related card. Needs the article's `If-Match`."""
    article = related.update_related(session, who, ref=ref, link_id=link_id, data=body)
    return written(request, session, article)


@router.delete(
    "/{ref}/related/{link_id}",
    summary="Remove a related card",
    response_model=One[ArticleDetailAnswer],
    responses=WRITE_RESPONSES,
)
def delete_related(
    ref: str, link_id: str, request: Request, session: SessionDep, who: EditorDep
) -> JSONResponse:
    """Remove a related card (and the body block placing it). Needs the article's `If-Match`."""
    article = related.delete_related(session, who, ref=ref, link_id=link_id)
    return written(request, session, article)


def _revision_summary(revision: ArticleRevision) -> dict:
    return {
        "number": revision.number,
        "action": revision.action,
        "key_id": revision.key_id,
        "created_at": revision.created_at,
    }


@router.get(
    "/{ref}/revisions",
    summary="List an article's revisions",
    response_model=Many[RevisionSummary],
    responses=PROBLEM_RESPONSES,
)
def list_revisions(ref: str, request: Request, session: SessionDep, _: EditorDep) -> JSONResponse:
    """Every revision, newest first: its number (the version it made), action, key, time."""
    found = revisions.list_revisions(session, ref=ref)
    data = [_revision_summary(r) for r in found]
    # Not paged: every revision on one page.
    return envelope(request, data, meta={"next_cursor": None, "limit": len(found)}, headers=PRIVATE)


@router.get(
    "/{ref}/revisions/{number}",
    summary="Read a revision",
    response_model=One[RevisionOut],
    responses=PROBLEM_RESPONSES,
)
def read_revision(
    ref: str, number: int, request: Request, session: SessionDep, _: EditorDep
) -> JSONResponse:
    """One revision with the article's editable state as that save left it."""
    revision = revisions.get_revision(session, ref=ref, number=number)
    data = {
        **_revision_summary(revision),
        "article_id": revision.article_id,
        "snapshot": revision.snapshot,
    }
    return JSONResponse({"data": conform(request, data)}, headers=PRIVATE)


@router.get(
    "/{ref}/revisions/{number}/diff",
    summary="Compare two revisions",
    response_model=One[RevisionDiff],
    responses=PROBLEM_RESPONSES,
)
def diff_revision(
    ref: str,
    number: int,
    request: Request,
    session: SessionDep,
    _: EditorDep,
    against: Annotated[
        int | None,
        Query(ge=1, description="The revision to compare with; default: the one before."),
    ] = None,
) -> JSONResponse:
    """Changed fields between two revisions, and a unified diff of the body's text."""
    data = revisions.diff_revisions(session, ref=ref, number=number, against=against)
    return JSONResponse({"data": conform(request, data)}, headers=PRIVATE)


@router.post(
    "/{ref}/revisions/{number}/restore",
    summary="Restore a revision",
    response_model=One[ArticleDetailAnswer],
    responses=WRITE_RESPONSES,
)
def restore_revision(
    ref: str, number: int, request: Request, session: SessionDep, who: EditorDep
) -> JSONResponse:
    """Put the story back as revision `number` had it; the restore is a new revision."""
    article = revisions.restore_revision(session, who, ref=ref, number=number)
    return written(request, session, article)
