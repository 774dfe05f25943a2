"""Where uploaded photos are kept, and the URLs they are read at.

Two stores, chosen by `MEDIA_BACKEND`: `local` (the default) keeps files in a folder on this
host, MEDIA_DIR, which `/media` serves; `s3` keeps them in a bucket of an S3-compatible
object store (AWS S3, MinIO, Ceph, Cloudflare R2, ...) through boto3, the AWS SDK, so that
every host stores and reads the same files; `/media` on any host then answers from the
bucket, or MEDIA_URL points readers at the bucket or a CDN directly.

A photo row keeps the paths of its files in the store (`pho_.../original.jpg`), never a
URL: `media_url()` prefixes them when a photo is read, from MEDIA_URL, else PUBLIC_URL +
/media, else the address of the request being answered.
"""

import mimetypes
import os
import tempfile
from collections.abc import Iterator
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

from starlette.requests import Request
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from app.config import Settings, get_settings

# Files of an uploaded photo never change (a new file is a new photo): readers keep them.
IMMUTABLE = "public, max-age=31536000, immutable"


class MediaStore(Protocol):
    def put(self, key: str, data: bytes) -> None: ...
    def get(self, key: str) -> bytes | None: ...
    def discard(self, folder: str) -> None: ...
    def names(self) -> Iterator[str]: ...


def _content_type(key: str) -> str:
    return mimetypes.guess_type(key)[0] or "application/octet-stream"


class LocalStore:
    """Files in a folder: `key` is a path under it."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise ValueError(f"{key!r} is outside the media folder")
        return path

    def put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written beside it and moved over it: a reader never gets half a file.
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)

    def get(self, key: str) -> bytes | None:
        try:
            return self._path(key).read_bytes()
        except (FileNotFoundError, IsADirectoryError):
            return None

    def discard(self, folder: str) -> None:
        import shutil

        shutil.rmtree(self._path(folder), ignore_errors=True)

    def names(self) -> Iterator[str]:
        if not self.root.is_dir():
            return
        for path in sorted(self.root.glob("*/*")):
            if path.is_file() and not path.name.startswith("."):
                yield path.relative_to(self.root).as_posix()


class S3Store:
    """Objects in a bucket of an S3-compatible store, under MEDIA_S3_PREFIX. Credentials
    come the way boto3 finds them (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, a profile,
    an instance role)."""

    def __init__(self, settings: Settings) -> None:
        try:
            import boto3
            from botocore.config import Config
        except ImportError:  # pragma: no cover - the extra is missing
            raise RuntimeError("MEDIA_BACKEND=s3 needs boto3: pip install 'byline[s3]'") from None
        if not settings.media_s3_bucket:
            raise RuntimeError("MEDIA_BACKEND=s3 needs MEDIA_S3_BUCKET")
        self.bucket = settings.media_s3_bucket
        self.prefix = settings.media_s3_prefix.strip("/")
        self.client = boto3.client(
            "s3",
            endpoint_url=settings.media_s3_endpoint_url or None,
            region_name=settings.media_s3_region or None,
            config=Config(
                retries={"max_attempts": 5, "mode": "standard"},
                connect_timeout=5,
                read_timeout=30,
                # Path-style addressing works with every S3-compatible server.
                s3={"addressing_style": "path"},
            ),
        )
        self._missing = self.client.exceptions.NoSuchKey

    def _name(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def put(self, key: str, data: bytes) -> None:
        self.client.put_object(
            Bucket=self.bucket,
            Key=self._name(key),
            Body=data,
            ContentType=_content_type(key),
            CacheControl=IMMUTABLE,
        )

    def get(self, key: str) -> bytes | None:
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self._name(key))
        except self._missing:
            return None
        return answer["Body"].read()

    def discard(self, folder: str) -> None:
        names = [self._name(k) for k in self._list(f"{folder}/")]
        for start in range(0, len(names), 1000):
            batch = [{"Key": n} for n in names[start : start + 1000]]
            self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": batch})

    def names(self) -> Iterator[str]:
        yield from self._list("")

    def _list(self, under: str) -> Iterator[str]:
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self._name(under)
        )
        strip = len(self.prefix) + 1 if self.prefix else 0
        for page in pages:
            for item in page.get("Contents", []):
                yield item["Key"][strip:]


@lru_cache
def _s3_store(bucket: str, endpoint: str, region: str, prefix: str) -> S3Store:
    return S3Store(get_settings())


def get_store() -> MediaStore:
    """The store the settings name (one S3 client per process and bucket)."""
    settings = get_settings()
    if settings.media_backend == "s3":
        return _s3_store(
            settings.media_s3_bucket,
            settings.media_s3_endpoint_url,
            settings.media_s3_region,
            settings.media_s3_prefix,
        )
    return LocalStore(settings.resolved_media_dir)


# The base URL of the request being answered, for media URLs when no setting names one.
_request_base: ContextVar[str] = ContextVar("media_request_base", default="")


def media_url(path: str) -> str:
    """The URL readers fetch a stored file at: MEDIA_URL, else PUBLIC_URL + /media, else
    the answered request's address + /media (outside a request: a path from the root)."""
    settings = get_settings()
    if settings.media_url:
        base = settings.media_url.rstrip("/")
    elif settings.public_url:
        base = settings.public_url.rstrip("/") + "/media"
    else:
        base = _request_base.get() + "/media"
    return f"{base}/{path}"


def stored_path(value: str, folder: str) -> str:
    """A file's path in the store from what a photo row holds: the path itself, or (rows
    written before paths were kept) an absolute URL that ends with the folder and name."""
    if "://" not in value and not value.startswith("/"):
        return value
    marker = f"/{folder}/"
    at = value.rfind(marker)
    return value[at + 1 :] if at >= 0 else value


class RequestBase:
    """Remembers each request's base URL for `media_url()` while it is answered."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        token = _request_base.set(str(Request(scope).base_url).rstrip("/"))
        try:
            await self.app(scope, receive, send)
        finally:
            _request_base.reset(token)


class _LocalFiles(StaticFiles):
    """The media folder, which the first upload creates: until then it holds no file, and
    every request for one is a 404 (Starlette's check would make it a 500)."""

    async def check_config(self) -> None:
        if self.directory is not None and not Path(self.directory).exists():
            return
        await super().check_config()


class MediaFiles:
    """`/media`: the local folder's files, or the object store's (then any host answers
    for a file any host stored)."""

    def __init__(self) -> None:
        self._local: dict[Path, _LocalFiles] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        settings = get_settings()
        if settings.media_backend != "s3":
            folder = settings.resolved_media_dir
            files = self._local.get(folder)
            if files is None:
                files = self._local[folder] = _LocalFiles(directory=folder, check_dir=False)
            await files(scope, receive, send)
            return
        await self._from_store(scope, receive, send)

    async def _from_store(self, scope: Scope, receive: Receive, send: Send) -> None:
        import anyio.to_thread

        key = scope["path"].removeprefix(scope.get("root_path", "")).lstrip("/")
        response: Any
        if scope["method"] not in ("GET", "HEAD"):
            response = Response(status_code=405, headers={"Allow": "GET, HEAD"})
        elif key.count("/") != 1 or ".." in key:
            response = Response(status_code=404)
        else:
            data = await anyio.to_thread.run_sync(get_store().get, key)
            if data is None:
                response = Response(status_code=404)
            else:
                response = Response(
                    b"" if scope["method"] == "HEAD" else data,
                    media_type=_content_type(key),
                    headers={"Cache-Control": IMMUTABLE, "Content-Length": str(len(data))},
                )
        await response(scope, receive, send)
