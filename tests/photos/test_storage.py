"""The media store: photo URLs made when read, rows kept with URLs, and the S3 backend
against a local S3-compatible server (moto's)."""

import io

import pytest
from PIL import Image

from app.models import Photo
from app.photos.storage import stored_path
from tests.factories import make_key
from tests.servers import S3_CREDENTIALS, running_s3, s3_client

pytestmark = pytest.mark.anyio


def jpeg(size: tuple[int, int] = (800, 600)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (40, 90, 160)).save(out, "JPEG", quality=85)
    return out.getvalue()


@pytest.fixture
def editor(session) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_key(session, 'content:write')}"}


async def upload(client, editor) -> dict:
    response = await client.post(
        "/v1/photos", files={"file": ("a.jpg", jpeg(), "image/jpeg")}, headers=editor
    )
    assert response.status_code == 201, response.text
    return response.json()["data"]


async def test_an_uploaded_photo_keeps_paths_not_urls(session, editor, client):
    photo = await upload(client, editor)
    row = session.get(Photo, photo["id"])
    session.refresh(row)
    assert row.url == f"{photo['id']}/original.jpg"
    assert [r["url"] for r in row.renditions] == [
        f"{photo['id']}/320.jpg",
        f"{photo['id']}/640.jpg",
    ]
    assert photo["url"] == f"http://byline.test/media/{photo['id']}/original.jpg"


async def test_urls_follow_media_url_and_public_url_when_read(
    session, editor, settings_env, fresh_client
):
    photo = await upload(fresh_client(), editor)
    settings_env(PUBLIC_URL="https://api.example.com")
    read = (await fresh_client().get(f"/v1/photos/{photo['id']}")).json()["data"]
    assert read["url"] == f"https://api.example.com/media/{photo['id']}/original.jpg"
    settings_env(MEDIA_URL="https://cdn.example.com/byline/")
    read = (await fresh_client().get(f"/v1/photos/{photo['id']}")).json()["data"]
    assert read["url"] == f"https://cdn.example.com/byline/{photo['id']}/original.jpg"
    assert [r["url"] for r in read["renditions"]] == [
        f"https://cdn.example.com/byline/{photo['id']}/{w}.jpg" for w in (320, 640)
    ]


async def test_a_row_kept_with_the_uploaders_urls_is_read_at_todays(
    session, settings_env, fresh_client
):
    # What rows written before held: URLs frozen to the host that took the upload.
    session.add(
        Photo(
            id="pho_frozen",
            url="http://10.0.0.7:8000/media/pho_frozen/original.jpg",
            storage_key="pho_frozen",
            width=800,
            height=600,
            renditions=[
                {
                    "width": 320,
                    "height": 240,
                    "url": "http://10.0.0.7:8000/media/pho_frozen/320.jpg",
                }
            ],
        )
    )
    session.commit()
    settings_env(MEDIA_URL="https://cdn.example.com")
    read = (await fresh_client().get("/v1/photos/pho_frozen")).json()["data"]
    assert read["url"] == "https://cdn.example.com/pho_frozen/original.jpg"
    assert read["renditions"][0]["url"] == "https://cdn.example.com/pho_frozen/320.jpg"


def test_stored_path_of_a_path_and_of_a_url():
    assert stored_path("pho_a/original.png", "pho_a") == "pho_a/original.png"
    assert stored_path("https://h/x/media/pho_a/640.jpg", "pho_a") == "pho_a/640.jpg"
    assert stored_path("/media/pho_a/640.jpg", "pho_a") == "pho_a/640.jpg"


@pytest.fixture
def s3(settings_env, tmp_path):
    with running_s3() as endpoint:
        settings_env(
            MEDIA_BACKEND="s3",
            MEDIA_S3_BUCKET="byline-media",
            MEDIA_S3_ENDPOINT_URL=endpoint,
            MEDIA_S3_PREFIX="newsroom",
            DATA_DIR=tmp_path / "first-host",
            **S3_CREDENTIALS,
        )
        yield s3_client(endpoint)


def _names(client) -> list[str]:
    listed = client.list_objects_v2(Bucket="byline-media").get("Contents", [])
    return sorted(o["Key"] for o in listed)


async def test_s3_upload_is_kept_in_the_bucket_and_served_by_another_host(
    s3, session, editor, settings_env, fresh_client, tmp_path
):
    photo = await upload(fresh_client(), editor)
    pid = photo["id"]
    assert _names(s3) == [f"newsroom/{pid}/{n}" for n in ("320.jpg", "640.jpg", "original.jpg")]
    kept = s3.get_object(Bucket="byline-media", Key=f"newsroom/{pid}/original.jpg")
    assert kept["ContentType"] == "image/jpeg"
    assert not (tmp_path / "first-host" / "media").exists()  # nothing on this host's disk
    # Another host, with a working folder of its own, serves the same file.
    settings_env(DATA_DIR=tmp_path / "second-host")
    other = fresh_client()
    served = await other.get(f"/media/{pid}/original.jpg")
    assert served.status_code == 200
    assert served.headers["content-type"] == "image/jpeg"
    assert "immutable" in served.headers["cache-control"]
    assert Image.open(io.BytesIO(served.content)).size == (800, 600)
    head = await other.head(f"/media/{pid}/640.jpg")
    assert head.status_code == 200 and head.content == b""
    assert (await other.get(f"/media/{pid}/999.jpg")).status_code == 404
    assert (await other.get("/media/../etc/passwd")).status_code == 404


async def test_s3_delete_removes_the_files(s3, session, editor, fresh_client):
    client = fresh_client()
    photo = await upload(client, editor)
    etag = (await client.get(f"/v1/photos/{photo['id']}")).headers["etag"]
    deleted = await client.delete(f"/v1/photos/{photo['id']}", headers={**editor, "If-Match": etag})
    assert deleted.status_code == 204, deleted.text
    assert _names(s3) == []


def test_s3_scrub_rewrites_what_the_bucket_holds(s3):
    from app.photos.media import metadata_in, scrub
    from tests.photos.test_media import tagged_jpeg

    s3.put_object(Bucket="byline-media", Key="newsroom/pho_old/original.jpg", Body=tagged_jpeg())
    [report] = list(scrub())
    assert report.path == "pho_old/original.jpg" and "XMP" in report.found
    kept = s3.get_object(Bucket="byline-media", Key="newsroom/pho_old/original.jpg")
    assert metadata_in(kept["Body"].read()) == []
