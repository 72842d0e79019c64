"""FAQ spreadsheets saved as CSV: one article per row, its question variants and its answer.

The first row names the columns (any order, case and accents ignored):
  question  (required; or questions, variants, question 1, question 2, ...: one variant a
            cell, or several in one cell separated by new lines or '|')
  answer    (required)
  id        (recommended: keeps the article's id when its first question is reworded;
            without it the id is the file's name and the first question)
  title, lang, handoff (optional; the title defaults to the first question, the language
            is detected when there is no lang column)
Commas, semicolons (French spreadsheets) and tabs are recognised as separators.
"""
from __future__ import annotations

import csv
import io
import re

from knowledge.articles import Article
from knowledge.sources.identity import guess_language, slug
from knowledge.sources.problems import SourceError, SourceProblem
from knowledge.text import fold

_QUESTION = re.compile(r"^(question|questions|variant|variants|question_?\d+|variant_?\d+)$")
_ANSWER = {"answer", "reponse", "response"}
_TRUE = {"true", "yes", "1", "oui", "x", "vrai"}
_SPLIT = re.compile(r"\n|\|")
_LANG = re.compile(r"^[a-z]{2}$")


def _column(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", fold(name.strip()))


def read_csv_faq(data: bytes, shown: str, default_id: str) -> tuple[list[tuple[Article, int]], list[SourceProblem]]:
    """(article, spreadsheet row) for every good row, and a problem for every bad one."""

    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise SourceError("not UTF-8 text: export the spreadsheet as 'CSV UTF-8'") from error
    # The header row names the columns: its most frequent separator is the file's.
    first_line = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first_line.count)
    rows = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = next(rows)
    except StopIteration as error:
        raise SourceError("has no rows: the first row must name the columns (question, answer, ...)") from error
    except csv.Error as error:
        raise SourceError(f"is not a readable CSV file ({error})", row=1) from error
    columns = [_column(name) for name in header]
    question_columns = [i for i, name in enumerate(columns) if _QUESTION.match(name)]
    answer_columns = [i for i, name in enumerate(columns) if name in _ANSWER]
    missing = [name for name, found in (("question", question_columns), ("answer", answer_columns)) if not found]
    if missing:
        found_names = ", ".join(repr(name) for name in header) or "none"
        raise SourceError(
            f"missing column{'s' if len(missing) > 1 else ''} {', '.join(repr(m) for m in missing)}: "
            f"the first row must name the columns, e.g. id, question, answer, lang (found: {found_names})",
            row=1,
        )

    def cell(values: list[str], name: str) -> str:
        return values[columns.index(name)].strip() if name in columns and columns.index(name) < len(values) else ""

    articles: list[tuple[Article, int]] = []
    problems: list[SourceProblem] = []
    number = 1
    while True:
        try:
            values = next(rows)
        except StopIteration:
            break
        except csv.Error as error:
            problems.append(SourceProblem(shown, f"cannot be read ({error}): check its quotes", row=number + 1))
            break
        number += 1
        if not any(value.strip() for value in values):
            continue
        questions = [
            part.strip()
            for i in question_columns
            if i < len(values)
            for part in _SPLIT.split(values[i])
            if part.strip()
        ]
        questions = list(dict.fromkeys(questions))
        answer = "\n\n".join(values[i].strip() for i in answer_columns if i < len(values) and values[i].strip())
        given_id = cell(values, "id")
        article_id = given_id or (f"{default_id}/{slug(questions[0])[:60].strip('-')}" if questions else None)

        def problem(message: str) -> None:
            problems.append(SourceProblem(shown, message, row=number, article_id=article_id))

        if not questions:
            problem("has no question: write at least one in the 'question' column")
            continue
        if not answer:
            problem("has no answer: write it in the 'answer' column")
            continue
        lang = cell(values, "lang").lower() or guess_language(" ".join(questions) + "\n" + answer) or ""
        if not _LANG.match(lang):
            problem(
                f"language {lang!r} is not a two-letter code such as en or fr: fix the 'lang' column"
                if cell(values, "lang")
                else "cannot tell its language: add a 'lang' column (en, fr)"
            )
            continue
        articles.append((
            Article(
                id=article_id or "",
                title=cell(values, "title") or questions[0],
                lang=lang,
                body=answer,
                questions=tuple(questions),
                handoff=fold(cell(values, "handoff")) in _TRUE,
                source=shown,
            ),
            number,
        ))
    return articles, problems
