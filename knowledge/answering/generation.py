"""Optional generated answers, grounded only in the retrieved article, with a safe fallback."""
from __future__ import annotations

import logging

from langchain_core.messages import HumanMessage, SystemMessage

from knowledge.answering.llm import chat_model
from knowledge.articles import Article
from knowledge.settings import KnowledgeSettings

log = logging.getLogger(__name__)

_SYSTEM = (
    "You are a customer-service assistant. Answer the customer's question using ONLY the "
    "help-centre article below. If the article does not contain the answer, reply exactly "
    "NO_ANSWER. Answer in {language}, briefly, in Markdown. Do not invent facts, prices or links.\n\n"
    "Article '{title}':\n{body}"
)
_LANGUAGES = {"en": "English", "fr": "French"}
NO_ANSWER = "NO_ANSWER"


def generate_answer(question: str, article: Article, lang: str, settings: KnowledgeSettings) -> str:
    """The article's own text unless an LLM is configured and answers in time, from it alone."""
    try:
        model = chat_model(settings)
        if model is None:
            return article.body
        system = _SYSTEM.format(language=_LANGUAGES.get(lang, "English"), title=article.title, body=article.body)
        reply = model.invoke([SystemMessage(system), HumanMessage(question)])
        text = str(reply.content).strip()
    except Exception as error:  # any LLM failure must fall back, never reach the customer
        log.warning("LLM answer failed, using the article text: %s", error)
        return article.body
    if not text or NO_ANSWER in text:
        return article.body
    return text
