"""Markdown articles with YAML front matter: the format of ../shared/eval/README.md, read as is."""
from __future__ import annotations

import re

from knowledge.articles import Article, ArticleError, parse_article
from knowledge.sources.problems import SourceError

_ID_LINE = re.compile(r"^id:\s*['\"]?([^'\"\n#]+?)['\"]?\s*(?:#.*)?$", re.MULTILINE)


def _declared_id(text: str) -> str | None:
    """The id a broken article declares, if it can be read, so that its published version is kept."""
    head = text.replace("\r\n", "\n").split("\n---", 2)[0]
    match = _ID_LINE.search(head)
    return match.group(1).strip() if match else None


def read_markdown(data: bytes, shown: str, default_id: str) -> list[Article]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise SourceError("not UTF-8 text: save the file with UTF-8 encoding", line=1) from error
    try:
        return [parse_article(text, source=shown)]
    except ArticleError as error:
        raise SourceError(str(error), line=error.line, article_id=_declared_id(text)) from error
