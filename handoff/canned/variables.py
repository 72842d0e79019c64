"""The variables a canned reply may hold, written `{name}`, and how a text is filled.

A `{name}` that is no variable below is refused when an editor saves the reply; any other brace is
plain text. A variable without a value for the conversation (no ticket filed, no article answered)
is left as written, and named, so that the advisor sees it and edits it before sending."""
from __future__ import annotations

import re
from collections.abc import Mapping
from enum import Enum


class Variable(str, Enum):
    AGENT_NAME = "agent_name"
    TICKET_NUMBER = "ticket_number"
    ARTICLE_LINK = "article_link"
    ARTICLE_TITLE = "article_title"


# What each one stands for, [English, French], as the editor page shows it.
MEANINGS: dict[Variable, tuple[str, str]] = {
    Variable.AGENT_NAME: ("the advisor's display name", "le nom affiché du conseiller"),
    Variable.TICKET_NUMBER: ("the conversation's ticket number (T000123), when a ticket was filed",
                             "le numéro du ticket de la conversation (T000123), s'il y en a un"),
    Variable.ARTICLE_LINK: ("the link to the help-centre article the bot last answered with (else the advisor's best "
                            "suggested article)", "le lien vers l'article du centre d'aide de la dernière réponse du bot "
                            "(sinon le meilleur article suggéré au conseiller)"),
    Variable.ARTICLE_TITLE: ("that article's title", "le titre de cet article"),
}

PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
KNOWN = frozenset(variable.value for variable in Variable)


def unknown_variables(text: str) -> list[str]:
    """The `{name}`s of `text` that are no variable, in order, each once."""
    return list(dict.fromkeys(name for name in PLACEHOLDER.findall(text) if name not in KNOWN))


def fill(text: str, values: Mapping[str, str | None]) -> tuple[str, list[str]]:
    """`text` with each variable replaced by its value; the variables without one, left as written."""
    unfilled: list[str] = []

    def value_of(match: re.Match[str]) -> str:
        value = values.get(match.group(1))
        if value:
            return value
        if match.group(1) not in unfilled:
            unfilled.append(match.group(1))
        return match.group(0)

    return PLACEHOLDER.sub(value_of, text), unfilled


def described() -> list[dict[str, str]]:
    return [{"name": variable.value, "en": en, "fr": fr} for variable, (en, fr) in MEANINGS.items()]
