"""The suite on several pytest-xdist workers (`make test` runs `pytest -n auto --dist loadfile`).

What each worker has of its own (the rest of tests/ is written for it):
- its database: a SQLite file under its own temp folder, or on PostgreSQL a fresh
  `gancang_test_<worker>_<random>` database beside TEST_DATABASE_URL's, dropped at the end
  (tests/conftest.py);
- its Redis keys on REDIS_URL's database: the rate limits, the page cache and the job queue are
  named after the worker's process (portal/config.py TestingConfig); a topology's RQ workers
  listen on a queue named for its test module;
- its loopback servers (localstripe, the maps fakes, GoSend, the SMS gateway, live servers,
  HAProxy and the web nodes), each on a port the system chose.

Tests marked `alone` have the machine to themselves: the multi-node topology (HAProxy, gunicorn
nodes, RQ workers), the races and load tests whose point is what happens under contention, where
another worker's load would turn a slow answer into a failure. Every test takes a shared lock on
a file of this run; a module of `alone` tests takes it exclusively from its first test's setup to
its last test's teardown (a topology lives that long, and production's Redis keys are the same
in every topology, so two must never run at once). A waiting `alone` module goes first: new
shared locks queue behind it at the gate. Meanwhile the other workers wait between two tests.

--dist loadfile keeps a module on one worker. (--dist loadgroup with xdist_group marks would
not: pytest 9.2's node ids no longer take xdist 3.8's group suffix, pytest-xdist issue #1386.)

Serially (`-n0`, or plain `pytest tests/<area>`) none of this applies.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import pytest

ALONE = "alone"


class Turns:
    """A readers-writer lock between the workers of one run, on two files: `gate` orders the
    comers (an `alone` module holds it while it waits and runs), `room` is shared by ordinary
    tests and exclusive to an `alone` module."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.gate: IO = open(folder / "gate.lock", "a")  # noqa: SIM115 - held for the session
        self.room: IO = open(folder / "room.lock", "a")  # noqa: SIM115 - held for the session
        self.alone = False

    @contextmanager
    def ordinary(self) -> Iterator[None]:
        fcntl.flock(self.gate, fcntl.LOCK_EX)
        try:
            fcntl.flock(self.room, fcntl.LOCK_SH)
        finally:
            fcntl.flock(self.gate, fcntl.LOCK_UN)
        try:
            yield
        finally:
            fcntl.flock(self.room, fcntl.LOCK_UN)

    def begin_alone(self) -> None:
        if not self.alone:
            fcntl.flock(self.gate, fcntl.LOCK_EX)
            fcntl.flock(self.room, fcntl.LOCK_EX)
            self.alone = True

    def end_alone(self) -> None:
        if self.alone:
            fcntl.flock(self.room, fcntl.LOCK_UN)
            fcntl.flock(self.gate, fcntl.LOCK_UN)
            self.alone = False

    def close(self) -> None:
        self.end_alone()
        self.gate.close()
        self.room.close()


_turns: Turns | None = None


def pytest_configure(config: pytest.Config) -> None:
    global _turns
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None and config.option.basetemp:
        # xdist gives each worker <the run's temp folder>/popen-gwN: the run's folder is theirs in common.
        _turns = Turns(Path(config.option.basetemp).parent / "turns")


def pytest_unconfigure(config: pytest.Config) -> None:
    global _turns
    if _turns is not None:
        _turns.close()
        _turns = None


def is_alone(item: pytest.Item | None) -> bool:
    return item is not None and item.get_closest_marker(ALONE) is not None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None):
    # Around setup, call and teardown. An xdist worker always knows its next test (it waits for
    # one before running the last it has), as the module-scoped fixtures' teardown needs too.
    if _turns is None:
        return (yield)
    if not is_alone(item):
        with _turns.ordinary():
            return (yield)
    _turns.begin_alone()
    try:
        return (yield)
    finally:
        if not is_alone(nextitem):
            _turns.end_alone()
