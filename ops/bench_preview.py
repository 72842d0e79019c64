"""How long the editor's "Preview against the draft" takes on a small draft (issue 17: 47 s for a
3-article CSV), as the content worker runs it: the first preview of a changed draft builds its engine.

    python -m ops.bench_preview [--calibrate]

On a throwaway copy of six sample articles published as v1: the live engine is loaded first (the
worker keeps it), then a 3-article CSV is put in the draft workspace and one question previewed.
`--calibrate` measures the earlier way (the draft calibrated on its own) for comparison. Printed, not asserted.
"""
from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from redis import Redis

from knowledge.publishing.content_work import ContentWork
from knowledge.publishing.publish import proposed_engine, publish
from knowledge.publishing.workspace import DraftWorkspace
from knowledge.settings import SAMPLE_KB, KnowledgeSettings
from knowledge.store import make_client

THREE_ARTICLES_CSV = """id,title,lang,question,answer
lumen/gift-cards-en,Gift cards,en,can I pay with a gift card,"Gift cards pay for anything in our shop, online or in store."
lumen/esim-watch-en,eSIM on a smartwatch,en,does my esim work on a smartwatch,"Yes: an eSIM works on any watch with a mobile plan."
lumen/loyalty-en,Loyalty points,en,how do I use my loyalty points,"Loyalty points take 10 % off your next bill: turn them on under My account."
"""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calibrate", action="store_true", help="also time the draft calibrated on its own (before issue 17)")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-preview-") as folder:
        root = Path(folder)
        (root / "kb").mkdir()
        for file in sorted((SAMPLE_KB / "en").glob("*.md"))[:6]:
            shutil.copy(file, root / "kb" / file.name)
        settings = KnowledgeSettings(chroma_path=root / "chroma", chroma_host=None, editor_drafts_path=root / "drafts")
        client = make_client(settings)
        started = time.perf_counter()
        publish([root / "kb"], author="bench", settings=settings, client=client)
        print(f"v1 published (6 articles): {time.perf_counter() - started:.1f} s")
        workspace = DraftWorkspace.for_knowledge_base(settings)
        work = ContentWork(workspace, settings, client, Redis.from_url(args.redis_url))
        started = time.perf_counter()
        work.live_engine()
        print(f"live engine loaded (once per worker): {time.perf_counter() - started:.1f} s")
        workspace.save("three-articles.csv", THREE_ARTICLES_CSV.encode("utf-8"))
        started = time.perf_counter()
        result, _ = work.preview("can I pay with a gift card", None, True)
        print(f"first preview of a 3-article draft: {time.perf_counter() - started:.1f} s "
              f"({result.outcome} from {result.article})")
        started = time.perf_counter()
        work.preview("does my esim work on a smartwatch", None, True)
        print(f"next preview of the same draft: {time.perf_counter() - started:.2f} s")
        if args.calibrate:
            started = time.perf_counter()
            proposed_engine(workspace.paths(), settings, client, replace=False)
            print(f"the same draft calibrated on its own (before issue 17): {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
