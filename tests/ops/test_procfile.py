"""The Procfile (for honcho, a PaaS or systemd) names the same processes as the topology, and
each command exists."""

from __future__ import annotations

from pathlib import Path

from honcho.environ import parse_procfile

ROOT = Path(__file__).resolve().parent.parent.parent


def test_the_procfile_runs_web_workers_and_the_scheduler(app):
    processes = parse_procfile((ROOT / "Procfile").read_text()).processes
    assert set(processes) == {"web", "worker", "scheduler"}
    assert "deploy/gunicorn.conf.py" in processes["web"] and "wsgi:app" in processes["web"]
    assert (ROOT / "deploy" / "gunicorn.conf.py").exists()
    jobs = app.cli.commands["jobs"].commands
    for name in ("worker", "scheduler"):
        group, command = processes[name].split()[-2:]
        assert group == "jobs" and command in jobs, processes[name]
