"""Reading the audit trail."""

from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session

from app.models import AuditEvent
from app.pagination import Ordering, Page, PageParams, SortKey, paginate

ORDERING = Ordering("newest", (SortKey(AuditEvent.at), SortKey(AuditEvent.id)))


def list_events(
    session: Session,
    *,
    page: PageParams,
    resource_type: str | None = None,
    resource_id: str | None = None,
    key_id: str | None = None,
    action: str | None = None,
    since: datetime | None = None,
) -> Page:
    """Changes, newest first, filtered by what was changed, by whom, and from when."""
    stmt = select(AuditEvent)
    if resource_type:
        stmt = stmt.where(AuditEvent.resource_type == resource_type)
    if resource_id:
        stmt = stmt.where(AuditEvent.resource_id == resource_id)
    if key_id:
        stmt = stmt.where(AuditEvent.key_id == key_id)
    if action:
        stmt = stmt.where(AuditEvent.action == action)
    if since:
        stmt = stmt.where(AuditEvent.at >= since)
    return paginate(session, stmt, ORDERING, page)
