"""Articles without question variants (plain documents) are matched on their text."""
from __future__ import annotations

from pathlib import Path

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


def test_a_question_about_a_document_is_answered_from_it(tmp_path: Path) -> None:
    kb = tmp_path / "kb"
    kb.mkdir()
    for name, (article_id, title, body) in DOCUMENTS.items():
        (kb / name).write_text(f'---\nid: {article_id}\ntitle: "{title}"\nlang: fr\n---\n{body}\n', encoding="utf-8")
    engine = build_throwaway_engine(kb, KnowledgeSettings(), tmp_path)
    assert engine.thresholds.passage_answer < 1e9  # calibrated from the documents' own sentences
    decision = engine.decide("Où la Loire prend-elle sa source ?")
    assert (decision.outcome.value, decision.article) == ("answer", "doc/loire")
