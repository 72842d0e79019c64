"""Publishing against a real Chroma: versions, dry runs, rollbacks, blocked publishes, live changes, bad input."""
from __future__ import annotations

import threading
import time

import pytest
from langchain_core.embeddings import Embeddings

from knowledge.index.archive import units_of
from knowledge.articles import load_folder, parse_article
from knowledge.publishing.checks import DuplicateKind
from knowledge.embeddings import make_embeddings
from knowledge.index.ingest import ingest, live_manifest
from knowledge.publishing.publish import PublishInProgress, publish, publish_lock, rollback, versions
from knowledge.answering.service import KnowledgeService, build_engine, load_lineage
from knowledge.index.snapshot import current_articles
from knowledge.index.versions import VersionKind, read_head
from knowledge.settings import KnowledgeSettings
from tests.knowledge.helpers import GIFT_CARDS_ID, GIFT_CARDS_MD, PublishedKb, cli
from tests.knowledge.pdf_files import text_pdf

PAYMENT = "lumen/failed-payment-en"
ESIM = "lumen/activate-sim-esim-en"
DELIVERY = "lumen/delivery-times-costs-en"


def _decisions(kb: PublishedKb, questions: list[str]) -> dict[str, tuple[str, str | None, float | None]]:
    engine = build_engine(kb.client, kb.settings)
    return {q: (d.outcome.value, d.article, d.confidence) for q in questions for d in [engine.decide(q, "en")]}


def test_a_dry_run_shows_the_diff_and_a_rollback_restores_what_the_bot_answered(small_kb: PublishedKb) -> None:
    v1_articles = current_articles(small_kb.client, small_kb.settings.collection_name, make_embeddings(small_kb.settings))
    probes = [q for a in v1_articles.values() for q in a.questions] + [
        "can I pay with a gift card", "my esim does not work", "what is the capital of peru",
    ]
    before = _decisions(small_kb, probes)
    assert before["activate esim"][:2] == ("answer", ESIM)

    payment = small_kb.folder / "failed-payment.md"
    payment.write_text(payment.read_text(encoding="utf-8") + "\nYou can also pay at the post office.\n", encoding="utf-8")
    (small_kb.folder / "activate-sim-esim.md").unlink()
    (small_kb.folder / "gift-cards.md").write_text(GIFT_CARDS_MD, encoding="utf-8")

    dry = publish([small_kb.folder], dry_run=True, settings=small_kb.settings)
    assert (dry.diff.added, dry.diff.changed, dry.diff.removed) == ([GIFT_CARDS_ID], [PAYMENT], [ESIM])
    assert dry.base == 1 and not dry.published
    assert [v.number for v in versions(small_kb.settings)] == [1]
    assert read_head(small_kb.client, small_kb.settings.collection_name).number == 1
    assert _decisions(small_kb, probes) == before  # nothing the bot does changed

    second = publish([small_kb.folder], author="bob", confirm=True, settings=small_kb.settings)
    assert second.version is not None and (second.version.number, second.version.author) == (2, "bob")
    assert (second.version.added, second.version.changed, second.version.removed) == ([GIFT_CARDS_ID], [PAYMENT], [ESIM])
    # Only the two new contents were embedded (each unit, and the article's own text); the dry run
    # had already embedded them, so the publish itself embedded nothing.
    new = [parse_article(GIFT_CARDS_MD), parse_article(payment.read_text(encoding="utf-8"))]
    assert dry.texts_embedded == sum(len(units_of(a)) + 1 for a in new)
    assert second.texts_embedded == 0
    after = _decisions(small_kb, probes)
    assert after["can I pay with a gift card"][:2] == ("answer", GIFT_CARDS_ID)
    assert after["activate esim"][1] != ESIM

    rolled = rollback("v1", author="carol", settings=small_kb.settings)
    assert rolled.version is not None
    assert (rolled.version.number, rolled.version.kind, rolled.version.note) == (3, VersionKind.ROLLBACK, "rollback to v1")
    assert (rolled.diff.added, rolled.diff.changed, rolled.diff.removed) == ([ESIM], [PAYMENT], [GIFT_CARDS_ID])
    assert rolled.texts_embedded == 0
    assert _decisions(small_kb, probes) == before  # outcome, article and confidence, for every probe
    assert live_manifest(small_kb.client, small_kb.settings.collection_name) == {
        a.id: a.content_hash for a in v1_articles.values()
    }
    listed = versions(small_kb.settings)
    assert [(v.number, v.author, v.kind) for v in listed] == [
        (3, "carol", VersionKind.ROLLBACK), (2, "bob", VersionKind.PUBLISH), (1, "alice", VersionKind.PUBLISH),
    ]
    assert listed[0].kb_version == listed[2].kb_version


def test_a_publish_that_breaks_question_variants_is_blocked_with_the_list_until_confirmed(small_kb: PublishedKb) -> None:
    delivery = (small_kb.folder / "delivery-times-costs.md").read_text(encoding="utf-8")
    (small_kb.folder / "shipping.md").write_text(
        delivery.replace(DELIVERY, "lumen/shipping-en").replace("Delivery times and costs", "Shipping"), encoding="utf-8"
    )
    blocked = publish([small_kb.folder], author="dave", settings=small_kb.settings)
    assert blocked.blocked and not blocked.published
    delivery_questions = set(parse_article(delivery).questions)
    broken = {r.question for r in blocked.regressions if r.article == DELIVERY}
    assert broken and broken <= delivery_questions
    assert all(r.answered_from in (None, "lumen/shipping-en", DELIVERY) for r in blocked.regressions if r.article == DELIVERY)
    assert {d.kind for d in blocked.duplicates} == {DuplicateKind.SAME_ANSWER, DuplicateKind.SHARED_QUESTION}
    assert [v.number for v in versions(small_kb.settings)] == [1]
    assert "lumen/shipping-en" not in live_manifest(small_kb.client, small_kb.settings.collection_name)

    done = cli("publish", str(small_kb.folder), "--dry-run", chroma=small_kb.chroma)
    assert done.returncode == 3, done.stderr[-2000:]
    assert f"regressions: {len(blocked.regressions)} question variants answered today would no longer be:" in done.stdout
    assert f'  {blocked.regressions[0]}' in done.stdout
    assert "dry run: nothing published" in done.stdout

    confirmed = publish([small_kb.folder], author="dave", confirm=True, settings=small_kb.settings)
    assert confirmed.version is not None and confirmed.version.number == 2
    assert confirmed.regressions == blocked.regressions


# A publish must reach a running service well within this; the delay itself (target: 5 s) is printed.
LIVE_WITHIN_S = 30.0


def test_a_published_change_is_answered_by_a_running_service_within_seconds(small_kb: PublishedKb) -> None:
    service = KnowledgeService(small_kb.settings)  # as the action server holds it
    assert service.decide("can I pay with a gift card", "en").article != GIFT_CARDS_ID
    (small_kb.folder / "gift-cards.md").write_text(GIFT_CARDS_MD, encoding="utf-8")

    done = cli("publish", str(small_kb.folder), "--author", "erin", "--confirm", chroma=small_kb.chroma)
    published_at = time.monotonic()
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "published v2 by erin" in done.stdout
    while True:
        decision = service.decide("can I pay with a gift card", "en")
        if decision.article == GIFT_CARDS_ID or time.monotonic() - published_at > LIVE_WITHIN_S:
            break
        time.sleep(0.1)
    print(f"\nthe service answered from the new version {time.monotonic() - published_at:.1f}s after the publish")
    assert (decision.outcome.value, decision.article) == ("answer", GIFT_CARDS_ID)

    listed = cli("versions", chroma=small_kb.chroma)
    lines = listed.stdout.splitlines()
    assert lines[0].startswith("v2\t") and "\terin\tpublish\tadded 1, changed 0, removed 0\t7 articles  <- live" in lines[0]
    assert lines[1].startswith("v1\t") and "\talice\tpublish\t" in lines[1]

    rolled = cli("rollback", "1", "--author", "erin", chroma=small_kb.chroma)
    assert rolled.returncode == 0 and "published v3 by erin (rollback to v1)" in rolled.stdout
    rolled_at = time.monotonic()
    while service.decide("can I pay with a gift card", "en").article == GIFT_CARDS_ID and time.monotonic() - rolled_at < LIVE_WITHIN_S:
        time.sleep(0.1)
    print(f"the service answered from the rolled-back version {time.monotonic() - rolled_at:.1f}s after the rollback")
    assert service.decide("can I pay with a gift card", "en").article != GIFT_CARDS_ID


FAQ = "id,question,answer,lang\nfaq/pay-bill,How do I pay my bill?,By card or direct debit.,en\n"
RETURNS_PDF = [["Returns and refunds", "You can return a phone within 14 days of delivery."]]
PAGE = "<html lang='en'><head><title>Store locator</title></head><body><p>Our shops open from 9am to 7pm.</p></body></html>"


def test_bad_input_is_reported_by_file_and_row_while_the_rest_publishes_and_nothing_published_is_lost(
    small_kb: PublishedKb,
) -> None:
    folder = small_kb.folder
    (folder / "faq.csv").write_text(FAQ, encoding="utf-8")
    (folder / "returns.pdf").write_bytes(text_pdf(RETURNS_PDF, title="Returns"))
    (folder / "stores.html").write_text(PAGE, encoding="utf-8")
    base = publish([folder], author="alice", confirm=True, settings=small_kb.settings)
    assert base.problems == [] and base.diff.added == ["faq/pay-bill", "returns", "stores"]
    published = dict(live_manifest(small_kb.client, small_kb.settings.collection_name))

    (folder / "returns.pdf").write_bytes(b"%PDF-1.7\n" + b"\x00garbage" * 50)  # unreadable
    (folder / "faq.csv").write_text(
        FAQ.replace("By card or direct debit.", "") + "faq/roaming,Can I use my phone abroad?,Yes in the EU.,en\n",
        encoding="utf-8",
    )  # row 2 lost its answer; row 3 is new
    (folder / "prices.csv").write_text("q,price\nx,1\n", encoding="utf-8")  # missing columns
    (folder / "empty.md").write_text("", encoding="utf-8")
    (folder / "stores.html").write_text(PAGE.replace("7pm", "8pm"), encoding="utf-8")
    (folder / "stores-copy.md").write_text('---\nid: stores\ntitle: "Shops"\nlang: en\n---\nOpen all day.\n', encoding="utf-8")
    payment = folder / "failed-payment.md"
    payment.write_text(payment.read_text(encoding="utf-8") + "\n" + "Very long. " * 10_000, encoding="utf-8")  # huge
    (folder / "gift-cards.md").write_text(GIFT_CARDS_MD, encoding="utf-8")

    result = publish([folder], author="bob", confirm=True, settings=small_kb.settings)
    problems = sorted(str(p).replace(f"{folder}/", "") for p in result.problems)
    assert [p.split(":")[0] for p in problems] == [
        "empty.md", "failed-payment.md", "faq.csv", "prices.csv", "returns.pdf", "stores-copy.md", "stores.html",
    ]
    assert problems[0] == "empty.md: is empty: write the article or delete the file"
    assert "its answer is 110," in problems[1] and "split it into several articles" in problems[1]
    assert problems[2] == "faq.csv: row 2: has no answer: write it in the 'answer' column"
    assert problems[3].startswith("prices.csv: row 1: missing columns 'question', 'answer'")
    assert problems[4].startswith("returns.pdf: cannot be read as a PDF")
    assert "id 'stores' is also used by" in problems[5] and "id 'stores' is also used by" in problems[6]

    assert result.published
    assert (result.diff.added, result.diff.changed, result.diff.removed) == (["faq/roaming", GIFT_CARDS_ID], [], [])
    assert result.kept == sorted(["faq/pay-bill", PAYMENT, "returns", "stores"])
    now = live_manifest(small_kb.client, small_kb.settings.collection_name)
    assert {k: now[k] for k in published} == published  # every published article exactly as it was
    engine = build_engine(small_kb.client, small_kb.settings)
    assert "7pm" in engine.snapshot.articles["stores"].body

    done = cli("check", str(folder), chroma=small_kb.chroma)
    assert done.returncode == 1
    assert "nothing to check" in done.stdout and f"{folder / 'returns.pdf'}: cannot be read as a PDF" in done.stdout


def _edit(kb: PublishedKb, file: str, line: str) -> None:
    path = kb.folder / file
    path.write_text(path.read_text(encoding="utf-8") + f"\n{line}\n", encoding="utf-8")


def test_a_small_change_keeps_the_calibrated_thresholds_until_enough_articles_changed(
    small_kb: PublishedKb, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RECALIBRATE_SHARE", "0.34")  # 2 of the 6 articles may change without recalibrating
    settings = KnowledgeSettings(chroma_path=small_kb.chroma)  # as the command line reads it
    name, embeddings = small_kb.settings.collection_name, make_embeddings(small_kb.settings)
    v1 = build_engine(small_kb.client, small_kb.settings)
    v1_version = read_head(small_kb.client, name).kb_version
    probes = [q for a in current_articles(small_kb.client, name, embeddings).values() for q in a.questions]

    _edit(small_kb, "failed-payment.md", "You can also pay at the post office.")
    second = publish([small_kb.folder], author="bob", confirm=True, settings=settings)
    assert second.lineage is not None and (second.lineage.calibrated_on, second.lineage.articles_changed) == (v1_version, 1)
    v2 = build_engine(small_kb.client, small_kb.settings)
    assert v2.thresholds == v1.thresholds
    v2_decisions = _decisions(small_kb, probes)

    _edit(small_kb, "activate-sim-esim.md", "eSIMs work on most phones sold since 2020.")
    third = publish([small_kb.folder], author="bob", confirm=True, settings=settings)
    assert third.lineage is not None and third.lineage.articles_changed == 2 and third.lineage.inherited

    _edit(small_kb, "delivery-times-costs.md", "Deliveries are free over 50 euros.")
    fourth = publish([small_kb.folder], author="bob", confirm=True, settings=settings)
    head = read_head(small_kb.client, name)
    # Three changes since the last calibration: this one recalibrated.
    assert fourth.lineage is not None and (fourth.lineage.calibrated_on, fourth.lineage.articles_changed) == (head.kb_version, 0)

    # A rollback brings the thresholds that version answered with, not recalibrated ones.
    rolled = rollback("v2", author="carol", settings=small_kb.settings)
    assert rolled.lineage == second.lineage
    assert build_engine(small_kb.client, small_kb.settings).thresholds == v1.thresholds
    assert _decisions(small_kb, probes) == v2_decisions

    # Asked to, a publish calibrates even a small change.
    _edit(small_kb, "failed-payment.md", "Or at a Lumen shop.")
    forced = publish([small_kb.folder], author="bob", confirm=True, settings=settings, recalibrate=True)
    assert forced.lineage is not None and not forced.lineage.inherited
    assert load_lineage(small_kb.client, small_kb.settings, read_head(small_kb.client, name).kb_version) == forced.lineage


def test_a_second_publish_while_one_runs_is_refused_with_a_clear_message_and_publishes_nothing(
    small_kb: PublishedKb,
) -> None:
    (small_kb.folder / "gift-cards.md").write_text(GIFT_CARDS_MD, encoding="utf-8")
    with publish_lock(small_kb.settings, who="erin"):  # as a publish in another process would hold it
        refused = cli("publish", str(small_kb.folder), "--author", "frank", chroma=small_kb.chroma)
        assert refused.returncode == 4, refused.stdout[-2000:] + refused.stderr[-2000:]
        assert "error: another publish or rollback is running by erin (process " in refused.stderr
        assert "nothing was published; try again when it has finished" in refused.stderr
        with pytest.raises(PublishInProgress, match="running by erin"):
            rollback("v1", author="frank", settings=small_kb.settings)
        dry = cli("publish", str(small_kb.folder), "--dry-run", chroma=small_kb.chroma)  # reads only: allowed
        assert dry.returncode == 0 and f"+ {GIFT_CARDS_ID}" in dry.stdout, dry.stdout[-2000:] + dry.stderr[-2000:]
    assert [v.number for v in versions(small_kb.settings)] == [1]
    done = cli("publish", str(small_kb.folder), "--author", "frank", chroma=small_kb.chroma)
    assert done.returncode == 0 and "published v2 by frank" in done.stdout, done.stdout[-2000:] + done.stderr[-2000:]


class _PausedModel(Embeddings):
    """The real model, holding the first batch of texts until let go: an ingest caught halfway."""

    def __init__(self, model: Embeddings) -> None:
        self.model, self.embedding, self.go_on = model, threading.Event(), threading.Event()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.embedding.set()
        assert self.go_on.wait(timeout=300), "the test never let the ingest go on"
        return self.model.embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        return self.model.embed_query(text)


def test_ingest_and_publish_exclude_each_other(small_kb: PublishedKb) -> None:
    name = small_kb.settings.collection_name
    (small_kb.folder / "gift-cards.md").write_text(GIFT_CARDS_MD, encoding="utf-8")
    articles = load_folder(small_kb.folder).articles
    with publish_lock(small_kb.settings, who="erin"):  # as a publish in another process holds it
        with pytest.raises(PublishInProgress, match="another publish or rollback is running by erin"):
            ingest(articles, small_kb.client, name, make_embeddings(small_kb.settings), show_progress=False)
    assert [v.number for v in versions(small_kb.settings)] == [1]

    model = _PausedModel(make_embeddings(small_kb.settings))
    reports = []
    ingesting = threading.Thread(target=lambda: reports.append(ingest(articles, small_kb.client, name, model, show_progress=False)))
    ingesting.start()
    try:
        assert model.embedding.wait(timeout=300), "the ingest never embedded the new article"
        with pytest.raises(PublishInProgress, match="another ingest is running by ingest"):
            publish([small_kb.folder], author="frank", settings=small_kb.settings)
        with pytest.raises(PublishInProgress, match="another ingest is running"):
            rollback("v1", author="frank", settings=small_kb.settings)
        refused = cli("publish", str(small_kb.folder), "--author", "frank", chroma=small_kb.chroma)
        assert refused.returncode == 4 and "nothing was published" in refused.stderr, refused.stdout + refused.stderr
    finally:
        model.go_on.set()
        ingesting.join(timeout=300)
    assert reports and reports[0].added == [GIFT_CARDS_ID] and reports[0].version is not None
    assert [(v.number, v.author, v.kind) for v in versions(small_kb.settings)][0] == (2, "ingest", VersionKind.INGEST)
    done = publish([small_kb.folder], author="frank", dry_run=True, settings=small_kb.settings)  # after it, all is free
    assert done.diff.is_empty
    rolled = rollback("v1", author="frank", settings=small_kb.settings)
    assert rolled.version is not None and rolled.version.number == 3

