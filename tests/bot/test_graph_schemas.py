"""Rasa's graph schema pruned once per set of targets (bot/runtime/graph_schemas.py), on the project's
model graph: the same nodes as Rasa's pruning, computed once.

Rasa's side (Python 3.10, .venv-rasa): `make test-bot`."""
from __future__ import annotations

from pathlib import Path

import pytest
from rasa.engine.graph import GraphSchema
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.importers.importer import TrainingDataImporter

from bot.runtime import graph_schemas

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def pruning_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(GraphSchema, "minimal_graph_schema", GraphSchema.minimal_graph_schema)
    graph_schemas.prune_graph_schemas_once()


@pytest.fixture(scope="module")
def predict_schema() -> GraphSchema:
    """The prediction graph Rasa builds from config.yml."""
    importer = TrainingDataImporter.load_from_config(str(REPO_ROOT / "config.yml"), str(REPO_ROOT / "domain.yml"),
                                                     [str(REPO_ROOT / "bot" / "data")])
    config = importer.get_config()
    return DefaultV1Recipe().graph_config_for_recipe(config, {}).predict_schema


def test_the_pruned_schema_is_rasas_and_is_computed_once(predict_schema: GraphSchema, pruning_once: None,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    needed = {dependency for node in predict_schema.nodes.values() for dependency in node.needs.values()}
    targets = sorted(set(predict_schema.nodes) - needed)  # Rasa's NLU and dialogue targets: what nothing needs
    assert len(targets) >= 2
    rasas = graph_schemas._minimal_graph_schema(predict_schema, targets)
    walks: list[object] = []
    walk = GraphSchema._all_dependencies_schema

    def counted(self: GraphSchema, names: list[str]) -> list[str]:
        walks.append(names)
        return walk(self, names)

    monkeypatch.setattr(GraphSchema, "_all_dependencies_schema", counted)
    first = predict_schema.minimal_graph_schema(targets)
    calls_for_first = len(walks)
    again = predict_schema.minimal_graph_schema(list(targets))
    assert first.nodes == rasas.nodes and again is first
    assert calls_for_first > 0 and len(walks) == calls_for_first  # the second call walked nothing
    others = predict_schema.minimal_graph_schema(targets[:1])
    assert set(others.nodes) < set(first.nodes)
