"""The metrics for monitoring (Prometheus text format, prometheus-client): one registry per process, served
at /metrics by the web app and the action server. Gauges read from Redis are refreshed when scraped."""
from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

REGISTRY = CollectorRegistry()
CONTENT_TYPE = CONTENT_TYPE_LATEST
# Seconds: a turn with the bot is one Rasa call (NLU, policies, the answer action); a decision is retrieval + rules.
_LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

BOT_REPLIES = Counter("chat_bot_replies", "Bot replies given to customers (web app), one per reply",
                      ["outcome", "reason", "lang"], registry=REGISTRY)
HANDOFFS = Counter("chat_handoffs", "Conversations handed over to the agents' queue (web app)", ["reason"],
                   registry=REGISTRY)
QUEUE_WAITING = Gauge("chat_queue_waiting", "Conversations waiting for an agent (all web apps; read from Redis)",
                      registry=REGISTRY)
LIVE_STREAMS = Gauge("chat_live_streams", "Customer live streams open in this web app process", registry=REGISTRY)
TURN_SECONDS = Histogram("chat_turn_seconds", "A customer's turn with the bot, as the web app serves it",
                         buckets=_LATENCY_BUCKETS, registry=REGISTRY)
DECISION_SECONDS = Histogram("chat_decision_seconds", "The answer decision on the action server",
                             buckets=_LATENCY_BUCKETS, registry=REGISTRY)
OUTBOX_PENDING = Gauge("chat_insights_outbox_pending", "Insights events waiting in Redis to be written to SQL",
                       registry=REGISTRY)
EVENTS_LOST = Gauge("chat_insights_events_lost", "Insights events refused because the outbox was full",
                    registry=REGISTRY)
RECORD_FAILURES = Counter("chat_insights_record_failures", "Insights events this process could not record "
                          "(Redis unreachable)", registry=REGISTRY)
EVENTS_WRITTEN = Counter("chat_insights_events_written", "Insights events this process wrote to the SQL store",
                         registry=REGISTRY)


def label(value: object, default: str = "none") -> str:
    return str(value) if value not in (None, "") else default


def exposition() -> bytes:
    return generate_latest(REGISTRY)
