"""Reading help-centre articles (Markdown with YAML front matter) and reporting bad ones."""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

_LANG = re.compile(r"^[a-z]{2}$")
_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*(?:\n|\Z)(.*)\Z", re.DOTALL)


@dataclass(frozen=True)
class Article:
    id: str
    title: str
    lang: str
    body: str
    questions: tuple[str, ...] = ()
    handoff: bool = False
    source: str = ""

    @property
    def content_hash(self) -> str:
        """Changes whenever anything the bot answers from changes."""
        payload = json.dumps(
            [self.id, self.title, self.lang, self.body, list(self.questions), self.handoff],
            ensure_ascii=False,
        )
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class ArticleProblem:
    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass
class LoadedArticles:
    articles: list[Article] = field(default_factory=list)
    problems: list[ArticleProblem] = field(default_factory=list)


class ArticleError(ValueError):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line


def parse_article(text: str, source: str = "") -> Article:
    """Parse one article; raise ArticleError with the 1-based line of the fault."""
    match = _FRONT_MATTER.match(text.replace("\r\n", "\n"))
    if not match:
        raise ArticleError(1, "missing front matter: the file must start with '---', YAML, then '---'")
    raw_meta, body = match.group(1), match.group(2).strip()
    try:
        meta = yaml.safe_load(raw_meta)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 2 if mark is not None else 2  # +1 for '---', +1 for 1-based
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        context = getattr(error, "context_mark", None)
        opened = f" (in what starts on line {context.line + 2})" if context is not None and context.line + 2 != line else ""
        raise ArticleError(line, f"front matter is not valid YAML: {problem}{opened}") from error
    if not isinstance(meta, dict):
        raise ArticleError(2, "front matter must be a mapping of keys (id, title, lang, ...)")

    def line_of(key: str) -> int:
        for number, line in enumerate(raw_meta.splitlines(), start=2):
            if line.startswith(f"{key}:"):
                return number
        return 2

    article_id = meta.get("id")
    if not isinstance(article_id, str) or not article_id.strip():
        raise ArticleError(line_of("id"), "'id' is required and must be a non-empty string")
    title = meta.get("title")
    if not isinstance(title, str) or not title.strip():
        raise ArticleError(line_of("title"), "'title' is required and must be a non-empty string")
    lang = meta.get("lang")
    if not isinstance(lang, str) or not _LANG.match(lang):
        raise ArticleError(line_of("lang"), "'lang' must be a two-letter ISO 639-1 code such as en or fr")
    handoff = meta.get("handoff", False)
    if not isinstance(handoff, bool):
        raise ArticleError(line_of("handoff"), "'handoff' must be true or false")
    questions = meta.get("questions") or []
    if not isinstance(questions, list) or not all(isinstance(q, str) and q.strip() for q in questions):
        raise ArticleError(line_of("questions"), "'questions' must be a list of non-empty strings")
    if not body:
        body_line = raw_meta.count("\n") + 4
        raise ArticleError(body_line, "the article has no answer text after the front matter")
    return Article(
        id=article_id.strip(),
        title=title.strip(),
        lang=lang,
        body=body,
        questions=tuple(dict.fromkeys(q.strip() for q in questions)),
        handoff=handoff,
        source=source,
    )


def article_markdown(article: Article) -> str:
    """An article as a Markdown file with YAML front matter: what parse_article reads back."""
    meta: dict[str, object] = {"id": article.id, "title": article.title, "lang": article.lang}
    if article.handoff:
        meta["handoff"] = True
    if article.questions:
        meta["questions"] = list(article.questions)
    front = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False, width=1000)
    return f"---\n{front}---\n{article.body.strip()}\n"


def load_folder(folder: Path) -> LoadedArticles:
    """Every `*.md` below `folder`; bad files are reported and skipped, the rest load."""
    loaded = LoadedArticles()
    first_seen: dict[str, str] = {}
    for path in sorted(folder.rglob("*.md")):
        if path.name.lower() == "readme.md":
            continue
        shown = str(path)
        try:
            article = parse_article(path.read_text(encoding="utf-8"), source=shown)
        except UnicodeDecodeError:
            loaded.problems.append(ArticleProblem(shown, 1, "not UTF-8 text"))
            continue
        except ArticleError as error:
            loaded.problems.append(ArticleProblem(shown, error.line, str(error)))
            continue
        if article.id in first_seen:
            loaded.problems.append(
                ArticleProblem(shown, 2, f"duplicate id '{article.id}', already used by {first_seen[article.id]}")
            )
            continue
        first_seen[article.id] = shown
        loaded.articles.append(article)
    return loaded
