"""Text normalisation shared by the lexical matchers (French accents, case, stems)."""
from __future__ import annotations

import re
import threading
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


# Snowball stems in pure Python, and the same words come back in every article: each word is
# stemmed once per process (building the passage index of 761 PIAF documents: 45 s -> a few).
@lru_cache(maxsize=200_000)
def _stem(word: str, lang: str) -> str:
    stemmer = _stemmer(lang)
    if stemmer is None:
        return word
    with _STEMMING:  # a Snowball stemmer holds the word it works on: one thread at a time
        return str(stemmer.stemWord(word))


_STEMMING = threading.Lock()


def stemmed_tokens(text: str, lang: str) -> list[str]:
    words = _WORD.findall(fold(text))
    return [_stem(word, lang) for word in words] if lang in _STEMMERS else words
