"""Every kind of source the content team publishes, turned into articles with stable ids.

Markdown (.md, the format of ../shared/eval/README.md), HTML pages (.html, .htm), PDF files
(.pdf) and FAQ spreadsheets (.csv). A bad file, or a bad spreadsheet row, is reported with
where it is and what to fix; the rest loads. An article id claimed by two sources is
reported for both and neither is used, so that the published article stays as it is.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from knowledge.articles import Article
from knowledge.sources.csv_faq import read_csv_faq
from knowledge.sources.html import read_html
from knowledge.sources.identity import guess_language, slug
from knowledge.sources.markdown import read_markdown
from knowledge.sources.pdf import read_pdf
from knowledge.sources.problems import SourceError, SourceProblem

MAX_FILE_BYTES = 16 * 1024 * 1024
# About 170 passages: longer than any help-centre answer; a manual should be split.
MAX_ARTICLE_CHARS = 100_000
# What draft_from_cluster writes where the answer goes: never published as an answer.
DRAFT_PLACEHOLDER = "TODO: write the answer customers should get."

Reader = Callable[[bytes, str, str], list[Article]]
_READERS: dict[str, Reader] = {".md": read_markdown, ".markdown": read_markdown, ".html": read_html, ".htm": read_html, ".pdf": read_pdf}
SUPPORTED_SUFFIXES = (*_READERS, ".csv")

__all__ = [
    "DRAFT_PLACEHOLDER", "MAX_ARTICLE_CHARS", "MAX_FILE_BYTES", "SUPPORTED_SUFFIXES",
    "LoadedSources", "SourceProblem", "guess_language", "load_sources", "slug",
]



@dataclass
class LoadedSources:
    articles: list[Article] = field(default_factory=list)
    problems: list[SourceProblem] = field(default_factory=list)
    files: list[str] = field(default_factory=list)  # every file read, as shown

    @property
    def protected_ids(self) -> set[str]:
        """Articles a problem names: their published version must be kept as it is."""
        return {p.article_id for p in self.problems if p.article_id}

    @property
    def protected_sources(self) -> set[str]:
        """Files with a problem about an article that could not be named: keep what they published."""
        return {_resolved(p.path) for p in self.problems if not p.article_id}


def _size(n: int) -> str:
    return f"{n / 2**20:.1f} MB" if n >= 2**20 else f"{n / 2**10:.1f} KB"


def _resolved(path: str) -> str:
    return str(Path(path).resolve())


@dataclass(frozen=True)
class _Found:
    article: Article
    shown: str
    row: int | None

    def where(self) -> str:
        return f"{self.shown} row {self.row}" if self.row is not None else self.shown


def _files(paths: Sequence[Path], problems: list[SourceProblem]) -> list[tuple[Path, str]]:
    """(file, id it stands for when it does not name one), folders walked in order."""
    found: list[tuple[Path, str]] = []
    for path in paths:
        if path.is_dir():
            for file in sorted(path.rglob("*")):
                relative = file.relative_to(path)
                if (
                    file.is_file()
                    and file.suffix.lower() in SUPPORTED_SUFFIXES
                    and file.name.lower() != "readme.md"
                    and not any(part.startswith(".") for part in relative.parts)
                ):
                    found.append((file, slug(str(relative.with_suffix("")))))
        elif path.is_file():
            if path.suffix.lower() in SUPPORTED_SUFFIXES:
                found.append((path, slug(path.stem)))
            else:
                problems.append(SourceProblem(str(path), f"is not a supported type: use {', '.join(SUPPORTED_SUFFIXES)}"))
        else:
            problems.append(SourceProblem(str(path), "does not exist"))
    return found


def _checked(article: Article) -> str | None:
    """What is wrong with an article every reader produced, whatever its format."""
    if not article.id or not article.id.strip():
        return "has no id"
    if len(article.body) > MAX_ARTICLE_CHARS:
        return (
            f"its answer is {len(article.body):,} characters long, at most {MAX_ARTICLE_CHARS:,}: "
            "split it into several articles"
        )
    if DRAFT_PLACEHOLDER in article.body:
        return "the answer is still the draft's placeholder: write the answer first"
    return None


def load_sources(paths: Sequence[Path], max_file_bytes: int = MAX_FILE_BYTES) -> LoadedSources:
    """Articles from folders and files of any supported kind; bad ones reported, the rest loaded."""
    loaded = LoadedSources()
    found: list[_Found] = []
    for file, default_id in _files(paths, loaded.problems):
        shown = str(file)
        loaded.files.append(shown)
        size = file.stat().st_size
        if size > max_file_bytes:
            loaded.problems.append(SourceProblem(
                shown, f"is {_size(size)}, at most {_size(max_file_bytes)}: split it into smaller files"
            ))
            continue
        data = file.read_bytes()
        if not data.strip():
            loaded.problems.append(SourceProblem(shown, "is empty: write the article or delete the file"))
            continue
        suffix = file.suffix.lower()
        try:
            if suffix == ".csv":
                rows, row_problems = read_csv_faq(data, shown, default_id)
                loaded.problems.extend(row_problems)
                candidates = [_Found(article, shown, row) for article, row in rows]
            else:
                candidates = [_Found(article, shown, None) for article in _READERS[suffix](data, shown, default_id)]
        except SourceError as error:
            loaded.problems.append(SourceProblem(shown, str(error), error.line, error.row, error.article_id))
            continue
        for candidate in candidates:
            message = _checked(candidate.article)
            if message:
                loaded.problems.append(SourceProblem(shown, message, row=candidate.row, article_id=candidate.article.id or None))
            else:
                found.append(candidate)

    by_id: dict[str, list[_Found]] = {}
    for candidate in found:
        by_id.setdefault(candidate.article.id, []).append(candidate)
    for article_id, claimants in by_id.items():
        if len(claimants) == 1:
            loaded.articles.append(claimants[0].article)
            continue
        for claimant in claimants:
            others = ", ".join(other.where() for other in claimants if other is not claimant)
            loaded.problems.append(SourceProblem(
                claimant.shown,
                f"id '{article_id}' is also used by {others}: give each article its own id (neither is published)",
                line=2 if claimant.shown.lower().endswith((".md", ".markdown")) else None,
                row=claimant.row,
                article_id=article_id,
            ))
    return loaded
