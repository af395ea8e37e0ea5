"""`make run`: the portal on http://127.0.0.1:$PORT with everything it needs started beside it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def banner(port: str) -> None:
    sys.path.insert(0, str(ROOT))
    from portal.accounts.demo import DEMO_PASSWORD, DEMO_USERS

    print(f"\n  Gancang is running at http://127.0.0.1:{port}\n")
    print(f"  Demo accounts (password for all: {DEMO_PASSWORD}):")
    for email, _name, role in DEMO_USERS:
        print(f"    {email:<26} {role.value if role else 'customer'}")
    print("\n  Stop with Ctrl+C.\n", flush=True)


def main() -> int:
    port = os.environ.get("PORT", "5000")
    children: list[subprocess.Popen] = []
    env = dict(os.environ)
    try:
        for start in SIDECARS:
            child = start(env)
            if child is not None:
                children.append(child)
        banner(port)
        app = subprocess.Popen(
            [str(BIN / "flask"), "--app", "portal", "run", "--host", "127.0.0.1", "--port", port],
            cwd=ROOT,
            env=env,
        )
        children.append(app)
        return app.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        for child in reversed(children):
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
                try:
                    child.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    child.kill()


# Each sidecar takes the environment, may add to it (e.g. STRIPE_API_BASE), returns its process.
SIDECARS: list = []


def courier_sweep(env: dict) -> subprocess.Popen:
    """Couriers: run due dispatch retries and mark untaken jobs no_driver (cron's job in production)."""
    command = [str(BIN / "flask"), "--app", "portal", "couriers", "sweep", "--every", "15"]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)


SIDECARS.append(courier_sweep)

if __name__ == "__main__":
    sys.exit(main())
