"""The failover drill's account of where a kill's seconds went (ops/cluster/timeline.py), on hand-written
attempts: failures grouped by cause between one kill and the next, the slowest conversation's attempts
in order, and the Redis probe's window without writes."""
from __future__ import annotations

from ops.cluster.customers import Customer, FailedAttempt, Turn
from ops.cluster.timeline import RedisProbe, failures_after, slowest_conversation

KILL = 100.0


def _customer(name: str, sent: float, answered: float, failures: list[FailedAttempt], last: float) -> Customer:
    customer = Customer(name * 8)
    customer.turns.append(Turn("1-0", "hello", 1, sent, answered, last))
    customer.failures.extend(failures)
    return customer


def test_failures_are_counted_by_cause_between_the_kill_and_the_next() -> None:
    slow = _customer("a", 99.5, 104.0, [FailedAttempt(99.5, 100.5, "503 redis"), FailedAttempt(101.5, 102.0, "503 redis"),
                                        FailedAttempt(130.0, 131.0, "ReadError")], 103.0)
    fast = _customer("b", 100.2, 100.9, [FailedAttempt(99.0, 99.9, "502")], 100.2)
    assert failures_after([slow, fast], KILL, 120.0) == "503 redis x2 (+0.5..+2.0 s)"
    assert failures_after([fast], KILL, 120.0) == "no failed attempt"  # its failure came before the kill


def test_the_slowest_conversation_is_told_attempt_by_attempt() -> None:
    slow = _customer("a", 99.5, 104.0, [FailedAttempt(99.5, 100.5, "503 redis")], 103.0)
    fast = _customer("b", 100.2, 100.9, [], 100.2)
    assert slowest_conversation([fast, slow], KILL) == (
        "aaaaaaaa waited 4.0 s: sent +-0.5 [+-0.5 -> 503 redis +0.5] [+3.0 -> answered +4.0]")


def test_the_probe_window_runs_from_the_first_failed_write_to_the_next_good_one() -> None:
    probe = RedisProbe(port=0, outcomes=[(99.9, True), (100.1, False), (100.2, False), (101.7, True), (130.0, False)])
    assert probe.unwritable(KILL, 120.0) == (100.1, 101.7)
    assert probe.unwritable(120.0, 125.0) is None
