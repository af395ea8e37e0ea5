"""The NIK's day of birth: 01-31 for men, 41-71 for women (day + 40). The boundaries are where a
one-line mistake (`> 41`, `>= 40`, `<= 70`) hides."""

from __future__ import annotations

from datetime import date

import pytest

from portal.accounts.nik import InvalidNIK, parse

TODAY = date(2026, 12, 5)


def nik(day: int, month: int = 8, year: int = 90) -> str:
    return f"351001{day:02d}{month:02d}{year:02d}0001"


@pytest.mark.parametrize(
    ("day", "born", "female"),
    [
        (1, date(1990, 8, 1), False),
        (31, date(1990, 8, 31), False),
        (41, date(1990, 8, 1), True),
        (55, date(1990, 8, 15), True),
        (71, date(1990, 8, 31), True),
    ],
)
def test_day_of_birth_and_sex(day, born, female):
    parsed = parse(nik(day), today=TODAY)
    assert (parsed.birth_date, parsed.female) == (born, female)


@pytest.mark.parametrize("day", [0, 32, 40, 72, 99])
def test_days_outside_both_ranges_are_refused(day):
    with pytest.raises(InvalidNIK) as refused:
        parse(nik(day), today=TODAY)
    assert refused.value.reason == "birth_date"


def test_a_womans_day_is_checked_against_her_month():
    assert parse(nik(69, month=2, year=0), today=TODAY).birth_date == date(2000, 2, 29)  # leap year
    with pytest.raises(InvalidNIK):
        parse(nik(70, month=2, year=0), today=TODAY)  # 30 February
    with pytest.raises(InvalidNIK):
        parse(nik(71, month=4), today=TODAY)  # 31 April
