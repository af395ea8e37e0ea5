"""`make bench-compare BEFORE=<rev>`: this tree against another commit, paired, on one machine.

`make bench` run once per tree compares two moments, and on a shared or virtual machine the
moments differ: the same bare route measured 4,500 req/s in one run and 2,400 in the next, which
is more than the change being judged. Here both trees serve at once, each from its own
gunicorn and database, and every round drives one route on one tree, then on the other (the
order flips each round), each right after the other, so both see the same machine. The report
is the median of the rounds, the change, and each tree's CPU time per request (its workers'
user + system time over the requests they served, which a neighbour's load disturbs less than
requests per second).

1. `git worktree add` of BEFORE into bench/.trees/<rev> (kept for the next run), with this
   tree's .venv, node_modules and static/vendor, so only the code differs.
2. Each tree seeds its own database through its own bench/run.py: SQLite (bench/bench.db in
   each tree) by default, or BENCH_DATABASE_URL with "_before" / "_after" appended to its
   database name (created when missing).
3. Each tree prepares its live state (signed-in customers, an order on its way) and starts
   gunicorn; then the rounds. Results go to bench/compare.json.

Options: --before REV (required), --routes a,b,… (default: the food pages and the baseline),
--rounds N (7), --duration SECONDS (3), --connections N (16), --workers N (CPUs).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import lua_get, wrk  # noqa: E402 - this tree's bench, put on the path just above

ROUTES = ["baseline", "warung_list", "menu_60", "menu_60_cart", "tracking_304"]

# Run inside each tree with that tree's bench/run.py: prepare, serve, describe, wait.
SERVE = """
import json, os, signal, sys, time
sys.path.insert(0, os.getcwd())
import bench.run as b
app = b.make_app()
print("seeding", b.database_url(), flush=True)
b.seed(app, False)
state = b.prepare(app)
server, url = b.start_gunicorn(int(os.environ["COMPARE_WORKERS"]))
cookie = state["sessions"][0][0]
common = {"Cookie": cookie, "Accept-Encoding": "br, gzip"}
described = {
    "url": url,
    "pid": server.pid,
    "routes": {
        "baseline": ["/bench/baseline", common],
        "warung_list": ["/warungs", common],
        "warung_list_anon": ["/warungs", {"Accept-Encoding": "br, gzip"}],
        "menu_60": ["/warungs/" + b.MENU_SLUG, common],
        "menu_60_cart": ["/warungs/" + b.MENU_SLUG, {**common, "Cookie": state["shopper"]}],
        "tracking_304": [
            "/orders/%d" % state["order_id"],
            {**common, "HX-Request": "true", "If-None-Match": state["etag"]},
        ],
    },
}
with open(os.environ["COMPARE_OUT"], "w") as fh:
    json.dump(described, fh)
def stop(*_):
    server.terminate()
    server.wait()
    sys.exit(0)
signal.signal(signal.SIGTERM, stop)
while True:
    time.sleep(1)
"""


def tree_of(rev: str) -> Path:
    sha = subprocess.run(["git", "rev-parse", "--short", rev], cwd=ROOT, capture_output=True, text=True, check=True)
    path = ROOT / "bench" / ".trees" / sha.stdout.strip()
    if not path.exists():
        subprocess.run(["git", "worktree", "add", "--detach", str(path), rev], cwd=ROOT, check=True)
        for shared in (".venv", "node_modules"):
            (path / shared).symlink_to(ROOT / shared)
    # The same pinned assets (templates hash them), whatever the old tree's Makefile copied.
    shutil.copytree(ROOT / "static" / "vendor", path / "static" / "vendor", dirs_exist_ok=True)
    subprocess.run([sys.executable, "scripts/translations.py", "compile"], cwd=path, check=True, capture_output=True)
    return path


def database_for(tree: Path, tag: str) -> str:
    url = os.environ.get("BENCH_DATABASE_URL")
    if not url:
        return f"sqlite:///{tree / 'bench' / 'bench.db'}"
    parts = urlsplit(url)
    name = parts.path.lstrip("/") + "_" + tag
    admin = urlunsplit(parts._replace(path="/postgres", scheme="postgresql"))
    with psycopg.connect(admin, autocommit=True) as connection:
        if connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None:
            connection.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(parts._replace(path="/" + name))


def serve(tree: Path, tag: str, workers: int, out: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "BENCH_DATABASE_URL": database_for(tree, tag),
        "COMPARE_WORKERS": str(workers),
        "COMPARE_OUT": str(out),
    }
    return subprocess.Popen([sys.executable, "-c", SERVE], cwd=tree, env=env)


def wait_for(out: Path, process: subprocess.Popen) -> dict:
    deadline = time.monotonic() + 900  # seeding 100,000 orders takes a minute or two
    while time.monotonic() < deadline:
        if out.exists() and out.stat().st_size:
            return json.loads(out.read_text())
        if process.poll() is not None:
            raise SystemExit(f"a tree's server stopped (exit {process.returncode})")
        time.sleep(1)
    raise SystemExit("a tree's server did not start")


def cpu_ticks(master: int) -> int:
    """User + system clock ticks of the gunicorn master's children (its workers)."""
    total = 0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == master:
            total += int(fields[11]) + int(fields[12])
    return total


def measure(server: dict, route: str, args) -> tuple[float, float]:
    path, headers = server["routes"][route]
    before = cpu_ticks(server["pid"])
    result = wrk(server["url"], path, lua_get(headers), duration=args.duration, connections=args.connections)
    used = (cpu_ticks(server["pid"]) - before) / os.sysconf("SC_CLK_TCK")
    return result["rps"], 1000 * used / max(result["requests"], 1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", required=True, help="the commit to compare this tree with")
    parser.add_argument("--routes", default=",".join(ROUTES))
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--duration", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=max(2, os.cpu_count() or 2))
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("bench-compare needs wrk (Debian/Ubuntu: apt-get install -y wrk)", file=sys.stderr)
        return 2
    routes = args.routes.split(",")
    trees = {"before": tree_of(args.before), "after": ROOT}
    scratch = Path(tempfile.mkdtemp(prefix="gancang-compare-"))
    processes, servers = {}, {}
    try:
        for tag, tree in trees.items():  # one at a time: seeding two databases at once is slower
            processes[tag] = serve(tree, tag, args.workers, scratch / f"{tag}.json")
            servers[tag] = wait_for(scratch / f"{tag}.json", processes[tag])
        for route in routes:  # warm every worker (imports, templates, pools)
            for server in servers.values():
                path, headers = server["routes"][route]
                wrk(server["url"], path, lua_get(headers), duration=1, connections=4)
        samples = {route: {tag: [] for tag in trees} for route in routes}
        for round_ in range(args.rounds):
            for route in routes:
                for tag in ("before", "after") if round_ % 2 == 0 else ("after", "before"):
                    samples[route][tag].append(measure(servers[tag], route, args))
            print(f"round {round_ + 1}/{args.rounds} done", flush=True)
    finally:
        for process in processes.values():
            process.send_signal(signal.SIGTERM)
        for process in processes.values():
            process.wait(timeout=60)
        shutil.rmtree(scratch, ignore_errors=True)

    report = {"before": args.before, "database": "postgresql" if os.environ.get("BENCH_DATABASE_URL") else "sqlite"}
    print(f"\n{'route':18} {'before':>9} {'after':>9} {'change':>7}   {'CPU ms before':>13} {'after':>6}")
    for route in routes:
        rps = {tag: statistics.median(r for r, _ in samples[route][tag]) for tag in trees}
        cpu = {tag: statistics.median(c for _, c in samples[route][tag]) for tag in trees}
        change = (rps["after"] - rps["before"]) / rps["before"]
        report[route] = {"rps": rps, "cpu_ms": cpu, "change": round(change, 3), "samples": samples[route]}
        print(
            f"{route:18} {rps['before']:9.1f} {rps['after']:9.1f} {change:+7.0%}"
            f"   {cpu['before']:13.2f} {cpu['after']:6.2f}"
        )
    (ROOT / "bench" / "compare.json").write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nmedian of {args.rounds} paired rounds; written to bench/compare.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
