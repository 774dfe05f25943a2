"""Writes of sections, tags, authors, feed entries, photos (with uploads) and the site."""

import io

import pytest
from PIL import Image

from tests.factories import make_article, make_author, make_key, make_photo, make_section

pytestmark = pytest.mark.anyio


@pytest.fixture
def editor(session) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_key(session, 'content:write', 'content:preview')}"}


def image_bytes(fmt: str = "JPEG", size: tuple[int, int] = (1200, 800)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, fmt)
    return out.getvalue()


async def test_section_create_update_delete(client, session, editor):
    created = await client.post("/v1/sections", json={"name": "World news"}, headers=editor)
    assert created.status_code == 201, created.text
    section = created.json()["data"]
    assert section["slug"] == "world-news"
    assert (await client.get("/v1/sections/world-news")).status_code == 200
    renamed = await client.patch(
        "/v1/sections/world-news",
        json={"name": "World", "slug": "world"},
        headers={**editor, "If-Match": created.headers["etag"]},
    )
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["data"]["version"] == 2
    assert (await client.get("/v1/sections/world")).json()["data"]["name"] == "World"
    gone = await client.delete(
        "/v1/sections/world", headers={**editor, "If-Match": renamed.headers["etag"]}
    )
    assert gone.status_code == 204
    assert (await client.get("/v1/sections/world")).status_code == 404


async def test_taken_slug_is_a_409_naming_slug(client, session, editor):
    make_section(session, slug="news")
    response = await client.post(
        "/v1/sections", json={"name": "News", "slug": "news"}, headers=editor
    )
    assert response.status_code == 409
    assert response.json()["errors"][0]["field"] == "slug"


async def test_malformed_slug_is_a_422(client, session, editor):
    response = await client.post(
        "/v1/tags", json={"name": "x", "slug": "Not A Slug"}, headers=editor
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "slug"


async def test_section_in_use_cannot_be_deleted(client, session, editor):
    section = make_section(session)
    make_article(session, section_id=section.id)
    response = await client.delete(
        f"/v1/sections/{section.id}", headers={**editor, "If-Match": f'"{section.version}"'}
    )
    assert response.status_code == 409
    assert (await client.get(f"/v1/sections/{section.id}")).status_code == 200


async def test_author_on_a_byline_cannot_be_deleted(client, session, editor):
    author = make_author(session)
    make_article(session, authors=[author])
    response = await client.delete(
        f"/v1/authors/{author.id}", headers={**editor, "If-Match": f'"{author.version}"'}
    )
    assert response.status_code == 409


async def test_null_for_a_required_field_is_refused(client, session, editor):
    author = make_author(session)
    response = await client.patch(
        f"/v1/authors/{author.id}",
        json={"name": None},
        headers={**editor, "If-Match": f'"{author.version}"'},
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "name"


async def test_feed_entry_lifecycle(client, session, editor):
    article = make_article(session)
    created = await client.post(
        "/v1/feed",
        json={"kind": "video", "title": "Live now", "article": article.slug},
        headers=editor,
    )
    assert created.status_code == 201, created.text
    entry = created.json()["data"]
    assert entry["article"]["id"] == article.id
    assert (await client.get(f"/v1/feed/{entry['id']}")).status_code == 200
    hidden = await client.patch(
        f"/v1/feed/{entry['id']}",
        json={"status": "unpublished"},
        headers={**editor, "If-Match": created.headers["etag"]},
    )
    assert hidden.status_code == 200
    assert (await client.get(f"/v1/feed/{entry['id']}")).status_code == 404


async def test_photo_upload_reads_the_image_and_makes_renditions(client, session, editor):
    response = await client.post(
        "/v1/photos",
        files={"file": ("talks.jpg", image_bytes(), "image/jpeg")},
        data={"caption": "Talks", "credit": "Photo by A", "syndication_allowed": "true"},
        headers=editor,
    )
    assert response.status_code == 201, response.text
    photo = response.json()["data"]
    assert (photo["width"], photo["height"], photo["mime_type"]) == (1200, 800, "image/jpeg")
    assert photo["rights"]["syndication_allowed"] is True
    assert [r["width"] for r in photo["renditions"]] == [320, 640, 1024]
    assert photo["renditions"][0]["height"] == 213
    served = await client.get(photo["renditions"][0]["url"].removeprefix("http://byline.test"))
    assert served.status_code == 200
    assert Image.open(io.BytesIO(served.content)).size == (320, 213)
    original = await client.get(photo["url"].removeprefix("http://byline.test"))
    assert Image.open(io.BytesIO(original.content)).size == (1200, 800)


async def test_upload_of_a_non_image_is_refused(client, session, editor):
    response = await client.post(
        "/v1/photos",
        files={"file": ("x.jpg", b"<html>not an image</html>", "image/jpeg")},
        headers=editor,
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "file"


async def test_decompression_bomb_is_refused(client, session, editor, settings_env):
    settings_env(MAX_IMAGE_PIXELS=1_000_000)
    bomb = image_bytes("PNG", (3000, 3000))  # small file, 9 million pixels once decoded
    response = await client.post(
        "/v1/photos", files={"file": ("bomb.png", bomb, "image/png")}, headers=editor
    )
    assert response.status_code == 422
    assert "pixels" in response.json()["detail"]


async def test_oversize_upload_is_413(client, session, editor, settings_env):
    settings_env(MAX_UPLOAD_MB=1)
    response = await client.post(
        "/v1/photos",
        files={"file": ("big.jpg", b"\xff" * (2 * 1024 * 1024), "image/jpeg")},
        headers=editor,
    )
    assert response.status_code == 413


async def test_unknown_upload_field_is_refused(client, session, editor):
    response = await client.post(
        "/v1/photos",
        files={"file": ("a.jpg", image_bytes(), "image/jpeg")},
        data={"colour": "red"},
        headers=editor,
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "colour"


async def test_photo_used_as_lead_cannot_be_deleted(client, session, editor):
    photo = make_photo(session)
    make_article(session, lead_photo_id=photo.id)
    response = await client.delete(
        f"/v1/photos/{photo.id}", headers={**editor, "If-Match": f'"{photo.version}"'}
    )
    assert response.status_code == 409


async def test_site_patch_needs_if_match_once_it_exists(client, demo, editor):
    response = await client.patch("/v1/site", json={"banner_cta": "Join"}, headers=editor)
    assert response.status_code == 428
    etag = (await client.get("/v1/site")).headers["etag"]
    changed = await client.patch(
        "/v1/site", json={"banner_cta": "Join"}, headers={**editor, "If-Match": etag}
    )
    assert changed.status_code == 200, changed.text
    public = (await client.get("/v1/site")).json()["data"]
    assert public["membership_banner"]["cta"] == "Join"


async def test_site_time_zone_must_exist(client, demo, editor):
    etag = (await client.get("/v1/site")).headers["etag"]
    response = await client.patch(
        "/v1/site", json={"timezone": "Mars/Olympus"}, headers={**editor, "If-Match": etag}
    )
    assert response.status_code == 422


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/v1/tags", {"name": "A", "slug": "a" * 101}, "slug"),
        ("/v1/sections", {"name": "A", "slug": "a" * 101}, "slug"),
        ("/v1/authors", {"name": "A", "slug": "a" * 101}, "slug"),
    ],
)
async def test_a_value_longer_than_its_column_is_a_422(client, session, editor, path, body, field):
    response = await client.post(path, json=body, headers=editor)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == field


async def test_a_site_url_longer_than_its_column_is_a_422(client, session, editor, demo):
    site = await client.get("/v1/site", headers=editor)
    long_url = "https://example.com/" + "a" * 500
    response = await client.patch(
        "/v1/site",
        json={"banner_url": long_url},
        headers={**editor, "If-Match": site.headers["etag"]},
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "banner_url"
