"""Dish and warung photos: checked by content, re-encoded, resized, EXIF gone.

An upload is decoded by Pillow and must really be JPEG, PNG or WebP whatever its name says;
it is re-encoded as WebP (which drops EXIF, GPS position included) at two sizes. Files live in
UPLOAD_DIR under random names, so they can be cached for a year.
"""

from __future__ import annotations

import secrets
import warnings
from io import BytesIO
from pathlib import Path
from typing import IO

from flask import current_app
from flask_babel import lazy_gettext as _l
from PIL import Image, ImageOps

from portal.workflow import DomainError

ALLOWED_FORMATS = {"JPEG", "PNG", "WEBP"}
MAX_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000
# Three sizes: lists show 80 px thumbs (160 px covers 2x screens), the page header a medium one,
# and the full one is kept for a closer look. A menu's first visit stays small on a phone.
SIZES = {"full": (1200, 80), "medium": (480, 70), "thumb": (160, 55)}


class PhotoError(DomainError):
    """str(error) is a translated message for the user."""


def upload_dir() -> Path:
    folder = Path(current_app.config.get("UPLOAD_DIR") or Path(current_app.instance_path) / "uploads")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def file_name(key: str, size: str) -> str:
    return f"{key}-{size}.webp"


def save_photo(stream: IO[bytes]) -> str:
    """Validate and store an upload; returns its key (files <key>-full/-medium/-thumb.webp)."""
    data = stream.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise PhotoError(_l("The photo is too large: at most 5 MB."))
    if not data:
        raise PhotoError(_l("The photo file is empty."))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(BytesIO(data))
            if image.format not in ALLOWED_FORMATS:
                raise PhotoError(_l("Only JPEG, PNG or WebP photos are accepted."))
            if image.width * image.height > MAX_PIXELS:
                raise PhotoError(_l("The photo has too many pixels."))
            image.load()
    except PhotoError:
        raise
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PhotoError(_l("This file is not a photo we can read. Use a JPEG, PNG or WebP photo.")) from None
    return store_image(image)


def store_image(image: Image.Image) -> str:
    image = ImageOps.exif_transpose(image)
    image = image.convert("RGBA" if image.mode in ("RGBA", "LA", "P") else "RGB")
    if image.mode == "RGBA":
        background = Image.new("RGB", image.size, (255, 255, 255))
        background.paste(image, mask=image.getchannel("A"))
        image = background
    key = secrets.token_hex(12)
    folder = upload_dir()
    for size, (edge, quality) in SIZES.items():
        copy = image.copy()
        copy.thumbnail((edge, edge), Image.Resampling.LANCZOS)
        copy.save(folder / file_name(key, size), "WEBP", quality=quality, method=4)
    return key


def delete_photo(key: str | None) -> None:
    if not key:
        return
    for size in SIZES:
        (upload_dir() / file_name(key, size)).unlink(missing_ok=True)
