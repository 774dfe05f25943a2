"""Every ```sh block of README.md and docs/*.md runs as written against a real server, and
shows what the text says it shows (the conventions are in docs/examples.md).

Per file, one bash session runs the blocks in order, so variables one block defines are
there for the next. The server is started as `make run` starts it (`byline migrate`,
`byline demo --if-empty`, `byline serve`, default workers) in a working folder of its own
with a fresh database; a file marked `<!-- examples: newsroom -->` gets instead an empty
database in `data/newsroom`, served on the port its text uses (8001). On PostgreSQL
(TEST_DATABASE_URL) both servers use databases of their own on that server, named after
the suite's (`byline_test_docs_examples` and `byline_test_docs_examples_newsroom` beside
`byline_test`), and the shell's `DATABASE_URL` points the `byline` command at them.

What differs from a user's machine, and why: the blocks' `127.0.0.1:8000` and `:8001` are
rewritten to the servers' free ports; `.venv/bin/byline` and `.venv/bin/python` are this
Python; limits are raised (the suite's settings: a file sends more than 60 anonymous
requests a minute, a reader does not); and `example.com`, the webhook destination the text
uses, is let through without resolving it, as machines running the tests may have no DNS.
"""

import os
import re
import select
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import make_url

from tests.conftest import TEST_DATABASE_URL, fresh_database, is_postgres
from tests.servers import free_port, wait_until_ready

ROOT = Path(__file__).resolve().parent.parent
FILES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
DEMO_PORT, NEWSROOM_PORT = 8000, 8001
NEWSROOM_MARK = "<!-- examples: newsroom -->"
# Generous: a block may start a server-side render of a cold cache on a busy machine.
BLOCK_SECONDS = 300

FENCE = re.compile(r"^```(\S*)[^\n]*\n(.*?)^```\s*$", re.M | re.S)
STATUS = re.compile(r"#\s*→\s*(\d{3})\b")
REPORTED = re.compile(r"^@@status (\d{3}) (\d+)$", re.M)
# Runs before the blocks: curl reports each answer's status and the line that sent it.
PRELUDE = (
    'curl() { command curl -w "%{stderr}\\n@@status %{http_code} ${BASH_LINENO[0]}\\n" "$@"; }\n'
)


@dataclass
class Block:
    start: int  # line of the file where the block's first command is
    code: str
    expected: str | None = None  # the ```output block right after it, if any
    statuses: dict[int, int] = field(default_factory=dict)  # block line -> `# → NNN`


def blocks(text: str) -> list[Block]:
    """The file's ```sh blocks, each with the ```output block that follows it."""
    found: list[Block] = []
    previous_end = None
    for match in FENCE.finditer(text):
        info, body = match.group(1), match.group(2)
        between = text[previous_end : match.start()] if previous_end is not None else "x"
        if info == "output" and found and not between.strip() and found[-1].expected is None:
            found[-1].expected = body
        elif info == "sh":
            start = text.count("\n", 0, match.start()) + 2
            found.append(Block(start, body, statuses=annotations(body)))
        previous_end = match.end() if info in ("sh", "output") else None
    return found


def commands(code: str) -> list[tuple[int, int]]:
    """The block's commands as (first line, last line), 1-based: a command goes on while a
    line ends in a backslash or leaves a quote or a parenthesis open."""
    spans = []
    start = None
    single = double = False
    depth = 0
    for number, line in enumerate(code.split("\n"), 1):
        start = start or number
        go_on = False
        i = 0
        while i < len(line):
            c = line[i]
            if single:
                single = c != "'"
            elif c == "\\":
                go_on = i == len(line) - 1
                i += 1
            elif double:
                double = c != '"'
            elif c == "'":
                single = True
            elif c == '"':
                double = True
            elif c == "(":
                depth += 1
            elif c == ")":
                depth = max(0, depth - 1)
            elif c == "#" and (i == 0 or line[i - 1] in " \t;"):
                break
            i += 1
        if not (single or double or depth or go_on):
            spans.append((start, number))
            start = None
    return spans


def annotations(code: str) -> dict[int, int]:
    """`# → NNN` on a command's last line, by that line."""
    return {
        n: int(m.group(1))
        for n, line in enumerate(code.split("\n"), 1)
        if (m := STATUS.search(line))
    }


def matches(expected: str, output: str) -> str | None:
    """Why `output` does not show `expected`, or None: each line of `expected` (indent
    aside, `…` standing for anything) is a line of `output`, in the same order."""
    lines = [line.strip() for line in output.splitlines()]
    at = 0
    for wanted in (w.strip() for w in expected.splitlines()):
        if not wanted or wanted == "…":
            continue
        pattern = re.compile(".*".join(re.escape(part) for part in wanted.split("…")))
        while at < len(lines) and not pattern.fullmatch(lines[at]):
            at += 1
        if at == len(lines):
            return f"no line like {wanted!r} (in order)"
        at += 1
    return None


class Shell:
    """One bash session in a working folder; runs blocks and keeps their variables."""

    def __init__(self, cwd: Path, env: dict[str, str]) -> None:
        self.cwd = cwd
        self.count = 0
        self.process = subprocess.Popen(
            ["bash", "--noprofile", "--norc"],
            cwd=cwd,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        self.run(PRELUDE)

    def run(self, code: str) -> tuple[int, str, str]:
        """Exit status, standard output and standard error of one block."""
        self.count += 1
        script = self.cwd / ".blocks" / f"{self.count}.sh"
        script.parent.mkdir(exist_ok=True)
        script.write_text(code)
        out, err = script.with_suffix(".out"), script.with_suffix(".err")
        marker = f"@@done {self.count}"
        line = f'source "{script}" >"{out}" 2>"{err}" </dev/null; echo "{marker} $?"\n'
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(line.encode())
        self.process.stdin.flush()
        deadline = time.monotonic() + BLOCK_SECONDS
        said = b""
        while marker.encode() not in said:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([self.process.stdout], [], [], max(0, left))
            if not ready:
                raise AssertionError(f"block did not finish in {BLOCK_SECONDS} s:\n{code}")
            chunk = os.read(self.process.stdout.fileno(), 4096)
            if not chunk:
                raise AssertionError(f"bash exited running:\n{code}")
            said += chunk
        status = int(said.decode().split(marker, 1)[1].split()[0])
        return status, out.read_text(errors="replace"), err.read_text(errors="replace")

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@dataclass
class Server:
    port: int
    env: dict[str, str]  # what the examples' shell needs to reach the same database


def _environment(database_url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DATA_DIR")}
    if database_url:
        env["DATABASE_URL"] = database_url
    env["WEBHOOK_ALLOWED_HOSTS"] = "example.com"
    return env


def _database(suffix: str) -> str | None:
    """A fresh PostgreSQL database beside the suite's, named after it, or None on SQLite."""
    if not is_postgres():
        return None
    url = make_url(TEST_DATABASE_URL)
    name = f"{url.database}_docs_examples{suffix}"
    return fresh_database(url.set(database=name).render_as_string(hide_password=False))


@pytest.fixture(scope="module")
def workdir() -> Iterator[Path]:
    """A folder to run in, as a clone would be: `.venv/bin/byline` and `.venv/bin/python`
    are this Python, with the application importable."""
    with tempfile.TemporaryDirectory(prefix="byline-docs-") as folder:
        bin_dir = Path(folder) / ".venv" / "bin"
        bin_dir.mkdir(parents=True)
        (Path(folder) / "data").mkdir()  # `make run` made it
        path = f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"
        for name, run in (("byline", f"{sys.executable} -m app.cli"), ("python", sys.executable)):
            shim = bin_dir / name
            shim.write_text(f'#!/bin/sh\nPYTHONPATH="{path}" exec {run} "$@"\n')
            shim.chmod(0o755)
        yield Path(folder)


def _serve(workdir: Path, env: dict[str, str], port: int, *, demo: bool) -> Iterator[Server]:
    """`make run`'s three commands (the demo only when asked), the server on `port`."""
    byline = [str(workdir / ".venv" / "bin" / "byline")]
    steps = [["migrate"], ["demo", "--if-empty"]] if demo else [["migrate"]]
    for step in steps:
        subprocess.run([*byline, *step], cwd=workdir, env=env, check=True, timeout=900)
    with tempfile.TemporaryFile() as log:
        server = subprocess.Popen(
            [*byline, "serve"],
            cwd=workdir,
            env={**env, "PORT": str(port)},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_until_ready(server, f"http://127.0.0.1:{port}/readyz", log)
            yield Server(port, env)
        finally:
            server.terminate()
            try:
                server.wait(timeout=60)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


@pytest.fixture(scope="module")
def demo_server(workdir: Path) -> Iterator[Server]:
    yield from _serve(workdir, _environment(_database("")), free_port(), demo=True)


@pytest.fixture(scope="module")
def newsroom_server(workdir: Path) -> Iterator[Server]:
    url = _database("_newsroom")
    env = _environment(url)
    # The shell gets no DATA_DIR: the text names its folder, as a reader's shell would.
    serving = {**env, "DATA_DIR": str(workdir / "data" / "newsroom")}
    for server in _serve(workdir, serving, free_port(), demo=False):
        yield Server(server.port, env)


def _rewritten(text: str, port: int) -> str:
    return text.replace("127.0.0.1:8000", f"127.0.0.1:{port}").replace(
        "127.0.0.1:8001", f"127.0.0.1:{port}"
    )


def _check_statuses(block: Block, err: str) -> list[str]:
    """Each answer's status against its command's `# → NNN`, or below 400 without one."""
    spans = commands(block.code)
    problems = []
    seen: set[int] = set()
    for status, line in ((int(s), int(n)) for s, n in REPORTED.findall(err)):
        span = next(((a, b) for a, b in spans if a <= line <= b), (line, line))
        wanted = block.statuses.get(span[1])
        seen.add(span[1])
        if wanted is not None and status != wanted:
            problems.append(f"line {block.start + line - 1}: {status}, the text says {wanted}")
        if wanted is None and status >= 400:
            problems.append(f"line {block.start + line - 1}: {status} with no `# → {status}`")
    for line in sorted(set(block.statuses) - seen):
        problems.append(f"line {block.start + line - 1}: `# →` but no curl answered there")
    return problems


DOCUMENTED = [f for f in FILES if blocks(f.read_text())]


@pytest.mark.parametrize("path", DOCUMENTED, ids=[str(f.relative_to(ROOT)) for f in DOCUMENTED])
def test_examples_run_as_written(path: Path, workdir: Path, request: pytest.FixtureRequest):
    text = path.read_text()
    fixture = "newsroom_server" if NEWSROOM_MARK in text else "demo_server"
    server: Server = request.getfixturevalue(fixture)
    shell = Shell(workdir, server.env)
    try:
        for block in blocks(text):
            where = f"{path.relative_to(ROOT)}, the block at line {block.start}"
            status, out, err = shell.run(_rewritten(block.code, server.port))
            shown = f"\n--- output\n{out[-3000:]}\n--- errors\n{REPORTED.sub('', err)[-3000:]}"
            assert status == 0, f"{where} exited with {status}{shown}"
            problems = _check_statuses(block, err)
            assert not problems, f"{where}: " + "; ".join(problems) + shown
            if block.expected is not None:
                why = matches(_rewritten(block.expected, server.port), out)
                assert why is None, f"{where} does not show its output: {why}{shown}"
    finally:
        shell.close()


# The convention itself.


def test_a_command_spans_its_continued_and_quoted_lines():
    code = "A=1\ncurl -s x \\\n  -d '{\n  \"a\": 1}'  # → 201\nB=$(curl -s y |\n  cat)\n"
    assert commands(code) == [(1, 1), (2, 4), (5, 6), (7, 7)]
    assert annotations(code) == {4: 201}


def test_an_output_block_matches_lines_in_order_with_ellipses():
    output = '{\n    "id": "art_01",\n    "headline": "Russia rejects"\n}\n'
    assert matches('"id": "art_…",\n…\n"headline": "Russia …"', output) is None
    assert matches('"headline": "Russia …"\n"id": "art_…"', output) is not None


def test_an_output_block_belongs_to_the_sh_block_right_before_it():
    text = (
        "```sh\necho a\n```\n\n```output\na\n```\n\n```sh\necho b\n```\nText.\n```output\nb\n```\n"
    )
    first, second = blocks(text)
    assert (first.expected, second.expected) == ("a\n", None)
    assert (first.start, second.start) == (2, 10)
