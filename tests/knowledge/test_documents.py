"""Articles without question variants (plain documents) are matched on their text."""
from __future__ import annotations

import json
from pathlib import Path

from knowledge.answering.reviewed import is_held_out
from knowledge.evaluation.evaluate import build_throwaway_engine
from knowledge.settings import KnowledgeSettings

DOCUMENTS = {
    "tour.md": ("doc/tour", "Tour Eiffel", "La tour Eiffel est une tour de fer puddlé de trois cent trente mètres située à "
                "Paris. Construite par Gustave Eiffel pour l'Exposition universelle de 1889, elle est devenue le symbole "
                "de la capitale française."),
    "loire.md": ("doc/loire", "Loire", "La Loire est le plus long fleuve coulant entièrement en France. Elle prend sa "
                 "source au mont Gerbier de Jonc et se jette dans l'océan Atlantique près de Saint-Nazaire après un "
                 "parcours de mille kilomètres."),
}


def _write_documents(tmp_path: Path) -> Path:
    kb = tmp_path / "kb"
    kb.mkdir(parents=True)
    for name, (article_id, title, body) in DOCUMENTS.items():
        (kb / name).write_text(f'---\nid: {article_id}\ntitle: "{title}"\nlang: fr\n---\n{body}\n', encoding="utf-8")
    return kb


def test_a_question_about_a_document_is_answered_from_it(tmp_path: Path) -> None:
    engine = build_throwaway_engine(_write_documents(tmp_path), KnowledgeSettings(), tmp_path)
    assert engine.thresholds.passage_weights is None  # no reviewed question: the views are summed
    assert engine.thresholds.passage_answer < 1e9  # calibrated from the documents' own sentences
    decision = engine.decide("Où la Loire prend-elle sa source ?")
    assert (decision.outcome.value, decision.article) == ("answer", "doc/loire")


def test_reviewed_questions_about_documents_weigh_the_views_and_set_the_threshold(tmp_path: Path) -> None:
    """Questions made of five-word windows of the documents, as a site's reviewed questions; the held-out
    part fits nothing, so changing what it expects changes nothing."""
    rows = [{"id": f"{article_id}-{start}", "lang": "fr", "expected": article_id,
             "text": " ".join(body.split()[start:start + 5])}
            for article_id, _, body in DOCUMENTS.values() for start in range(0, len(body.split()) - 5)]
    assert sum(not is_held_out(row["id"]) for row in rows) >= 40
    reviewed = tmp_path / "reviewed.jsonl"
    reviewed.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    engine = build_throwaway_engine(_write_documents(tmp_path), KnowledgeSettings(reviewed_questions_path=reviewed),
                                    tmp_path / "one")
    weights = engine.thresholds.passage_weights
    assert weights is not None and len(weights) == 4
    assert 0.0 < engine.thresholds.passage_answer < 1.0  # a probability
    decision = engine.decide("Où la Loire prend-elle sa source ?")
    assert (decision.outcome.value, decision.article) == ("answer", "doc/loire")

    misleading = [{**row, "expected": "doc/tour" if row["expected"] == "doc/loire" else "doc/loire"}
                  if is_held_out(row["id"]) else row for row in rows]
    reviewed.write_text("".join(json.dumps(row) + "\n" for row in misleading), encoding="utf-8")
    again = build_throwaway_engine(_write_documents(tmp_path / "two"), KnowledgeSettings(reviewed_questions_path=reviewed),
                                   tmp_path / "two")
    assert again.thresholds.passage_weights == weights and again.thresholds.passage_answer == engine.thresholds.passage_answer
