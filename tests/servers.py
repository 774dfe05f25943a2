"""Real `byline serve` processes for end-to-end tests."""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import httpx

from tests import contract

BYLINE = [sys.executable, "-m", "app.cli"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# Generous: on a machine busy with other work a worker may take a long while to start. The
# wait ends as soon as the server answers, or at once if its process exits.
READY_WITHIN_SECONDS = 180


@contextmanager
def running_server(*, workers: int = 1, **env: str) -> Iterator[str]:
    """Start `byline serve` on a free port with extra environment; yield its base URL."""
    with serving(workers=workers, **env) as (base, _server):
        yield base


@contextmanager
def serving(*, workers: int = 1, **env: str) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`running_server`, yielding its process too (to kill it)."""
    port = free_port()
    with tempfile.TemporaryFile() as log:
        server = subprocess.Popen(
            [*BYLINE, "serve", "--port", str(port), "--workers", str(workers)],
            env={**os.environ, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            wait_until_ready(server, f"{base}/readyz", log)
            yield base, server
        finally:
            server.terminate()
            try:
                server.wait(timeout=60)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def checked_client(**options: object) -> httpx.Client:
    """An httpx client for a real server whose every JSON answer is checked against the
    committed OpenAPI document, as the ASGI test clients' are."""
    return httpx.Client(event_hooks={"response": [contract.check_sync]}, **options)  # type: ignore[arg-type]


def wait_until_ready(process: subprocess.Popen, url: str, log: IO[bytes]) -> None:
    """Poll `url` until it answers 200, watching `process`: if it exits, fail with its log."""
    deadline = time.monotonic() + READY_WITHIN_SECONDS
    while True:
        try:
            if httpx.get(url, timeout=10).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if process.poll() is not None:
            log.seek(0)
            output = log.read().decode(errors="replace")[-4000:]
            raise AssertionError(f"server exited with {process.returncode}:\n{output}")
        if time.monotonic() > deadline:
            raise AssertionError(f"server not ready after {READY_WITHIN_SECONDS} s")
        time.sleep(0.1)


VCL = Path(__file__).resolve().parent.parent / "deploy" / "varnish" / "byline.vcl"


def varnish_available() -> bool:
    """varnishd and the xkey vmod the shipped VCL imports (Debian: varnish-modules)."""
    if shutil.which("varnishd") is None:
        return False
    found = subprocess.run(
        ["dpkg", "-L", "varnish-modules"], capture_output=True, text=True, check=False
    )
    return "libvmod_xkey.so" in found.stdout or any(
        Path(d).glob("**/libvmod_xkey.so") for d in ("/usr/lib/varnish", "/usr/lib64/varnish")
    )


@contextmanager
def running_varnish(*backends: str, port: int | None = None) -> Iterator[str]:
    """Start a real `varnishd` with the shipped VCL in front of one or two Byline servers
    (base URLs; the shipped backends.vcl names two hosts, byline-1 and byline-2: one server
    stands for both); yield its base URL."""
    port = port or free_port()
    with tempfile.TemporaryDirectory(prefix="byline-varnish-") as workdir:
        vcl = Path(workdir) / "byline.vcl"
        vcl.write_text(VCL.read_text())
        shipped = (VCL.parent / "backends.vcl").read_text()
        for name, url in (("byline-1", backends[0]), ("byline-2", backends[-1])):
            address = httpx.URL(url)
            shipped = shipped.replace(
                f'.host = "{name}";\n    .port = "8000";',
                f'.host = "{address.host}";\n    .port = "{address.port}";',
            )
        (Path(workdir) / "backends.vcl").write_text(shipped)
        os.chmod(workdir, 0o755)  # varnishd's worker runs as its own user
        with tempfile.TemporaryFile() as log:
            process = subprocess.Popen(
                [
                    *("varnishd", "-F", "-f", str(vcl), "-a", f"127.0.0.1:{port}"),
                    *("-n", str(Path(workdir) / "n"), "-s", "malloc,64m"),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            base = f"http://127.0.0.1:{port}"
            try:
                wait_until_ready(process, f"{base}/readyz", log)
                yield base
            finally:
                process.terminate()
                try:
                    process.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


# Keys for the local S3 emulator; it accepts any.
S3_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "byline-test",
    "AWS_SECRET_ACCESS_KEY": "byline-test-secret",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@contextmanager
def running_s3(bucket: str = "byline-media") -> Iterator[str]:
    """Start moto's S3-compatible server (PyPI's `moto[server]`) on a free port with one
    empty bucket; yield its endpoint URL."""
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            [
                str(Path(sys.executable).with_name("moto_server")),
                "-H",
                "127.0.0.1",
                "-p",
                str(port),
            ],
            env={**os.environ, **S3_CREDENTIALS},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_until_ready(process, f"{endpoint}/moto-api/", log)
            s3_client(endpoint).create_bucket(Bucket=bucket)
            yield endpoint
        finally:
            process.terminate()
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def s3_client(endpoint: str):
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=S3_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=S3_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        region_name=S3_CREDENTIALS["AWS_DEFAULT_REGION"],
    )
