"""The production topology on one machine, without Docker: PostgreSQL and Redis (the local
ones), an S3-compatible store (moto's server), two `byline serve` processes on different
ports with working folders of their own (as if on two hosts), one `byline worker`, and
Varnish in front with both as health-checked backends. The same commands and variables as
deploy/compose.yaml. Used by tests/test_topology.py; `make stack` runs it by hand:

    python -m tests.stack   # STACK_DATABASE_URL, STACK_REDIS_URL name the databases
"""

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.servers import (
    BYLINE,
    S3_CREDENTIALS,
    free_port,
    running_s3,
    running_varnish,
    wait_until_ready,
)

STACK_DATABASE_URL = os.environ.get(
    "STACK_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/byline_stack"
)
STACK_REDIS_URL = os.environ.get("STACK_REDIS_URL", "redis://127.0.0.1:6379/14")
BUCKET = "byline-media"


@dataclass
class Stack:
    proxy: str  # Varnish, what readers and PUBLIC_URL use
    hosts: list[str]  # each `byline serve`, directly
    env: dict[str, str]  # what every Byline process is given
    work: Path
    s3: str
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def byline(self, *args: str) -> str:
        """Run a `byline` command as an operator on a host would; its output."""
        done = subprocess.run(
            [*BYLINE, *args],
            env={**os.environ, **self.env, "DATA_DIR": str(self.work / "host-1")},
            cwd=self.work / "host-1",
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    def key(self, *scopes: str, rate_limit: int | None = None) -> str:
        """A new API key's secret (`byline keys create`)."""
        args = ["keys", "create", "--name", "stack", *(f"--scope={s}" for s in scopes)]
        if rate_limit:
            args.append(f"--rate-limit={rate_limit}")
        return self.byline(*args).strip().splitlines()[-1]

    def kill(self, name: str) -> None:
        """End a process at once (SIGKILL to its group), as a host that loses power."""
        process = self.processes[name]
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=60)


@contextmanager
def _process(
    name: str, args: list[str], *, env: dict[str, str], cwd: Path, ready: str | None
) -> Iterator[subprocess.Popen[bytes]]:
    cwd.mkdir(parents=True, exist_ok=True)
    with open(cwd / f"{name}.log", "wb") as log:
        process = subprocess.Popen(
            args,
            env={**os.environ, **env},
            cwd=cwd,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own group: killed with its children
        )
        try:
            if ready:
                with open(cwd / f"{name}.log", "rb") as reader:
                    wait_until_ready(process, ready, reader)
            yield process
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()


def _fresh_database(url: str) -> str:
    """An empty PostgreSQL database at `url` (dropped and made again)."""
    from sqlalchemy import create_engine, make_url, text

    resolved = make_url(url).set(drivername="postgresql+psycopg")
    admin = create_engine(resolved.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(
            text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :d"),
            {"d": resolved.database},
        )
        conn.execute(text(f'DROP DATABASE IF EXISTS "{resolved.database}"'))
        conn.execute(text(f'CREATE DATABASE "{resolved.database}"'))
    admin.dispose()
    return resolved.render_as_string(hide_password=False)


# Settings of the test's own, beside those a deployment has (deploy/compose.yaml).
TEST_ONLY = {"WEBHOOK_POLL_SECONDS", "RATE_LIMIT_ANONYMOUS", "RESPONSE_VALIDATION"}


def stack_env(*, database_url: str, redis_url: str, proxy: str, s3: str) -> dict[str, str]:
    """What every Byline process of the topology is given (each host adds its DATA_DIR)."""
    return {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "PUBLIC_URL": proxy,
        "FORWARDED_ALLOW_IPS": "127.0.0.1",
        "SECRET_KEY": "stack-signing-key-shared-by-every-host",
        "EVENTS_WORKER": "false",
        "PURGE_BACKEND": "varnish",
        "PURGE_VARNISH_URLS": proxy,
        "MEDIA_BACKEND": "s3",
        "MEDIA_S3_BUCKET": BUCKET,
        "MEDIA_S3_ENDPOINT_URL": s3,
        **S3_CREDENTIALS,
        "WEBHOOK_POLL_SECONDS": "0.2",
        "RATE_LIMIT_ANONYMOUS": "100000",
        "RESPONSE_VALIDATION": "strict",
    }


# The commands each process runs (a host adds --host and --port).
COMMANDS = {"migrate": ["migrate"], "host": ["serve"], "worker": ["worker"]}


@contextmanager
def running_stack(
    database_url: str = STACK_DATABASE_URL, redis_url: str = STACK_REDIS_URL
) -> Iterator[Stack]:
    """Start the topology on an emptied database and Redis database; yield it."""
    import redis

    database_url = _fresh_database(database_url)
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    client.close()
    with ExitStack() as stack:
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="byline-stack-")))
        s3 = stack.enter_context(running_s3(BUCKET))
        proxy = f"http://127.0.0.1:{free_port()}"
        env = stack_env(database_url=database_url, redis_url=redis_url, proxy=proxy, s3=s3)
        result = Stack(proxy=proxy, hosts=[], env=env, work=work, s3=s3)
        (work / "host-1").mkdir()
        result.byline(
            *COMMANDS["migrate"]
        )  # once, before the servers: `byline migrate` is safe to repeat
        for n in (1, 2):
            port = free_port()
            base = f"http://127.0.0.1:{port}"
            folder = work / f"host-{n}"
            result.processes[f"host-{n}"] = stack.enter_context(
                _process(
                    f"host-{n}",
                    [*BYLINE, *COMMANDS["host"], "--host", "127.0.0.1", "--port", str(port)],
                    env={**env, "DATA_DIR": str(folder), "WORKERS": "1"},
                    cwd=folder,
                    ready=f"{base}/readyz",
                )
            )
            result.hosts.append(base)
        result.processes["worker"] = stack.enter_context(
            _process(
                "worker",
                [*BYLINE, *COMMANDS["worker"]],
                env={**env, "DATA_DIR": str(work / "worker")},
                cwd=work / "worker",
                ready=None,
            )
        )
        stack.enter_context(running_varnish(*result.hosts, port=httpx.URL(proxy).port))
        yield result


def main() -> None:
    """`make stack`: start the topology, print where it is, keep it until Ctrl-C."""
    with running_stack() as stack:
        writer = stack.key("content:write", "content:preview")
        print(f"Varnish (PUBLIC_URL): {stack.proxy}")
        for n, host in enumerate(stack.hosts, 1):
            print(f"host {n}:              {host}   (working folder {stack.work}/host-{n})")
        print(f"S3 (moto):            {stack.s3}  bucket {BUCKET}")
        print(f"database:             {stack.env['DATABASE_URL']}")
        print(f"redis:                {stack.env['REDIS_URL']}")
        print(f"an editor's key:      {writer}")
        print("Ctrl-C stops everything.", flush=True)
        try:
            while all(p.poll() is None for p in stack.processes.values()):
                time.sleep(1)
            stopped = [n for n, p in stack.processes.items() if p.poll() is not None]
            print(f"stopped: {', '.join(stopped)}; see its log in {stack.work}", file=sys.stderr)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
