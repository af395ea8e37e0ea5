"""Driver photos: re-encoded with Pillow so only pixels survive (no EXIF, no GPS, no payload)."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import IO

from flask import current_app
from PIL import Image, ImageOps, UnidentifiedImageError

ALLOWED_FORMATS = frozenset({"JPEG", "PNG", "WEBP"})
MAX_BYTES = 5 * 1024 * 1024
MAX_SIDE = 800
Image.MAX_IMAGE_PIXELS = 40_000_000  # refuse decompression bombs early


class BadPhoto(ValueError):
    pass


def photo_dir() -> Path:
    path = Path(current_app.config["COURIER_PHOTO_DIR"])
    path.mkdir(parents=True, exist_ok=True)
    return path


def save_photo(stream: IO[bytes]) -> str:
    """Check, re-encode as JPEG at most 800 px, store under a random name; return the name."""
    data = stream.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise BadPhoto("too large")
    from io import BytesIO

    try:
        with Image.open(BytesIO(data)) as probe:
            if probe.format not in ALLOWED_FORMATS:
                raise BadPhoto("format")
            probe.verify()
        with Image.open(BytesIO(data)) as image:
            image = ImageOps.exif_transpose(image)
            image = image.convert("RGB")
            image.thumbnail((MAX_SIDE, MAX_SIDE))
            name = f"{secrets.token_hex(16)}.jpg"
            image.save(photo_dir() / name, "JPEG", quality=85, optimize=True)
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise BadPhoto("unreadable") from exc
    return name


def photo_path(name: str) -> Path | None:
    if not name or "/" in name or "\\" in name or name.startswith("."):
        return None
    path = photo_dir() / name
    return path if path.is_file() else None
