"""python -m ops.cluster run [--base-port 9000]        the cluster until Ctrl-C (make run-cluster)
python -m ops.cluster failover [--customers 50 ...]    a fresh cluster, customers, a kill of each kind (make failover)"""
from __future__ import annotations

import argparse
import asyncio
import signal
import sys
import threading
from pathlib import Path

from knowledge.settings import REPO_ROOT
from ops.cluster.launch import Cluster, start_cluster

WORKDIR = REPO_ROOT / "var" / "cluster"


def _banner(cluster: Cluster) -> str:
    ports = cluster.ports
    return "\n".join([
        f"chat (through HAProxy)  {cluster.url}/demo",
        f"agent console           {cluster.url}/console   (accounts: python -m handoff add-agent, REDIS_URL={cluster.redis_url})",
        f"HAProxy's status page   http://127.0.0.1:{ports.stats}/",
        f"Redis primary           {cluster.redis_url} (via HAProxy; Sentinels on {ports.sentinel(0)}-{ports.sentinel(2)})",
        f"Chroma server           http://127.0.0.1:{ports.chroma}",
        f"logs                    {cluster.stack.workdir}/<process>.log",
        "Ctrl-C stops everything.",
    ])


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def run(base_port: int) -> int:
    print(f"== starting the cluster in {WORKDIR} (Rasa takes a minute or two to load its model)", flush=True)
    signal.signal(signal.SIGTERM, _interrupt)  # as Ctrl-C: the processes started so far are stopped
    try:
        cluster = start_cluster(WORKDIR, base_port)
    except KeyboardInterrupt:
        return 0
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    print(_banner(cluster), flush=True)
    try:
        while not stop.wait(2):
            for name, process in cluster.stack.processes.items():
                if process.returncode is None and process.poll() is not None:
                    print(f"!! {name} exited with {process.returncode} (its replica serves on; see {name}.log)",
                          flush=True)
    finally:
        print("== stopping", flush=True)
        cluster.stop()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ops.cluster", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run_parser = commands.add_parser("run", help="start the cluster and keep it until Ctrl-C")
    run_parser.add_argument("--base-port", type=int, default=9000)
    drill = commands.add_parser("failover", help="kill a web app, a Rasa, an action server, the Redis primary under load")
    drill.add_argument("--base-port", type=int, default=9050)
    drill.add_argument("--customers", type=int, default=50)
    drill.add_argument("--pause", type=float, default=5.0, help="seconds a customer takes between messages (on average)")
    drill.add_argument("--settle", type=float, default=15.0, help="seconds of chat before the first kill and between kills")
    args = parser.parse_args(argv)
    if args.command == "run":
        return run(args.base_port)
    from ops.cluster.failover import run_drill  # noqa: PLC0415 (the drill's client code only when asked for)
    workdir = Path(WORKDIR.parent / "failover")
    report = asyncio.run(run_drill(workdir, args.base_port, args.customers, args.pause, args.settle))
    print(report.table())
    return 0 if report.passed else 1


if __name__ == "__main__":
    sys.exit(main())
