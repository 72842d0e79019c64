"""GET /metrics: the web app's metrics in Prometheus text format. With METRICS_TOKEN set it asks for that
token (Authorization: Bearer); unset, it answers this host only (loopback), as `make run` needs and
nothing else can read. Gauges kept in Redis are read when scraped."""
from __future__ import annotations

import hmac
import ipaddress

from fastapi import APIRouter, HTTPException, Request, Response

from handoff.insights import metrics
from handoff.insights.writer import lost_events, waiting_events
from handoff.web.dependencies import ClientAddress, RedisClient, Settings
from knowledge import redis_keys as keys

router = APIRouter(tags=["ops"])


def _loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


@router.get("/metrics", response_class=Response, include_in_schema=False)
async def prometheus_metrics(request: Request, redis: RedisClient, settings: Settings, address: ClientAddress) -> Response:
    if settings.metrics_token is None and not _loopback(address):
        raise HTTPException(403, "metrics are for this host only: set METRICS_TOKEN to scrape from elsewhere")
    if settings.metrics_token is not None:
        given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(given.encode(), settings.metrics_token.get_secret_value().encode()):
            raise HTTPException(401, "this needs the metrics token", headers={"WWW-Authenticate": "Bearer"})
    metrics.QUEUE_WAITING.set(await redis.zcard(keys.QUEUE))
    metrics.OUTBOX_PENDING.set(await waiting_events(redis))
    metrics.EVENTS_LOST.set(await lost_events(redis))
    metrics.LIVE_STREAMS.set(request.app.state.stream_limits.total())
    return Response(metrics.exposition(), media_type=metrics.CONTENT_TYPE)
