"""HTML pages: the main content, as Markdown-like text, becomes one article.

Parsed by Beautiful Soup (the standard library's parser underneath). Optional meta tags:
<meta name="article-id">, <meta name="question"> (repeatable: ways customers ask),
<meta name="handoff" content="true">. The language is <html lang>, else detected.
"""
from __future__ import annotations

import re

from bs4 import BeautifulSoup, Comment, Declaration, Doctype, NavigableString, ProcessingInstruction, Tag

from knowledge.articles import Article
from knowledge.sources.identity import guess_language
from knowledge.sources.problems import SourceError

_DROPPED = ["script", "style", "noscript", "nav", "header", "footer", "aside", "form", "template", "svg", "iframe", "button"]
_BLOCKS = {
    "p", "div", "section", "article", "main", "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6",
    "pre", "blockquote", "table", "dl", "dt", "dd", "figure", "figcaption", "hr",
}
_SPACES = re.compile(r"\s+")
_TRUE = {"true", "yes", "1", "oui"}


def _inline(node: Tag | NavigableString) -> str:
    if isinstance(node, (Comment, Declaration, Doctype, ProcessingInstruction)):
        return ""
    if isinstance(node, NavigableString):
        return _SPACES.sub(" ", str(node))
    if node.name == "br":
        return "\n"
    inner = "".join(_inline(child) for child in node.children).strip()
    if not inner:
        return ""
    if node.name == "a" and node.get("href") and not str(node["href"]).startswith(("#", "javascript:")):
        return f"[{inner}]({node['href']})"
    if node.name in ("strong", "b"):
        return f"**{inner}**"
    if node.name in ("em", "i"):
        return f"*{inner}*"
    if node.name == "code":
        return f"`{inner}`"
    return f" {inner} " if node.name in ("span", "td", "th", "label") else inner


def _blocks(node: Tag, out: list[str], depth: int = 0) -> None:
    """Append one Markdown block per paragraph, heading, list item, table row."""
    pending: list[str] = []

    def flush() -> None:
        text = "\n".join(" ".join(line.split()) for line in "".join(pending).split("\n")).strip()
        if text:
            out.append(text)
        pending.clear()

    for child in node.children:
        if isinstance(child, Tag) and child.name in _BLOCKS:
            flush()
            name = child.name
            if name in ("h1", "h2", "h3", "h4", "h5", "h6"):
                text = _inline(child).strip()
                if text:
                    out.append(f"{'#' * int(name[1])} {' '.join(text.split())}")
            elif name == "li":
                before = len(out)
                _blocks(child, out, depth)
                if len(out) > before:
                    out[before] = f"{'  ' * max(depth - 1, 0)}- {out[before]}"
            elif name == "pre":
                out.append("```\n" + child.get_text().strip("\n") + "\n```")
            elif name == "table":
                lines = []
                for row in child.find_all("tr"):
                    cells = [" ".join(_inline(cell).split()) for cell in row.find_all(["td", "th"], recursive=False)]
                    if any(cells):
                        lines.append("| " + " | ".join(cells) + " |")
                        if len(lines) == 1:
                            lines.append("|" + " --- |" * len(cells))
                if lines:
                    out.append("\n".join(lines))
            elif name == "blockquote":
                inner: list[str] = []
                _blocks(child, inner, depth)
                out.extend(f"> {block}" for block in inner)
            elif name == "hr":
                continue
            else:
                _blocks(child, out, depth + (1 if name in ("ul", "ol") else 0))
        elif isinstance(child, (Tag, NavigableString)):
            pending.append(_inline(child))
    flush()


def _meta(soup: BeautifulSoup, name: str) -> list[str]:
    return [str(tag.get("content", "")).strip() for tag in soup.find_all("meta", attrs={"name": name}) if str(tag.get("content", "")).strip()]


def _language(soup: BeautifulSoup) -> str | None:
    html = soup.find("html")
    declared = str(html.get("lang", "")) if isinstance(html, Tag) else ""
    if not declared:
        equiv = soup.find("meta", attrs={"http-equiv": lambda value: bool(value) and value.lower() == "content-language"})
        declared = str(equiv.get("content", "")) if isinstance(equiv, Tag) else ""
    code = declared.strip().lower()[:2]
    return code if len(code) == 2 and code.isalpha() else None


def read_html(data: bytes, shown: str, default_id: str) -> list[Article]:

    soup = BeautifulSoup(data, "html.parser")
    if soup.find(["html", "body", "p", "div", "h1", "main", "article"]) is None:
        raise SourceError("is not an HTML page (no <html>, <body> or paragraph found): export the page as HTML")
    ids = _meta(soup, "article-id")
    article_id = ids[0] if ids else default_id
    title_tag = soup.find("title")
    title = " ".join(title_tag.get_text().split()) if title_tag else ""
    root = soup.find("main") or soup.find("article") or soup.find("body") or soup
    for dropped in root.find_all(_DROPPED):
        dropped.decompose()
    # The page's own heading names the article; <title> often adds the site's name.
    first_heading = root.find("h1")
    heading = " ".join(first_heading.get_text().split()) if first_heading else ""
    if heading and first_heading is not None:
        title = heading
        first_heading.decompose()
    if not title:
        raise SourceError("has no <title> or <h1>: give the page a title", article_id=article_id)
    blocks: list[str] = []
    _blocks(root, blocks)
    body = "\n\n".join(blocks).strip()
    if not body:
        raise SourceError("has no text in its page body: nothing to publish", article_id=article_id)
    lang = _language(soup) or guess_language(f"{title}\n{body}")
    if lang is None:
        raise SourceError(
            "cannot tell its language: add lang=\"en\" or lang=\"fr\" to the <html> tag", article_id=article_id
        )
    return [
        Article(
            id=article_id,
            title=title,
            lang=lang,
            body=body,
            questions=tuple(dict.fromkeys(_meta(soup, "question"))),
            handoff=any(value.lower() in _TRUE for value in _meta(soup, "handoff")),
            source=shown,
        )
    ]
