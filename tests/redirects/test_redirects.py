"""`GET /v1/redirects`: imported stories' old paths, for what readers may see."""

from pathlib import Path

import httpx
import pytest
from sqlmodel import Session

from app.importers.wordpress import import_wordpress

pytestmark = pytest.mark.anyio

ITEM = """<item><title>{title}</title><link>https://old.example/2020/01/0{n}/{slug}/</link>
<dc:creator>ed</dc:creator><content:encoded><![CDATA[Text {n}.]]></content:encoded>
<wp:post_id>{n}</wp:post_id><wp:post_date_gmt>2020-01-0{n} 03:04:05</wp:post_date_gmt>
<wp:post_name>{slug}</wp:post_name><wp:status>{status}</wp:status>
<wp:post_type>post</wp:post_type></item>"""

EXPORT = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
     xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.2/">
<channel><title>T</title><link>https://old.example</link>{items}</channel></rss>"""


def _import(session: Session, tmp_path: Path) -> None:
    items = [
        ITEM.format(n=1, title="One", slug="one", status="publish"),
        ITEM.format(n=2, title="Two", slug="two", status="publish"),
        ITEM.format(n=3, title="Three", slug="three", status="draft"),
    ]
    export = tmp_path / "export.xml"
    export.write_text(EXPORT.format(items="".join(items)))
    import_wordpress(session, export)


async def test_published_stories_have_their_old_paths(
    session: Session, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    _import(session, tmp_path)
    answer = await client.get("/v1/redirects")
    assert answer.status_code == 200
    data = answer.json()["data"]
    assert [(r["path"], r["slug"], r["status"], r["source"]) for r in data] == [
        ("/2020/01/01/one/", "one", 301, "wordpress"),
        ("/2020/01/02/two/", "two", 301, "wordpress"),
    ]
    assert data[0]["location"].endswith("/one/")


async def test_one_path_and_pages(
    session: Session, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    _import(session, tmp_path)
    one = await client.get("/v1/redirects", params={"path": "/2020/01/02/two/"})
    assert [r["slug"] for r in one.json()["data"]] == ["two"]
    first = await client.get("/v1/redirects", params={"limit": 1})
    cursor = first.json()["meta"]["next_cursor"]
    assert [r["slug"] for r in first.json()["data"]] == ["one"]
    second = await client.get("/v1/redirects", params={"limit": 1, "cursor": cursor})
    assert [r["slug"] for r in second.json()["data"]] == ["two"]
    assert second.json()["meta"]["next_cursor"] is None
    none = await client.get("/v1/redirects", params={"path": "/2020/01/03/three/"})
    assert none.json()["data"] == []
