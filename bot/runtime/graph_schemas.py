"""Rasa's prediction graph pruned once per set of targets, not once per message.

For every message, Rasa 3.6's graph runner (rasa/engine/runner/dask.py) prunes the model's graph
schema to the nodes its targets need (`GraphSchema.minimal_graph_schema`), walking every path back
from each target, shared dependencies again on each path: 3 % of the Rasa process's samples on
question turns under `make bench`. A loaded model's schema never changes (nothing in Rasa assigns
to a schema's nodes), so each schema keeps the pruned schema of each set of targets it was asked for.
"""
from __future__ import annotations

from typing import Optional

from rasa.engine.graph import GraphSchema

_minimal_graph_schema = GraphSchema.minimal_graph_schema
_PRUNED = "_pruned_schemas"  # schema attribute: {targets: pruned schema}


def _remembered_minimal_graph_schema(self: GraphSchema, targets: Optional[list[str]] = None) -> GraphSchema:
    pruned: dict[tuple[str, ...] | None, GraphSchema] = self.__dict__.setdefault(_PRUNED, {})
    key = tuple(targets) if targets else None
    schema = pruned.get(key)
    if schema is None:
        schema = pruned[key] = _minimal_graph_schema(self, targets)
    return schema


def prune_graph_schemas_once() -> None:
    """From now on, a schema prunes itself once per set of targets (idempotent)."""
    GraphSchema.minimal_graph_schema = _remembered_minimal_graph_schema  # type: ignore[method-assign]
