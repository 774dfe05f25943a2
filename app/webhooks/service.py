"""Webhook subscriptions and their delivery logs (`admin`)."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import or_, select, update
from sqlmodel import Session

from app.config import get_settings
from app.db import utcnow
from app.editorial import Editor, audit, save_version
from app.errors import Conflict, NotFound, ValidationFailed
from app.ids import new_id
from app.models import DeliveryStatus, Webhook, WebhookAttempt, WebhookDelivery
from app.pagination import Ordering, Page, PageParams, SortKey, paginate
from app.webhooks import destinations, signing
from app.webhooks.schemas import WebhookCreate, WebhookUpdate
from app.writes import delete_version

ORDERING = Ordering("created", (SortKey(Webhook.created_at), SortKey(Webhook.id)))
DELIVERY_ORDERING = Ordering(
    "created", (SortKey(WebhookDelivery.created_at), SortKey(WebhookDelivery.id))
)


def _check_url(url: str) -> None:
    # Resolves the host name (blocking): the routes that write subscriptions run in threads.
    reason = destinations.check_destination(url, destinations.Policy.of(get_settings()))
    if reason:
        raise ValidationFailed("url", reason)


@dataclass(frozen=True)
class NewWebhook:
    webhook: Webhook
    secret: str


def create_webhook(session: Session, who: Editor, *, data: WebhookCreate) -> NewWebhook:
    """Subscribe a URL; the signing secret is returned now and never again."""
    _check_url(data.url)
    secret = signing.new_secret()
    webhook = Webhook(id=new_id("whk"), secret=secret, **data.model_dump())
    session.add(webhook)
    audit(
        session,
        who,
        action="webhook.create",
        resource_type="webhook",
        resource_id=webhook.id,
        version=1,
        fields=sorted(data.model_fields_set),
    )
    session.commit()
    return NewWebhook(webhook, secret)


def list_webhooks(session: Session, *, page: PageParams) -> Page:
    """Subscriptions, newest first."""
    return paginate(session, select(Webhook), ORDERING, page)


def get_webhook(session: Session, *, webhook_id: str) -> Webhook:
    """One subscription."""
    webhook = session.get(Webhook, webhook_id)
    if webhook is None:
        raise NotFound(f"No webhook {webhook_id!r}.")
    return webhook


def update_webhook(
    session: Session, who: Editor, *, webhook_id: str, data: WebhookUpdate
) -> Webhook:
    """Change the version `If-Match` names (428 without, 412 when stale)."""
    get_webhook(session, webhook_id=webhook_id)
    values = data.model_dump(exclude_unset=True)
    for name in ("url", "events", "active"):
        if name in values and values[name] is None:
            raise ValidationFailed(name, "cannot be null")
    if "url" in values:
        _check_url(values["url"])
    version = save_version(
        session,
        Webhook,
        webhook_id,
        expected=who.expected_version(),
        values=values,
    )
    audit(
        session,
        who,
        action="webhook.update",
        resource_type="webhook",
        resource_id=webhook_id,
        version=version,
        fields=sorted(values),
    )
    session.commit()
    return session.get(Webhook, webhook_id, populate_existing=True)


def rotate_secret(session: Session, who: Editor, *, webhook_id: str, expires_in: int) -> NewWebhook:
    """A new signing secret, returned now and never again; the current one keeps signing
    beside it for `expires_in` seconds, so receivers can switch without losing a message."""
    webhook = get_webhook(session, webhook_id=webhook_id)
    secret = signing.new_secret()
    values = {
        "secret": secret,
        "previous_secret": webhook.secret if expires_in else None,
        "previous_secret_expires_at": utcnow() + timedelta(seconds=expires_in)
        if expires_in
        else None,
    }
    version = save_version(
        session, Webhook, webhook_id, expected=who.expected_version(required=False), values=values
    )
    audit(
        session,
        who,
        action="webhook.rotate",
        resource_type="webhook",
        resource_id=webhook_id,
        version=version,
        fields=["secret"],
    )
    session.commit()
    return NewWebhook(session.get(Webhook, webhook_id, populate_existing=True), secret)


def delete_webhook(session: Session, who: Editor, *, webhook_id: str) -> None:
    """Unsubscribe, with the delivery log; needs `If-Match`, as every change does."""
    expected = who.expected_version()
    get_webhook(session, webhook_id=webhook_id)
    delete_version(session, Webhook, webhook_id, expected=expected)
    audit(session, who, action="webhook.delete", resource_type="webhook", resource_id=webhook_id)
    session.commit()


def attempts_of(session: Session, delivery_ids: list[str]) -> dict[str, list[WebhookAttempt]]:
    """The attempt log of each delivery, oldest first, in one query."""
    log: dict[str, list[WebhookAttempt]] = defaultdict(list)
    if delivery_ids:
        rows = session.scalars(
            select(WebhookAttempt)
            .where(WebhookAttempt.delivery_id.in_(delivery_ids))
            .order_by(WebhookAttempt.delivery_id, WebhookAttempt.number)
        )
        for attempt in rows:
            log[attempt.delivery_id].append(attempt)
    return log


def list_deliveries(
    session: Session,
    *,
    webhook_id: str,
    status: DeliveryStatus | None,
    event_type: str | None,
    page: PageParams,
) -> Page:
    """A subscription's deliveries, newest first."""
    get_webhook(session, webhook_id=webhook_id)
    stmt = select(WebhookDelivery).where(WebhookDelivery.webhook_id == webhook_id)
    if status is not None:
        stmt = stmt.where(WebhookDelivery.status == status)
    if event_type is not None:
        stmt = stmt.where(WebhookDelivery.event_type == event_type)
    return paginate(session, stmt, DELIVERY_ORDERING, page)


def get_delivery(session: Session, *, webhook_id: str, delivery_id: str) -> WebhookDelivery:
    """One delivery of a subscription."""
    delivery = session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.webhook_id != webhook_id:
        raise NotFound(f"No delivery {delivery_id!r} of webhook {webhook_id!r}.")
    return delivery


def redeliver(
    session: Session, who: Editor, *, webhook_id: str, delivery_id: str
) -> WebhookDelivery:
    """Send a delivery again, now, whatever became of it; its attempts go on counting and
    its `webhook-id` stays the same, so a receiver that has it already can drop it."""
    delivery = get_delivery(session, webhook_id=webhook_id, delivery_id=delivery_id)
    now = utcnow()
    # Only while no worker holds it: an attempt under way is never sent twice.
    free = or_(WebhookDelivery.lease_until.is_(None), WebhookDelivery.lease_until < now)
    changed = session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == delivery.id, free)
        .values(
            status=DeliveryStatus.pending,
            next_attempt_at=now,
            completed_at=None,
            lease_until=None,
            lease_token=None,
        ),
        execution_options={"synchronize_session": False},
    ).rowcount
    if not changed:
        session.rollback()
        raise Conflict("An attempt of this delivery is under way; ask again once it ends.")
    audit(
        session,
        who,
        action="webhook.redeliver",
        resource_type="webhook",
        resource_id=webhook_id,
        fields=[delivery.id],
    )
    session.commit()
    return session.get(WebhookDelivery, delivery.id, populate_existing=True)
