"""Uploaded images: Pillow reads them (format, size) and refuses what is not an image or
would decode into too many pixels; renditions in a few widths are made once, at upload.

The files go to the media store (`storage`: a local folder or an S3-compatible bucket).
Nothing kept there carries the source's metadata (EXIF with its GPS and
camera tags, XMP, IPTC, maker notes, comments, PNG text chunks): the original is written
again in its own format, its pixels turned upright as its EXIF orientation says and its
colour profile kept, and the renditions are made from those pixels. `metadata_in()` names
what a file still carries; `scrub()` rewrites the files an older version kept as uploaded."""

import io
import warnings
from collections.abc import Iterator
from dataclasses import dataclass

from PIL import Image, ImageOps, ImageSequence, JpegImagePlugin, UnidentifiedImageError

from app.config import get_settings
from app.errors import ValidationFailed
from app.photos.storage import get_store

WIDTHS = (320, 640, 1024, 1600)
FORMATS = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"),
           "WEBP": ("image/webp", "webp"), "GIF": ("image/gif", "gif")}  # fmt: skip

# What Pillow reads from a file that is about showing its pixels, not about who made them
# where: colour (the ICC profile is passed on by hand), density, transparency, animation
# timing, progressive/interlaced layout. Every other key (exif, xmp, photoshop (IPTC),
# comment, mp, the PNG text chunks, a GIF application extension) is metadata.
_DISPLAY_INFO = frozenset({
    "adobe", "adobe_transform", "aspect", "background", "bbox", "blend", "chromaticity",
    "default_image", "disposal", "dpi", "duration", "gamma", "icc_profile", "interlace",
    "jfif", "jfif_density", "jfif_unit", "jfif_version", "loop", "progression", "progressive",
    "srgb", "timestamp", "transparency", "version",
})  # fmt: skip
# JPEG segments that hold no metadata: JFIF, the ICC profile, Adobe's colour transform.
_DISPLAY_SEGMENTS = {"APP0": b"JFIF\x00", "APP2": b"ICC_PROFILE\x00", "APP14": b"Adobe"}
# What the other segments hold, by how they begin.
_SEGMENTS = {b"Exif\x00": "EXIF", b"http://ns.adobe.com/x": "XMP", b"Photoshop 3.0\x00": "IPTC",
             b"MPF\x00": "multi-picture data"}  # fmt: skip
# Byte patterns of metadata blocks, for what Pillow reads past (a second XMP packet, an XMP
# application extension in a GIF).
_SIGNATURES = {
    b"http://ns.adobe.com/xap/1.0/": "XMP",
    b"XMP DataXMP": "XMP",
    b"Photoshop 3.0\x00": "IPTC",
}
_NAMES = {"exif": "EXIF", "xmp": "XMP", "XML:com.adobe.xmp": "XMP", "photoshop": "IPTC",
          "comment": "comment", "mp": "multi-picture data"}  # fmt: skip
# The EXIF tags a reader would most want to know are gone, named in the scrub's report.
_EXIF_TAGS = {0x8825: "GPS", 0x010F: "Make", 0x0110: "Model", 0xA431: "BodySerialNumber",
              0x927C: "MakerNote", 0x0112: "Orientation"}  # fmt: skip


@dataclass(frozen=True)
class Stored:
    mime_type: str
    width: int
    height: int
    original: str  # path in the media store
    renditions: list[tuple[int, int, str]]  # (width, height, path)


@dataclass(frozen=True)
class Scrubbed:
    path: str  # in the media store
    found: list[str]  # the metadata it carried; empty: already clean
    error: str | None = None  # why it was left as it is


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
    # Every frame of an animation is decoded to be written again: they count together.
    frames = getattr(image, "n_frames", 1)
    if frames * image.width * image.height > get_settings().max_image_pixels:
        raise ValidationFailed(
            "file",
            f"the image's {frames} frames are larger than "
            f"{get_settings().max_image_pixels} pixels together",
        )
    return image


def store(photo_id: str, data: bytes) -> Stored:
    """Check the upload, keep it without its metadata and write its renditions."""
    image = _open(data)
    mime, ext = FORMATS[image.format or ""]
    try:
        frames = _upright_frames(image)
        original = _encode(image, frames, data)
    except (OSError, SyntaxError, ValueError):
        raise ValidationFailed("file", "the image data is damaged") from None
    upright = frames[0]
    files = {f"{photo_id}/original.{ext}": original}
    renditions = []
    for width in WIDTHS:
        if width >= upright.width:
            break
        height = max(1, round(upright.height * width / upright.width))
        small = upright.resize((width, height), Image.Resampling.LANCZOS)
        name, content = _rendition(small, width, image.format or "")
        files[f"{photo_id}/{name}"] = content
        renditions.append((width, height, f"{photo_id}/{name}"))
    store = get_store()
    try:
        for key, content in files.items():
            store.put(key, content)
    except BaseException:
        store.discard(photo_id)  # a refused upload leaves no file behind
        raise
    return Stored(mime, upright.width, upright.height, f"{photo_id}/original.{ext}", renditions)


def clean(data: bytes) -> bytes:
    """The image in `data` in its own format, upright, with its colour profile and no
    other metadata. Raises ValueError (or OSError) for what Pillow cannot read."""
    image = Image.open(io.BytesIO(data))
    if image.format not in FORMATS:
        raise ValueError(f"{image.format} is not a format Byline keeps")
    return _encode(image, _upright_frames(image), data)


def _upright_frames(image: Image.Image) -> list[Image.Image]:
    # Each frame decoded, turned as its EXIF orientation says, and left with display
    # information only: what the encoder would otherwise copy from `info` (a JPEG comment,
    # a PNG's ICC profile) is then only what is passed to it.
    frames = []
    for frame in ImageSequence.Iterator(image):
        upright = ImageOps.exif_transpose(frame)
        upright.load()
        upright.info = {k: v for k, v in frame.info.items() if k in _DISPLAY_INFO}
        frames.append(upright)
    return frames


def _encode(source: Image.Image, frames: list[Image.Image], data: bytes) -> bytes:
    fmt = source.format or ""
    first = frames[0]
    params: dict[str, object] = {}
    if icc := source.info.get("icc_profile"):
        params["icc_profile"] = icc
    if "dpi" in first.info:
        params["dpi"] = first.info["dpi"]
    if len(frames) > 1:
        params.update(
            save_all=True,
            append_images=frames[1:],
            duration=[f.info.get("duration", 0) for f in frames],
        )
        if "loop" in source.info:  # a GIF without it plays once
            params["loop"] = source.info["loop"]
    if fmt == "JPEG":
        # The source's own quantisation tables and chroma subsampling (Pillow's
        # quality="keep"): the pixels are quantised as they were, no coarser.
        qtables = getattr(source, "quantization", None)
        if qtables:
            params.update(qtables=qtables, subsampling=JpegImagePlugin.get_sampling(source))
        else:
            params["quality"] = 95
        params.update(optimize=True, progressive=bool(source.info.get("progressive")))
    elif fmt == "WEBP":
        # A lossless source stays lossless; a lossy one is encoded again at high quality.
        if b"VP8L" in data:
            params.update(lossless=True, exact=True)
        else:
            params["quality"] = 95
    out = io.BytesIO()
    first.save(out, fmt, **params)
    return out.getvalue()


def metadata_in(data: bytes) -> list[str]:
    """The metadata an image file carries beyond its pixels, colour profile and display
    information (EXIF and its GPS and camera tags, XMP, IPTC, comments, text chunks)."""
    image = Image.open(io.BytesIO(data))
    exif = image.getexif()
    tags = {**exif, **exif.get_ifd(0x8769)} if exif else {}  # base IFD and Exif sub-IFD
    named = [name for tag, name in _EXIF_TAGS.items() if tag in tags]
    found: list[str] = []

    def add(name: str) -> None:
        if name == "EXIF" and named:
            name = f"EXIF ({', '.join(named)})"
        if name not in found:
            found.append(name)

    if exif:
        add("EXIF")
    for frame in ImageSequence.Iterator(image):
        for key, value in frame.info.items():
            if key in _DISPLAY_INFO:
                continue
            if key == "extension" and value[0].startswith(b"NETSCAPE2.0"):
                continue  # a GIF's loop count
            add(_NAMES.get(key, f"text {key!r}" if image.format == "PNG" else key))
    for segment, content in getattr(image, "applist", []):
        if segment == "COM":
            add("comment")
        elif not content.startswith(_DISPLAY_SEGMENTS.get(segment, b"\xff")):
            what = (n for p, n in _SEGMENTS.items() if content.startswith(p))
            add(next(what, f"{segment} segment"))
    for signature, name in _SIGNATURES.items():
        if signature in data:
            add(name)
    return found


def scrub(*, dry_run: bool = False) -> Iterator[Scrubbed]:
    """Every image in the media store, rewritten without its metadata when it carries
    some (the upright pixels and colour profile kept); files already clean are not touched."""
    store = get_store()
    Image.MAX_IMAGE_PIXELS = get_settings().max_image_pixels
    extensions = tuple(f".{ext}" for _, ext in FORMATS.values())
    for name in store.names():
        if not name.endswith(extensions):
            continue
        data = store.get(name)
        if data is None:
            continue
        try:
            found = metadata_in(data)
            if found and not dry_run:
                store.put(name, clean(data))  # replaced whole: a reader never gets half
        except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
            yield Scrubbed(name, [], error=str(exc) or type(exc).__name__)
            continue
        yield Scrubbed(name, found)


def _rendition(image: Image.Image, width: int, fmt: str) -> tuple[str, bytes]:
    # The colour profile goes with the pixels it describes: not onto pixels converted to
    # another mode (a CMYK profile on RGB pixels would be wrong).
    out = io.BytesIO()
    if fmt == "JPEG":
        rgb = image.convert("RGB")
        icc = image.info.get("icc_profile") if image.mode == "RGB" else None
        rgb.save(
            out,
            "JPEG",
            quality=82,
            optimize=True,
            progressive=True,
            **({"icc_profile": icc} if icc else {}),
        )
        return f"{width}.jpg", out.getvalue()
    image.save(out, "PNG", optimize=True)
    return f"{width}.png", out.getvalue()


def discard(photo_id: str) -> None:
    """Remove a photo's files (after its row is deleted)."""
    get_store().discard(photo_id)
