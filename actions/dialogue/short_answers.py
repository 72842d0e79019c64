"""A customer's short answers to a question the bot asked: yes, no, "leave me alone", and which
of the options offered they chose.

NLU's affirm and deny intents cover most of these, but inside the contact form every message is
first a possible email address, and "stop", "annuler" or "forget it" are no deny to DIET: the
words are read here too, in both languages.
"""
from __future__ import annotations

import re
import unicodedata

_WORD = re.compile(r"[a-z0-9']+")


def _plain(text: str) -> str:
    """Lower case, accents removed, curly apostrophes straightened."""
    decomposed = unicodedata.normalize("NFKD", text.lower().replace("’", "'"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _words(text: str) -> list[str]:
    return _WORD.findall(_plain(text))


# Whole messages that leave the form or refuse what was offered.
_LEAVING = {
    "no", "nope", "nah", "no thanks", "no thank you", "no thx", "not now", "no need", "never mind", "nevermind",
    "forget it", "cancel", "stop", "stop please", "please stop", "stop it", "quit", "exit", "leave it", "skip", "i'd rather not", "rather not", "no way",
    "i don't want to", "i dont want to", "don't bother", "dont bother", "not interested", "no it's fine",
    "non", "non merci", "nan", "annuler", "annule", "laisse tomber", "laissez tomber", "pas besoin", "pas maintenant",
    "stop merci", "stop non merci", "arretez", "arretez svp", "arreter", "arrete", "c'est bon", "non c'est bon", "je prefere pas", "je prefere pas merci",
    "je ne prefere pas", "plutot pas", "sans facon", "non pas la peine", "pas la peine", "oublie", "oubliez",
    "ca ira", "non ca ira",
}
# Whole messages that accept what was offered.
_ACCEPTING = {
    "yes", "yeah", "yep", "yup", "sure", "ok", "okay", "ok sure", "yes please", "yes pls", "go ahead", "alright",
    "please", "of course", "why not", "sounds good", "y", "yes sure", "ok then",
    "oui", "ouais", "oui merci", "oui svp", "oui s'il vous plait", "d'accord", "ok merci", "bien sur", "volontiers",
    "allez", "vas y", "allez y", "oui d'accord", "ok d'accord", "pourquoi pas", "oui bien sur",
}
_TRAILING = re.compile(r"[\s!.,?]+$")


def _message(text: str) -> str:
    return " ".join(_words(_TRAILING.sub("", text)))


def is_leaving(text: str) -> bool:
    """The whole message says no, or asks to stop ("no thanks", "cancel", "non merci", "laisse tomber")."""
    return _message(text) in _LEAVING


def is_accepting(text: str) -> bool:
    """The whole message says yes ("yes please", "ok", "oui", "d'accord")."""
    return _message(text) in _ACCEPTING


# Ordinals a customer uses to pick one of the options shown ("the second one", "le premier").
_ORDINALS = {
    "1": 0, "first": 0, "1st": 0, "premier": 0, "premiere": 0, "1er": 0, "1ere": 0,
    "2": 1, "second": 1, "2nd": 1, "two": 1, "deuxieme": 1, "seconde": 1, "deux": 1, "2e": 1, "2eme": 1,
    "3": 2, "third": 2, "3rd": 2, "three": 2, "troisieme": 2, "trois": 2, "3e": 2, "3eme": 2,
    "last": -1, "dernier": -1, "derniere": -1,
}
_CHOICE_FILLERS = {
    "the", "one", "option", "le", "la", "l", "number", "numero", "no", "n", "plz", "please", "svp", "stp",
    "i", "want", "je", "veux", "voudrais", "prends", "take", "choose", "its", "it's", "c'est", "celle", "celui",
    "ci", "answer", "reponse", "choix", "choice", "pls", "ok", "oui", "yes",
}


def _same_word(said: str, title_word: str) -> bool:
    """The same word, or one inflection of it ("impaye" / "impayee", "delivery" / "deliveries")."""
    if said == title_word:
        return True
    shorter, longer = sorted((said, title_word), key=len)
    return len(shorter) >= 5 and longer.startswith(shorter[:-1]) and len(longer) - len(shorter) <= 2


def chosen_option(text: str, titles: list[str]) -> int | None:
    """Which of the offered options the message picks: by its title (typed or clicked), by
    an ordinal ("the second one", "le premier", "2"), or by a word only that title has
    ("the delivery one"); None when it picks none."""
    said = _message(text)
    if not said or not titles:
        return None
    plain_titles = [_message(title) for title in titles]
    if said in plain_titles:
        return plain_titles.index(said)
    words = said.split()
    meaningful = [w for w in words if w not in _CHOICE_FILLERS]
    if len(meaningful) == 1 and meaningful[0] in _ORDINALS:
        position = _ORDINALS[meaningful[0]]
        if position < 0:  # "the last one"
            return len(titles) + position
        return position if position < len(titles) else None
    # A word of the message found in one title only: "the delivery one", "celui sur le remboursement".
    if len(words) <= 6:
        said_words = {w.split("'")[-1] for w in meaningful if len(w.split("'")[-1]) > 3}  # "l'impaye" → "impaye"
        matches = [i for i, title in enumerate(plain_titles)
                   if any(_same_word(w, t) for w in said_words for t in title.split())]
        if len(matches) == 1:
            return matches[0]
    return None
