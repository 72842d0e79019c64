"""An acknowledged customer turn is on the Redis replica: wait_for_replicas waits for the writes of every
connection of the client's pool, not only its own, and says so when no replica answers in time."""
from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from handoff.connection import connect, wait_for_replicas
from ops.stack import free_port

pytestmark = pytest.mark.anyio


def _redis_server(folder: Path, port: int, *extra: str) -> subprocess.Popen[bytes]:
    folder.mkdir()
    return subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", str(folder),
                             "--save", "", *extra], stdout=(folder / "redis.log").open("w"), stderr=subprocess.STDOUT)


@pytest.fixture
def primary_and_replica(tmp_path: Path) -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
    """(the primary's port, the replica's process), the replica in sync."""
    primary_port, replica_port = free_port(), free_port()
    processes = [_redis_server(tmp_path / "primary", primary_port),
                 _redis_server(tmp_path / "replica", replica_port, "--replicaof", "127.0.0.1", str(primary_port))]
    replica = redis.Redis(port=replica_port, decode_responses=True)
    for _ in range(200):
        try:
            if replica.info("replication").get("master_link_status") == "up":
                break
        except redis.ConnectionError:
            pass
        time.sleep(0.05)
    else:
        raise RuntimeError("the replica did not sync")
    yield primary_port, processes[1]
    for process in processes:
        process.kill()
        process.wait()


async def test_a_turn_is_acknowledged_once_the_replica_holds_its_writes(
        primary_and_replica: tuple[int, subprocess.Popen[bytes]]) -> None:
    primary_port, replica = primary_and_replica
    client = connect(f"redis://127.0.0.1:{primary_port}/0")
    other_connection = connect(f"redis://127.0.0.1:{primary_port}/0", single_connection=True)
    await other_connection.set("written", "1")
    assert await wait_for_replicas(client, 1, 1000)
    assert await wait_for_replicas(client, 0, 1)  # none asked for

    replica.send_signal(signal.SIGSTOP)  # connected, but it acknowledges nothing more
    try:
        await other_connection.set("written", "2")  # a write of the turn over another connection of the pool
        # A bare WAIT here would count the replica at once (this connection wrote nothing since it last acked).
        assert not await wait_for_replicas(client, 1, 300)
    finally:
        replica.send_signal(signal.SIGCONT)
    assert await wait_for_replicas(client, 1, 5000)
    await client.aclose()
    await other_connection.aclose()
