"""Text normalisation shared by the lexical matchers (French accents, case, stems)."""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import snowballstemmer

_WORD = re.compile(r"\w+", re.UNICODE)
_STEMMERS = {"en": "english", "fr": "french"}


def fold(text: str) -> str:
    """Lower case without accents: 'Réclamation' and 'reclamation' match."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


@lru_cache(maxsize=8)
def _stemmer(lang: str) -> snowballstemmer.Stemmer | None:
    name = _STEMMERS.get(lang)
    return snowballstemmer.stemmer(name) if name else None


def stemmed_tokens(text: str, lang: str) -> list[str]:
    words = _WORD.findall(fold(text))
    stemmer = _stemmer(lang)
    return stemmer.stemWords(words) if stemmer else words
