"""Which part of an article a reply shows first. Pure functions over an article or a snapshot.

- **Urgent steps** of a sensitive (`handoff: true`) article: what the customer must do at once,
  before or while a person takes over. They are the article's first numbered list (else its
  first bulleted list) with the paragraph right before it, which introduces it ("Act quickly
  so nobody can use your line:"); an article without a list gives its first paragraph.
- **The passage that answers** a question about a long article: of the article's units of kind
  "passage" (knowledge/index/archive.py), the one closest to the question's vector, with the
  question's words it contains as a small bonus (a tie-break among close passages), widened
  to whole lines so that it never starts or stops mid-sentence.

An article is **long** when its body has more than LONG_ARTICLE_WORDS words: about what the
widget's 380-pixel panel shows at once (7 words a line, 20 lines of 22 px), so a longer answer
makes the customer scroll to find the part they asked about. A shorter article is shown whole.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from markdown_it import MarkdownIt

from knowledge.articles import Article
from knowledge.index.snapshot import KnowledgeSnapshot
from knowledge.text import stemmed_tokens

LONG_ARTICLE_WORDS = 150
# The bonus a passage gets for holding all the question's distinctive words (cosine scale):
# enough to choose between passages the model scores alike, not to override a clear winner.
LEXICAL_WEIGHT = 0.02
# A passage covering this share of the article or more is not worth cutting the article for.
MOSTLY_WHOLE = 0.8
_WORD = re.compile(r"\w+", re.UNICODE)


def help_path(article_id: str) -> str:
    """Where the web app shows an article in full (handoff/web/help_pages.py)."""
    return f"/help/{article_id}"


def word_count(text: str) -> int:
    return len(_WORD.findall(text))


def is_long(article: Article) -> bool:
    return word_count(article.body) > LONG_ARTICLE_WORDS


# -- urgent steps ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Block:
    kind: str  # markdown-it's opening token type: paragraph_open, ordered_list_open, bullet_list_open, ...
    first_line: int
    end_line: int  # exclusive


def _top_level_blocks(body: str) -> list[_Block]:
    tokens = MarkdownIt("commonmark").parse(body)
    return [_Block(t.type, t.map[0], t.map[1]) for t in tokens if t.level == 0 and t.nesting == 1 and t.map]


def urgent_steps(article: Article) -> str:
    """The article's urgent steps (see the module's docstring), as Markdown from its body."""
    body = article.body.strip()
    blocks = _top_level_blocks(body)
    if not blocks:
        return body
    lines = body.split("\n")
    for kind in ("ordered_list_open", "bullet_list_open"):
        at = next((i for i, block in enumerate(blocks) if block.kind == kind), None)
        if at is None:
            continue
        start = blocks[at].first_line
        if at > 0 and blocks[at - 1].kind == "paragraph_open":
            start = blocks[at - 1].first_line
        return "\n".join(lines[start : blocks[at].end_line]).strip()
    first = blocks[0]
    return "\n".join(lines[first.first_line : first.end_line]).strip()


# -- the passage that answers --------------------------------------------------------------


def _whole_lines(body: str, passage: str) -> str:
    """The passage widened to the lines of the body it starts and ends in (as is when not found)."""
    at = body.find(passage)
    if at < 0:
        return passage.strip()
    start = body.rfind("\n", 0, at) + 1
    end = body.find("\n", at + len(passage))
    return body[start : len(body) if end < 0 else end].strip()


def _lexical_shares(question: str, passages: Sequence[str], lang: str) -> list[float]:
    """Per passage, the share of the question's distinctive stems (in some passages, not all) it holds."""
    stems = [set(stemmed_tokens(text, lang)) for text in passages]
    everywhere = set.intersection(*stems) if stems else set()
    wanted = {s for s in stemmed_tokens(question, lang) if len(s) >= 3 and s not in everywhere}
    wanted &= set.union(*stems) if stems else set()
    if not wanted:
        return [0.0] * len(passages)
    return [len(wanted & held) / len(wanted) for held in stems]


def answering_passage(snapshot: KnowledgeSnapshot, article_id: str, question: str, vector: np.ndarray) -> str | None:
    """The passage of a long article that answers `question` (embedded as `vector`), as Markdown;
    None when the article should be shown whole (short, a single passage, or unknown)."""
    article = snapshot.articles.get(article_id)
    if article is None or not is_long(article):
        return None
    picked = [i for i, (owner, kind) in enumerate(zip(snapshot.unit_article, snapshot.unit_kind))
              if owner == article_id and kind == "passage"]
    if len(picked) < 2:
        return None
    texts = [snapshot.unit_text[i] for i in picked]
    query = np.asarray(vector, dtype=np.float32)
    norm = float(np.linalg.norm(query)) or 1.0
    similarity = snapshot.unit_vectors[picked] @ (query / norm)
    scores = similarity + LEXICAL_WEIGHT * np.asarray(_lexical_shares(question, texts, article.lang))
    best = _whole_lines(article.body, texts[int(np.argmax(scores))])
    if len(best) >= MOSTLY_WHOLE * len(article.body.strip()):
        return None
    return best
