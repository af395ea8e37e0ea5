"""One real localstripe process per test session (per xdist worker), for every `app`.

It starts lazily, the first time a test asks for an app, on a free loopback port, with its
state file in a temp folder of its own (scripts/localstripe_server.py binds 127.0.0.1 and moves
the state away from localstripe's shared /tmp/localstripe.pickle). Tests need nothing extra
to pay: `app` gets STRIPE_API_BASE and friends from `localstripe.config`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
WEBHOOK_SECRET = "whsec_test_gancang"  # the test webhook secret


class LocalStripe:
    def __init__(self) -> None:
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        self.folder = tempfile.mkdtemp(prefix=f"localstripe-{worker}-")
        self.process = subprocess.Popen(
            [
                sys.executable,
                str(ROOT / "scripts" / "localstripe_server.py"),
                "--port",
                "0",
                "--from-scratch",
                "--state",
                os.path.join(self.folder, "localstripe.pickle"),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        line = self.process.stdout.readline() if self.process.stdout else ""
        if not line.startswith("listening on "):
            self.stop()
            raise RuntimeError(f"localstripe did not start: {line!r}")
        self.port = int(line.split()[-1])
        self.url = f"http://127.0.0.1:{self.port}"

    @property
    def config(self) -> dict[str, object]:
        return {
            "STRIPE_API_BASE": self.url,
            "STRIPE_JS_URL": f"{self.url}/js.stripe.com/v3/",
            "STRIPE_SECRET_KEY": "sk_test_gancang",
            "STRIPE_PUBLISHABLE_KEY": "pk_test_gancang",
            "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "STRIPE_TIMEOUT": 5.0,
        }

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
        shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture(scope="session")
def localstripe() -> Iterator[LocalStripe]:
    server = LocalStripe()
    yield server
    server.stop()
