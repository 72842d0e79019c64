"""Answer thresholds set from reviewed answers as a knowledge-base version, against a real Chroma: the engine
answers with them, the running service picks them up, a rollback restores the decisions before, a small
publish keeps them and a recalibrating one drops them; a moved base or a bad threshold changes nothing."""
from __future__ import annotations

import time
from dataclasses import replace

import pytest

from knowledge.answering.engine import KnowledgeEngine
from knowledge.answering.service import KnowledgeService, build_engine
from knowledge.index.versions import ANY_LANGUAGE, VersionKind, read_head
from knowledge.publishing.answer_thresholds import KnowledgeBaseMoved, apply_answer_thresholds
from knowledge.publishing.publish import publish, rollback, versions
from knowledge.settings import KnowledgeSettings
from tests.knowledge.helpers import PublishedKb

LIVE_WITHIN_S = 30.0
# Short questions about the six articles, some answered with little confidence, some declined as unsure.
PROBES = ["payment", "how do I pay", "delivery", "sim", "my bill is wrong", "esim phone", "my esim does not work",
          "phone broken", "login", "shipping", "card", "account", "warranty", "bill"]
NOTE = "thresholds from 40 reviewed answers"


def _decisions(engine: KnowledgeEngine) -> dict[str, tuple[str, str | None]]:
    return {q: (d.outcome.value, d.article) for q in PROBES for d in [engine.decide(q, "en")]}


def _declined_as_unsure(engine: KnowledgeEngine) -> tuple[str, float, str]:
    """A probe declined although its best match is an article that is no hand-over: (question, confidence, article)."""
    for question in PROBES:
        d = engine.decide(question, "en")
        best = d.sources[0].article if d.sources else None
        if d.outcome.value == "decline" and d.confidence and best and not engine.snapshot.articles[best].handoff:
            return question, d.confidence, best
    raise AssertionError("no probe is declined as unsure: the probes need updating")


def _least_confident_answer(engine: KnowledgeEngine) -> tuple[str, float]:
    answered = [(q, d.confidence) for q in PROBES for d in [engine.decide(q, "en")] if d.outcome.value == "answer"]
    return min(answered, key=lambda pair: pair[1] or 0.0)  # type: ignore[return-value]


def test_thresholds_applied_as_a_version_change_the_answers_and_a_rollback_restores_them(small_kb: PublishedKb) -> None:
    name = small_kb.settings.collection_name
    service = KnowledgeService(small_kb.settings)  # as the action server holds it
    v1 = build_engine(small_kb.client, small_kb.settings)
    v1_decisions = _decisions(v1)
    unsure, unsure_confidence, its_article = _declined_as_unsure(v1)
    weakest, weakest_confidence = _least_confident_answer(v1)
    assert unsure_confidence < v1.thresholds.answer_for("en") <= weakest_confidence

    lowered = apply_answer_thresholds({"en": unsure_confidence}, base=1, note=NOTE, author="edna", settings=small_kb.settings)
    assert lowered.version is not None and lowered.published
    assert (lowered.version.number, lowered.version.kind, lowered.version.author) == (2, VersionKind.THRESHOLDS, "edna")
    assert (lowered.version.note, lowered.version.answer_thresholds) == (NOTE, {"en": unsure_confidence})
    assert lowered.diff.is_empty and lowered.version.kb_version == versions(small_kb.settings)[1].kb_version
    v2 = build_engine(small_kb.client, small_kb.settings)
    assert v2.thresholds.answer_for("en") == unsure_confidence
    # Only the answer threshold moved: every other calibrated threshold is v1's.
    assert replace(v2.thresholds, answer_by_language={}) == v1.thresholds
    assert (v2.decide(unsure, "en").outcome.value, v2.decide(unsure, "en").article) == ("answer", its_article)
    started = time.monotonic()
    while service.decide(unsure, "en").outcome.value != "answer" and time.monotonic() - started < LIVE_WITHIN_S:
        time.sleep(0.1)
    print(f"\nthe running service answered with the new threshold {time.monotonic() - started:.1f}s after it was applied")
    assert service.decide(unsure, "en").article == its_article

    # One threshold for every language replaces the English one.
    raised = apply_answer_thresholds({ANY_LANGUAGE: weakest_confidence + 1e-6}, base=2, note=NOTE, settings=small_kb.settings)
    assert raised.version is not None and raised.version.answer_thresholds == {ANY_LANGUAGE: weakest_confidence + 1e-6}
    v3 = build_engine(small_kb.client, small_kb.settings)
    assert v3.decide(weakest, "en").outcome.value != "answer" and v3.decide(unsure, "en").outcome.value == "decline"

    back = rollback("v2", author="carol", settings=small_kb.settings)
    assert back.version is not None and (back.version.kind, back.version.note) == (VersionKind.ROLLBACK, "rollback to v2")
    assert back.version.answer_thresholds == {"en": unsure_confidence}
    assert _decisions(build_engine(small_kb.client, small_kb.settings)) == _decisions(v2)

    first = rollback("v1", author="carol", settings=small_kb.settings)
    assert first.version is not None and first.version.answer_thresholds == {}
    assert build_engine(small_kb.client, small_kb.settings).thresholds == v1.thresholds
    assert _decisions(build_engine(small_kb.client, small_kb.settings)) == v1_decisions
    started = time.monotonic()
    while service.decide(unsure, "en").outcome.value == "answer" and time.monotonic() - started < LIVE_WITHIN_S:
        time.sleep(0.1)
    assert service.decide(unsure, "en").outcome.value == "decline"
    assert [(v.number, v.kind) for v in versions(small_kb.settings)] == [
        (5, VersionKind.ROLLBACK), (4, VersionKind.ROLLBACK), (3, VersionKind.THRESHOLDS), (2, VersionKind.THRESHOLDS),
        (1, VersionKind.PUBLISH)]


def test_a_moved_base_or_a_bad_threshold_changes_nothing(small_kb: PublishedKb) -> None:
    with pytest.raises(KnowledgeBaseMoved, match="chosen against v7, but v1 is live"):
        apply_answer_thresholds({"en": 0.5}, base=7, note=NOTE, settings=small_kb.settings)
    for bad in ({"english": 0.5}, {"en": -0.1}, {"en": float("nan")}, {}):
        with pytest.raises(ValueError):
            apply_answer_thresholds(bad, base=1, note=NOTE, settings=small_kb.settings)
    assert [v.number for v in versions(small_kb.settings)] == [1]
    assert read_head(small_kb.client, small_kb.settings.collection_name).answer_thresholds == {}
    applied = apply_answer_thresholds({"en": 0.5}, base=1, note=NOTE, settings=small_kb.settings)
    again = apply_answer_thresholds({"en": 0.5}, base=2, note=NOTE, settings=small_kb.settings)
    assert applied.version is not None and again.version is None  # already what the live version sets
    assert [v.number for v in versions(small_kb.settings)] == [2, 1]


def test_a_small_publish_keeps_the_thresholds_and_a_recalibrating_one_drops_them(
    small_kb: PublishedKb, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RECALIBRATE_SHARE", "0.34")  # 2 of the 6 articles may change without recalibrating
    settings = KnowledgeSettings(chroma_path=small_kb.chroma)
    apply_answer_thresholds({"en": 0.6}, base=1, note=NOTE, settings=settings)
    payment = small_kb.folder / "failed-payment.md"
    payment.write_text(payment.read_text(encoding="utf-8") + "\nYou can also pay at the post office.\n", encoding="utf-8")
    small = publish([small_kb.folder], author="bob", confirm=True, settings=settings)
    assert small.version is not None and small.lineage is not None and small.lineage.inherited
    assert small.version.answer_thresholds == {"en": 0.6}
    assert build_engine(small_kb.client, small_kb.settings).thresholds.answer_for("en") == 0.6

    payment.write_text(payment.read_text(encoding="utf-8") + "\nOr at a Lumen shop.\n", encoding="utf-8")
    recalibrated = publish([small_kb.folder], author="bob", confirm=True, settings=settings, recalibrate=True)
    assert recalibrated.version is not None and recalibrated.lineage is not None and not recalibrated.lineage.inherited
    assert recalibrated.version.answer_thresholds == {}
    engine = build_engine(small_kb.client, small_kb.settings)
    assert engine.thresholds.answer_for("en") != 0.6
