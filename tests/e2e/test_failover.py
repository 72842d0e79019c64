"""Failure of any one process is invisible to customers: ten customers chat through HAProxy, each with
its live stream open, while one web app, one Rasa server, one action server and then the Redis primary
are killed (SIGKILL), none brought back (ops/cluster/failover.py). `make failover` runs the same drill
with 50 customers and prints the gap each kill caused."""
from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from ops.cluster.failover import KILLS, Report, drive
from ops.cluster.launch import Cluster, start_cluster
from tests.e2e.conftest import HelpCentre

pytestmark = [pytest.mark.e2e, pytest.mark.cluster]

CUSTOMERS = 10
PAUSE_S = 3.0  # between a customer's messages, on average
SETTLE_S = 12.0  # of chat before the first kill and after each
BASE_PORT = 9050  # 9050-9099; `make run-cluster` uses 9000-9049


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory, help_centre: HelpCentre) -> Iterator[Cluster]:
    running = start_cluster(tmp_path_factory.mktemp("cluster"), BASE_PORT, chroma_seed=help_centre.chroma,
                            rate_limits=False)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def drill(cluster: Cluster) -> Report:
    report = asyncio.run(drive(cluster, CUSTOMERS, PAUSE_S, SETTLE_S))
    print(report.table())
    return report


def test_no_acknowledged_message_is_lost_and_no_reply_duplicated_and_every_stream_complete(drill: Report) -> None:
    assert drill.problems == []
    assert all(len(customer.turns) >= 5 for customer in drill.customers)  # they did chat throughout


def test_every_conversation_is_answered_again_after_each_kill(drill: Report) -> None:
    assert [kill.process.split(" (")[0] for kill in drill.kills] == list(KILLS)
    for kill in drill.kills:
        assert None not in drill.gaps(kill), kill.process


def test_the_redis_replica_took_over(cluster: Cluster, drill: Report) -> None:
    assert cluster.redis_primary() == "redis2"
