"""Every kind of source becomes articles with stable ids; every bad input is reported where it is."""
from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.articles import load_folder
from knowledge.settings import SAMPLE_KB
from knowledge.sources import DRAFT_PLACEHOLDER, MAX_ARTICLE_CHARS, load_sources
from tests.knowledge.pdf_files import image_only_pdf, text_pdf

GIFT_CARDS_HTML = """<!doctype html>
<html lang="fr-FR"><head><title>Cartes cadeaux | Lumen Mobile</title>
<meta name="question" content="comment utiliser une carte cadeau">
<meta name="question" content="solde de ma carte cadeau">
<script>track();</script></head>
<body><nav><a href="/">Accueil</a> &gt; Aide</nav>
<main><h1>Cartes cadeaux</h1>
<p>Une carte cadeau se <strong>dépense</strong> en boutique ou <a href="https://www.lumen-mobile.example/shop">en ligne</a>.</p>
<h2>Validité</h2><ul><li>12 mois à partir de l'achat</li><li>Non remboursable</li></ul>
</main><footer>© Lumen Mobile</footer></body></html>
"""

FAQ_CSV = """id;question;answer;lang
faq/pay-bill;How do I pay my bill? | pay bill online;You can pay by card or direct debit in your customer area.;en
faq/payer-facture;"Comment payer ma facture ?
payer en ligne";Par carte ou par prélèvement dans votre espace client.;fr
"""


def _write(folder: Path, name: str, content: str | bytes) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def test_markdown_loads_as_the_shared_article_format_says(tmp_path: Path) -> None:
    loaded = load_sources([SAMPLE_KB])
    assert loaded.problems == []
    expected = {a.id: a.content_hash for a in load_folder(SAMPLE_KB).articles}
    assert {a.id: a.content_hash for a in loaded.articles} == expected


def test_an_html_page_becomes_one_article_with_its_main_text_and_declared_questions(tmp_path: Path) -> None:
    _write(tmp_path, "pages/cartes-cadeaux.html", GIFT_CARDS_HTML)
    loaded = load_sources([tmp_path])
    assert loaded.problems == []
    (article,) = loaded.articles
    assert (article.id, article.title, article.lang) == ("pages/cartes-cadeaux", "Cartes cadeaux", "fr")
    assert article.questions == ("comment utiliser une carte cadeau", "solde de ma carte cadeau")
    assert "se **dépense** en boutique ou [en ligne](https://www.lumen-mobile.example/shop)." in article.body
    assert "## Validité\n\n- 12 mois à partir de l'achat\n\n- Non remboursable" in article.body
    assert "Accueil" not in article.body and "track()" not in article.body and "©" not in article.body


def test_a_pdf_becomes_one_article_with_its_title_language_and_paragraphs(tmp_path: Path) -> None:
    _write(tmp_path, "docs/Returns Policy.pdf", text_pdf(
        [["Returns and refunds", "You can return a phone within 14 days of delivery. The refund", "arrives within 10 days on your card."],
         ["After 14 days, the manufacturer's warranty applies."]],
        title="Returns policy",
    ))
    (article,) = load_sources([tmp_path]).articles
    assert (article.id, article.title, article.lang) == ("docs/returns-policy", "Returns policy", "en")
    assert "You can return a phone within 14 days of delivery. The refund arrives within 10 days on your card." in article.body
    assert article.body.endswith("After 14 days, the manufacturer's warranty applies.")


def test_a_french_pdf_without_a_title_is_named_by_its_heading(tmp_path: Path) -> None:
    _write(tmp_path, "retours.pdf", text_pdf([["Retours et remboursements",
                                               "Vous pouvez retourner un téléphone sous 14 jours après la livraison."]]))
    (article,) = load_sources([tmp_path / "retours.pdf"]).articles
    assert (article.id, article.title, article.lang) == ("retours", "Retours et remboursements", "fr")
    assert article.body == "Vous pouvez retourner un téléphone sous 14 jours après la livraison."


def test_each_faq_row_becomes_an_article_with_its_question_variants(tmp_path: Path) -> None:
    _write(tmp_path, "faq.csv", FAQ_CSV)
    loaded = load_sources([tmp_path])
    assert loaded.problems == []
    by_id = {a.id: a for a in loaded.articles}
    assert by_id["faq/pay-bill"].questions == ("How do I pay my bill?", "pay bill online")
    assert by_id["faq/pay-bill"].title == "How do I pay my bill?"
    assert by_id["faq/payer-facture"].questions == ("Comment payer ma facture ?", "payer en ligne")
    assert by_id["faq/payer-facture"].lang == "fr"


def test_ids_are_stable_from_one_load_to_the_next_and_follow_the_file_when_not_given(tmp_path: Path) -> None:
    _write(tmp_path, "pages/cartes-cadeaux.html", GIFT_CARDS_HTML)
    _write(tmp_path, "faq/sans-id.csv", "question,answer\nHow long does delivery take?,Two working days.\n")
    first = sorted(a.id for a in load_sources([tmp_path]).articles)
    assert first == ["faq/sans-id/how-long-does-delivery-take", "pages/cartes-cadeaux"]
    assert sorted(a.id for a in load_sources([tmp_path]).articles) == first


# -- bad input: each reported by file (and row or line) with what to fix; the rest loads --------


def test_an_unreadable_pdf_and_a_scanned_one_are_reported_and_the_rest_loads(tmp_path: Path) -> None:
    _write(tmp_path, "broken.pdf", b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\ngarbage")
    _write(tmp_path, "scan.pdf", image_only_pdf())
    _write(tmp_path, "faq.csv", FAQ_CSV)
    loaded = load_sources([tmp_path])
    assert len(loaded.articles) == 2
    problems = {Path(p.path).name: str(p) for p in loaded.problems}
    assert set(problems) == {"broken.pdf", "scan.pdf"}
    assert "cannot be read as a PDF" in problems["broken.pdf"] and "export it again" in problems["broken.pdf"]
    assert "has no text layer" in problems["scan.pdf"]
    # The article the PDF stood for keeps its published version.
    assert {"broken", "scan"} <= loaded.protected_ids


def test_an_empty_file_and_a_huge_one_are_reported(tmp_path: Path) -> None:
    _write(tmp_path, "empty.md", "  \n")
    big = _write(tmp_path, "big.html", GIFT_CARDS_HTML + "<!--" + "x" * 5000 + "-->")
    _write(tmp_path, "pages/small.html", GIFT_CARDS_HTML)
    loaded = load_sources([tmp_path], max_file_bytes=4096)
    assert [a.id for a in loaded.articles] == ["pages/small"]
    problems = {Path(p.path).name: str(p) for p in loaded.problems}
    assert problems["empty.md"] == f"{tmp_path / 'empty.md'}: is empty: write the article or delete the file"
    size = big.stat().st_size / 1024
    assert problems["big.html"] == f"{big}: is {size:.1f} KB, at most 4.0 KB: split it into smaller files"


def test_an_article_too_long_to_answer_from_is_reported(tmp_path: Path) -> None:
    body = "Word " * (MAX_ARTICLE_CHARS // 4)
    _write(tmp_path, "long.md", f'---\nid: shop/manual\ntitle: "Manual"\nlang: en\n---\n{body}\n')
    (problem,) = load_sources([tmp_path]).problems
    assert problem.article_id == "shop/manual"
    assert problem.message == (
        f"its answer is {len(body.strip()):,} characters long, at most {MAX_ARTICLE_CHARS:,}: split it into several articles"
    )


def test_a_csv_with_missing_columns_is_reported_with_the_columns_it_needs(tmp_path: Path) -> None:
    _write(tmp_path, "faq.csv", "id,question,reply\nx,How?,Like this.\n")
    (problem,) = load_sources([tmp_path]).problems
    assert str(problem) == (
        f"{tmp_path / 'faq.csv'}: row 1: missing column 'answer': the first row must name the columns, "
        "e.g. id, question, answer, lang (found: 'id', 'question', 'reply')"
    )


def test_bad_csv_rows_are_reported_by_row_and_the_good_rows_load(tmp_path: Path) -> None:
    _write(tmp_path, "faq.csv", (
        "id,question,answer,lang\n"
        "faq/a,How do I pay?,By card.,en\n"
        "faq/b,Where is my order?,,en\n"
        "\n"
        "faq/c,,An answer with no question.,en\n"
        "faq/d,What is roaming?,Using your phone abroad.,english\n"
    ))
    loaded = load_sources([tmp_path])
    assert [a.id for a in loaded.articles] == ["faq/a"]
    assert [(p.row, p.article_id) for p in loaded.problems] == [(3, "faq/b"), (5, "faq/c"), (6, "faq/d")]
    assert "has no answer: write it in the 'answer' column" in str(loaded.problems[0])
    assert str(loaded.problems[1]).startswith(f"{tmp_path / 'faq.csv'}: row 5: has no question")
    assert "not a two-letter code" in loaded.problems[2].message


def test_an_id_clash_is_reported_for_every_claimant_and_none_is_loaded(tmp_path: Path) -> None:
    _write(tmp_path, "a.md", '---\nid: faq/pay-bill\ntitle: "Pay"\nlang: en\n---\nBy card.\n')
    _write(tmp_path, "faq.csv", FAQ_CSV)
    loaded = load_sources([tmp_path])
    assert [a.id for a in loaded.articles] == ["faq/payer-facture"]
    messages = sorted(str(p) for p in loaded.problems)
    assert messages == [
        f"{tmp_path / 'a.md'}:2: id 'faq/pay-bill' is also used by {tmp_path / 'faq.csv'} row 2: "
        "give each article its own id (neither is published)",
        f"{tmp_path / 'faq.csv'}: row 2: id 'faq/pay-bill' is also used by {tmp_path / 'a.md'}: "
        "give each article its own id (neither is published)",
    ]
    assert loaded.protected_ids == {"faq/pay-bill"}


def test_a_broken_markdown_article_names_its_line_and_keeps_its_id_published(tmp_path: Path) -> None:
    _write(tmp_path, "a.md", '---\nid: shop/track\ntitle: [unclosed\nlang: en\n---\nBody.\n')
    (problem,) = load_sources([tmp_path]).problems
    assert (problem.line, problem.article_id) == (4, "shop/track")
    assert "not valid YAML" in problem.message


def test_a_draft_whose_answer_is_still_the_placeholder_is_not_loaded(tmp_path: Path) -> None:
    _write(tmp_path, "d.md", f'---\nid: drafts/x\ntitle: "X"\nlang: en\nquestions: ["x?"]\n---\n{DRAFT_PLACEHOLDER}\n')
    (problem,) = load_sources([tmp_path]).problems
    assert "still the draft's placeholder" in problem.message


def test_a_file_of_an_unsupported_type_or_missing_is_reported(tmp_path: Path) -> None:
    notes = _write(tmp_path, "notes.docx", b"PK")
    loaded = load_sources([notes, tmp_path / "nowhere.md"])
    assert [p.message for p in loaded.problems] == [
        "is not a supported type: use .md, .markdown, .html, .htm, .pdf, .csv",
        "does not exist",
    ]


@pytest.mark.parametrize("name", ["README.md", ".hidden/a.md"])
def test_readmes_and_hidden_folders_are_not_articles(tmp_path: Path, name: str) -> None:
    _write(tmp_path, name, "# Notes for editors\n")
    assert load_sources([tmp_path]).problems == []
