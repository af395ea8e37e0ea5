"""NIK (Nomor Induk Kependudukan): checked on input, encrypted at rest, unique by keyed hash.

Layout: 6 digits region (province, regency, district), 6 digits birth date DDMMYY with 40 added
to the day for women, 4 digits serial. The region says where the NIK was first issued, not
where the person lives now; residency is an admin's check against the KTP address.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from zoneinfo import ZoneInfo

from cryptography.fernet import Fernet, MultiFernet
from flask import current_app
from sqlalchemy import select

from portal.config import data_keys
from portal.extensions import db

# Province codes (Kemendagri); 35 is Jawa Timur, 3510 Kabupaten Banyuwangi.
PROVINCES = frozenset(
    {
        11,
        12,
        13,
        14,
        15,
        16,
        17,
        18,
        19,
        21,
        31,
        32,
        33,
        34,
        35,
        36,
        51,
        52,
        53,
        61,
        62,
        63,
        64,
        65,
        71,
        72,
        73,
        74,
        75,
        76,
        81,
        82,
        91,
        92,
        93,
        94,
        95,
        96,
        97,
    }
)
BANYUWANGI = "3510"
WIB = ZoneInfo("Asia/Jakarta")


class InvalidNIK(ValueError):
    """`reason` is a short machine word the form turns into a translated message."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class ParsedNIK:
    value: str
    region: str
    birth_date: date
    female: bool

    @property
    def issued_in_banyuwangi(self) -> bool:
        return self.region.startswith(BANYUWANGI)


def parse(raw: str, *, today: date | None = None) -> ParsedNIK:
    value = "".join((raw or "").split())
    if len(value) != 16 or not value.isdigit():
        raise InvalidNIK("length")
    if int(value[:2]) not in PROVINCES or value[2:4] == "00" or value[4:6] == "00":
        raise InvalidNIK("region")
    day, month, year2 = int(value[6:8]), int(value[8:10]), int(value[10:12])
    female = day > 40
    if female:
        day -= 40
    today = today or datetime.now(WIB).date()
    century = 2000 if 2000 + year2 <= today.year else 1900
    try:
        born = date(century + year2, month, day)
    except ValueError:
        raise InvalidNIK("birth_date") from None
    if value[12:] == "0000":
        raise InvalidNIK("serial")
    return ParsedNIK(value=value, region=value[:6], birth_date=born, female=female)


def mask(value: str) -> str:
    """3510…0001 with the middle hidden, for every screen that is not the owner's own."""
    return value[:4] + "*" * 8 + value[-4:] if len(value) == 16 else "****************"


@cache
def _fernet_for(data_key: str) -> MultiFernet:
    return MultiFernet([Fernet(key.encode()) for key in data_keys(data_key)])


def _fernet() -> MultiFernet:
    """Every key in DATA_KEY decrypts; the first one encrypts (so a rotation is just a new key
    put first, then `flask accounts rotate-data-key`)."""
    return _fernet_for(current_app.config["DATA_KEY"])


def encrypt(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    return _fernet().decrypt(token.encode()).decode()


def reencrypt(token: str) -> str:
    """The same value under the first key (a token already under it gets a fresh timestamp)."""
    return _fernet().rotate(token.encode()).decode()


def _hash_with(key: str, value: str) -> str:
    digest_key = hashlib.sha256(b"nik-lookup:" + key.encode()).digest()
    return hmac.new(digest_key, value.encode(), hashlib.sha256).hexdigest()


def lookup_hash(value: str) -> str:
    """Keyed hash: lets the database enforce one account per NIK without storing it in clear.
    Keyed by the first DATA_KEY; the rotation command recomputes stored hashes."""
    return _hash_with(data_keys(current_app.config["DATA_KEY"])[0], value)


def lookup_hashes(value: str) -> list[str]:
    """The hash under every DATA_KEY key, the current one first: a uniqueness check during a
    rotation finds rows the command has not reached yet."""
    return [_hash_with(key, value) for key in data_keys(current_app.config["DATA_KEY"])]


def encrypted_columns() -> list[tuple[type, str, str | None]]:
    """Every stored Fernet token, found by the naming rule every domain follows: a column
    `<x>_encrypted` holds `encrypt(value)`, and `<x>_hash`, if the model has one, `lookup_hash(value)`."""
    found = []
    for mapper in sorted(db.Model.registry.mappers, key=lambda m: m.class_.__name__):
        keys = {prop.key for prop in mapper.column_attrs}
        for key in sorted(keys):
            if key.endswith("_encrypted"):
                hash_key = key.removesuffix("_encrypted") + "_hash"
                found.append((mapper.class_, key, hash_key if hash_key in keys else None))
    return found


def rotate_stored(*, batch: int = 500) -> dict[str, int]:
    """Re-encrypt every stored token under the first DATA_KEY key and recompute its lookup hash;
    count per `table.column`. Flushes each batch; the caller commits (old keys still decrypt
    anything not yet reached, so a rotation may be interrupted and run again)."""
    counts: dict[str, int] = {}
    for model, token_key, hash_key in encrypted_columns():
        column = getattr(model, token_key)
        done = 0
        for row in db.session.scalars(select(model).where(column.is_not(None))).yield_per(batch):
            token = getattr(row, token_key)
            setattr(row, token_key, reencrypt(token))
            if hash_key is not None:
                setattr(row, hash_key, lookup_hash(decrypt(token)))
            done += 1
            if done % batch == 0:
                db.session.flush()
        db.session.flush()
        counts[f"{model.__tablename__}.{token_key}"] = done
    return counts
