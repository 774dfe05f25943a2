"""Every table of Byline. Alembic imports this module to know the schema."""

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, String, Text, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from app.db import UTCDateTime, utcnow
from app.scopes import Scope as Scope  # keys, auth and policies import it from here

# JSON on SQLite, JSONB on PostgreSQL.
JSONType = JSON().with_variant(JSONB(), "postgresql")


def _time(*, nullable: bool = False, index: bool = False, default: bool = False) -> Any:
    return Field(
        default_factory=utcnow if default else None,
        sa_type=UTCDateTime,
        nullable=nullable,
        index=index,
    )


def _fk(target: str, *, nullable: bool = True, ondelete: str = "SET NULL") -> Any:
    return Field(
        default=None,
        sa_column_args=[ForeignKey(target, ondelete=ondelete)],
        max_length=40,
        nullable=nullable,
    )


class ArticleType(StrEnum):
    article = "article"
    video = "video"
    analysis = "analysis"
    opinion = "opinion"
    live = "live"
    # A standing page (About, Contact), as Ghost and WordPress import them.
    page = "page"


class ArticleStatus(StrEnum):
    draft = "draft"
    scheduled = "scheduled"
    published = "published"
    unpublished = "unpublished"


class AuthorKind(StrEnum):
    person = "person"
    desk = "desk"


class FeedKind(StrEnum):
    news = "news"
    video = "video"
    audio = "audio"
    photo = "photo"
    analysis = "analysis"
    opinion = "opinion"
    breaking = "breaking"


class Site(SQLModel, table=True):
    """The publication itself: one row."""

    __tablename__ = "site"

    id: int = Field(default=1, primary_key=True)
    name: str = Field(max_length=200)
    url: str = Field(max_length=500)
    timezone: str = Field(max_length=64)
    language: str = Field(max_length=16)
    description: str | None = Field(default=None, sa_type=Text)
    banner_text: str | None = Field(default=None, max_length=500)
    banner_url: str | None = Field(default=None, max_length=500)
    banner_cta: str | None = Field(default=None, max_length=100)
    # The publication's logo, as structured data names the publisher; its size in pixels
    # when known.
    logo_url: str | None = Field(default=None, max_length=1000)
    logo_width: int | None = Field(default=None)
    logo_height: int | None = Field(default=None)
    version: int = Field(default=1)
    updated_at: datetime = _time(default=True)


class Section(SQLModel, table=True):
    __tablename__ = "section"

    id: str = Field(primary_key=True, max_length=40)
    slug: str = Field(max_length=100, unique=True)
    name: str = Field(max_length=200)
    description: str | None = Field(default=None, sa_type=Text)
    position: int = Field(default=0)
    version: int = Field(default=1)
    created_at: datetime = _time(default=True)
    updated_at: datetime = _time(default=True)

    __table_args__ = (Index("ix_section_position_id", "position", "id"),)


class Tag(SQLModel, table=True):
    __tablename__ = "tag"

    id: str = Field(primary_key=True, max_length=40)
    slug: str = Field(max_length=100, unique=True)
    name: str = Field(max_length=200)
    description: str | None = Field(default=None, sa_type=Text)
    version: int = Field(default=1)
    created_at: datetime = _time(default=True)
    updated_at: datetime = _time(default=True)


class Author(SQLModel, table=True):
    """A person, or a collective desk that signs stories ("The ... news desk")."""

    __tablename__ = "author"

    id: str = Field(primary_key=True, max_length=40)
    slug: str = Field(max_length=100, unique=True)
    name: str = Field(max_length=200)
    kind: AuthorKind = Field(default=AuthorKind.person, sa_type=String(16))
    job_title: str | None = Field(default=None, max_length=200)
    bio: str | None = Field(default=None, sa_type=Text)
    avatar_url: str | None = Field(default=None, max_length=1000)
    url: str | None = Field(default=None, max_length=1000)
    version: int = Field(default=1)
    created_at: datetime = _time(default=True)
    updated_at: datetime = _time(default=True)

    __table_args__ = (Index("ix_author_name_id", "name", "id"),)


class Photo(SQLModel, table=True):
    """An image with its editorial metadata and its syndication rights."""

    __tablename__ = "photo"

    id: str = Field(primary_key=True, max_length=40)
    url: str = Field(max_length=1000)
    caption: str | None = Field(default=None, sa_type=Text)
    credit: str | None = Field(default=None, max_length=300)
    photographer: str | None = Field(default=None, max_length=200)
    agency: str | None = Field(default=None, max_length=200)
    alt_text: str | None = Field(default=None, max_length=1000)
    width: int | None = None
    height: int | None = None
    mime_type: str | None = Field(default=None, max_length=100)
    copyright_holder: str | None = Field(default=None, max_length=300)
    usage_terms: str | None = Field(default=None, sa_type=Text)
    syndication_allowed: bool = Field(default=False)
    # An uploaded image's `url` and renditions' `url`s are paths in the media store, made
    # into URLs when read (`photos.storage.media_url`); a linked image's are its URLs.
    # Derived at write time: [{"width", "height", "url"}], smallest first.
    renditions: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSONType)
    # For an uploaded image: its folder in the media store; None for a linked one.
    storage_key: str | None = Field(default=None, max_length=100)
    version: int = Field(default=1)
    created_at: datetime = _time(default=True)
    updated_at: datetime = _time(default=True)

    # The sync log reads photos in the order they changed.
    __table_args__ = (Index("ix_photo_updated_at_id", "updated_at", "id"),)


# Stories whose publication or embargo's end came after their last save: the sync log
# reads each such change in its own order (app/sync/service.py).
_PUBLISHED_AFTER_SAVE = text("published_at > updated_at")
_EMBARGO_AFTER_SAVE = text("embargo_until > updated_at")


class Article(SQLModel, table=True):
    __tablename__ = "article"

    id: str = Field(primary_key=True, max_length=40)
    slug: str = Field(max_length=200, unique=True)
    type: ArticleType = Field(default=ArticleType.article, sa_type=String(16))
    status: ArticleStatus = Field(default=ArticleStatus.draft, sa_type=String(16))
    headline: str = Field(max_length=300)
    subheadline: str | None = Field(default=None, max_length=500)
    dateline: str | None = Field(default=None, max_length=200)
    summary: str | None = Field(default=None, sa_type=Text)
    language: str = Field(default="en", max_length=16)
    section_id: str | None = _fk("section.id")
    lead_photo_id: str | None = _fk("photo.id")
    # The body as typed blocks, and what is derived from it once, at write time.
    body: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSONType)
    body_html: str = Field(default="", sa_type=Text)
    body_text: str = Field(default="", sa_type=Text)
    word_count: int = Field(default=0)
    reading_time_minutes: int = Field(default=1)
    canonical_url: str | None = Field(default=None, max_length=1000)
    # Articles sharing a translation group are the same story in other languages.
    translation_group: str | None = Field(default=None, max_length=40, index=True)
    # For a scheduled story this is the moment it becomes visible.
    published_at: datetime | None = _time(nullable=True)
    first_published_at: datetime | None = _time(nullable=True)
    embargo_until: datetime | None = _time(nullable=True)
    version: int = Field(default=1)
    created_at: datetime = _time(default=True)
    updated_at: datetime = _time(default=True)

    __table_args__ = (
        Index("ix_article_published_at_id", "published_at", "id"),
        Index("ix_article_updated_at_id", "updated_at", "id"),
        Index("ix_article_section_id_published_at", "section_id", "published_at", "id"),
        Index("ix_article_type_published_at", "type", "published_at", "id"),
        Index("ix_article_language_published_at", "language", "published_at", "id"),
        # Sync finds stories whose embargo has just ended.
        Index("ix_article_embargo_until", "embargo_until"),
        Index(
            "ix_article_published_after_save",
            "published_at",
            "id",
            postgresql_where=_PUBLISHED_AFTER_SAVE,
            sqlite_where=_PUBLISHED_AFTER_SAVE,
        ),
        Index(
            "ix_article_embargo_after_save",
            "embargo_until",
            "id",
            postgresql_where=_EMBARGO_AFTER_SAVE,
            sqlite_where=_EMBARGO_AFTER_SAVE,
        ),
    )


class ArticleAuthor(SQLModel, table=True):
    """The ordered byline: who wrote an article, in which role."""

    __tablename__ = "article_author"

    article_id: str = Field(
        primary_key=True,
        max_length=40,
        sa_column_args=[ForeignKey("article.id", ondelete="CASCADE")],
    )
    author_id: str = Field(
        primary_key=True,
        max_length=40,
        sa_column_args=[ForeignKey("author.id", ondelete="CASCADE")],
    )
    position: int = Field(default=0)
    role: str = Field(default="author", max_length=50)
    # The article's `published_at`, kept equal to it by the database (triggers made by a
    # migration): an author's list reads its index in order. No writer sets it.
    published_at: datetime | None = _time(nullable=True)

    __table_args__ = (
        Index(
            "ix_article_author_author_id_published_at", "author_id", "published_at", "article_id"
        ),
    )


class ArticleTag(SQLModel, table=True):
    __tablename__ = "article_tag"

    article_id: str = Field(
        primary_key=True,
        max_length=40,
        sa_column_args=[ForeignKey("article.id", ondelete="CASCADE")],
    )
    tag_id: str = Field(
        primary_key=True, max_length=40, sa_column_args=[ForeignKey("tag.id", ondelete="CASCADE")]
    )
    position: int = Field(default=0)
    # The article's `published_at`, kept equal to it by the database (triggers made by a
    # migration): a tag's list reads its index in order. No writer sets it.
    published_at: datetime | None = _time(nullable=True)

    __table_args__ = (
        Index("ix_article_tag_tag_id_published_at", "tag_id", "published_at", "article_id"),
    )


class RelatedLink(SQLModel, table=True):
    """A related card on an article: another article of ours, or an external page."""

    __tablename__ = "related_link"

    id: str = Field(primary_key=True, max_length=40)
    article_id: str = Field(
        max_length=40, sa_column_args=[ForeignKey("article.id", ondelete="CASCADE")]
    )
    position: int = Field(default=0)
    target_article_id: str | None = _fk("article.id", ondelete="CASCADE")
    url: str | None = Field(default=None, max_length=1000)
    title: str | None = Field(default=None, max_length=300)
    summary: str | None = Field(default=None, sa_type=Text)
    site_name: str | None = Field(default=None, max_length=200)
    # True when a `related` body block places this card inside the text.
    inline: bool = Field(default=False)
    created_at: datetime = _time(default=True)

    __table_args__ = (
        Index("ix_related_link_article_id_position", "article_id", "position"),
        Index("ix_related_link_target_article_id", "target_article_id"),
    )


class Correction(SQLModel, table=True):
    """A public, dated correction appended to an article; never edited away."""

    __tablename__ = "correction"

    id: str = Field(primary_key=True, max_length=40)
    article_id: str = Field(
        max_length=40, sa_column_args=[ForeignKey("article.id", ondelete="CASCADE")]
    )
    text: str = Field(sa_type=Text)
    created_at: datetime = _time(default=True)

    __table_args__ = (Index("ix_correction_article_id_created_at", "article_id", "created_at"),)


class FeedEntry(SQLModel, table=True):
    """A News Feed item: a short, timed post, optionally pointing at an article."""

    __tablename__ = "feed_entry"

    id: str = Field(primary_key=True, max_length=40)
    kind: FeedKind = Field(default=FeedKind.news, sa_type=String(16))
    status: ArticleStatus = Field(default=ArticleStatus.published, sa_type=String(16))
    title: str = Field(max_length=300)
    summary: str | None = Field(default=None, sa_type=Text)
    url: str | None = Field(default=None, max_length=1000)
    article_id: str | None = _fk("article.id")
    published_at: datetime | None = _time(nullable=True)
    version: int = Field(default=1)
    created_at: datetime = _time(default=True)
    updated_at: datetime = _time(default=True)

    __table_args__ = (
        Index("ix_feed_entry_published_at_id", "published_at", "id"),
        # The live stream reads what changed since a moment, entries of changed stories too.
        Index("ix_feed_entry_updated_at_id", "updated_at", "id"),
        Index("ix_feed_entry_article_id", "article_id"),
    )


class Deletion(SQLModel, table=True):
    """A tombstone: what was deleted and when, written in the transaction of the delete, so
    that `/v1/sync` can tell mirrors to drop it."""

    __tablename__ = "deletion"

    resource_type: str = Field(primary_key=True, max_length=40)
    resource_id: str = Field(primary_key=True, max_length=40)
    deleted_at: datetime = _time(default=True)
    # False for what no reader without preview could have seen (a draft, a story before its
    # time or embargo): not even its id leaks to a reader who may not see it.
    public: bool = Field(default=True)
    # What the visibility rule reads of the object as it was deleted (an article; an entry's
    # status and time), so that each viewer is told of the delete if it may have seen it:
    # a partner with advance access, of an embargoed story. Null on tombstones older than
    # these columns whose story could not be recovered: then `public` alone decides.
    status: str | None = Field(default=None, max_length=16)
    published_at: datetime | None = _time(nullable=True)
    first_published_at: datetime | None = _time(nullable=True)
    embargo_until: datetime | None = _time(nullable=True)
    section_id: str | None = Field(default=None, max_length=40)
    section_slug: str | None = Field(default=None, max_length=100)

    __table_args__ = (
        Index("ix_deletion_deleted_at", "deleted_at", "resource_type", "resource_id"),
    )


class DeletionTag(SQLModel, table=True):
    """A tag a deleted article carried, kept with its tombstone (a partner may follow it)."""

    __tablename__ = "deletion_tag"

    article_id: str = Field(primary_key=True, max_length=40)
    # The slug the tag had then; its id, unless the tag was gone when this was recovered.
    tag_slug: str = Field(primary_key=True, max_length=100)
    tag_id: str | None = Field(default=None, max_length=40)


class ArticleRevision(SQLModel, table=True):
    """An article as one save left it. Revision `number` is the article's `version` then."""

    __tablename__ = "article_revision"

    id: str = Field(primary_key=True, max_length=40)
    article_id: str = Field(
        max_length=40, sa_column_args=[ForeignKey("article.id", ondelete="CASCADE")]
    )
    number: int
    action: str = Field(max_length=40)
    key_id: str | None = Field(default=None, max_length=40)
    # The editable state: fields, byline, tags, related links, workflow times.
    snapshot: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)
    created_at: datetime = _time(default=True)

    __table_args__ = (
        Index("ix_article_revision_article_id_number", "article_id", "number", unique=True),
    )


class AuditEvent(SQLModel, table=True):
    """Who changed what and when; written in the transaction of the change itself."""

    __tablename__ = "audit_event"

    id: str = Field(primary_key=True, max_length=40)
    at: datetime = _time(default=True)
    key_id: str | None = Field(default=None, max_length=40)
    key_name: str | None = Field(default=None, max_length=200)
    action: str = Field(max_length=60)
    resource_type: str = Field(max_length=40)
    resource_id: str = Field(max_length=40)
    version: int | None = None
    request_id: str | None = Field(default=None, max_length=100)
    # The names of the fields the change touched.
    fields: list[str] = Field(default_factory=list, sa_type=JSONType)

    __table_args__ = (
        Index("ix_audit_event_at_id", "at", "id"),
        Index("ix_audit_event_resource", "resource_type", "resource_id", "at"),
        Index("ix_audit_event_key_id_at", "key_id", "at"),
    )


class IdempotencyRecord(SQLModel, table=True):
    """A POST sent with an `Idempotency-Key`: who holds it, what its write made, its answer.

    A row is claimed by one request (`token`) until `lease_until`. The write of that request
    records the resource it made (`resource_type`, `resource_id`, `status`) in its own
    transaction; the answer (`body`, gzip-compressed) is kept once it is sent, `answered_at`.
    """

    __tablename__ = "idempotency_record"

    owner: str = Field(primary_key=True, max_length=80)
    key: str = Field(primary_key=True, max_length=255)
    fingerprint: str = Field(max_length=64)
    token: str = Field(default="", max_length=32)
    lease_until: datetime = _time(default=True)
    resource_type: str | None = Field(default=None, max_length=40)
    resource_id: str | None = Field(default=None, max_length=40)
    status: int | None = None
    headers: list[list[str]] = Field(default_factory=list, sa_type=JSONType)
    body: bytes = Field(default=b"", sa_type=LargeBinary)
    answered_at: datetime | None = _time(nullable=True)
    created_at: datetime = _time(default=True, index=True)


class ApiKey(SQLModel, table=True):
    """An API key. The secret is shown once; only its SHA-256 is kept."""

    __tablename__ = "api_key"

    id: str = Field(primary_key=True, max_length=40)
    name: str = Field(max_length=200)
    # The public part of the secret (`byl_<prefix>_...`), to find the key and spot it in logs.
    prefix: str = Field(max_length=16, unique=True)
    secret_hash: str = Field(max_length=64)
    scopes: list[str] = Field(default_factory=list, sa_type=JSONType)
    # For partner keys: the sections and tags (slugs) whose stories they may read.
    sections: list[str] = Field(default_factory=list, sa_type=JSONType)
    tags: list[str] = Field(default_factory=list, sa_type=JSONType)
    # Partner keys granted advance access receive embargoed stories early.
    advance_embargo: bool = Field(default=False)
    # Requests per minute; None takes the tier of the key's scopes.
    rate_limit: int | None = None
    expires_at: datetime | None = _time(nullable=True)
    revoked_at: datetime | None = _time(nullable=True)
    last_used_at: datetime | None = _time(nullable=True)
    created_at: datetime = _time(default=True)

    __table_args__ = (Index("ix_api_key_created_at_id", "created_at", "id"),)


class KeyUsage(SQLModel, table=True):
    """Requests and items served per key and UTC day."""

    __tablename__ = "key_usage"

    key_id: str = Field(
        primary_key=True,
        max_length=40,
        sa_column_args=[ForeignKey("api_key.id", ondelete="CASCADE")],
    )
    day: date = Field(primary_key=True)
    requests: int = Field(default=0)
    items: int = Field(default=0)


class ArticleViewHour(SQLModel, table=True):
    """Reads of an article in one UTC hour, from view beacons: one row per article and hour,
    counted up in place. Not content: counting a view changes no cached answer's generation.
    """

    __tablename__ = "article_view_hour"

    article_id: str = Field(
        primary_key=True,
        max_length=40,
        sa_column_args=[ForeignKey("article.id", ondelete="CASCADE")],
    )
    hour: datetime = Field(primary_key=True, sa_type=UTCDateTime)
    views: int = Field(default=0)

    # A window's totals are read from this index alone.
    __table_args__ = (Index("ix_article_view_hour_hour", "hour", "article_id", "views"),)


class ContentState(SQLModel, table=True):
    """One row: the content generation, bumped in the same transaction as every content write.

    Caches key on `generation`, so a write is seen by the next read on every worker.
    `next_transition_at` is the earliest future moment a scheduled story or an embargo
    changes what readers see; the first read after it bumps the generation. `removed_at`
    is when anything last left what readers see (a deletion, an unpublication, a story
    moved out of a list): no answer changed later than its rows say, or than that.
    """

    __tablename__ = "content_state"

    id: int = Field(default=1, primary_key=True)
    generation: int = Field(default=1)
    changed_at: datetime = _time(default=True)
    next_transition_at: datetime | None = _time(nullable=True)
    removed_at: datetime | None = _time(nullable=True)


class Event(SQLModel, table=True):
    """Something that happened, written in the transaction of the change that caused it (the
    outbox). `occurred_at` may lie ahead: a scheduled story's `article.published` is written
    when it is scheduled and becomes due at its time. The worker fans a due event out to the
    subscribed webhooks once (`dispatched_at`)."""

    __tablename__ = "event"

    id: str = Field(primary_key=True, max_length=40)
    type: str = Field(max_length=60)
    subject_type: str = Field(max_length=40)
    subject_id: str = Field(max_length=40)
    data: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)
    occurred_at: datetime = _time(default=True)
    dispatched_at: datetime | None = _time(nullable=True)
    created_at: datetime = _time(default=True)

    __table_args__ = (
        Index("ix_event_due", "dispatched_at", "occurred_at"),
        Index("ix_event_subject", "subject_type", "subject_id", "occurred_at"),
        Index("ix_event_occurred_at_id", "occurred_at", "id"),
    )


class Webhook(SQLModel, table=True):
    """A subscription: events of these types are POSTed, signed with `secret`, to `url`."""

    __tablename__ = "webhook"

    id: str = Field(primary_key=True, max_length=40)
    url: str = Field(max_length=2000)
    # Event types, or ["*"] for every one.
    events: list[str] = Field(default_factory=list, sa_type=JSONType)
    description: str | None = Field(default=None, max_length=500)
    # The Standard Webhooks signing secret (`whsec_...`), shown once at creation.
    secret: str = Field(max_length=100)
    # After a rotation, the old secret signs too until it expires, so receivers can switch.
    previous_secret: str | None = Field(default=None, max_length=100)
    previous_secret_expires_at: datetime | None = _time(nullable=True)
    active: bool = Field(default=True)
    version: int = Field(default=1)
    created_at: datetime = _time(default=True)
    updated_at: datetime = _time(default=True)

    __table_args__ = (Index("ix_webhook_created_at_id", "created_at", "id"),)


class DeliveryStatus(StrEnum):
    pending = "pending"
    succeeded = "succeeded"
    failed = "failed"


class WebhookDelivery(SQLModel, table=True):
    """One event on its way to one webhook, through as many attempts as it takes.

    A delivery is due while `next_attempt_at` has passed and no worker holds its lease;
    a worker leases it for one attempt, so two workers never send the same attempt.
    """

    __tablename__ = "webhook_delivery"

    id: str = Field(primary_key=True, max_length=40)
    webhook_id: str = Field(
        max_length=40, sa_column_args=[ForeignKey("webhook.id", ondelete="CASCADE")]
    )
    event_id: str = Field(
        max_length=40, sa_column_args=[ForeignKey("event.id", ondelete="CASCADE")]
    )
    event_type: str = Field(max_length=60)
    status: DeliveryStatus = Field(default=DeliveryStatus.pending, sa_type=String(16))
    attempts: int = Field(default=0)
    # None once the delivery succeeded or failed for good.
    next_attempt_at: datetime | None = _time(nullable=True)
    lease_until: datetime | None = _time(nullable=True)
    lease_token: str | None = Field(default=None, max_length=40)
    last_attempt_at: datetime | None = _time(nullable=True)
    last_status_code: int | None = None
    last_error: str | None = Field(default=None, max_length=500)
    created_at: datetime = _time(default=True)
    completed_at: datetime | None = _time(nullable=True)

    __table_args__ = (
        Index("ix_webhook_delivery_webhook_event", "webhook_id", "event_id", unique=True),
        Index("ix_webhook_delivery_webhook_created", "webhook_id", "created_at", "id"),
        Index("ix_webhook_delivery_due", "next_attempt_at"),
        Index("ix_webhook_delivery_event_id", "event_id"),
    )


class WebhookAttempt(SQLModel, table=True):
    """One HTTP request of a delivery: what the receiver answered and how long it took."""

    __tablename__ = "webhook_attempt"

    id: str = Field(primary_key=True, max_length=40)
    delivery_id: str = Field(
        max_length=40, sa_column_args=[ForeignKey("webhook_delivery.id", ondelete="CASCADE")]
    )
    number: int
    at: datetime = _time(default=True)
    status_code: int | None = None
    duration_ms: int = Field(default=0)
    error: str | None = Field(default=None, max_length=500)
    # The start of the receiver's answer, never more (see WEBHOOK_EXCERPT_BYTES).
    response_excerpt: str | None = Field(default=None, max_length=1000)

    __table_args__ = (
        Index("ix_webhook_attempt_delivery_number", "delivery_id", "number", unique=True),
    )


class Purge(SQLModel, table=True):
    """One event's surrogate keys on their way to the CDN (`PURGE_BACKEND`), queued when the
    worker dispatches the event, so after its commit and at its time. Due while
    `next_attempt_at` has passed and no worker holds its lease, as a webhook delivery."""

    __tablename__ = "purge"

    event_id: str = Field(primary_key=True, max_length=40)
    keys: list[str] = Field(default_factory=list, sa_type=JSONType)
    status: DeliveryStatus = Field(default=DeliveryStatus.pending, sa_type=String(16))
    attempts: int = Field(default=0)
    # None once the purge succeeded or failed for good.
    next_attempt_at: datetime | None = _time(nullable=True)
    lease_until: datetime | None = _time(nullable=True)
    lease_token: str | None = Field(default=None, max_length=40)
    last_error: str | None = Field(default=None, max_length=500)
    created_at: datetime = _time(default=True)
    completed_at: datetime | None = _time(nullable=True)

    __table_args__ = (
        Index("ix_purge_due", "next_attempt_at"),
        Index("ix_purge_completed_at", "completed_at"),
    )


class ImportSource(SQLModel, table=True):
    """An object brought over from another system (`byline import`): what it was called
    there, what it became here, and a digest of what it was, so that a second run of the
    same export changes nothing and a later one updates only what changed."""

    __tablename__ = "import_source"

    system: str = Field(primary_key=True, max_length=20)
    kind: str = Field(primary_key=True, max_length=20)
    source_id: str = Field(primary_key=True, max_length=200)
    object_id: str = Field(max_length=40)
    # A digest of the source object as last applied; None while its import is unfinished.
    digest: str | None = Field(default=None, max_length=64)
    # For a story: its path on the old site, kept so that old links can be redirected.
    old_path: str | None = Field(default=None, max_length=1000)
    imported_at: datetime = _time(default=True)

    __table_args__ = (Index("ix_import_source_object_id", "object_id"),)


# Registers the session hooks that bump the content generation on every content write,
# wherever models are used (the server, the command line, tests).
from app import generation as _generation  # noqa: E402, F401
