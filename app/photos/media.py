"""Uploaded images: Pillow reads them (format, size) and refuses what is not an image or
would decode into too many pixels; renditions in a few widths are made once, at upload."""

import io
import shutil
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from app.config import get_settings
from app.errors import ValidationFailed

WIDTHS = (320, 640, 1024, 1600)
FORMATS = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"),
           "WEBP": ("image/webp", "webp"), "GIF": ("image/gif", "gif")}  # fmt: skip


@dataclass(frozen=True)
class Stored:
    mime_type: str
    width: int
    height: int
    original: str  # path under the media folder
    renditions: list[tuple[int, int, str]]  # (width, height, path)


def _open(data: bytes) -> Image.Image:
    Image.MAX_IMAGE_PIXELS = get_settings().max_image_pixels
    try:
        with warnings.catch_warnings():
            # Pillow only warns between the limit and twice it; both are refused here.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            image.verify()  # structure and checksums, without decoding the pixels
        image = Image.open(io.BytesIO(data))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ValidationFailed(
            "file", f"the image is larger than {get_settings().max_image_pixels} pixels"
        ) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ValidationFailed(
            "file", "not an image Byline can read (JPEG, PNG, WebP, GIF)"
        ) from None
    if image.format not in FORMATS:
        raise ValidationFailed(
            "file", f"{image.format} images are not accepted; send JPEG, PNG, WebP or GIF"
        )
    return image


def store(photo_id: str, data: bytes) -> Stored:
    """Check the upload, keep the original and write its renditions; returns what was made."""
    image = _open(data)
    mime, ext = FORMATS[image.format or ""]
    folder = get_settings().resolved_media_dir / photo_id
    folder.mkdir(parents=True, exist_ok=True)
    try:
        (folder / f"original.{ext}").write_bytes(data)
        try:
            upright = ImageOps.exif_transpose(image)
            upright.load()
        except (OSError, SyntaxError, ValueError):
            raise ValidationFailed("file", "the image data is damaged") from None
        renditions = []
        for width in WIDTHS:
            if width >= upright.width:
                break
            height = max(1, round(upright.height * width / upright.width))
            small = upright.resize((width, height), Image.Resampling.LANCZOS)
            name = _save_rendition(small, folder, width, image.format or "")
            renditions.append((width, height, f"{photo_id}/{name}"))
        return Stored(mime, upright.width, upright.height, f"{photo_id}/original.{ext}", renditions)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)  # a refused upload leaves no file behind
        raise


def _save_rendition(image: Image.Image, folder: Path, width: int, fmt: str) -> str:
    # Renditions carry no metadata (no camera or location data reaches readers).
    if fmt == "JPEG":
        name = f"{width}.jpg"
        image.convert("RGB").save(
            folder / name, "JPEG", quality=82, optimize=True, progressive=True
        )
    else:
        name = f"{width}.png"
        image.save(folder / name, "PNG", optimize=True)
    return name


def discard(photo_id: str) -> None:
    """Remove a photo's files (after its row is deleted)."""
    shutil.rmtree(get_settings().resolved_media_dir / photo_id, ignore_errors=True)
