"""Settings, read once from the environment (and a `.env` file when present)."""

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    data_dir: Path = Field(Path("data"), description="Where the embedded database lives.")
    database_url: str = Field(
        "", description="SQLAlchemy URL; empty means SQLite in DATA_DIR/byline.db."
    )
    public_url: str = Field(
        "",
        description="Absolute base URL clients use (for `links.next`); empty: from the request.",
    )
    allow_anonymous_reads: bool = True
    secret_key: str = Field(
        "",
        description="Signs preview links; empty: a key kept in DATA_DIR/secret.key (one host).",
    )
    redis_url: str = Field("", description="Redis for shared rate limits; empty: in process.")
    cors_origins: str = Field("", description="Comma-separated origins allowed by CORS; * any.")
    rate_limit_anonymous: int = Field(60, description="Requests a minute per client address.")
    rate_limit_key: int = Field(1200, description="Requests a minute per key (read, write).")
    rate_limit_partner: int = Field(600, description="Requests a minute per partner key.")
    rate_limit_admin: int = Field(300, description="Requests a minute per admin-only key.")
    rate_limit_views: int = Field(
        30, description="View beacons a minute per client address, besides the read limit."
    )
    views_flush_seconds: float = Field(
        1.0, description="How often a worker writes the views it counted; 0: at once."
    )
    key_cache_seconds: float = Field(5.0, description="How long a worker trusts a key lookup.")
    render_cache_mb: int = Field(32, description="Rendered answers kept per worker, in MiB.")
    max_body_kb: int = Field(1024, description="Largest JSON request body, in KiB (else 413).")
    max_upload_mb: int = Field(20, description="Largest photo upload, in MiB (else 413).")
    max_image_pixels: int = Field(
        50_000_000, description="Largest image (width x height) an upload may decode to."
    )
    media_dir: Path | None = Field(
        None, description="Where uploaded photos are kept; empty: DATA_DIR/media."
    )
    media_url: str = Field(
        "",
        description="Base URL of the media files (a CDN, the bucket); empty: PUBLIC_URL + "
        "/media, or the request's address + /media. Applied when a photo is read.",
    )
    media_backend: Literal["local", "s3"] = Field(
        "local",
        description="Where uploaded photos are kept: `local` (MEDIA_DIR on this host) or "
        "`s3` (a bucket of an S3-compatible store, shared by every host).",
    )
    media_s3_bucket: str = Field("", description="The bucket, with MEDIA_BACKEND=s3.")
    media_s3_endpoint_url: str = Field(
        "", description="The S3-compatible server (MinIO, R2, ...); empty: AWS S3."
    )
    media_s3_region: str = Field("", description="The bucket's region; empty: boto3's default.")
    media_s3_prefix: str = Field("", description="A folder in the bucket for Byline's files.")
    idempotency_hours: int = Field(24, description="How long an Idempotency-Key is remembered.")
    idempotency_lease_seconds: float = Field(
        30.0,
        description="How long a request holds its Idempotency-Key before a retry may take it "
        "over (the holder died: nothing it wrote was committed, or its write is replayed).",
    )
    forwarded_allow_ips: str = Field(
        "127.0.0.1", description="Proxies whose X-Forwarded-For gives the client address."
    )
    events_worker: bool = Field(
        True,
        description="Deliver webhooks from inside `byline serve`; false when `byline worker` "
        "runs on its own.",
    )
    webhook_poll_seconds: float = Field(1.0, description="How often the worker looks for work.")
    webhook_timeout_seconds: float = Field(5.0, description="Time-out of one delivery attempt.")
    webhook_max_attempts: int = Field(10, ge=1, description="Attempts before a delivery fails.")
    webhook_retry_base_seconds: float = Field(
        5.0, description="Wait before the first retry; each later wait is four times longer."
    )
    webhook_retry_max_seconds: float = Field(21600.0, description="Longest wait between tries.")
    webhook_lease_seconds: float = Field(
        60.0, description="How long a worker holds a delivery it is attempting."
    )
    webhook_batch: int = Field(20, ge=1, description="Deliveries a worker takes at once.")
    webhook_concurrency: int = Field(8, ge=1, description="Requests a worker sends at once.")
    webhook_allow_private: bool = Field(
        False, description="Allow private, loopback and link-local webhook destinations."
    )
    webhook_allowed_hosts: str = Field(
        "",
        description="Comma-separated hosts or networks allowed as destinations even when "
        "private (tests, local development).",
    )
    event_retention_days: int = Field(
        30, ge=1, description="Days events and their delivery logs are kept."
    )
    purge_backend: Literal["", "varnish", "fastly"] = Field(
        "",
        description="Where the worker purges surrogate keys after each change: varnish, "
        "fastly; empty: nowhere.",
    )
    purge_varnish_urls: str = Field(
        "",
        description="Comma-separated Varnish addresses (http://host:port) that get an xkey "
        "`PURGE`.",
    )
    purge_fastly_service_id: str = Field("", description="The Fastly service to purge.")
    purge_fastly_token: str = Field("", description="A Fastly API token with purge_select.")
    purge_fastly_url: str = Field("https://api.fastly.com", description="The Fastly API.")
    purge_soft: bool = Field(
        False,
        description="Soft purges: objects turn stale (served while refetched) instead of gone.",
    )
    cdn_max_age: int | None = Field(
        None,
        ge=0,
        description="Seconds a CDN may keep a public answer (Surrogate-Control and "
        "CDN-Cache-Control), longer than a browser's minute because purges reach it; "
        "unset: a day when PURGE_BACKEND is set, else the browser's (0: not sent).",
    )
    stream_poll_seconds: float = Field(1.0, description="How often a live stream looks again.")
    stream_heartbeat_seconds: float = Field(15.0, description="Heartbeat comment interval.")
    stream_max_seconds: float = Field(
        900.0, description="A stream ends after this long; EventSource reconnects and resumes."
    )
    response_validation: Literal["strict", "log"] = Field(
        "log",
        description="An answer that is not its documented shape: `strict` fails it (tests), "
        "`log` logs it and sends it as built.",
    )
    log_level: str = "info"
    access_log: bool = Field(True, description="One line a request on standard output.")
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = Field(0, description="Worker processes; 0: one per CPU core.")
    db_pool_size: int = 10

    @property
    def resolved_cdn_max_age(self) -> int:
        if self.cdn_max_age is not None:
            return self.cdn_max_age
        return 86_400 if self.purge_backend else 0

    @property
    def resolved_media_dir(self) -> Path:
        return self.media_dir or self.data_dir / "media"

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            url = self.database_url
            # Accept the URLs PostgreSQL hosting hands out, and use psycopg 3 for them.
            for prefix in ("postgres://", "postgresql://"):
                if url.startswith(prefix):
                    return "postgresql+psycopg://" + url.removeprefix(prefix)
            return url
        return f"sqlite:///{self.data_dir / 'byline.db'}"


@lru_cache
def get_settings() -> Settings:
    return Settings()
