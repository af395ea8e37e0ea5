"""Run localstripe (the fake Stripe server, a dev/test dependency) on 127.0.0.1 with its state
file where we say.

localstripe itself always listens on every interface (`::`) and keeps its state in
/tmp/localstripe.pickle, shared by everyone on the machine. This wrapper binds loopback only and
points the store at `--state` (instance/ for `make run`, a temp folder per test worker).
With `--port 0` it picks a free port; either way it prints `listening on PORT` once ready.

    python scripts/localstripe_server.py --port 8420 --state instance/localstripe.pickle
"""

from __future__ import annotations

import argparse
import logging
import pickle
import socket
import sys


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=8420)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--state", required=True, help="pickle file for localstripe's data")
    parser.add_argument("--from-scratch", action="store_true")
    args = parser.parse_args()

    # Imported once the arguments are read: `--help` and a bad argument need no localstripe.
    from aiohttp import web  # noqa: PLC0415
    from localstripe import resources, server  # noqa: PLC0415

    state = args.state

    def load(store) -> None:
        try:
            with open(state, "rb") as f:
                old = pickle.load(f)  # noqa: S301 - our own state file
        except (FileNotFoundError, EOFError):
            return
        store.clear()
        store.update(old)

    def dump(store) -> None:
        with open(state, "wb") as f:
            pickle.dump(store, f, protocol=pickle.HIGHEST_PROTOCOL)

    resources.Store.try_load_from_disk = load
    resources.Store.dump_to_disk = dump
    if not args.from_scratch:
        resources.store.try_load_from_disk()

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((args.host, args.port))
    port = sock.getsockname()[1]

    logging.basicConfig(level=logging.WARNING)

    async def announce(_app) -> None:
        print(f"listening on {port}", flush=True)

    server.app.on_startup.append(announce)
    web.run_app(server.app, sock=sock, print=None, access_log=None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
