"""Image checks and re-encoding with Pillow (blocking: callers run it in a worker thread).

An upload is an image when its *bytes* say so (JPEG, PNG, GIF, WebP), whatever its name.
Before any pixel is decoded the header's dimensions are checked against the pixel limit, so a
small file that would inflate to gigabytes (a decompression bomb) is refused cheaply. The stored
image is a re-encoding of the decoded pixels with the EXIF orientation applied: EXIF, GPS
position, XMP and comments are not carried over, so they cannot leak to other members.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

#: Longest side of a thumbnail, in pixels.
THUMBNAIL_SIZE = 320

#: format name -> (content type, save options) for the formats we accept.
FORMATS: dict[str, tuple[str, dict]] = {
    "JPEG": ("image/jpeg", {"quality": 90, "optimize": True}),
    "PNG": ("image/png", {"optimize": True}),
    "GIF": ("image/gif", {}),
    "WEBP": ("image/webp", {"quality": 90}),
}


#: Image info worth keeping: how to show the pixels, nothing about where or by whom they were made.
KEPT_INFO = ("icc_profile", "transparency", "duration", "loop", "background", "disposal", "blend")


class ImageRejected(ValueError):
    """The upload looks like an image but must not be stored; the message is for the user."""


@dataclass(frozen=True)
class ImageInfo:
    content_type: str
    width: int
    height: int
    size: int
    sha256: str


def sniff_format(head: bytes) -> str | None:
    """The image format the leading bytes announce, or None (then it is stored as a file)."""
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "GIF"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    return None


def _open(source: Path, expected: str, max_pixels: int) -> Image.Image:
    try:
        image = Image.open(source)  # reads the header only
    except Image.DecompressionBombError:  # Pillow's own, far higher limit
        raise ImageRejected(_too_large(max_pixels)) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ImageRejected("图片已损坏或格式不受支持") from None
    if image.format != expected:
        image.close()
        raise ImageRejected("图片内容与格式不符")
    frames = getattr(image, "n_frames", 1)
    # every frame of an animation is decoded, so they all count
    if image.width * image.height * frames > max_pixels:
        image.close()
        raise ImageRejected(_too_large(max_pixels))
    return image


def _too_large(max_pixels: int) -> str:
    return f"图片像素过多 (上限 {max_pixels // 1_000_000} 百万像素), 可能是恶意构造的压缩炸弹, 已拒绝"


def _kept_info(image: Image.Image) -> dict:
    return {key: image.info[key] for key in KEPT_INFO if key in image.info}


def _clean(image: Image.Image) -> Image.Image:
    """Pixels with the orientation applied; of the metadata only :data:`KEPT_INFO`."""
    upright = ImageOps.exif_transpose(image)
    upright.info = _kept_info(image)
    return upright


def _thumbnail(image: Image.Image, target: Path) -> None:
    thumb = image.copy()
    thumb.thumbnail((THUMBNAIL_SIZE, THUMBNAIL_SIZE))
    if thumb.mode in ("RGBA", "LA", "P", "PA"):
        # thumbnails are JPEG: put transparency on white rather than on black
        rgba = thumb.convert("RGBA")
        thumb = Image.new("RGB", rgba.size, (255, 255, 255))
        thumb.paste(rgba, mask=rgba.getchannel("A"))
    elif thumb.mode != "RGB":
        thumb = thumb.convert("RGB")
    thumb.save(target, "JPEG", quality=80, optimize=True)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def process_image(source: Path, fmt: str, target: Path, thumbnail: Path, *,
                  max_pixels: int) -> ImageInfo:
    """Check ``source``, write the clean image to ``target`` and its thumbnail (JPEG).

    Raises :class:`ImageRejected` for bombs and undecodable data; nothing is written then.
    """
    content_type, options = FORMATS[fmt]
    image = _open(source, fmt, max_pixels)
    try:
        animated = getattr(image, "n_frames", 1) > 1
        try:
            image.load()
            if animated:
                # GIF and WebP animations carry no EXIF orientation; keep every frame
                clean = image.copy()
                image.info = _kept_info(image)
                image.save(target, fmt, save_all=True, **options)
            else:
                clean = _clean(image)
                if fmt == "JPEG" and clean.mode not in ("RGB", "L", "CMYK"):
                    clean = clean.convert("RGB")
                # no exif= argument: Pillow then writes no EXIF block at all
                clean.save(target, fmt, **options, **clean.info)
            _thumbnail(clean, thumbnail)
        except (OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombError) as exc:
            target.unlink(missing_ok=True)
            thumbnail.unlink(missing_ok=True)
            if isinstance(exc, Image.DecompressionBombError):
                raise ImageRejected(_too_large(max_pixels)) from None
            raise ImageRejected("图片已损坏或格式不受支持") from None
        width, height = clean.size
    finally:
        image.close()
    return ImageInfo(content_type, width, height, target.stat().st_size, _sha256(target))
