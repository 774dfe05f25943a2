"""Webhook subscriptions (`admin`): create, list, read, change, delete; deliveries and
redelivery."""

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from app.auth import Admin
from app.db import SessionDep
from app.editorial import AdminEditorDep, Editor
from app.models import DeliveryStatus
from app.pagination import PageDep, item_response, list_response
from app.responses import JSONResponse
from app.schemas import PROBLEM_RESPONSES, WRITE_RESPONSES, Many, One
from app.urls import object_path
from app.webhooks import service
from app.webhooks.schemas import (
    DeliveryOut,
    EventName,
    SecretRotation,
    WebhookCreate,
    WebhookCreated,
    WebhookOut,
    WebhookUpdate,
    delivery_out,
    webhook_out,
)

router = APIRouter(prefix="/webhooks", tags=["webhooks"])

PRIVATE = {"Cache-Control": "private, no-store"}


def _one(request: Request, data: dict, *, status: int = 200, **headers: str) -> JSONResponse:
    # A subscription carries its version: the ETag is for If-Match on the next change.
    response = item_response(request, data, headers={**PRIVATE, **headers})
    response.status_code = status
    return response


@router.post(
    "",
    summary="Create a webhook",
    status_code=201,
    response_model=One[WebhookCreated],
    responses=WRITE_RESPONSES,
)
def create_webhook(
    body: WebhookCreate, request: Request, session: SessionDep, admin: Admin
) -> JSONResponse:
    """Subscribe a URL to events. The signing `secret` is in this answer and nowhere else."""
    new = service.create_webhook(session, Editor.of(request, admin), data=body)
    return _one(
        request,
        {**webhook_out(new.webhook), "secret": new.secret},
        status=201,
        Location=object_path("webhooks", new.webhook.id),
    )


@router.get(
    "", summary="List webhooks", response_model=Many[WebhookOut], responses=PROBLEM_RESPONSES
)
def list_webhooks(request: Request, session: SessionDep, page: PageDep, _: Admin) -> JSONResponse:
    """Subscriptions, newest first; never their secrets."""
    result = service.list_webhooks(session, page=page)
    response = list_response(request, result, [webhook_out(w) for w in result.items], page.limit)
    response.headers.update(PRIVATE)
    return response


@router.get(
    "/{webhook_id}",
    summary="Read a webhook",
    response_model=One[WebhookOut],
    responses=PROBLEM_RESPONSES,
)
def read_webhook(webhook_id: str, request: Request, session: SessionDep, _: Admin) -> JSONResponse:
    """One subscription."""
    return _one(request, webhook_out(service.get_webhook(session, webhook_id=webhook_id)))


@router.patch(
    "/{webhook_id}",
    summary="Update a webhook",
    response_model=One[WebhookOut],
    responses=WRITE_RESPONSES,
)
def update_webhook(
    webhook_id: str,
    body: WebhookUpdate,
    request: Request,
    session: SessionDep,
    who: AdminEditorDep,
) -> JSONResponse:
    """Change the URL, the events, the description, or pause it (`active: false`: it gets
    no new events, and deliveries under way wait until it is active again). Needs
    `If-Match`: 428 without it, 412 when it changed since."""
    webhook = service.update_webhook(session, who, webhook_id=webhook_id, data=body)
    return _one(request, webhook_out(webhook))


@router.post(
    "/{webhook_id}/rotate-secret",
    summary="Rotate a webhook's secret",
    response_model=One[WebhookCreated],
    responses=WRITE_RESPONSES,
)
def rotate_secret(
    webhook_id: str,
    request: Request,
    session: SessionDep,
    who: AdminEditorDep,
    body: SecretRotation | None = None,
) -> JSONResponse:
    """A new signing `secret`, in this answer only. The old one keeps signing beside it
    (two signatures in `webhook-signature`) for `expires_in` seconds, 24 hours unless
    said, so a receiver can take the new one without refusing a message meanwhile."""
    new = service.rotate_secret(
        session,
        who,
        webhook_id=webhook_id,
        expires_in=(body or SecretRotation()).expires_in,
    )
    return _one(request, {**webhook_out(new.webhook), "secret": new.secret})


@router.delete(
    "/{webhook_id}", summary="Delete a webhook", status_code=204, responses=WRITE_RESPONSES
)
def delete_webhook(webhook_id: str, session: SessionDep, who: AdminEditorDep) -> Response:
    """Unsubscribe (needs `If-Match`); its deliveries and their log go with it."""
    service.delete_webhook(session, who, webhook_id=webhook_id)
    return Response(status_code=204)


@router.get(
    "/{webhook_id}/deliveries",
    summary="List a webhook's deliveries",
    response_model=Many[DeliveryOut],
    responses=PROBLEM_RESPONSES,
)
def list_deliveries(
    webhook_id: str,
    request: Request,
    session: SessionDep,
    page: PageDep,
    _: Admin,
    status: Annotated[DeliveryStatus | None, Query(description="Only deliveries so.")] = None,
    event_type: Annotated[EventName | None, Query(description="Only events of this type.")] = None,
) -> JSONResponse:
    """Deliveries to this subscription, newest first, each with its attempts: status codes,
    timings, errors and the start of each answer."""
    result = service.list_deliveries(
        session, webhook_id=webhook_id, status=status, event_type=event_type, page=page
    )
    log = service.attempts_of(session, [d.id for d in result.items])
    data = [delivery_out(d, log.get(d.id, [])) for d in result.items]
    response = list_response(request, result, data, page.limit)
    response.headers.update(PRIVATE)
    return response


@router.get(
    "/{webhook_id}/deliveries/{delivery_id}",
    summary="Read a delivery",
    response_model=One[DeliveryOut],
    responses=PROBLEM_RESPONSES,
)
def read_delivery(
    webhook_id: str, delivery_id: str, request: Request, session: SessionDep, _: Admin
) -> JSONResponse:
    """One delivery with its attempts."""
    delivery = service.get_delivery(session, webhook_id=webhook_id, delivery_id=delivery_id)
    log = service.attempts_of(session, [delivery.id])
    return _one(request, delivery_out(delivery, log.get(delivery.id, [])))


@router.post(
    "/{webhook_id}/deliveries/{delivery_id}/redeliver",
    summary="Redeliver a delivery",
    status_code=202,
    response_model=One[DeliveryOut],
    responses=WRITE_RESPONSES,
)
def redeliver(
    webhook_id: str, delivery_id: str, request: Request, session: SessionDep, admin: Admin
) -> JSONResponse:
    """Send this delivery again now (whatever became of it), with the same `webhook-id`."""
    delivery = service.redeliver(
        session, Editor.of(request, admin), webhook_id=webhook_id, delivery_id=delivery_id
    )
    log = service.attempts_of(session, [delivery.id])
    return _one(request, delivery_out(delivery, log.get(delivery.id, [])), status=202)
