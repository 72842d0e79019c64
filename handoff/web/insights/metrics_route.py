"""GET /metrics: the web app's metrics in Prometheus text format. Open unless METRICS_TOKEN is set; then
it asks for that token (Authorization: Bearer). Gauges kept in Redis are read when scraped."""
from __future__ import annotations

import hmac

from fastapi import APIRouter, HTTPException, Request, Response

from handoff.insights import metrics
from handoff.insights.writer import lost_events, waiting_events
from handoff.web.dependencies import RedisClient, Settings
from knowledge import redis_keys as keys

router = APIRouter(tags=["ops"])


@router.get("/metrics", response_class=Response, include_in_schema=False)
async def prometheus_metrics(request: Request, redis: RedisClient, settings: Settings) -> Response:
    if settings.metrics_token is not None:
        given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(given.encode(), settings.metrics_token.get_secret_value().encode()):
            raise HTTPException(401, "this needs the metrics token", headers={"WWW-Authenticate": "Bearer"})
    metrics.QUEUE_WAITING.set(await redis.zcard(keys.QUEUE))
    metrics.OUTBOX_PENDING.set(await waiting_events(redis))
    metrics.EVENTS_LOST.set(await lost_events(redis))
    metrics.LIVE_STREAMS.set(request.app.state.stream_limits.total())
    return Response(metrics.exposition(), media_type=metrics.CONTENT_TYPE)
