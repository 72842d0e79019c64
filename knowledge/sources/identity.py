"""How a source's article gets its id and language when the source does not say."""
from __future__ import annotations

import re

from knowledge.language import detect_language
from knowledge.text import fold


def slug(text: str) -> str:
    """Lower-case ASCII words joined by '-', path separators kept: 'FAQ/Délais' -> 'faq/delais'."""
    words = re.sub(r"[^a-z0-9/]+", "-", fold(text)).strip("-/")
    return re.sub(r"-*/-*", "/", words)


def guess_language(text: str) -> str | None:
    return detect_language(text[:5000])
