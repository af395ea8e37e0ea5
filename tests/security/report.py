"""The security probe's counts (tests/security/probe.py) at the end of the run: "N routes walked,
… 5xx found". On xdist each worker hands its counts to the controller, which prints the sum."""

from __future__ import annotations

import pytest

from tests.security.probe import COUNTS


def pytest_sessionfinish(session: pytest.Session) -> None:
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None and COUNTS.requests:
        workeroutput["security_probe"] = {
            "routes": sorted(COUNTS.routes),
            "identities": sorted(COUNTS.identities),
            "requests": COUNTS.requests,
            "server_errors": COUNTS.server_errors,
        }


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error) -> None:
    counts = getattr(node, "workeroutput", {}).get("security_probe")
    if counts:
        COUNTS.routes.update(counts["routes"])
        COUNTS.identities.update(counts["identities"])
        COUNTS.requests += counts["requests"]
        COUNTS.server_errors.extend(counts["server_errors"])


def pytest_terminal_summary(terminalreporter) -> None:
    if COUNTS.requests:
        terminalreporter.write_line(COUNTS.summary())
        for line in COUNTS.server_errors[:20]:
            terminalreporter.write_line(f"  5xx: {line}")
