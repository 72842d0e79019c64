"""Unanswered questions grouped into clusters of similar ones (count, language, examples, newest
first), as the content team sees them; handling a cluster takes its questions off the list."""
from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from langchain_core.embeddings import Embeddings
from redis import Redis
from sklearn.cluster import AgglomerativeClustering

from knowledge.contract import EscalationReason
from knowledge.embeddings import embed_questions, similarity_floor
from knowledge.text import fold
from knowledge.unanswered.events import CLUSTER_LIMIT, UnansweredEvent, UnansweredOutcome, UnansweredStore

# Average-linkage cosine distance under which questions are one cluster. On dev questions of
# 20-30 intents (all-MiniLM-L6-v2), the adjusted Rand index against the intents is 0.65-0.73
# (clinc150) and 0.61-0.49 (banking77) between 0.5 and 0.6. In the units of a model whose
# cosines are squeezed above a floor (e5), the distance shrinks by the same factor.
CLUSTER_DISTANCE = 0.55
EXAMPLES = 5


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
    event_ids: list[str] = field(default_factory=list)  # newest first
    conversations: list[str] = field(default_factory=list)

    @property
    def newest_position(self) -> tuple[int, int]:
        """Where its newest event is in the stream (milliseconds, then sequence within them)."""
        ms, sequence = self.event_ids[0].split("-") if self.event_ids else (self.newest_ms, 0)
        return int(ms), int(sequence)


def question_key(question: str) -> str:
    """The same question however it is cased, accented, spaced or punctuated at the end."""
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
            distinct.setdefault(question_key(event.question), []).append(event)
        keys = list(distinct)
        texts = [max(distinct[k], key=lambda e: e.position).question for k in keys]
        vectors = np.asarray(embed_questions(embeddings, texts), dtype=np.float32)
        vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        if len(keys) == 1:
            labels = np.zeros(1, dtype=int)
        else:
            labels = AgglomerativeClustering(
                n_clusters=None, distance_threshold=distance * (1.0 - similarity_floor(embeddings)), metric="cosine", linkage="average"
            ).fit(vectors).labels_
        for label in sorted(set(labels.tolist())):
            members = [i for i in range(len(keys)) if labels[i] == label]
            found.append(_cluster(lang, [keys[i] for i in members], [texts[i] for i in members], vectors[members], distinct))
    return sorted(found, key=lambda c: c.newest_position, reverse=True)


def _cluster(
    lang: str, keys: list[str], texts: list[str], vectors: np.ndarray, distinct: dict[str, list[UnansweredEvent]]
) -> Cluster:
    counts = np.array([len(distinct[k]) for k in keys], dtype=float)
    centrality = (vectors @ vectors.T) @ counts
    events = sorted((e for k in keys for e in distinct[k]), key=lambda e: e.position, reverse=True)
    newest_first = list(dict.fromkeys(question_key(e.question) for e in events))
    text_of = dict(zip(keys, texts))
    by_count = sorted(keys, key=lambda k: (-len(distinct[k]), newest_first.index(k)))
    return Cluster(
        key=min(events, key=lambda e: e.position).id,
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
    """Clusters of the newest unhandled events, newest first. Hand-overs of sensitive topics (recorded
    before they were left out: the bot hands them over by design) are not unanswered."""
    events = [e for e in UnansweredStore.of(redis_or_store).events(limit=limit)
              if not (e.outcome is UnansweredOutcome.ESCALATE and e.reason == EscalationReason.SENSITIVE.value)]
    return cluster_events(events, embeddings, distance)


def find_cluster(found: Sequence[Cluster], key_or_number: str) -> Cluster | None:
    """A cluster by its key, or by its number (from 1) in the list as shown."""
    chosen = [c for c in found if c.key == key_or_number]
    if not chosen and key_or_number.isdigit() and 1 <= int(key_or_number) <= len(found):
        chosen = [found[int(key_or_number) - 1]]
    return chosen[0] if chosen else None


def mark_handled(redis_or_store: Redis | UnansweredStore, cluster: Cluster) -> int:
    """Take a cluster's questions off the list (they became an article or variants)."""
    return UnansweredStore.of(redis_or_store).mark_handled(cluster.event_ids)
