"""Sensitive topics: what a customer mentions that an advisor, not the bot, must handle.

The content team lists them in a YAML file (knowledge/sensitive_topics.yml, or the file
SENSITIVE_TOPICS_PATH names), with phrases in each language; the file is read again when
it changes, so editing it needs no code and no restart.

A phrase matches when its words appear in the message in the same order, with at most
MAX_GAP other words between two of them, compared on Snowball stems of accent-folded,
lower-case words: "carte volée" matches "Ma carte bancaire a été VOLEE". A word written
`a|b|c` matches any of the alternatives; `=volé` matches the word itself, not its stem
(French "volé" and "vol", a flight, share the stem "vol"). A last word written `!a|b` is one that
must not come right after the phrase (within MAX_GAP words): "find my card !pin" matches "I can't
find my card", not "I can't find my card's PIN".
"""
from __future__ import annotations

import logging
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol

import yaml

from knowledge import wording
from knowledge.contract import Decision, EscalationReason, Outcome
from knowledge.text import fold, stemmed_tokens

logger = logging.getLogger(__name__)

# Other words allowed between two consecutive words of a phrase ("card was stolen" for "card stolen").
MAX_GAP = 2
ALTERNATIVE_SEPARATOR = "|"
EXACT_PREFIX = "="
NOT_AFTER_PREFIX = "!"
_WORD = re.compile(r"\w+", re.UNICODE)  # the tokens knowledge.text stems


class SensitiveTopicsError(ValueError):
    """The topics file cannot be used as written."""


@dataclass(frozen=True)
class TopicMatch:
    topic: str
    phrase: str


@dataclass(frozen=True)
class Alternative:
    """One acceptable form of a phrase word: stems, or exact folded words after '='."""

    exact: bool
    tokens: tuple[str, ...]  # several when the word has an apostrophe or hyphen ("didn't")


@dataclass(frozen=True)
class TopicPhrase:
    topic: str
    lang: str
    text: str
    words: tuple[frozenset[Alternative], ...]
    not_after: frozenset[Alternative] = frozenset()  # words that must not follow the phrase


@dataclass(frozen=True)
class MessageTokens:
    words: list[str]  # folded (lower case, no accents)
    stems: list[str]  # the same words, stemmed

    @classmethod
    def of(cls, text: str, lang: str) -> MessageTokens:
        return cls(folded_words(text), stemmed_tokens(text, lang))


def folded_words(text: str) -> list[str]:
    return _WORD.findall(fold(text))


def _alternative(written: str, lang: str) -> Alternative | None:
    exact = written.startswith(EXACT_PREFIX)
    text = written[len(EXACT_PREFIX) :] if exact else written
    tokens = tuple(folded_words(text) if exact else stemmed_tokens(text, lang))
    return Alternative(exact, tokens) if tokens else None


def _alternatives(word: str, lang: str) -> frozenset[Alternative]:
    return frozenset(a for written in word.split(ALTERNATIVE_SEPARATOR) if (a := _alternative(written, lang)))


def compile_phrase(topic: str, lang: str, text: str) -> TopicPhrase:
    written = text.split()
    not_after: frozenset[Alternative] = frozenset()
    if written and written[-1].startswith(NOT_AFTER_PREFIX):
        not_after = _alternatives(written.pop()[len(NOT_AFTER_PREFIX):], lang)
    if any(word.startswith(NOT_AFTER_PREFIX) for word in written):
        raise SensitiveTopicsError(f"topic {topic!r} ({lang}): phrase {text!r}: a `!word` can only be the last word")
    words = [alternatives for word in written if (alternatives := _alternatives(word, lang))]
    if not words:
        raise SensitiveTopicsError(f"topic {topic!r} ({lang}): phrase {text!r} has no word")
    return TopicPhrase(topic, lang, text, tuple(words), not_after)


def phrase_occurs(words: Sequence[frozenset[Alternative]], message: MessageTokens, max_gap: int = MAX_GAP,
                  not_after: frozenset[Alternative] = frozenset()) -> bool:
    """The phrase's words in order in the message, with at most `max_gap` other words between two of them,
    and none of `not_after` within `max_gap` words after the last."""
    size = len(message.stems)

    def followed_by_excluded(position: int) -> bool:
        return any(ends_at(not_after, start) for start in range(position, min(size, position + max_gap)))

    def ends_at(word: frozenset[Alternative], position: int) -> list[int]:
        ends = []
        for alternative in word:
            tokens = message.words if alternative.exact else message.stems
            end = position + len(alternative.tokens)
            if tuple(tokens[position:end]) == alternative.tokens:
                ends.append(end)
        return ends

    def rest_from(word_index: int, position: int) -> bool:
        if word_index == len(words):
            return not (not_after and followed_by_excluded(position))
        for start in range(position, min(size, position + max_gap + 1)):
            if any(rest_from(word_index + 1, end) for end in ends_at(words[word_index], start)):
                return True
        return False

    return any(rest_from(1, end) for start in range(size) for end in ends_at(words[0], start))


class SensitiveTopics:
    """The compiled phrases of every topic, matched against one message at a time."""

    def __init__(self, phrases: Sequence[TopicPhrase]) -> None:
        self.phrases = list(phrases)
        self.languages = sorted({phrase.lang for phrase in self.phrases})

    @property
    def topics(self) -> list[str]:
        return sorted({phrase.topic for phrase in self.phrases})

    @classmethod
    def from_yaml(cls, text: str, source: str = "<sensitive topics>") -> SensitiveTopics:
        try:
            document = yaml.safe_load(text) or {}
        except yaml.YAMLError as error:
            raise SensitiveTopicsError(f"{source}: not valid YAML: {error}") from error
        topics = document.get("topics") if isinstance(document, dict) else None
        if not isinstance(topics, dict):
            raise SensitiveTopicsError(f"{source}: expected a `topics:` mapping of topic name to languages")
        phrases: list[TopicPhrase] = []
        for topic, by_language in topics.items():
            if not isinstance(by_language, dict):
                raise SensitiveTopicsError(f"{source}: topic {topic!r}: expected languages (en:, fr:) with a list of phrases each")
            for lang, texts in by_language.items():
                if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
                    raise SensitiveTopicsError(f"{source}: topic {topic!r} ({lang}): expected a list of phrases")
                phrases += [compile_phrase(str(topic), str(lang), t) for t in texts]
        return cls(phrases)

    @classmethod
    def load(cls, path: Path) -> SensitiveTopics:
        return cls.from_yaml(path.read_text(encoding="utf-8"), str(path))

    def match(self, text: str, lang: str | None = None) -> TopicMatch | None:
        """The first listed topic the message mentions, among the phrases in `lang` (all languages if None)."""
        languages = [lang] if lang in self.languages else self.languages
        tokens = {language: MessageTokens.of(text, language) for language in languages}
        seen = {language: (set(t.words), set(t.stems)) for language, t in tokens.items()}
        for phrase in self.phrases:
            if phrase.lang not in tokens or not _every_word_present(phrase.words, *seen[phrase.lang]):
                continue
            if phrase_occurs(phrase.words, tokens[phrase.lang], not_after=phrase.not_after):
                return TopicMatch(phrase.topic, phrase.text)
        return None


def _every_word_present(words: Sequence[frozenset[Alternative]], folded: set[str], stems: set[str]) -> bool:
    """Whether each phrase word starts somewhere in the message: without it the phrase cannot occur, and
    this set lookup spares most phrases the positional scan (7 % of the action server's time in `make bench`)."""
    return all(any(a.tokens[0] in (folded if a.exact else stems) for a in word) for word in words)


class SensitiveTopicsFile:
    """The topics of a file, reloaded whenever the file's modification time changes.

    A file that breaks is reported in the log and the topics loaded before are kept, so a
    typo by the content team never silences the escalation of every topic.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._signature: tuple[int, int] | None = None  # (modification time in ns, size); None: unreadable
        self._topics = SensitiveTopics([])
        self._reload_if_changed(first=True)

    def _reload_if_changed(self, first: bool = False) -> None:
        try:
            stat = os.stat(self.path)
        except OSError as error:
            if first or self._signature is not None:
                logger.warning("sensitive topics file %s cannot be read (%s); keeping %d phrases",
                               self.path, error, len(self._topics.phrases))
            self._signature = None
            return
        signature = (stat.st_mtime_ns, stat.st_size)
        if signature == self._signature:
            return
        self._signature = signature
        try:
            self._topics = SensitiveTopics.load(self.path)
        except (OSError, SensitiveTopicsError) as error:
            logger.error("sensitive topics not reloaded, keeping the previous list: %s", error)
            return
        logger.info("loaded %d sensitive-topic phrases (%s) from %s",
                    len(self._topics.phrases), ", ".join(self._topics.topics), self.path)

    def topics(self) -> SensitiveTopics:
        self._reload_if_changed()
        return self._topics

    def match(self, text: str, lang: str | None = None) -> TopicMatch | None:
        return self.topics().match(text, lang)


class _TopicMatcher(Protocol):
    def match(self, text: str, lang: str | None = None) -> TopicMatch | None: ...


def apply_topic_rule(topics: _TopicMatcher, question: str, decision: Decision,
                     lang: str) -> tuple[Decision, TopicMatch | None]:
    """The decision once the listed sensitive topics are applied, and the topic `question` names if any: a
    question naming one is handed over whatever the knowledge base said (the action server's rule, which
    `make eval` follows too)."""
    topic = topics.match(question, lang)
    if topic is None:
        return decision, None
    reason = EscalationReason.SENSITIVE
    handed_over = replace(decision, outcome=Outcome.ESCALATE, reason=reason.value,
                          text=wording.escalate_text(reason, lang))
    return handed_over, topic
