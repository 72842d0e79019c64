"""Rasa's event classes looked up once per type name, not once per event.

Rasa 3.6 finds the class of every event it reads (each tracker it loads from the tracker store, each
action server response) with `Event.resolve_by_type`, which lists every subclass of `Event` again,
recursively, checking with `inspect.isabstract` that each can be built: 7 % of the Rasa process's samples
on question turns under `make bench`. The classes do not change once Rasa has started, so a type name's
class is remembered the first time it is found; a name not found still goes to Rasa (and its error).
"""
from __future__ import annotations

from typing import Optional

from rasa.shared.core.events import Event

_resolve_by_type = Event.resolve_by_type
_known: dict[str, type[Event]] = {}


def _remembered_resolve_by_type(type_name: str, default: Optional[type[Event]] = None) -> Optional[type[Event]]:
    known = _known.get(type_name)
    if known is not None:
        return known
    found = _resolve_by_type(type_name, default)
    if found is not None and found.type_name == type_name:
        _known[type_name] = found
    return found


def remember_event_types() -> None:
    """From now on, `Event.resolve_by_type` finds each type name's class once (idempotent)."""
    Event.resolve_by_type = staticmethod(_remembered_resolve_by_type)  # type: ignore[method-assign,assignment]
