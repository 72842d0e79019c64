"""PDF files: the text of every page becomes one article (pypdf reads it; no OCR)."""
from __future__ import annotations

import io
import logging
import re

from pypdf import PdfReader
from pypdf.errors import PyPdfError

from knowledge.articles import Article
from knowledge.sources.identity import guess_language
from knowledge.sources.problems import SourceError

MAX_PAGES = 300
# A damaged file is reported to the editor with what to do; pypdf's own warnings add nothing.
logging.getLogger("pypdf").setLevel(logging.ERROR)
_HYPHENATED = re.compile(r"(\w)-\n(\w)")
# Titles that PDF producers write when the author did not.
_NO_TITLE = re.compile(r"^(untitled|document\d*|microsoft word - .*|\S+\.(docx?|odt|pdf))$", re.IGNORECASE)


def _paragraphs(text: str) -> str:
    """Lines joined into paragraphs; a blank line, a short last line or a heading ends one.

    A heading is a short line starting with a capital and ending with no punctuation.
    """
    text = _HYPHENATED.sub(r"\1\2", text.replace("\r\n", "\n"))
    paragraphs: list[str] = []
    current: list[str] = []
    for line in (raw.strip() for raw in text.split("\n")):
        if not line:
            if current:
                paragraphs.append(" ".join(current))
                current = []
            continue
        heading = len(line) < 60 and line[:1].isupper() and not line.endswith((".", ",", ";", ":", "!", "?"))
        if heading and current:
            paragraphs.append(" ".join(current))
            current = []
        current.append(line)
        if heading or (line.endswith((".", "!", "?", ":")) and len(line) < 60):
            paragraphs.append(" ".join(current))
            current = []
    if current:
        paragraphs.append(" ".join(current))
    return "\n\n".join(" ".join(p.split()) for p in paragraphs if p.strip())


def read_pdf(data: bytes, shown: str, default_id: str) -> list[Article]:

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise SourceError("is password-protected: publish a copy without a password", article_id=default_id)
        pages = reader.pages
        if len(pages) > MAX_PAGES:
            raise SourceError(f"has {len(pages)} pages, at most {MAX_PAGES}: split it into several files", article_id=default_id)
        texts: list[str] = []
        for number, page in enumerate(pages, start=1):
            try:
                texts.append(page.extract_text() or "")
            except (PyPdfError, ValueError, KeyError, TypeError) as error:
                raise SourceError(
                    f"page {number} cannot be read ({type(error).__name__}: {error}): export the PDF again",
                    article_id=default_id,
                ) from error
        metadata = reader.metadata
        declared_title = str(metadata.title or "").strip() if metadata else ""
        root = reader.trailer["/Root"]
        declared_lang = str(root.get("/Lang", "")).strip().lower()[:2] if hasattr(root, "get") else ""
    except SourceError:
        raise
    except Exception as error:  # pypdf raises many kinds on a damaged file; all mean the same to an editor
        raise SourceError(
            f"cannot be read as a PDF ({type(error).__name__}: {error}): export it again from the original document",
            article_id=default_id,
        ) from error
    body = "\n\n".join(p for p in (_paragraphs(text) for text in texts) if p)
    if not body:
        raise SourceError(
            "has no text layer (a scanned image?): publish a PDF with selectable text, or the text itself",
            article_id=default_id,
        )
    title = declared_title if declared_title and not _NO_TITLE.match(declared_title) else ""
    if not title:
        first = body.split("\n\n", 1)[0]
        title = first if len(first) <= 120 else first[:117].rsplit(" ", 1)[0] + "…"
        if title == body:
            title = default_id.rsplit("/", 1)[-1].replace("-", " ").capitalize()
        elif body.startswith(first):
            body = body[len(first):].strip() or body
    lang = declared_lang if declared_lang.isalpha() and len(declared_lang) == 2 else guess_language(f"{title}\n{body}")
    if lang is None:
        raise SourceError(
            "cannot tell its language: set the document language (en or fr) in the PDF's properties",
            article_id=default_id,
        )
    return [Article(id=default_id, title=title, lang=lang, body=body, source=shown)]
