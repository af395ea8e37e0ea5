"""Driver photos: re-encoded with Pillow so only pixels survive (no EXIF, no GPS, no payload)."""

from __future__ import annotations

import secrets
import warnings
from io import BytesIO
from pathlib import Path
from typing import IO

from flask import Response, current_app, send_file
from PIL import Image, ImageOps, UnidentifiedImageError

ALLOWED_FORMATS = frozenset({"JPEG", "PNG", "WEBP"})
MAX_BYTES = 5 * 1024 * 1024
MAX_SIDE = 800
MAX_PIXELS = 24_000_000  # a 24-megapixel phone photo; anything bigger is refused before decoding
Image.MAX_IMAGE_PIXELS = 40_000_000  # Pillow's own bomb limit (we stop earlier, at MAX_PIXELS)


class BadPhoto(ValueError):
    pass


class PhotoTooLarge(BadPhoto):
    """Too many pixels: a few kilobytes of PNG can decode to hundreds of megabytes."""


def photo_dir() -> Path:
    path = Path(current_app.config["COURIER_PHOTO_DIR"])
    path.mkdir(parents=True, exist_ok=True)
    return path


def save_photo(stream: IO[bytes]) -> str:
    """Check, re-encode as JPEG at most 800 px, store under a random name; return the name."""
    data = stream.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise BadPhoto("too large")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(BytesIO(data)) as probe:
                if probe.format not in ALLOWED_FORMATS:
                    raise BadPhoto("format")
                probe.verify()
                width, height = probe.size
            if width * height > MAX_PIXELS:
                raise PhotoTooLarge(f"{width}x{height}")
            with Image.open(BytesIO(data)) as image:
                if image.format == "JPEG":
                    image.draft("RGB", (MAX_SIDE, MAX_SIDE))  # decode at a reduced scale
                image = ImageOps.exif_transpose(image)
                image = image.convert("RGB")
                image.thumbnail((MAX_SIDE, MAX_SIDE))
                name = f"{secrets.token_hex(16)}.jpg"
                image.save(photo_dir() / name, "JPEG", quality=85, optimize=True)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise PhotoTooLarge(str(exc)) from exc
    except (UnidentifiedImageError, OSError) as exc:
        raise BadPhoto("unreadable") from exc
    return name


def photo_path(name: str) -> Path | None:
    if not name or "/" in name or "\\" in name or name.startswith("."):
        return None
    path = photo_dir() / name
    return path if path.is_file() else None


def delete_photo(name: str | None) -> None:
    """Remove a stored photo (replaced by a new application, or saved for one that failed)."""
    path = photo_path(name or "")
    if path is not None:
        path.unlink(missing_ok=True)


def send_photo(path: Path) -> Response:
    """A driver's face is personal data: kept in the viewer's browser only (a day; the random
    name changes with every new photo), never in a shared cache."""
    response = send_file(path, mimetype="image/jpeg", max_age=86_400)
    response.cache_control.private = True
    response.headers["Content-Security-Policy"] = "default-src 'none'"
    return response
