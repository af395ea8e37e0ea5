from __future__ import annotations

from datetime import date

import pytest

from portal.accounts import nik
from portal.accounts.phone import InvalidPhone, to_e164
from portal.formatting import phone, tel


@pytest.mark.parametrize("raw", ["081234567890", "+6281234567890", "6281234567890", "0812 3456 7890", "0812-3456-7890"])
def test_phone_forms_become_e164(raw):
    assert to_e164(raw) == "+6281234567890"


@pytest.mark.parametrize("raw", ["", "12345", "0812", "+1 202", "abcdefghijk"])
def test_bad_phones_are_refused(raw):
    with pytest.raises(InvalidPhone):
        to_e164(raw)


def test_phone_display():
    """As Indonesians write numbers; `tel:` links keep the E.164 form that dials from anywhere."""
    assert phone("+6281234567890") == "0812-3456-7890"
    assert phone("+62333421118") == "(0333) 421118"
    assert phone("+14155552671") == "+1 415-555-2671"
    assert phone("not a number") == "not a number" and phone(None) == ""
    assert tel("+6281234567890") == tel("0812-3456-7890") == "+6281234567890"


def test_nik_parses_men_and_women():
    man = nik.parse("3510011708850001", today=date(2026, 11, 23))
    assert (man.birth_date, man.female, man.issued_in_banyuwangi) == (date(1985, 8, 17), False, True)
    woman = nik.parse("3510015708050002", today=date(2026, 11, 23))  # day 57 = 17 + 40
    assert (woman.birth_date, woman.female) == (date(2005, 8, 17), True)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("351001170885000", "length"),
        ("35100117088500011", "length"),
        ("35100117088500a1", "length"),
        ("9910011708850001", "region"),
        ("3500011708850001", "region"),
        ("3510013208850001", "birth_date"),  # day 32
        ("3510017208850001", "birth_date"),  # day 72 - 40 = 32
        ("3510011713850001", "birth_date"),  # month 13
        ("3510011708850000", "serial"),
    ],
)
def test_bad_niks_are_refused_with_a_reason(raw, reason):
    with pytest.raises(nik.InvalidNIK) as error:
        nik.parse(raw)
    assert error.value.reason == reason


def test_nik_outside_banyuwangi_is_valid_but_not_issued_here():
    assert not nik.parse("3578011708850001").issued_in_banyuwangi


def test_nik_mask_encrypt_and_lookup_hash(app):
    value = "3510011708850001"
    assert nik.mask(value) == "3510********0001"
    token = nik.encrypt(value)
    assert value not in token and nik.decrypt(token) == value
    assert nik.lookup_hash(value) == nik.lookup_hash(value) != nik.lookup_hash("3510011708850002")
