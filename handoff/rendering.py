"""Bot answers as safe HTML: Markdown rendered with raw HTML disabled, so nothing in an article
(or anything else) can inject markup or script into the widget."""
from __future__ import annotations

from functools import lru_cache

from markdown_it import MarkdownIt


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})


def markdown_to_safe_html(text: str) -> str:
    return _markdown().render(text)
