"""What downloaded bytes are: a real JPEG, PNG, GIF, WebP or AVIF within the site's limits, or a refusal in words.

The bytes decide, never the name or the Content-Type: a server may call anything image/png. The format
is recognised by its signature, the size in pixels read from the header before anything is decoded (a
20,000 x 20,000 PNG is refused without allocating it), and only then is the image decoded, at a reduced
scale where the format allows, to find files that are cut short or corrupt. SVG is refused: it is a
document that can carry scripts and outside references, not a picture.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

# Formats by their names in RunRequest.images.formats, with the MIME type WordPress stores.
MIME_TYPES = {"jpeg": "image/jpeg", "png": "image/png", "gif": "image/gif", "webp": "image/webp",
              "avif": "image/avif"}
DEFAULT_FORMATS = ("jpeg", "png", "gif", "webp")
DEFAULT_MAX_BYTES = 10_000_000
DEFAULT_MAX_PIXELS = 25_000_000
_PIL_FORMATS = {"JPEG": "jpeg", "PNG": "png", "GIF": "gif", "WEBP": "webp", "AVIF": "avif"}
# Our limit (Limits.max_pixels) is applied to the header before anything is decoded; Pillow's own, which
# raises while opening, would only hide the size from the message. Nothing else in the worker uses Pillow.
Image.MAX_IMAGE_PIXELS = None


class ImageRefused(Exception):
    """The bytes are not an image the site takes; the message says why, in words."""


@dataclass(frozen=True)
class Limits:
    """What the site accepts (RunRequest.images)."""

    max_bytes: int = DEFAULT_MAX_BYTES
    max_pixels: int = DEFAULT_MAX_PIXELS
    formats: tuple[str, ...] = DEFAULT_FORMATS

    @classmethod
    def from_request(cls, images: dict | None) -> "Limits":
        images = images or {}
        return cls(max_bytes=images.get("max_bytes") or DEFAULT_MAX_BYTES,
                   max_pixels=images.get("max_pixels") or DEFAULT_MAX_PIXELS,
                   formats=tuple(images.get("formats") or DEFAULT_FORMATS))


@dataclass(frozen=True)
class CheckedImage:
    sha256: str
    mime_type: str
    width: int
    height: int


def sniff(body: bytes) -> str | None:
    """The format the leading bytes announce: jpeg, png, gif, webp, avif, svg, html, or None."""
    if body.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if body.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if body[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if body[:4] == b"RIFF" and body[8:12] == b"WEBP":
        return "webp"
    if body[4:8] == b"ftyp" and (body[8:12] in (b"avif", b"avis") or b"avif" in body[16:40]):
        return "avif"
    head = body[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith(b"<svg") or (head.startswith((b"<?xml", b"<!--", b"<!doctype svg")) and b"<svg" in body[:4096].lower()):
        return "svg"
    if head.startswith((b"<!doctype html", b"<html", b"<head", b"<body")) or b"<html" in head:
        return "html"
    return None


def check_image(body: bytes, limits: Limits) -> CheckedImage:
    """The image's format and size when the bytes are an image the site takes; ImageRefused otherwise."""
    if not body:
        raise ImageRefused("it is empty")
    if len(body) > limits.max_bytes:
        raise ImageRefused(f"it is {_megabytes(len(body))}, over the site's limit of {_megabytes(limits.max_bytes)}")
    kind = sniff(body)
    if kind == "svg":
        raise ImageRefused("it is an SVG drawing, which can carry scripts; only JPEG, PNG, GIF, WebP and AVIF "
                           "images are copied")
    if kind == "html":
        raise ImageRefused("it is an HTML page, not an image")
    if kind is None:
        raise ImageRefused("it is not a JPEG, PNG, GIF, WebP or AVIF image")
    if kind not in limits.formats:
        raise ImageRefused(f"it is a {kind.upper()} image, which the site's image editor cannot handle")
    try:
        with Image.open(io.BytesIO(body), formats=[k for k, v in _PIL_FORMATS.items() if v == kind]) as image:
            width, height = image.size
            if width < 1 or height < 1:
                raise ImageRefused("it has no pixels")
            if width * height > limits.max_pixels:
                raise ImageRefused(f"it is {width:,} x {height:,} pixels, over the site's limit of "
                                   f"{limits.max_pixels / 1_000_000:g} megapixels")
            if kind == "jpeg":
                # Decoding at an eighth of the size still reads every byte: a cut file still fails.
                image.draft("RGB", (max(1, width // 8), max(1, height // 8)))
            image.load()
    except ImageRefused:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ImageRefused(f"it is a damaged or incomplete {kind.upper()} file ({_reason(exc)})") from exc
    return CheckedImage(sha256=hashlib.sha256(body).hexdigest(), mime_type=MIME_TYPES[kind], width=width,
                        height=height)


def _reason(exc: Exception) -> str:
    text = str(exc).strip().rstrip(".")
    return text[:120] if text else type(exc).__name__


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:.2g} MB" if size < 1_000_000 else f"{size / 1_000_000:g} MB"
