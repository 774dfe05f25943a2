"""Uploaded photo files: served without camera, location or other metadata, upright, with
their colour profile; `byline media scrub` for files kept before; /media before any upload."""

import io
import os
import struct
import subprocess
from pathlib import Path

import pytest
from PIL import Image, ImageCms, PngImagePlugin

from app.photos.media import metadata_in
from tests.factories import make_key
from tests.servers import BYLINE

pytestmark = pytest.mark.anyio

ICC = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
XMP_NS = b"http://ns.adobe.com/xap/1.0/"
IPTC_MARKER = b"Photoshop 3.0\x00"
# What a camera and a picture desk write into a file, and what must not reach a reader.
SECRETS = (b"FrontlineCam", b"FC-9 Mark II", b"SN-4471902", b"Kharkiv", b"Jane Photographer")
RED, BLUE = (220, 20, 20), (20, 20, 220)


def _iptc_segment() -> bytes:
    # An APP13 segment: Photoshop 3.0, an 8BIM IPTC-NAA resource with city, country, by-line.
    def dataset(tag: int, value: bytes) -> bytes:
        return b"\x1c\x02" + bytes([tag]) + struct.pack(">H", len(value)) + value

    iim = dataset(90, b"Kharkiv") + dataset(101, b"Ukraine") + dataset(80, b"Jane Photographer")
    iim += b"\x00" * (len(iim) % 2)
    resource = b"8BIM" + struct.pack(">H", 0x0404) + b"\x00\x00" + struct.pack(">I", len(iim))
    body = IPTC_MARKER + resource + iim
    return b"\xff\xed" + struct.pack(">H", len(body) + 2) + body


def _camera_exif() -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "FrontlineCam"  # Make
    exif[0x0110] = "FC-9 Mark II"  # Model
    exif[0x0112] = 6  # Orientation: turn 90° clockwise to show
    exif.get_ifd(0x8769)[0xA431] = "SN-4471902"  # BodySerialNumber
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: (49.0, 59.0, 33.0), 3: "E", 4: (36.0, 13.0, 51.0)})
    return exif


def _xmp() -> bytes:
    return (
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf='
        b'"http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
        b'xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/" photoshop:City="Kharkiv"/>'
        b"</rdf:RDF></x:xmpmeta>"
    )


def tagged_jpeg() -> bytes:
    """A 1200x800 JPEG (left half red, right half blue) shown 800x1200 (Orientation 6), with
    GPS, camera make, model and serial, an XMP packet, an IPTC block and an sRGB profile."""
    image = Image.new("RGB", (1200, 800), BLUE)
    image.paste(RED, (0, 0, 600, 800))
    out = io.BytesIO()
    image.save(
        out, "JPEG", quality=90, exif=_camera_exif(), xmp=_xmp(), icc_profile=ICC,
        extra=_iptc_segment(), comment=b"Jane Photographer, Kharkiv",
    )  # fmt: skip
    data = out.getvalue()
    assert all(secret in data for secret in SECRETS) and XMP_NS in data and IPTC_MARKER in data
    return data


def assert_clean(data: bytes) -> Image.Image:
    """`data` carries none of the metadata, keeps the colour profile; returns the image."""
    for secret in (*SECRETS, XMP_NS, IPTC_MARKER):
        assert secret not in data, secret
    image = Image.open(io.BytesIO(data))
    exif = image.getexif()
    for tag in (0x8825, 0x010F, 0x0110, 0x0112):
        assert tag not in exif, hex(tag)
    assert exif.get_ifd(0x8825) == {}
    assert 0xA431 not in exif.get_ifd(0x8769)
    assert not {"exif", "xmp", "photoshop", "comment"} & set(image.info)
    assert image.info.get("icc_profile") == ICC
    assert metadata_in(data) == []
    return image


def assert_upright(image: Image.Image) -> None:
    # The source's left (red) half is the top once turned 90° clockwise.
    rgb = image.convert("RGB")
    top, bottom = (
        rgb.getpixel((rgb.width // 2, rgb.height // 8)),
        rgb.getpixel((rgb.width // 2, rgb.height * 7 // 8)),
    )
    assert top[0] > 150 > top[2] and bottom[2] > 150 > bottom[0], (top, bottom)


def local(url: str) -> str:
    return url.removeprefix("http://byline.test")


@pytest.fixture
def editor(session) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_key(session, 'content:write')}"}


async def upload(client, editor, name: str, data: bytes, mime: str) -> dict:
    response = await client.post(
        "/v1/photos", files={"file": (name, data, mime)}, data={"caption": "x"}, headers=editor
    )
    assert response.status_code == 201, response.text
    return response.json()["data"]


async def test_uploaded_jpeg_is_served_without_its_metadata(client, session, editor):
    photo = await upload(client, editor, "front.jpg", tagged_jpeg(), "image/jpeg")
    served = [(photo["width"], photo["height"], photo["url"])]
    served += [(r["width"], r["height"], r["url"]) for r in photo["renditions"]]
    assert [r["width"] for r in photo["renditions"]] == [320, 640]
    for width, height, url in served:
        response = await client.get(local(url))
        assert response.status_code == 200, url
        image = assert_clean(response.content)
        assert image.size == (width, height)
        assert_upright(image)


async def test_uploaded_photo_reports_its_size_upright(client, session, editor):
    photo = await upload(client, editor, "front.jpg", tagged_jpeg(), "image/jpeg")
    assert (photo["width"], photo["height"]) == (800, 1200)


async def test_uploaded_jpeg_keeps_its_quantisation(client, session, editor):
    photo = await upload(client, editor, "front.jpg", tagged_jpeg(), "image/jpeg")
    original = Image.open(io.BytesIO((await client.get(local(photo["url"]))).content))
    source = Image.open(io.BytesIO(tagged_jpeg()))
    assert original.quantization == source.quantization


def _png_with_text() -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Jane Photographer")
    info.add_itxt("XML:com.adobe.xmp", _xmp().decode())
    image = Image.new("RGB", (600, 400), BLUE)
    image.paste(RED, (0, 0, 300, 400))
    out = io.BytesIO()
    image.save(out, "PNG", pnginfo=info, exif=_camera_exif(), icc_profile=ICC)
    return out.getvalue()


def _webp(lossless: bool) -> bytes:
    image = Image.new("RGB", (600, 400), BLUE)
    image.paste(RED, (0, 0, 300, 400))
    out = io.BytesIO()
    image.save(out, "WEBP", exif=_camera_exif(), xmp=_xmp(), icc_profile=ICC, lossless=lossless)
    return out.getvalue()


@pytest.mark.parametrize(
    ("name", "data", "mime"),
    [
        ("a.png", _png_with_text(), "image/png"),
        ("a.webp", _webp(lossless=False), "image/webp"),
        ("a.webp", _webp(lossless=True), "image/webp"),
    ],
    ids=["png", "webp", "webp-lossless"],
)
async def test_png_and_webp_lose_their_metadata(client, session, editor, name, data, mime):
    assert b"Kharkiv" in data and b"FrontlineCam" in data
    photo = await upload(client, editor, name, data, mime)
    assert (photo["width"], photo["height"]) == (400, 600)
    for url in [photo["url"], *(r["url"] for r in photo["renditions"])]:
        image = assert_clean((await client.get(local(url))).content)
        assert_upright(image)


async def test_animated_gif_keeps_its_frames_and_loses_its_comment(client, session, editor):
    frames = [Image.new("RGB", (400, 300), (40 * i, 90, 20)) for i in range(3)]
    out = io.BytesIO()
    frames[0].save(
        out, "GIF", save_all=True, append_images=frames[1:], duration=[100, 200, 300],
        loop=0, comment=b"Jane Photographer, Kharkiv",
    )  # fmt: skip
    photo = await upload(client, editor, "a.gif", out.getvalue(), "image/gif")
    served = (await client.get(local(photo["url"]))).content
    assert b"Kharkiv" not in served
    image = Image.open(io.BytesIO(served))
    assert "comment" not in image.info and metadata_in(served) == []
    assert (image.n_frames, image.info["loop"]) == (3, 0)
    durations = []
    for index in range(3):
        image.seek(index)
        durations.append(image.info["duration"])
    assert durations == [100, 200, 300]


async def test_animation_too_large_in_all_its_frames_is_refused(
    client, session, editor, settings_env
):
    settings_env(MAX_IMAGE_PIXELS=250_000)  # one frame of 400x300 fits; three do not
    frames = [Image.new("RGB", (400, 300), (40 * i, 90, 20)) for i in range(3)]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:])
    response = await client.post(
        "/v1/photos", files={"file": ("a.gif", out.getvalue(), "image/gif")}, headers=editor
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "file"


async def test_media_before_any_upload_is_a_404_problem(
    session, editor, settings_env, fresh_client, tmp_path
):
    settings_env(DATA_DIR=tmp_path / "data")  # a new installation: no media folder yet
    client = fresh_client()
    missing = await client.get("/media/pho_none/original.jpg")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")
    assert missing.json()["status"] == 404
    # The first upload creates the folder; its files are then served.
    photo = await upload(client, editor, "front.jpg", tagged_jpeg(), "image/jpeg")
    assert (tmp_path / "data" / "media").is_dir()
    assert (await client.get(local(photo["url"]))).status_code == 200
    assert (await client.get("/media/pho_none/original.jpg")).status_code == 404


def scrub(media_dir: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*BYLINE, "media", "scrub", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "MEDIA_DIR": str(media_dir)},
    )


def _kept_before(media_dir: Path) -> tuple[Path, Path, bytes]:
    # What an older version stored: the upload byte for byte, beside a clean rendition.
    folder = media_dir / "pho_old"
    folder.mkdir(parents=True)
    original = folder / "original.jpg"
    original.write_bytes(tagged_jpeg())
    rendition = folder / "320.jpg"
    Image.new("RGB", (320, 480), RED).save(rendition, "JPEG", quality=82)
    return original, rendition, rendition.read_bytes()


def test_scrub_dry_run_reports_and_writes_nothing(tmp_path):
    original, _, _ = _kept_before(tmp_path)
    result = scrub(tmp_path, "--dry-run")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[0].startswith("pho_old/original.jpg: would remove EXIF (GPS, Make, Model, ")
    assert "IPTC" in lines[0] and "XMP" in lines[0]
    assert lines[-1] == "would scrub 1 of 2 files"
    assert original.read_bytes() == tagged_jpeg()


def test_scrub_rewrites_stored_originals_once(tmp_path):
    original, rendition, clean_bytes = _kept_before(tmp_path)
    first = scrub(tmp_path)
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip().splitlines()[-1] == "scrubbed 1 of 2 files"
    image = assert_clean(original.read_bytes())
    assert image.size == (800, 1200)
    assert_upright(image)
    assert rendition.read_bytes() == clean_bytes  # nothing to take out: left alone
    scrubbed = original.read_bytes()
    second = scrub(tmp_path)
    assert second.returncode == 0, second.stderr
    assert second.stdout.strip() == "scrubbed 0 of 2 files"
    assert original.read_bytes() == scrubbed
    assert sorted(p.name for p in original.parent.iterdir()) == ["320.jpg", "original.jpg"]


def test_scrub_names_a_file_it_cannot_read_and_fails(tmp_path):
    original, _, _ = _kept_before(tmp_path)
    (original.parent / "640.jpg").write_bytes(b"not an image")
    result = scrub(tmp_path)
    assert result.returncode == 1
    assert "pho_old/640.jpg: left as it is" in result.stderr
    assert metadata_in(original.read_bytes()) == []  # the others are still scrubbed
