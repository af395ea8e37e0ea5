"""The shared status machinery, and every domain's flow read through it."""

from __future__ import annotations

import pytest
from flask_babel import lazy_gettext as _l

from portal import create_app  # importing the app imports every domain's models
from portal.workflow import Status


class Parcel(Status):
    WAITING = "waiting", _l("Waiting")
    MOVING = "moving", _l("Moving")
    ARRIVED = "arrived", _l("Arrived")
    LOST = "lost"


Parcel.flow(
    {Parcel.WAITING: {Parcel.MOVING, Parcel.LOST}, Parcel.MOVING: {Parcel.ARRIVED}, Parcel.ARRIVED: (), Parcel.LOST: ()}
)


def test_a_status_is_its_value_and_carries_its_label():
    assert Parcel.MOVING == "moving"
    assert Parcel("arrived") is Parcel.ARRIVED
    assert Parcel.MOVING.label == "Moving"
    assert Parcel.LOST.label == "Lost"  # a label defaults to the value, readable


def test_final_means_no_way_out():
    assert Parcel.finals() == {Parcel.ARRIVED, Parcel.LOST}
    assert Parcel.active() == (Parcel.WAITING, Parcel.MOVING)
    assert Parcel.WAITING.can_become("moving")
    assert not Parcel.MOVING.can_become(Parcel.WAITING)
    assert Parcel.initial() is Parcel.WAITING


def test_a_flow_must_name_every_member():
    class Half(Status):
        A = "a"
        B = "b"

    with pytest.raises(TypeError, match="lacks"):
        Half.flow({Half.A: {Half.B}})


def domain_statuses() -> list[type[Status]]:

    create_app("testing")
    return [cls for cls in Status.__subclasses__() if cls.__module__.startswith("portal.")]


@pytest.mark.parametrize("statuses", domain_statuses(), ids=lambda cls: cls.__name__)
def test_every_domain_flow_is_sound(statuses: type[Status]):
    """Every member reachable from the first; every member labelled; nothing leaves a final state."""
    flow = statuses.transitions()
    seen, todo = {statuses.initial()}, [statuses.initial()]
    while todo:
        for nxt in flow[todo.pop()] - seen:
            seen.add(nxt)
            todo.append(nxt)
    assert seen == set(statuses), f"unreachable: {set(statuses) - seen}"
    assert statuses.finals(), "a flow with no end"
    for member in statuses:
        assert member.label
        assert all(isinstance(n, statuses) for n in flow[member])
