"""The shapes of webhook subscriptions, their deliveries and attempts."""

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, field_validator

from app.events.outbox import EVENT_TYPES
from app.inputs import Flag, Input, Text, WebUrl
from app.models import DeliveryStatus, Webhook, WebhookAttempt, WebhookDelivery

# Longer than the other URLs a request may carry: receivers put tokens in the query.
WebhookUrl = Annotated[str, WebUrl(max_length=2000)]
EventName = Literal[EVENT_TYPES]  # type: ignore[valid-type]
EventType = Literal[(*EVENT_TYPES, "*")]  # type: ignore[valid-type]


def _distinct(events: list[str]) -> list[str]:
    if len(set(events)) != len(events):
        raise ValueError("an event type is listed twice")
    if "*" in events and len(events) > 1:
        raise ValueError('"*" takes every event: list it alone')
    return events


class WebhookCreate(Input):
    url: WebhookUrl = Field(description="Where events are POSTed (http or https).")
    events: list[EventType] = Field(
        min_length=1, max_length=len(EVENT_TYPES), description='Event types, or ["*"] for all.'
    )
    description: Text | None = Field(None, max_length=500)
    active: Flag = True

    _events = field_validator("events")(_distinct)


class WebhookUpdate(Input):
    url: WebhookUrl | None = None
    events: list[EventType] | None = Field(None, min_length=1, max_length=len(EVENT_TYPES))
    description: Text | None = Field(None, max_length=500)
    active: Flag | None = None

    @field_validator("events")
    @classmethod
    def _events(cls, events: list[str] | None) -> list[str] | None:
        return None if events is None else _distinct(events)


class SecretRotation(Input):
    expires_in: int = Field(
        86_400,
        ge=0,
        le=7 * 86_400,
        description="Seconds the old secret keeps signing beside the new one (0 to 7 days).",
    )


class WebhookOut(BaseModel):
    id: str
    url: str
    events: list[str]
    description: str | None
    active: bool
    previous_secret_expires_at: datetime | None = Field(
        description="Until when a rotated-out secret still signs, beside the current one."
    )
    version: int
    created_at: datetime
    updated_at: datetime


class WebhookCreated(WebhookOut):
    secret: str = Field(
        description="The signing secret (`whsec_...`), shown in this answer only: keep it."
    )


class AttemptOut(BaseModel):
    number: int
    at: datetime
    status_code: int | None = Field(description="The receiver's status; null when none came.")
    duration_ms: int
    error: str | None = Field(description="Why the attempt failed without an answer.")
    response_excerpt: str | None = Field(description="The start of the receiver's answer.")


class DeliveryOut(BaseModel):
    id: str
    webhook_id: str
    event_id: str = Field(description="Also the `webhook-id` header: the same on every retry.")
    event_type: str
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime | None
    last_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    completed_at: datetime | None
    log: list[AttemptOut] = Field(description="Every attempt, oldest first.")


def webhook_out(webhook: Webhook) -> dict[str, Any]:
    return {
        "id": webhook.id,
        "url": webhook.url,
        "events": webhook.events,
        "description": webhook.description,
        "active": webhook.active,
        "previous_secret_expires_at": webhook.previous_secret_expires_at
        if webhook.previous_secret
        else None,
        "version": webhook.version,
        "created_at": webhook.created_at,
        "updated_at": webhook.updated_at,
    }


def attempt_out(attempt: WebhookAttempt) -> dict[str, Any]:
    return {
        "number": attempt.number,
        "at": attempt.at,
        "status_code": attempt.status_code,
        "duration_ms": attempt.duration_ms,
        "error": attempt.error,
        "response_excerpt": attempt.response_excerpt,
    }


def delivery_out(delivery: WebhookDelivery, log: list[WebhookAttempt]) -> dict[str, Any]:
    return {
        "id": delivery.id,
        "webhook_id": delivery.webhook_id,
        "event_id": delivery.event_id,
        "event_type": delivery.event_type,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "next_attempt_at": delivery.next_attempt_at,
        "last_attempt_at": delivery.last_attempt_at,
        "last_status_code": delivery.last_status_code,
        "last_error": delivery.last_error,
        "created_at": delivery.created_at,
        "completed_at": delivery.completed_at,
        "log": [attempt_out(a) for a in log],
    }
