"""A cluster of unanswered questions turned into an article file: a new article whose question
variants are the cluster's, or an existing article with them added as variants."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from knowledge.articles import Article, article_markdown
from knowledge.sources import DRAFT_PLACEHOLDER, slug
from knowledge.unanswered.clustering import Cluster, question_key

DRAFT_QUESTIONS = 20


@dataclass(frozen=True)
class ArticleDraft:
    article_id: str
    lang: str
    markdown: str  # an article file in the format of ../shared/eval/README.md
    file_name: str  # where it could go in the knowledge-base folder
    needs_answer: bool  # the answer is still the placeholder: publishing refuses it until written

    def write(self, target: Path) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(self.markdown, encoding="utf-8")


def _file_name(article_id: str) -> str:
    return f"{slug(article_id).replace('/', '-')}.md"


def draft_from_cluster(
    cluster: Cluster, article_id: str | None = None, title: str | None = None, prefix: str = "drafts"
) -> ArticleDraft:
    """A new article whose question variants are the cluster's questions.

    Its answer is the newest reply an agent suggested, else a placeholder the editor replaces.
    """
    title = title or cluster.title
    article_id = article_id or f"{prefix}/{slug(title)[:60].strip('-')}-{cluster.lang}"
    answer = cluster.suggested_answers[0] if cluster.suggested_answers else DRAFT_PLACEHOLDER
    article = Article(
        id=article_id,
        title=title[:1].upper() + title[1:],
        lang=cluster.lang,
        body=answer,
        questions=tuple(cluster.questions[:DRAFT_QUESTIONS]),
    )
    return ArticleDraft(
        article_id, cluster.lang, article_markdown(article), _file_name(article_id), needs_answer=not cluster.suggested_answers,
    )


def add_questions_to_article(cluster: Cluster, article: Article) -> ArticleDraft:
    """The article with the cluster's questions added as variants (those it does not have yet)."""
    have = {question_key(q) for q in article.questions}
    added = [q for q in cluster.questions if question_key(q) not in have][:DRAFT_QUESTIONS]
    updated = Article(
        id=article.id, title=article.title, lang=article.lang, body=article.body,
        questions=(*article.questions, *added), handoff=article.handoff, source=article.source,
    )
    return ArticleDraft(article.id, article.lang, article_markdown(updated), _file_name(article.id), needs_answer=False)
