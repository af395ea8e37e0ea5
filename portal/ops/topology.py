"""Production's shape on one machine: HAProxy in front of N gunicorn web nodes, M RQ workers and
the scheduler, all against one PostgreSQL and one Redis. `make prod-local` runs it in the
foreground; the multi-node tests drive it from Python:

    with Topology(database_url, redis_url, webs=2, workers=2) as topology:
        topology.client().get("/rides")   # checks the load balancer's self-signed certificate
        topology.kill_web(0)            # HAProxy routes around it
        topology.start_web(0)           # and takes it back once /healthz answers

Every process runs in its own process group (a gunicorn master with its workers, an RQ worker
with its work horse), so killing a "node" kills all of it, as losing a machine would. HAProxy
terminates TLS with a throwaway self-signed certificate: production's cookies are `Secure`, and
a client (httpx, Locust, a browser) only sends those back over https. The load balancer also
listens on plain http at `internal_url`, the private side localstripe's webhooks are sent to.

Imports nothing from portal: the processes it starts import the app, this module never does.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import shutil
import signal
import socket
import ssl
import string
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from ipaddress import IPv4Address
from pathlib import Path
from typing import IO

import httpx
from cryptography import x509
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from redis import Redis
from rq import Queue, Worker

ROOT = Path(__file__).resolve().parent.parent.parent
BIN = Path(sys.executable).parent
HAPROXY_TEMPLATE = ROOT / "deploy" / "haproxy.cfg"
GUNICORN_CONF = ROOT / "deploy" / "gunicorn.conf.py"
CHECK_INTERVAL = "500ms"  # HAProxy's health check period: a dead node is out within ~1 s


class TopologyError(RuntimeError):
    """A process did not come up; the message carries the end of its log."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def haproxy_binary() -> str:
    found = shutil.which("haproxy") or ("/usr/sbin/haproxy" if Path("/usr/sbin/haproxy").exists() else None)
    if found is None:
        raise TopologyError("HAProxy is not installed: run scripts/install-haproxy.sh")
    return found


def self_signed_pem(path: Path) -> None:
    """Key and certificate for 127.0.0.1/localhost in one PEM file, as HAProxy's `crt` wants."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "gancang-topology")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(IPv4Address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM) + key_pem)
    path.chmod(0o600)
    path.with_suffix(".crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))


class Topology:
    """HAProxy + `webs` gunicorn nodes + `workers` RQ workers + the scheduler.

    `env` is added to every process's environment over os.environ; anything production requires
    and neither gives (SECRET_KEY, DATA_KEY, PUBLIC_URL, Stripe) gets a throwaway local value,
    and a localstripe server is started unless STRIPE_API_BASE is given. `web_workers` and
    `threads` size each gunicorn node (deploy/gunicorn.conf.py explains the choice); `logs`
    None writes each process's output to `log_dir/<name>.log`, "inherit" prints it.
    """

    def __init__(
        self,
        database_url: str,
        redis_url: str,
        *,
        webs: int = 2,
        workers: int = 2,
        lb_port: int = 0,
        env: dict[str, str] | None = None,
        web_workers: int = 1,
        threads: int = 4,
        scheduler: bool = True,
        logs: str | None = None,
    ) -> None:
        self.database_url = database_url
        self.redis_url = redis_url
        self.webs = webs
        self.workers = workers
        self.scheduler = scheduler
        self.web_workers = web_workers
        self.threads = threads
        self.inherit_output = logs == "inherit"
        self.log_dir = Path(tempfile.mkdtemp(prefix="gancang-topology-"))
        self.lb_port = lb_port or free_port()
        self.internal_port = free_port()
        self.web_ports = [free_port() for _ in range(webs)]
        self.url = f"https://127.0.0.1:{self.lb_port}"
        self.internal_url = f"http://127.0.0.1:{self.internal_port}"
        self.web_urls = [f"http://127.0.0.1:{port}" for port in self.web_ports]
        self.procs: dict[str, subprocess.Popen] = {}
        self._killed: set[str] = {"localstripe"}  # not a failure when these are gone
        self._files: list[IO] = []
        self._extra_env = dict(env or {})
        self.env: dict[str, str] = {}

    # --- the whole -------------------------------------------------------------------------

    def start(self, timeout: float = 90) -> Topology:
        """Start every process; return once HAProxy's health check sees every web node up and
        every RQ worker has registered with Redis."""
        try:
            self.env = self._environment()
            self._write_haproxy_config()
            for i in range(self.webs):
                self.start_web(i, wait=False)
            for i in range(self.workers):
                self.start_worker(i, wait=False)
            if self.scheduler:
                self._spawn("scheduler", [str(BIN / "flask"), "--app", "portal", "jobs", "cron"])
            self._spawn("haproxy", [haproxy_binary(), "-f", str(self.log_dir / "haproxy.cfg"), "-db"])
            deadline = time.monotonic() + timeout
            self._wait(lambda: all(self.backend_status().get(f"web{i}") == "UP" for i in range(self.webs)), deadline)
            self._wait(lambda: self._registered_workers() >= self.workers, deadline)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self, timeout: float = 10) -> None:
        """SIGTERM every process group (HAProxy first, so no request reaches a stopping node),
        SIGKILL what is still there after `timeout`."""
        order = ["haproxy", *[n for n in self.procs if n.startswith("web")], "scheduler"]
        order += [n for n in self.procs if n not in order]
        for name in order:
            self._signal(name, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for name in order:
            proc = self.procs.get(name)
            if proc is None:
                continue
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self._signal(name, signal.SIGKILL)
                proc.wait(timeout=5)
        for file in self._files:
            file.close()
        self._files.clear()

    def __enter__(self) -> Topology:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    # --- nodes -----------------------------------------------------------------------------

    def start_web(self, i: int, *, wait: bool = True, timeout: float = 60) -> None:
        """(Re)start web node i on its own port; by default wait until HAProxy sends it traffic."""
        command = [
            str(BIN / "gunicorn"),
            "--config",
            str(GUNICORN_CONF),
            "--bind",
            f"127.0.0.1:{self.web_ports[i]}",
            "--workers",
            str(self.web_workers),
            "--threads",
            str(self.threads),
            "wsgi:app",
        ]
        self._spawn(f"web{i}", command, NODE_NAME=f"web{i}")
        if wait:
            # The node answers first; only then is HAProxy's "UP" news (before, it may be the
            # stale state of the node just killed, about to turn DOWN).
            deadline = time.monotonic() + timeout
            self._wait(lambda: self._answers(self.web_urls[i]), deadline)
            self._wait(lambda: self.backend_status().get(f"web{i}") == "UP", deadline)

    def kill_web(self, i: int, sig: int = signal.SIGKILL, *, wait: bool = False, timeout: float = 10) -> None:
        """Send `sig` to web node i's whole process group (master and workers). With `wait`,
        return once HAProxy has taken it out of the pool."""
        self._signal(f"web{i}", sig)
        if sig in (signal.SIGKILL, signal.SIGTERM, signal.SIGINT, signal.SIGQUIT):
            self.procs[f"web{i}"].wait(timeout=timeout)
            # The master is gone; its workers die a moment later, and until the last one has,
            # the port still accepts connections that nobody will answer.
            self._wait(lambda: not self._listening(self.web_ports[i]), time.monotonic() + timeout)
        if wait:
            self._wait(lambda: self.backend_status().get(f"web{i}", "").startswith("DOWN"), time.monotonic() + timeout)

    def start_worker(self, i: int, *, wait: bool = True, timeout: float = 60) -> None:
        before = self._registered_workers() if wait else 0
        self._spawn(f"worker{i}", [str(BIN / "flask"), "--app", "portal", "jobs", "worker"], NODE_NAME=f"worker{i}")
        if wait:
            self._wait(lambda: self._registered_workers() > before, time.monotonic() + timeout)

    def kill_worker(self, i: int, sig: int = signal.SIGKILL) -> None:
        """Send `sig` to RQ worker i's process group: the worker and the work horse running a job."""
        self._signal(f"worker{i}", sig)

    def backend_status(self) -> dict[str, str]:
        """HAProxy's view of each web node, from its stats socket: "UP", "DOWN", or on the way
        ("UP 1/2": one check failed, one more takes it out)."""
        socket_path = self.log_dir / "haproxy.sock"
        if not socket_path.exists():
            return {}
        try:
            with socket.socket(socket.AF_UNIX) as sock:
                sock.settimeout(2)
                sock.connect(str(socket_path))
                sock.sendall(b"show stat\n")
                data = b""
                while chunk := sock.recv(65536):
                    data += chunk
        except OSError:
            return {}
        lines = data.decode().splitlines()
        if not lines or not lines[0].startswith("# "):
            return {}
        header = lines[0][2:].split(",")
        status = {}
        for line in lines[1:]:
            row = dict(zip(header, line.split(","), strict=False))
            if row.get("pxname") == "web" and row.get("svname", "").startswith("web"):
                status[row["svname"]] = row.get("status", "")
        return status

    def ssl_context(self) -> ssl.SSLContext:
        """Trusts this topology's certificate (and only it), for clients of `url`."""
        return ssl.create_default_context(cafile=str(self.log_dir / "lb.crt"))

    def client(self, **kwargs) -> httpx.Client:
        """An httpx client of the load balancer that checks its certificate."""
        return httpx.Client(base_url=self.url, verify=self.ssl_context(), **kwargs)

    def log(self, name: str) -> str:
        path = self.log_dir / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    # --- inside ----------------------------------------------------------------------------

    def _environment(self) -> dict[str, str]:
        local = {
            "GANCANG_ENV": "production",
            "PUBLIC_URL": self.url,
            "PROXY_HOPS": "1",  # HAProxy's X-Forwarded-For
            "SECRET_KEY": secrets.token_urlsafe(48),
            "DATA_KEY": Fernet.generate_key().decode(),
            "STRIPE_SECRET_KEY": "sk_test_localstripe",
            "STRIPE_PUBLISHABLE_KEY": "pk_test_localstripe",
            "STRIPE_WEBHOOK_SECRET": "whsec_localstripe",
        }
        env = {**local, **os.environ, **self._extra_env}
        env.update(DATABASE_URL=self.database_url, REDIS_URL=self.redis_url)
        env["JOBS_MODE"] = "rq"
        if not env.get("STRIPE_API_BASE"):
            base = self._start_localstripe(env)
            env.update(STRIPE_API_BASE=base, STRIPE_JS_URL=f"{base}/js.stripe.com/v3/")
        return env

    def _start_localstripe(self, env: dict[str, str]) -> str:
        """The fake Stripe server, its webhooks sent through the load balancer's private side."""
        command = [
            str(BIN / "python"),
            str(ROOT / "scripts" / "localstripe_server.py"),
            "--port",
            "0",
            "--state",
            str(self.log_dir / "localstripe.pickle"),
        ]
        proc = subprocess.Popen(  # noqa: S603 - our own script, fixed arguments
            command, stdout=subprocess.PIPE, text=True, start_new_session=True, cwd=ROOT
        )
        self.procs["localstripe"] = proc
        line = proc.stdout.readline() if proc.stdout else ""
        if not line.startswith("listening on "):
            raise TopologyError(f"localstripe did not start: {line!r}")
        base = f"http://127.0.0.1:{line.split()[-1]}"
        httpx.post(
            f"{base}/_config/webhooks/gancang",
            data={"url": f"{self.internal_url}/webhooks/stripe", "secret": env["STRIPE_WEBHOOK_SECRET"]},
        ).raise_for_status()
        return base

    def _write_haproxy_config(self) -> None:
        pem = self.log_dir / "lb.pem"
        self_signed_pem(pem)
        servers = "\n".join(f"    server web{i} 127.0.0.1:{port}" for i, port in enumerate(self.web_ports))
        config = string.Template(HAPROXY_TEMPLATE.read_text()).safe_substitute(
            stats_socket=str(self.log_dir / "haproxy.sock"),
            bind=f"127.0.0.1:{self.lb_port} ssl crt {pem}\n    bind 127.0.0.1:{self.internal_port}",
            check_interval=CHECK_INTERVAL,
            servers=servers,
        )
        (self.log_dir / "haproxy.cfg").write_text(config)

    def _spawn(self, name: str, command: list[str], **extra_env: str) -> None:
        old = self.procs.get(name)
        if old is not None and old.poll() is None:
            raise TopologyError(f"{name} is still running")
        if self.inherit_output:
            out = None
        else:
            out = open(self.log_dir / f"{name}.log", "a")  # noqa: SIM115 - closed by stop()
            self._files.append(out)
        self._killed.discard(name)
        self.procs[name] = subprocess.Popen(  # noqa: S603 - commands built here from fixed parts
            command,
            cwd=ROOT,
            env={**self.env, **extra_env},
            stdout=out,
            stderr=subprocess.STDOUT if out else None,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: a kill takes the whole node
        )

    def _signal(self, name: str, sig: int) -> None:
        self._killed.add(name)
        proc = self.procs.get(name)
        if proc is None or proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)

    @staticmethod
    def _listening(port: int) -> bool:
        with socket.socket() as sock:
            sock.settimeout(1)
            return sock.connect_ex(("127.0.0.1", port)) == 0

    @staticmethod
    def _answers(url: str) -> bool:
        try:
            return httpx.get(f"{url}/healthz", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def _registered_workers(self) -> int:
        """RQ workers listening on this topology's queue, as Redis knows them."""
        with Redis.from_url(self.redis_url, socket_timeout=2) as connection:
            queue = Queue(self.env.get("JOBS_QUEUE") or "gancang", connection=connection)
            return len(Worker.all(queue=queue))

    def _wait(self, ready, deadline: float) -> None:
        while not ready():
            for name, proc in self.procs.items():
                if proc.poll() is not None and name not in self._killed:
                    raise TopologyError(f"{name} exited with {proc.returncode}:\n{self.log(name)[-3000:]}")
            if time.monotonic() > deadline:
                logs = "\n".join(f"--- {n}\n{self.log(n)[-1500:]}" for n in self.procs)
                raise TopologyError(f"the topology was not ready in time:\n{logs}")
            time.sleep(0.1)


# --- `make prod-local` ---------------------------------------------------------------------


def _local_keys() -> dict[str, str]:
    """SECRET_KEY and DATA_KEY for `make prod-local`, made once and kept in instance/, so the
    data written in one run (encrypted NIKs, sessions) is still readable in the next."""
    path = ROOT / "instance" / "prod-local.env"
    if not path.exists():
        path.parent.mkdir(exist_ok=True)
        path.write_text(f"SECRET_KEY={secrets.token_urlsafe(48)}\nDATA_KEY={Fernet.generate_key().decode()}\n")
        path.chmod(0o600)
    keys = dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)
    return {name: value for name, value in keys.items() if not os.environ.get(name)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="HAProxy + web nodes + RQ workers + scheduler, in the foreground.")
    parser.add_argument("--webs", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn processes per web node")
    parser.add_argument("--port", type=int, default=int(os.environ.get("LB_PORT", "8443")))
    args = parser.parse_args(argv)
    database_url, redis_url = os.environ.get("DATABASE_URL"), os.environ.get("REDIS_URL")
    if not database_url or not redis_url:
        print("make prod-local needs DATABASE_URL (PostgreSQL) and REDIS_URL", file=sys.stderr)
        return 2
    topology = Topology(
        database_url,
        redis_url,
        webs=args.webs,
        workers=args.workers,
        lb_port=args.port,
        web_workers=args.web_workers,
        env=_local_keys(),
        logs="inherit",
    )

    def _stop(signum, frame) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _stop)
    try:
        topology.start()
        print(f"\n  Gancang (production shape) at {topology.url}  (self-signed certificate)")
        for i, url in enumerate(topology.web_urls):
            print(f"    web{i}: {url}")
        print(f"  {args.workers} RQ workers, 1 scheduler; logs in {topology.log_dir}. Stop with Ctrl+C.\n", flush=True)
        while True:
            for name, proc in topology.procs.items():
                if proc.poll() is not None and name != "localstripe":
                    print(f"  {name} exited with {proc.returncode}; stopping", file=sys.stderr)
                    return 1
            time.sleep(1)
    except KeyboardInterrupt:
        return 0
    finally:
        topology.stop()


if __name__ == "__main__":
    sys.exit(main())
