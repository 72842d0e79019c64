"""What customers asked that the bot could not answer, for the content team.

Declined and escalated questions, answers marked unhelpful, and replies agents wrote and
sent as suggested articles are appended to the Redis stream `content:unanswered`. The
content team sees them grouped into clusters of similar questions (count, language,
examples, newest first) and turns a cluster into an article draft, or into new question
variants of an existing article, in one step.

    record_unanswered(redis, question, lang, outcome, reason, conversation_id, article=None) -> event id
    record_unanswered_async(...)  (the same over a redis.asyncio client: the action server)
    suggest_article_from_agent_reply(redis, question, reply, lang, agent, conversation_id) -> event id
    clusters(redis, embeddings) -> list[Cluster]
    draft_from_cluster(cluster) -> ArticleDraft
    add_questions_to_article(cluster, article) -> ArticleDraft
    mark_handled(redis, cluster)

`redis` is a redis.Redis client (decoded responses or not) or an UnansweredStore.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import Enum

import numpy as np
import yaml
from langchain_core.embeddings import Embeddings
from redis import Redis
from redis.asyncio import Redis as AsyncRedis
from sklearn.cluster import AgglomerativeClustering

from knowledge import redis_keys
from knowledge.articles import Article
from knowledge.sources import DRAFT_PLACEHOLDER, slug
from knowledge.text import fold

# Redis keys of the content team, all here.
STREAM = redis_keys.UNANSWERED
HANDLED = redis_keys.UNANSWERED_HANDLED
MAX_EVENTS = 100_000  # the stream is trimmed (approximately) to the newest ones
MAX_QUESTION_CHARS = 2000
# Average-linkage cosine distance under which questions are one cluster. On dev questions of
# 20-30 intents (all-MiniLM-L6-v2), the adjusted Rand index against the intents is 0.65-0.73
# (clinc150) and 0.61-0.49 (banking77) between 0.5 and 0.6.
CLUSTER_DISTANCE = 0.55
# Clustering is quadratic in distinct questions: only the newest are clustered.
CLUSTER_LIMIT = 3000
EXAMPLES = 5
DRAFT_QUESTIONS = 20



class UnansweredOutcome(str, Enum):
    DECLINE = "decline"  # the bot said it could not answer
    ESCALATE = "escalate"  # the bot handed over to a person
    UNHELPFUL = "unhelpful"  # the bot answered; the customer said it did not help
    SUGGESTED = "suggested"  # an agent sent the reply they wrote as a suggested article


@dataclass(frozen=True)
class UnansweredEvent:
    id: str  # the stream entry id: "<milliseconds>-<n>"
    question: str
    lang: str
    outcome: UnansweredOutcome
    reason: str | None = None
    conversation_id: str | None = None
    article: str | None = None  # the article an unhelpful answer came from
    answer: str | None = None  # an agent's reply, for SUGGESTED
    agent: str | None = None

    @property
    def at_ms(self) -> int:
        return int(self.id.split("-")[0])


def _text(value: bytes | str | None) -> str | None:
    if value is None:
        return None
    text = value.decode("utf-8") if isinstance(value, bytes) else str(value)
    return text or None


def event_fields(
    question: str,
    lang: str,
    outcome: UnansweredOutcome | str,
    reason: str | None = None,
    conversation_id: str | None = None,
    article: str | None = None,
    answer: str | None = None,
    agent: str | None = None,
) -> dict[str, str] | None:
    """The stream fields of one event; None for a blank question (nothing to learn from)."""
    text = " ".join(question.split())[:MAX_QUESTION_CHARS]
    if not text:
        return None
    return {
        "question": text,
        "lang": (lang or "").strip().lower()[:8] or "und",
        "outcome": UnansweredOutcome(outcome).value,
        "reason": reason or "",
        "conversation_id": conversation_id or "",
        "article": article or "",
        "answer": (answer or "").strip(),
        "agent": agent or "",
    }


class UnansweredStore:
    """The stream of unanswered questions in Redis."""

    def __init__(self, redis: Redis, stream: str = STREAM, handled: str = HANDLED, max_events: int = MAX_EVENTS) -> None:
        self.redis = redis
        self.stream = stream
        self.handled = handled
        self.max_events = max_events

    def record(
        self,
        question: str,
        lang: str,
        outcome: UnansweredOutcome | str,
        reason: str | None = None,
        conversation_id: str | None = None,
        article: str | None = None,
        answer: str | None = None,
        agent: str | None = None,
    ) -> str | None:
        """Append one event; returns its id, or None for a blank question (nothing to learn from)."""
        fields = event_fields(question, lang, outcome, reason, conversation_id, article, answer, agent)
        if fields is None:
            return None
        event_id = self.redis.xadd(self.stream, fields, maxlen=self.max_events, approximate=True)
        return _text(event_id)

    def events(self, limit: int = CLUSTER_LIMIT, include_handled: bool = False) -> list[UnansweredEvent]:
        """The newest events first."""
        handled = set() if include_handled else {_text(m) for m in self.redis.smembers(self.handled)}
        found: list[UnansweredEvent] = []
        last = "+"
        while len(found) < limit:
            entries = self.redis.xrevrange(self.stream, max=last, min="-", count=500)
            if not entries:
                break
            for raw_id, raw_fields in entries:
                event_id = _text(raw_id) or ""
                if event_id in handled:
                    continue
                fields = {_text(k): _text(v) for k, v in raw_fields.items()}
                found.append(UnansweredEvent(
                    id=event_id,
                    question=fields.get("question") or "",
                    lang=fields.get("lang") or "und",
                    outcome=UnansweredOutcome(fields.get("outcome") or "decline"),
                    reason=fields.get("reason"),
                    conversation_id=fields.get("conversation_id"),
                    article=fields.get("article"),
                    answer=fields.get("answer"),
                    agent=fields.get("agent"),
                ))
                if len(found) >= limit:
                    break
            last = f"({_text(entries[-1][0])}"  # exclusive: older than the oldest read so far
        return found

    def mark_handled(self, event_ids: Iterable[str]) -> int:
        ids = list(event_ids)
        return int(self.redis.sadd(self.handled, *ids)) if ids else 0


def _store(redis_or_store: Redis | UnansweredStore) -> UnansweredStore:
    return redis_or_store if isinstance(redis_or_store, UnansweredStore) else UnansweredStore(redis_or_store)


def record_unanswered(
    redis_or_store: Redis | UnansweredStore,
    question: str,
    lang: str,
    outcome: UnansweredOutcome | str,
    reason: str | None = None,
    conversation_id: str | None = None,
    *,
    article: str | None = None,
) -> str | None:
    """Record a question the bot declined or escalated, or whose answer was marked unhelpful.

    outcome: "decline", "escalate" or "unhelpful"; reason: the decision's reason (e.g.
    "low_confidence", "customer_request"); article: for "unhelpful", the article answered from.
    Returns the event id, or None when the question is blank.
    """
    return _store(redis_or_store).record(question, lang, outcome, reason, conversation_id, article=article)


async def record_unanswered_async(
    redis: AsyncRedis,
    question: str,
    lang: str,
    outcome: UnansweredOutcome | str,
    reason: str | None = None,
    conversation_id: str | None = None,
    *,
    article: str | None = None,
    stream: str = STREAM,
) -> str | None:
    """record_unanswered over an asyncio Redis client (the action server's)."""
    fields = event_fields(question, lang, outcome, reason, conversation_id, article)
    if fields is None:
        return None
    return _text(await redis.xadd(stream, fields, maxlen=MAX_EVENTS, approximate=True))


def suggest_article_from_agent_reply(
    redis_or_store: Redis | UnansweredStore,
    question: str,
    reply: str,
    lang: str,
    agent: str | None = None,
    conversation_id: str | None = None,
) -> str | None:
    """An agent sends the reply they wrote to a customer's question to the content team's list.

    It is clustered with similar questions, and becomes the answer of the cluster's draft.
    """
    if not reply.strip():
        raise ValueError("a suggested article needs the reply's text")
    return _store(redis_or_store).record(
        question, lang, UnansweredOutcome.SUGGESTED, "agent_reply", conversation_id, answer=reply, agent=agent
    )


def mark_handled(redis_or_store: Redis | UnansweredStore, cluster: Cluster) -> int:
    """Take a cluster's questions off the list (they became an article or variants)."""
    return _store(redis_or_store).mark_handled(cluster.event_ids)


@dataclass(frozen=True)
class Cluster:
    key: str  # the id of its oldest event: stays the same while the cluster grows
    lang: str
    count: int  # events (the same question asked twice counts twice)
    title: str  # its most central question
    examples: list[str]  # distinct questions, newest first (at most EXAMPLES)
    questions: list[str]  # every distinct question, most asked first
    newest_ms: int
    outcomes: dict[str, int]
    suggested_answers: list[str] = field(default_factory=list)  # agents' replies, newest first
    unhelpful_articles: dict[str, int] = field(default_factory=dict)
    event_ids: list[str] = field(default_factory=list)
    conversations: list[str] = field(default_factory=list)


def _question_key(question: str) -> str:
    return " ".join(fold(question).split()).rstrip(" ?!.")


def cluster_events(
    events: Sequence[UnansweredEvent], embeddings: Embeddings, distance: float = CLUSTER_DISTANCE
) -> list[Cluster]:
    """Group events by language, then by meaning (agglomerative, average linkage, cosine)."""
    by_lang: dict[str, list[UnansweredEvent]] = {}
    for event in events:
        by_lang.setdefault(event.lang, []).append(event)
    found: list[Cluster] = []
    for lang, lang_events in by_lang.items():
        distinct: dict[str, list[UnansweredEvent]] = {}
        for event in lang_events:
            distinct.setdefault(_question_key(event.question), []).append(event)
        keys = list(distinct)
        texts = [max(distinct[k], key=lambda e: e.at_ms).question for k in keys]
        vectors = np.asarray(embeddings.embed_documents(texts), dtype=np.float32)
        vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        if len(keys) == 1:
            labels = np.zeros(1, dtype=int)
        else:
            labels = AgglomerativeClustering(
                n_clusters=None, distance_threshold=distance, metric="cosine", linkage="average"
            ).fit(vectors).labels_
        for label in sorted(set(labels.tolist())):
            members = [i for i in range(len(keys)) if labels[i] == label]
            found.append(_cluster(lang, [keys[i] for i in members], [texts[i] for i in members], vectors[members], distinct))
    return sorted(found, key=lambda c: c.newest_ms, reverse=True)


def _cluster(
    lang: str, keys: list[str], texts: list[str], vectors: np.ndarray, distinct: dict[str, list[UnansweredEvent]]
) -> Cluster:
    counts = np.array([len(distinct[k]) for k in keys], dtype=float)
    centrality = (vectors @ vectors.T) @ counts
    events = sorted((e for k in keys for e in distinct[k]), key=lambda e: e.at_ms, reverse=True)
    newest_first = list(dict.fromkeys(_question_key(e.question) for e in events))
    text_of = dict(zip(keys, texts))
    by_count = sorted(keys, key=lambda k: (-len(distinct[k]), newest_first.index(k)))
    return Cluster(
        key=min((e.id for e in events), key=lambda i: tuple(int(p) for p in i.split("-"))),
        lang=lang,
        count=len(events),
        title=texts[int(np.argmax(centrality))],
        examples=[text_of[k] for k in newest_first[:EXAMPLES]],
        questions=[text_of[k] for k in by_count],
        newest_ms=events[0].at_ms,
        outcomes=dict(Counter(e.outcome.value for e in events)),
        suggested_answers=list(dict.fromkeys(e.answer for e in events if e.outcome is UnansweredOutcome.SUGGESTED and e.answer)),
        unhelpful_articles=dict(Counter(e.article for e in events if e.outcome is UnansweredOutcome.UNHELPFUL and e.article)),
        event_ids=[e.id for e in events],
        conversations=list(dict.fromkeys(e.conversation_id for e in events if e.conversation_id)),
    )


def clusters(
    redis_or_store: Redis | UnansweredStore,
    embeddings: Embeddings,
    *,
    limit: int = CLUSTER_LIMIT,
    distance: float = CLUSTER_DISTANCE,
) -> list[Cluster]:
    """Clusters of the newest unhandled events, newest first."""
    return cluster_events(_store(redis_or_store).events(limit=limit), embeddings, distance)


@dataclass(frozen=True)
class ArticleDraft:
    article_id: str
    lang: str
    markdown: str  # an article file in the format of ../shared/eval/README.md
    file_name: str  # where it could go in the knowledge-base folder
    needs_answer: bool  # the answer is still the placeholder: publishing refuses it until written


def article_markdown(article: Article) -> str:
    """An article as a Markdown file with YAML front matter (what knowledge.articles parses)."""
    meta: dict[str, object] = {"id": article.id, "title": article.title, "lang": article.lang}
    if article.handoff:
        meta["handoff"] = True
    if article.questions:
        meta["questions"] = list(article.questions)
    front = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False, width=1000)
    return f"---\n{front}---\n{article.body.strip()}\n"


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
        article_id, cluster.lang, article_markdown(article), f"{slug(article_id).replace('/', '-')}.md",
        needs_answer=not cluster.suggested_answers,
    )


def add_questions_to_article(cluster: Cluster, article: Article) -> ArticleDraft:
    """The article with the cluster's questions added as variants (those it does not have yet)."""
    have = {_question_key(q) for q in article.questions}
    added = [q for q in cluster.questions if _question_key(q) not in have][:DRAFT_QUESTIONS]
    updated = Article(
        id=article.id, title=article.title, lang=article.lang, body=article.body,
        questions=(*article.questions, *added), handoff=article.handoff, source=article.source,
    )
    return ArticleDraft(
        article.id, article.lang, article_markdown(updated), f"{slug(article.id).replace('/', '-')}.md", needs_answer=False
    )
