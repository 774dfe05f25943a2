from fastapi import APIRouter, Request

from app import surrogate
from app.auth import Reader
from app.contract import sparse
from app.crud import Resource, add_routes
from app.db import SessionDep
from app.models import Tag
from app.pagination import PageDep, item_response, list_response
from app.representation import FieldsDep
from app.responses import JSONResponse
from app.schemas import PROBLEM_RESPONSES, Many, One
from app.tags import service
from app.tags.schemas import FIELDS, TagCreate, TagOut, TagUpdate, tag_out

router = APIRouter(prefix="/tags", tags=["tags"])


@router.get(
    "", summary="List tags", response_model=Many[sparse(TagOut)], responses=PROBLEM_RESPONSES
)
def list_tags(
    request: Request, session: SessionDep, page: PageDep, fields: FieldsDep, _: Reader
) -> JSONResponse:
    """Tags, in alphabetical order of slug."""
    fields.check(FIELDS)
    result = service.list_tags(session, page=page)
    data = [fields.apply(tag_out(s)) for s in result.items]
    return list_response(request, result, data, page.limit, keys=["tags"])


@router.get(
    "/{ref}", summary="Read a tag", response_model=One[sparse(TagOut)], responses=PROBLEM_RESPONSES
)
def read_tag(
    ref: str, request: Request, session: SessionDep, fields: FieldsDep, _: Reader
) -> JSONResponse:
    """One tag, by id or slug."""
    fields.check(FIELDS)
    tag = service.get_tag(session, ref=ref)
    return item_response(request, fields.apply(tag_out(tag)), keys=[f"tag:{tag.slug}"])


# Deleting a tag takes it off the articles that carry it (as in WordPress and Ghost).
# Module-level, so that other writers (`byline clean-text`) save through it too.
RESOURCE = Resource(
    model=Tag,
    name="tag",
    path="/tags",
    id_prefix="tag",
    create=TagCreate,
    update=TagUpdate,
    out=lambda _session, row: tag_out(row),
    out_schema=sparse(TagOut),
    keys=lambda row: surrogate.object_change(
        ["tags", f"tag:{row.slug}"], shown_in_article_lists=True
    ),
)
add_routes(router, RESOURCE)
