"""The `byline` command, and the real server started the way the README starts it."""

import os
import subprocess

import pytest

from app.demo.seed import SLUG
from tests.servers import BYLINE, checked_client, running_server


def run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*BYLINE, *args], capture_output=True, text=True, timeout=120, env=env or os.environ.copy()
    )


@pytest.mark.parametrize(
    "args",
    [["frobnicate"], ["demo", "--articles", "-1"], ["serve", "--port", "http"], ["demo", "--nope"]],
)
def test_bad_arguments_are_one_line_and_nonzero(args):
    result = run(*args)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith("byline")
    assert "Traceback" not in result.stderr


def test_demo_if_empty_loads_once(session):
    first = run("demo", "--if-empty")
    second = run("demo", "--if-empty")
    assert first.returncode == second.returncode == 0
    assert first.stdout.strip() == "reference article loaded"
    assert second.stdout.strip() == "database has content; demo not loaded"


def test_demo_generates_articles(session):
    result = run("demo", "--articles", "30")
    assert result.returncode == 0, result.stderr
    from sqlalchemy import func, select

    from app.models import Article

    # The reference page's two articles, and the thirty generated ones.
    assert session.scalar(select(func.count()).select_from(Article)) == 32


def test_served_reference_article_end_to_end(session):
    assert run("migrate").returncode == 0
    assert run("demo", "--if-empty").returncode == 0
    with running_server(workers=2) as base, checked_client() as http:
        article = http.get(f"{base}/v1/articles/{SLUG}").json()["data"]
    assert article["reading_time_minutes"] == 2
    assert article["lead_photo"]["photographer"] == "Arda Kucukkaya"
    assert article["related"][0]["authors"][0]["name"] == "Martin Fornusek"
