"""Slugs for every script: Ukrainian and Russian by their national romanizations, the
story's language deciding; other scripts transliterated; never a placeholder for a title
that has letters."""

import pytest

from app.inputs import slugify
from tests.factories import make_key

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize(
    ("title", "language", "slug"),
    [
        ("Київ", "uk", "kyiv"),
        ("Зеленський: 194108 полонених", "uk", "zelenskyi-194108-polonenykh"),
        ("Їжак і Ґанок у Знам’янці", "uk", "yizhak-i-ganok-u-znamiantsi"),
        ("Москва объявила", "ru", "moskva-obieiavila"),
        ("Юрий Щёлково", "ru", "iurii-shchelkovo"),
        # No language stated: Cyrillic is Ukrainian unless only Russian writes its letters.
        ("Київ", None, "kyiv"),
        ("Объявление", None, "obieiavlenie"),
        ("東京", "ja", "dongjing"),
        ("Αθήνα σήμερα", "el", "athina-simera"),
        ("Russia rejected a ceasefire", "en", "russia-rejected-a-ceasefire"),
        ("!!! ???", None, "untitled"),
    ],
)
def test_a_title_in_any_script_gets_a_readable_slug(title, language, slug):
    assert slugify(title, language=language) == slug


async def test_a_ukrainian_story_gets_its_romanized_slug(client, session):
    editor = {"Authorization": f"Bearer {make_key(session, 'content:write')}"}
    created = await client.post(
        "/v1/articles", json={"headline": "Київ", "language": "uk"}, headers=editor
    )
    assert created.status_code == 201
    assert created.json()["data"]["slug"] == "kyiv"
    again = await client.post(
        "/v1/articles", json={"headline": "Київ", "language": "uk"}, headers=editor
    )
    assert again.json()["data"]["slug"].startswith("kyiv-")


async def test_a_tag_named_in_cyrillic_gets_a_slug_from_its_name(client, session):
    editor = {"Authorization": f"Bearer {make_key(session, 'content:write')}"}
    created = await client.post("/v1/tags", json={"name": "Харків"}, headers=editor)
    assert created.status_code == 201
    assert created.json()["data"]["slug"] == "kharkiv"
