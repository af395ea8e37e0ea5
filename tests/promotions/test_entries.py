"""A warung's part in a festival: opt in once, the office decides, every move on the timeline."""

from __future__ import annotations

from datetime import timedelta

import pytest

from portal.food.models import WarungStatus
from portal.promotions import services as promo
from portal.promotions.models import EntryStatus, FestivalEntry
from portal.workflow import IllegalMove
from tests.food.factories import WarungFactory
from tests.promotions.factories import NOON, FestivalFactory


def test_opting_in_twice_finds_the_one_entry_and_says_so(db, festival, warung, owner):
    entry = promo.opt_in(festival, warung, by=owner, now=NOON)
    assert entry.state == EntryStatus.APPLIED
    with pytest.raises(promo.PromotionError, match="already applied"):
        promo.opt_in(festival, warung, by=owner, now=NOON)
    db.session.commit()
    assert db.session.query(FestivalEntry).count() == 1
    assert [e.status for e in entry.events] == ["applied"]


def test_the_office_approves_and_the_timeline_says_who(db, festival, warung, owner, promoter):
    entry = promo.opt_in(festival, warung, by=owner, now=NOON)
    promo.approve_entry(entry, by=promoter, now=NOON)
    assert entry.state == EntryStatus.APPROVED
    assert [(e.status, e.by_id) for e in entry.events] == [("applied", owner.id), ("approved", promoter.id)]
    with pytest.raises(promo.PromotionError, match="already takes part"):
        promo.opt_in(festival, warung, by=owner, now=NOON)


def test_a_rejection_needs_a_reason_and_stands(db, festival, warung, owner, promoter):
    entry = promo.opt_in(festival, warung, by=owner, now=NOON)
    with pytest.raises(promo.PromotionError, match="Say why"):
        promo.reject_entry(entry, by=promoter, reason="  ")
    promo.reject_entry(entry, by=promoter, reason="Not a Banyuwangi dish", now=NOON)
    assert entry.events[-1].note == "Not a Banyuwangi dish"
    with pytest.raises(promo.PromotionError, match="did not approve"):
        promo.opt_in(festival, warung, by=owner, now=NOON)
    with pytest.raises(IllegalMove):
        promo.approve_entry(entry, by=promoter)


def test_a_withdrawn_warung_may_apply_again(db, festival, warung, owner, promoter):
    entry = promo.opt_in(festival, warung, by=owner, now=NOON)
    promo.approve_entry(entry, by=promoter, now=NOON)
    promo.withdraw(entry, by=owner, now=NOON)
    again = promo.opt_in(festival, warung, by=owner, now=NOON)
    assert again is entry and entry.state == EntryStatus.APPLIED
    assert [e.status for e in entry.events] == ["applied", "approved", "withdrawn", "applied"]


def test_an_ended_festival_or_an_unverified_warung_is_refused(db, owner):
    over = FestivalFactory(starts_at=NOON - timedelta(days=5), ends_at=NOON - timedelta(days=1))
    pending = WarungFactory(status=WarungStatus.PENDING)
    running = FestivalFactory()
    db.session.commit()
    warung = WarungFactory()
    with pytest.raises(promo.PromotionError, match="over"):
        promo.opt_in(over, warung, by=warung.owner, now=NOON)
    with pytest.raises(promo.PromotionError, match="verified"):
        promo.opt_in(running, pending, by=pending.owner, now=NOON)
