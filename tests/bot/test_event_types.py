"""Rasa's event classes looked up once per type name (bot/runtime/event_types.py): the same classes and
errors as Rasa's own lookup, without listing Event's subclasses again for each event.

Rasa's side (Python 3.10, .venv-rasa): `make test-bot`."""
from __future__ import annotations

import pytest
import rasa.shared.utils.common
from rasa.shared.core.events import ActionExecuted, Event, SlotSet, UserUttered

from bot.runtime import event_types


@pytest.fixture
def remembering(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Event, "resolve_by_type", Event.resolve_by_type)
    monkeypatch.setattr(event_types, "_known", {})
    event_types.remember_event_types()


def test_the_classes_are_rasas(remembering: None) -> None:
    assert Event.resolve_by_type("user") is UserUttered
    assert Event.resolve_by_type("slot") is SlotSet
    assert Event.resolve_by_type("action") is ActionExecuted
    assert Event.resolve_by_type("topic") is None  # Rasa's backwards compatibility
    assert Event.resolve_by_type("no such event", default=SlotSet) is SlotSet
    with pytest.raises(ValueError, match="Unknown event name"):
        Event.resolve_by_type("no such event")


def test_subclasses_are_listed_once_per_type_name(remembering: None, monkeypatch: pytest.MonkeyPatch) -> None:
    listings: list[object] = []
    all_subclasses = rasa.shared.utils.common.all_subclasses

    def counted(cls: type) -> list[type]:
        listings.append(cls)
        return all_subclasses(cls)

    monkeypatch.setattr(rasa.shared.utils.common, "all_subclasses", counted)
    events = [UserUttered("hi", {"name": "greet", "confidence": 1.0}).as_dict(),
              ActionExecuted("action_listen").as_dict()] * 20
    parsed = [Event.from_parameters(event) for event in events]
    assert [type(event) for event in parsed[:2]] == [UserUttered, ActionExecuted]
    assert len([cls for cls in listings if cls is Event]) == 2
