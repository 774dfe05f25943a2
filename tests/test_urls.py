"""URL fields of every write: RFC 3986 URIs, absolute http or https, refused with a 422
naming the field otherwise; international names and text kept in their URI form."""

from typing import Any

import pytest

from tests.factories import make_article, make_key

pytestmark = pytest.mark.anyio


@pytest.fixture
def editor(session) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_key(session, 'content:write', 'content:preview')}"}


@pytest.fixture
def article(session):
    return make_article(session, slug="talks")


# Each URL field: where it is written, the body around the URL, the field a 422 names, and
# where the stored URL is in the answer.
FIELDS: dict[str, tuple[str, str, Any, str, Any]] = {
    "photo": ("POST", "/v1/photos", lambda u: {"url": u}, "url", lambda d: d["url"]),
    "rendition": (
        "POST",
        "/v1/photos",
        lambda u: {"url": "https://img.test/a.jpg", "renditions": [{"width": 320, "url": u}]},
        "renditions[0].url",
        lambda d: d["renditions"][0]["url"],
    ),
    "canonical": (
        "POST",
        "/v1/articles",
        lambda u: {"headline": "Talks", "canonical_url": u},
        "canonical_url",
        lambda d: d["canonical_url"],
    ),
    "embed": (
        "POST",
        "/v1/articles",
        lambda u: {"headline": "Talks", "body": [{"type": "embed", "provider": "x", "url": u}]},
        "body[0].url",
        lambda d: d["body"][0]["url"],
    ),
    "related": (
        "POST",
        "/v1/articles/talks/related",
        lambda u: {"url": u, "title": "Elsewhere"},
        "url",
        lambda d: d["related"][0]["url"],
    ),
    "author": (
        "POST",
        "/v1/authors",
        lambda u: {"name": "Olena", "url": u},
        "url",
        lambda d: d["url"],
    ),
    "avatar": (
        "POST",
        "/v1/authors",
        lambda u: {"name": "Olena", "avatar_url": u},
        "avatar_url",
        lambda d: d["avatar_url"],
    ),
    "feed": (
        "POST",
        "/v1/feed",
        lambda u: {"title": "Live", "url": u},
        "url",
        lambda d: d["url"],
    ),
    "site": (
        "PATCH",
        "/v1/site",
        lambda u: {"name": "Byline", "url": u, "timezone": "Europe/Kyiv", "language": "en"},
        "url",
        lambda d: d["url"],
    ),
    "banner": (
        "PATCH",
        "/v1/site",
        lambda u: {
            "name": "Byline",
            "url": "https://byline.test",
            "timezone": "Europe/Kyiv",
            "language": "en",
            "banner_text": "Join us",
            "banner_url": u,
        },
        "banner_url",
        lambda d: d["membership_banner"]["url"],
    ),
    "logo": (
        "PATCH",
        "/v1/site",
        lambda u: {
            "name": "Byline",
            "url": "https://byline.test",
            "timezone": "Europe/Kyiv",
            "language": "en",
            "logo_url": u,
        },
        "logo_url",
        lambda d: d["logo"]["url"],
    ),
}

BAD = [
    "https://example.test/a<b",
    "https://example.test/a>b",
    'https://example.test/"onmouseover="alert(1)',
    "https://example.test/{x}",
    "https://example.test/a|b",
    "https://example.test/a\\b",
    "https://example.test/a^b",
    "https://example.test/a`b",
    "https://example.test/a\x7fb",
    "https://example.test/\u202egnp.exe",
    "https://example.test/100%",
    "https://example.test:99999/",
    "https://user:secret@example.test/",
    "https:///no-host",
    # Refused before too, and still: whitespace, relative, other schemes, too long.
    "https://example.test/a b",
    "https://example.test/a\tb",
    "https://exa mple.test/",
    "//example.test/relative",
    "/relative",
    "javascript:alert(1)",
    "ftp://example.test/file",
    "https://example.test/" + "a" * 2000,
]


async def write(client, editor, name: str, url: str):
    method, path, body, _, _ = FIELDS[name]
    return await client.request(method, path, json=body(url), headers=editor)


@pytest.mark.parametrize("url", BAD)
@pytest.mark.parametrize("name", FIELDS)
async def test_a_url_that_is_not_an_absolute_web_uri_is_refused(client, editor, article, name, url):
    response = await write(client, editor, name, url)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["type"].endswith("/validation-failed")
    assert [e["field"] for e in problem["errors"]] == [FIELDS[name][3]]


async def test_the_length_limit_holds_for_the_uri_form(client, editor):
    # 221 characters as sent, 1221 once percent-encoded: more than the column holds.
    response = await write(client, editor, "photo", "https://example.test/" + "é" * 200)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "url"


GOOD = [
    ("https://example.test", "https://example.test"),
    (
        "http://example.test/a/b?q=peace+talks&page=2#top",
        "http://example.test/a/b?q=peace+talks&page=2#top",
    ),
    (
        "https://example.test/%D0%9A%D0%B8%D1%97%D0%B2?x=%20",
        "https://example.test/%D0%9A%D0%B8%D1%97%D0%B2?x=%20",
    ),
    (
        "https://example.test:8443/x;v=1/(a)*,!$&'~@:",
        "https://example.test:8443/x;v=1/(a)*,!$&'~@:",
    ),
    ("HTTPS://Example.TEST/Path", "https://example.test/Path"),
    ("https://[2001:db8::1]/x", "https://[2001:db8::1]/x"),
    # International names and text go out in their URI form.
    ("https://приклад.укр/", "https://xn--80aikifvh.xn--j1amh/"),
    (
        "https://uk.wikipedia.org/wiki/Київ",
        "https://uk.wikipedia.org/wiki/%D0%9A%D0%B8%D1%97%D0%B2",
    ),
]


@pytest.mark.parametrize(("url", "stored"), GOOD)
@pytest.mark.parametrize("name", FIELDS)
async def test_a_web_uri_is_accepted_and_returned(client, editor, article, name, url, stored):
    response = await write(client, editor, name, url)
    assert response.status_code in (200, 201), response.text
    assert FIELDS[name][4](response.json()["data"]) == stored


@pytest.fixture
def admin(session, settings_env) -> dict[str, str]:
    # Only the URI rule decides here: these hosts need not resolve.
    settings_env(WEBHOOK_ALLOWED_HOSTS="example.test,xn--80aikifvh.xn--j1amh")
    return {"Authorization": f"Bearer {make_key(session, 'admin')}"}


@pytest.mark.parametrize("url", BAD)
async def test_a_webhook_url_that_is_not_an_absolute_web_uri_is_refused(client, admin, url):
    body = {"url": url, "events": ["*"]}
    response = await client.post("/v1/webhooks", json=body, headers=admin)
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == ["url"]


async def test_a_webhook_url_with_an_international_name_is_kept_as_a_uri(client, admin):
    body = {"url": "https://приклад.укр/hook?token=a%2Bb", "events": ["*"]}
    response = await client.post("/v1/webhooks", json=body, headers=admin)
    assert response.status_code == 201, response.text
    assert response.json()["data"]["url"] == "https://xn--80aikifvh.xn--j1amh/hook?token=a%2Bb"
