"""Operational endpoints: liveness, readiness."""

from fastapi import APIRouter, Response
from pydantic import BaseModel
from sqlalchemy import text

from app.db import SessionDep
from app.errors import ServiceUnavailable
from app.metrics import CONTENT_TYPE, exposition
from app.responses import JSONResponse
from app.schemas import PROBLEMS, Problem

router = APIRouter(tags=["operations"])


class Health(BaseModel):
    status: str


class Readiness(BaseModel):
    status: str
    migration: str | None


@router.get("/healthz", summary="Liveness", response_model=Health)
def healthz() -> JSONResponse:
    """The process is up."""
    return JSONResponse({"status": "ok"}, headers={"Cache-Control": "no-store"})


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
def metrics() -> Response:
    """Prometheus metrics of every worker: requests, latency, render-cache results."""
    return Response(exposition(), media_type=CONTENT_TYPE, headers={"Cache-Control": "no-store"})


@router.get(
    "/readyz",
    summary="Readiness",
    response_model=Readiness,
    responses={503: {"model": Problem, "description": PROBLEMS[503]}},
)
def readyz(session: SessionDep) -> JSONResponse:
    """The database answers and its schema is at the newest migration."""
    # Alembic (with Mako and Pygments under it) is imported by the first check, not at start-up.
    from app.migrate import current_revision, head_revision

    try:
        session.execute(text("SELECT 1"))
        current = current_revision(session.connection())
    except Exception as exc:
        raise ServiceUnavailable("The database is not reachable.") from exc
    head = head_revision()
    if current != head:
        raise ServiceUnavailable(
            f"The database schema is at {current or 'nothing'}, not at {head}: "
            "run `byline migrate`."
        )
    return JSONResponse(
        {"status": "ok", "migration": current}, headers={"Cache-Control": "no-store"}
    )
