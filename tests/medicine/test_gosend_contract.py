"""A hospital's GoSend trained-driver contract reaches the courier job; GoSend still cannot check
the handover PIN, so the delivery goes to the local fleet's trained drivers either way."""

from __future__ import annotations

from portal.medicine import services as medicine
from tests.couriers.conftest import gosend, gosend_server  # noqa: F401 - the loopback GoSend
from tests.medicine.conftest import register


def ready(db, hospital, pharmacist):
    delivery = register(hospital, pharmacist)
    medicine.start_preparing(delivery, by=pharmacist)
    courier = medicine.mark_ready(delivery, by=pharmacist)
    db.session.commit()
    return courier


def test_the_contract_goes_with_the_job_and_the_pin_keeps_it_local(gosend, db, pharmacist, blambangan):  # noqa: F811
    blambangan.gosend_trained_contract = True
    db.session.commit()

    courier = ready(db, blambangan, pharmacist)

    requirements = courier.job.requirements
    assert requirements.contracted_providers == frozenset({"gosend"})
    assert requirements.medicine_trained and requirements.pin
    assert courier.provider == "local" and gosend.calls == []
    assert any("gosend does not take this job" in e.note for e in courier.events)


def test_without_the_contract_gosend_is_not_named(gosend, db, pharmacist, blambangan):  # noqa: F811
    courier = ready(db, blambangan, pharmacist)

    assert courier.job.requirements.contracted_providers == frozenset()
    assert courier.provider == "local" and gosend.calls == []
