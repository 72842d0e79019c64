"""What is wrong with a source file, said so that an editor can find and fix it."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SourceProblem:
    path: str
    message: str  # what is wrong and what to do about it
    line: int | None = None  # line of a text file (Markdown front matter, HTML)
    row: int | None = None  # spreadsheet row, the header being row 1
    # The article the problem concerns, when known: its published version is kept as it is.
    article_id: str | None = None

    def __str__(self) -> str:
        if self.row is not None:
            return f"{self.path}: row {self.row}: {self.message}"
        if self.line is not None:
            return f"{self.path}:{self.line}: {self.message}"
        return f"{self.path}: {self.message}"


class SourceError(ValueError):
    """One source (a file or a spreadsheet row) that cannot become an article."""

    def __init__(self, message: str, line: int | None = None, row: int | None = None, article_id: str | None = None) -> None:
        super().__init__(message)
        self.line = line
        self.row = row
        self.article_id = article_id
