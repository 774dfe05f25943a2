"""The `byline` command: serve, worker, migrate, demo, import, keys, clean-text, openapi."""

import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from app import logs
from app.config import get_settings
from app.scopes import Scope

if TYPE_CHECKING:
    import threading

    from sqlmodel import Session


@click.group()
@click.version_option(package_name="byline")
def cli() -> None:
    """Byline, a headless content API for a newsroom."""


@cli.command()
@click.option("--host", help="Interface to bind (default: HOST or 127.0.0.1).")
@click.option("--port", type=click.IntRange(1, 65535), help="Port (default: PORT or 8000).")
@click.option("--workers", type=click.IntRange(1, 64), help="Worker processes (default: WORKERS).")
@click.option("--reload", is_flag=True, help="Restart on code changes (development).")
def serve(host: str | None, port: int | None, workers: int | None, reload: bool) -> None:
    """Serve the API with uvicorn."""
    import importlib.util
    import shutil
    import tempfile

    import uvicorn

    settings = get_settings()
    count = 1 if reload else (workers or settings.workers or os.cpu_count() or 1)
    # glibc gives each thread its own malloc arena; two keep a worker's memory near its
    # working set (the workers inherit this environment).
    os.environ.setdefault("MALLOC_ARENA_MAX", "2")
    # Each worker counts its share of a rate limit when there is no Redis (`ratelimit`).
    os.environ["WEB_CONCURRENCY"] = str(count)
    metrics_dir = None
    if count > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Workers share their metrics through files in a folder new for this run.
        metrics_dir = tempfile.mkdtemp(prefix="byline-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
    fast = importlib.util.find_spec("uvloop") and importlib.util.find_spec("httptools")
    stop_worker = None
    if settings.events_worker and not reload:
        # One delivery worker for the whole server, beside the request workers. With
        # several, it imports what it needs on its own thread, so they start at once; with
        # one, this process also imports the app, and two threads importing the same
        # packages at once can see one half-initialised, so it imports here first.
        if count == 1:
            import app.webhooks.worker  # noqa: F401
        stop_worker = _delivery_in_thread()
    try:
        uvicorn.run(
            "app.main:app",
            host=host or settings.host,
            port=port or settings.port,
            workers=None if reload else count,
            reload=reload,
            loop="uvloop" if fast else "auto",
            http="httptools" if fast else "auto",
            log_level=settings.log_level,
            # The edge writes the access log itself (`logs.AccessLog`), with the request id
            # and the time taken; uvicorn's own cost a third of a warm read.
            access_log=False,
            log_config=logs.config(settings.log_level),
            proxy_headers=True,
            # Live streams run for minutes; a shutdown waits this long for them, then ends.
            timeout_graceful_shutdown=10,
            # The supervisor restarts a worker that does not answer its health check in
            # time; a worker importing on a busy machine may take several seconds, so the
            # bound is wide enough for slow and healthy, and still catches a hung one.
            timeout_worker_healthcheck=30,
            forwarded_allow_ips=settings.forwarded_allow_ips,
            server_header=False,
        )
    finally:
        if stop_worker is not None:
            stop_worker.set()
        if metrics_dir:
            shutil.rmtree(metrics_dir, ignore_errors=True)


def _delivery_in_thread() -> "threading.Event":
    import threading

    stop = threading.Event()

    def run() -> None:
        from app.webhooks.worker import Worker

        Worker().run(stop)

    threading.Thread(target=run, name="byline-worker", daemon=True).start()
    return stop


@cli.command()
@click.option("--once", is_flag=True, help="Do what is due now, then exit.")
def worker(once: bool) -> None:
    """Deliver webhooks and CDN purges: fan out due events, send, retry. Any number may run
    at once."""
    import logging
    import signal
    import threading

    from app.webhooks.worker import Worker

    logging.basicConfig(
        level=get_settings().log_level.upper(), format="%(asctime)s %(name)s %(message)s"
    )
    runner = Worker()
    if once:
        while runner.run_once():
            pass
        return
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    runner.run(stop)


@cli.command()
def migrate() -> None:
    """Bring the database schema to the newest migration."""
    from app import migrate as migrations

    migrations.upgrade(get_settings().resolved_database_url)
    click.echo(f"database at {migrations.head_revision()}")


@cli.command()
@click.option("--articles", type=click.IntRange(min=0), default=0, help="Also generate N articles.")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database has articles.")
@click.option(
    "--seed", type=int, default=2025, show_default=True, help="Random seed for --articles."
)
def demo(articles: int, if_empty: bool, seed: int) -> None:
    """Load the reference article page, and optionally N generated articles."""
    from sqlalchemy import select
    from sqlmodel import Session

    from app.db import get_engine
    from app.demo.generate import generate
    from app.demo.seed import load_reference
    from app.models import Article

    with Session(get_engine()) as session:
        if if_empty and session.scalars(select(Article.id).limit(1)).first():
            click.echo("database has content; demo not loaded")
            return
        loaded = load_reference(session)
        click.echo("reference article loaded" if loaded else "reference article already there")
        if articles:
            generate(session, count=articles, seed=seed)
            click.echo(f"{articles} articles generated")


@cli.group()
def media() -> None:
    """Uploaded photo files: scrub."""


@media.command("scrub")
@click.option("--dry-run", is_flag=True, help="Say what would change; write nothing.")
def media_scrub(dry_run: bool) -> None:
    """Rewrite stored photo files without their camera, location and other metadata."""
    from app.photos.media import scrub

    changed = checked = failed = 0
    for file in scrub(dry_run=dry_run):
        checked += 1
        if file.error:
            failed += 1
            click.echo(f"{file.path}: left as it is ({file.error})", err=True)
        elif file.found:
            changed += 1
            verb = "would remove" if dry_run else "removed"
            click.echo(f"{file.path}: {verb} {', '.join(file.found)}")
    verb = "would scrub" if dry_run else "scrubbed"
    click.echo(f"{verb} {changed} of {checked} files")
    if failed:
        raise click.ClickException(f"{failed} files could not be read")


@cli.group()
def keys() -> None:
    """API keys: create, list, revoke."""


@keys.command("create")
@click.option("--name", required=True, help="Who or what the key is for.")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    required=True,
    type=click.Choice([s.value for s in Scope]),
    help="A scope; repeat for several.",
)
@click.option("--section", "sections", multiple=True, help="Partner: a section slug it may read.")
@click.option("--tag", "tags", multiple=True, help="Partner: a tag slug it may read.")
@click.option("--advance-embargo", is_flag=True, help="Partner: embargoed stories early.")
@click.option("--rate-limit", type=click.IntRange(1), help="Requests a minute (else its tier).")
@click.option("--expires", type=click.DateTime(), help="Expiry time, UTC.")
def keys_create(
    name: str,
    scopes: tuple[str, ...],
    sections: tuple[str, ...],
    tags: tuple[str, ...],
    advance_embargo: bool,
    rate_limit: int | None,
    expires: datetime | None,
) -> None:
    """Create a key; its secret is printed once, on the last line."""
    from pydantic import ValidationError

    from app.keys.schemas import KeyCreate
    from app.keys.service import create_key

    try:
        body = KeyCreate(
            name=name,
            scopes=list(scopes),
            sections=list(sections),
            tags=list(tags),
            advance_embargo=advance_embargo,
            rate_limit=rate_limit,
            expires_at=expires.replace(tzinfo=UTC) if expires else None,
        )
    except ValidationError as exc:
        raise click.UsageError(exc.errors()[0]["msg"].removeprefix("Value error, ")) from None
    with _session() as session:
        new = create_key(session, **body.model_dump())
    click.echo(f"created {new.key.id} ({', '.join(new.key.scopes)})")
    click.echo(new.secret)


@keys.command("list")
def keys_list() -> None:
    """List keys (never their secrets)."""
    from sqlalchemy import select

    from app.db import utcnow
    from app.models import ApiKey

    with _session() as session:
        for key in session.scalars(select(ApiKey).order_by(ApiKey.created_at, ApiKey.id)):
            expired = key.expires_at is not None and key.expires_at <= utcnow()
            state = "revoked" if key.revoked_at else "expired" if expired else "active"
            scopes = ",".join(key.scopes)
            click.echo(f"{key.id}\tbyl_{key.prefix}\t{state}\t{scopes}\t{key.name}")


@keys.command("revoke")
@click.argument("key_id")
def keys_revoke(key_id: str) -> None:
    """Revoke a key by id."""
    from app.errors import NotFound
    from app.keys.service import revoke_key

    with _session() as session:
        try:
            key = revoke_key(session, key_id=key_id)
        except NotFound:
            raise click.ClickException(f"no key {key_id}") from None
    click.echo(f"revoked {key.id}")


@cli.group("import")
def import_() -> None:
    """Bring a site over from Ghost or WordPress (safe to run again)."""


def _import_options(command: "click.Command") -> "click.Command":
    for option in reversed(
        [
            click.argument("export", type=click.Path(exists=True, dir_okay=False, path_type=Path)),
            click.option(
                "--dry-run", is_flag=True, help="Report what would change; write nothing."
            ),
            click.option(
                "--media-dir",
                type=click.Path(exists=True, file_okay=False, path_type=Path),
                help="A copy of the old site's upload folder: images found there are uploaded.",
            ),
            click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON."),
        ]
    ):
        command = option(command)
    return command


def _report(summary: "object", as_json: bool) -> None:
    import orjson

    if as_json:
        click.echo(orjson.dumps(summary.as_json(), option=orjson.OPT_INDENT_2).decode())  # type: ignore[attr-defined]
    else:
        for line in summary.lines():  # type: ignore[attr-defined]
            click.echo(line)


@import_.command("wordpress")
@_import_options
def import_wordpress(export: Path, dry_run: bool, media_dir: Path | None, as_json: bool) -> None:
    """Import a WordPress export (WXR): posts, pages, authors, categories, tags, media."""
    from app.importers.wordpress import import_wordpress as run

    with _session() as session:
        summary = run(session, export, dry_run=dry_run, media_dir=media_dir)
    _report(summary, as_json)


@import_.command("ghost")
@_import_options
@click.option(
    "--sections-from-primary-tag",
    is_flag=True,
    help="File each story in a section named after its primary tag.",
)
@click.option("--site-url", help="The old site's URL, for links and images Ghost wrote relative.")
def import_ghost(
    export: Path,
    dry_run: bool,
    media_dir: Path | None,
    as_json: bool,
    sections_from_primary_tag: bool,
    site_url: str | None,
) -> None:
    """Import a Ghost export (JSON, Ghost 2 to 6): posts, pages, authors, tags, images."""
    from app.importers.ghost import import_ghost as run

    with _session() as session:
        summary = run(
            session,
            export,
            dry_run=dry_run,
            media_dir=media_dir,
            sections_from_primary_tag=sections_from_primary_tag,
            site_url=site_url,
        )
    _report(summary, as_json)


@cli.command("clean-text")
@click.option("--apply", "apply_", is_flag=True, help="Strip the markup and save (else: report).")
def clean_text(apply_: bool) -> None:
    """Report every stored plain-text field holding markup (rows older than the rule that
    refuses it); with --apply, strip the tags, keep the text, and save each object as an
    edit would (revision, audit, events). Corrections are rewritten inside their article's
    save; kept revisions stay as they were."""
    from app.textclean import Finding, clean_markup, find_markup

    def show(f: Finding) -> str:
        return f"{f.kind} {f.id} {f.field}: {f.before!r} -> {f.after!r}"

    if not apply_:
        with _session() as session:
            findings = find_markup(session)
        for finding in findings:
            click.echo(show(finding))
        objects = len({(f.kind, f.id) for f in findings})
        click.echo(
            f"{len(findings)} fields with markup in {objects} objects"
            + ("; run with --apply to strip it" if findings else "")
        )
        return
    outcome = clean_markup(_session)
    for finding in outcome.cleaned:
        click.echo(show(finding))
    for finding, reason in outcome.failed:
        click.echo(f"not cleaned: {finding.kind} {finding.id}: {reason}", err=True)
    objects = len({(f.kind, f.id) for f in outcome.cleaned})
    click.echo(f"cleaned {len(outcome.cleaned)} fields in {objects} objects")
    if outcome.failed:
        raise click.ClickException(f"{len(outcome.failed)} objects left as they were")


def _session() -> "Session":
    from sqlmodel import Session

    from app.db import get_engine

    return Session(get_engine(), expire_on_commit=False)


@cli.command()
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("openapi/openapi.json"),
    show_default=True,
)
def openapi(output: Path) -> None:
    """Write the OpenAPI document of the running code."""
    from app.main import api
    from app.openapi import render

    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(render(api))
    click.echo(f"wrote {output}")


def main() -> None:
    """Entry point: usage errors are one line on stderr and exit status 2."""
    try:
        cli.main(prog_name="byline", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("byline: aborted", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        prefix = f"{exc.ctx.command_path}: " if getattr(exc, "ctx", None) else "byline: "
        click.echo(f"{prefix}{exc.format_message()}", err=True)
        sys.exit(exc.exit_code)


if __name__ == "__main__":
    main()
