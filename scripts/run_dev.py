"""`make run`: the portal on http://127.0.0.1:$PORT with everything it needs started beside it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def banner(port: str) -> None:
    sys.path.insert(0, str(ROOT))
    from portal.accounts.demo import DEMO_PASSWORD, DEMO_USERS  # noqa: PLC0415 - importable once ROOT is on the path

    print(f"\n  Gancang is running at http://127.0.0.1:{port}\n")
    print(f"  Demo accounts (password for all: {DEMO_PASSWORD}):")
    for email, _name, role in DEMO_USERS:
        print(f"    {email:<26} {role.value if role else 'customer'}")
    print("\n  Stop with Ctrl+C.\n", flush=True)


def _stop(signum, frame) -> None:
    raise KeyboardInterrupt  # SIGTERM too runs the cleanup below, so no sidecar is orphaned


def main() -> int:
    signal.signal(signal.SIGTERM, _stop)
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


def localstripe(env: dict[str, str]) -> subprocess.Popen | None:
    """payments: the fake Stripe server on a free loopback port, its state in instance/, and
    its webhooks sent to this portal's /webhooks/stripe. Skipped when STRIPE_API_BASE is set."""
    if env.get("STRIPE_API_BASE"):
        return None
    (ROOT / "instance").mkdir(exist_ok=True)
    child = subprocess.Popen(
        [
            str(BIN / "python"),
            str(ROOT / "scripts" / "localstripe_server.py"),
            "--port",
            env.get("STRIPE_PORT", "0"),
            "--state",
            str(ROOT / "instance" / "localstripe.pickle"),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    line = child.stdout.readline() if child.stdout else ""
    if not line.startswith("listening on "):
        child.terminate()
        raise SystemExit(f"localstripe did not start: {line!r}")
    base = f"http://127.0.0.1:{line.split()[-1]}"
    secret = env.setdefault("STRIPE_WEBHOOK_SECRET", "whsec_localstripe")
    env.update(STRIPE_API_BASE=base, STRIPE_JS_URL=f"{base}/js.stripe.com/v3/")
    httpx.post(
        f"{base}/_config/webhooks/gancang",
        data={"url": f"http://127.0.0.1:{env.get('PORT', '5000')}/webhooks/stripe", "secret": secret},
    ).raise_for_status()
    print(f"  Fake Stripe (localstripe) at {base}; try a card payment at /payments/try", flush=True)
    return child


def periodic_jobs(env: dict[str, str]) -> subprocess.Popen | None:
    """The rides sweep (every minute), the couriers sweep (15 s) and the payments reconcile
    (every minute), run in one process beside the app; production's scheduler puts the same jobs
    on the queue (portal/ops/periodic.py). Each run shows on /admin."""
    return subprocess.Popen(
        [str(BIN / "flask"), "--app", "portal", "jobs", "cron", "--inline"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
    )


# Each sidecar takes the environment, may add to it (e.g. STRIPE_API_BASE), returns its process.
SIDECARS: list = [localstripe, periodic_jobs]

if __name__ == "__main__":
    sys.exit(main())
