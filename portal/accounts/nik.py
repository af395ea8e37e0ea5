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
from zoneinfo import ZoneInfo

from cryptography.fernet import Fernet
from flask import current_app

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


def _fernet() -> Fernet:
    return Fernet(current_app.config["DATA_KEY"].encode())


def encrypt(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    return _fernet().decrypt(token.encode()).decode()


def lookup_hash(value: str) -> str:
    """Keyed hash: lets the database enforce one account per NIK without storing it in clear."""
    key = hashlib.sha256(b"nik-lookup:" + current_app.config["DATA_KEY"].encode()).digest()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()
