"""GoSend and the medicine credential: a pickup's contract for trained GoSend drivers lets GoSend
take a medicine_trained job; a PIN handover it still cannot check, so those stay local."""

from __future__ import annotations

from dataclasses import replace

from portal.couriers.contract import Purpose
from portal.couriers.models import DeliveryStatus
from tests.couriers.factories import make_job, requested

S = DeliveryStatus
CONTRACT = frozenset({"gosend"})


def medicine_job(*, contract: frozenset[str] = frozenset(), pin: bool = False):
    job = make_job(Purpose.MEDICINE, medicine=True, pin=pin, reference="medicine-1")
    return replace(job, requirements=replace(job.requirements, contracted_providers=contract))


def test_gosend_takes_a_trained_job_where_the_pickup_has_a_contract(gosend, db, customer):
    delivery = requested(customer, medicine_job(contract=CONTRACT))

    assert delivery.provider == "gosend" and delivery.status == S.FINDING_DRIVER
    assert delivery.provider_ref in gosend.bookings
    # The contract is kept with the job: a re-dispatch reads it back from the database.
    assert delivery.job.requirements.contracted_providers == CONTRACT


def test_without_a_contract_the_trained_job_stays_with_the_local_fleet(gosend, db, customer):
    delivery = requested(customer, medicine_job(contract=frozenset({"grab"})))

    assert delivery.provider == "local" and gosend.calls == []
    assert any("gosend does not take this job" in e.note for e in delivery.events)


def test_a_contract_does_not_let_gosend_take_a_pin_handover(gosend, db, customer):
    """GoSend's API cannot check our PIN at the door: medicine (always PIN) stays local."""
    delivery = requested(customer, medicine_job(contract=CONTRACT, pin=True))

    assert delivery.provider == "local" and gosend.calls == []
