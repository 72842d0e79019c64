"""The content worker: runs the content team's jobs (knowledge/publishing/jobs.py) from Redis.

    python -m knowledge.publishing.worker            # REDIS_URL, CHROMA_PATH, ... as the web app's
    python -m knowledge.publishing.worker --burst    # run what is queued, then exit

An rq SimpleWorker: jobs run in this process one after the other, so the embedding model and the
engines load once per worker, not once per job. On SIGTERM the running job finishes first (a
restart never cuts a publish in half); a second SIGTERM or Ctrl-C stops at once, the write lock
goes with the process and rq marks the job failed. Long jobs run one at a time whatever the
number of workers: a second worker keeps previews answering while a publish runs.
"""
from __future__ import annotations

import argparse
import logging
import os

from redis.exceptions import ConnectionError as RedisConnectionError
from rq import SimpleWorker
from rq.serializers import JSONSerializer

from knowledge.embeddings import make_embeddings
from knowledge.publishing.jobs import content_queue
from knowledge.redis_client import connect_sync
from knowledge.settings import KnowledgeSettings

log = logging.getLogger("knowledge.publishing.worker")


def warm_up(settings: KnowledgeSettings) -> None:
    """Load the embedding model now rather than on the first preview an editor waits for."""
    make_embeddings(settings).embed_query("warm-up")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m knowledge.publishing.worker", description=__doc__.splitlines()[0])
    parser.add_argument("--burst", action="store_true", help="run the jobs already queued, then exit")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    settings = KnowledgeSettings()
    redis = connect_sync(settings.redis_url)
    warm_up(settings)
    worker = SimpleWorker([content_queue(redis)], connection=redis, serializer=JSONSerializer)
    log.info("content worker %s: listening on Redis %s", worker.name, redis.connection_pool.connection_kwargs.get("host"))
    try:
        worker.work(burst=args.burst, with_scheduler=False)
    except RedisConnectionError as error:
        # Ctrl-C under make run stops Redis with everything else: the worker's last bookkeeping then
        # finds it gone. Stopping was asked for, so that is a clean stop; otherwise Redis was lost.
        if getattr(worker, "_stop_requested", False):
            log.info("content worker %s stopped (Redis already gone)", worker.name)
            return 0
        log.error("content worker %s: lost Redis (%s)", worker.name, error)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
