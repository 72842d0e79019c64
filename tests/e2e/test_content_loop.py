"""The content team's loop through the running bot: publish, rollback, what the bot could not
answer turned into an article, a blocked publish. Real web app, Rasa, action server, Redis and
Chroma: the session's stack, which answers from a copy of the sample help centre published as v1
by the CLI. These tests publish to it, so they run last (marker `publishes`).

How long the bot takes to answer from a publish is printed, never asserted (the target is 5 s;
benchmarks, not tests, hold timings): the tests ask until the bot answers from the change, with no
deadline of their own; a change that is never served fails at the pytest timeout.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis

from knowledge.contract import BotReply
from knowledge.embeddings import make_embeddings
from knowledge.settings import KnowledgeSettings
from knowledge.sources import DRAFT_PLACEHOLDER
from knowledge.unanswered.clustering import clusters, mark_handled
from knowledge.unanswered.drafting import draft_from_cluster
from knowledge.unanswered.events import STREAM
from ops.stack import Stack
from tests.e2e.conftest import HelpCentre
from tests.e2e.handoff_clients import Customer
from tests.knowledge.helpers import cli

pytestmark = [pytest.mark.e2e, pytest.mark.publishes]

PASSWORD_QUESTION = "I forgot my password, how do I reset it?"
PASSWORD_ARTICLE = "lumen/reset-password-en"
NEW_PASSWORD_LINE = "You can also reset it by text message: send RESET to 2020."
# Nothing in the sample help centre is about gift vouchers.
VOUCHER_QUESTIONS = ("do you sell gift vouchers", "can I buy a gift voucher", "where can I buy a gift voucher?",
                     "gift voucher balance")
VOUCHER_ANSWER = "Lumen Mobile does not sell gift vouchers yet; you can top up a friend's prepaid line instead."


@dataclass(frozen=True)
class ContentStack:
    stack: Stack
    folder: Path  # the help centre's articles, as the content team edits them
    chroma: Path

    def publish(self, *args: str) -> str:
        done = cli("publish", str(self.folder), *args, chroma=self.chroma)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        return done.stdout

    def ask(self, question: str) -> BotReply:
        """A question from a new customer, through the web app."""
        replies = Customer(self.stack.urls["web"]).say(question)["replies"]
        assert len(replies) == 1, replies
        return replies[0]

    def until(self, question: str, wanted: Callable[[BotReply], bool], since: float) -> tuple[BotReply, float]:
        """Asks until the bot's reply is as wanted (each question also makes the action server look for
        a new version, which it loads in the background); the reply and how long after `since` it came."""
        while True:
            reply = self.ask(question)
            if wanted(reply):
                return reply, time.monotonic() - since
            time.sleep(0.2)


@pytest.fixture(scope="module")
def content(stack: Stack, help_centre: HelpCentre) -> ContentStack:
    # The content team's list starts empty, as on a stack of this module's own: the other tests' questions
    # are not what these tests turn into an article.
    redis.Redis.from_url(stack.urls["redis"]).delete(STREAM)
    return ContentStack(stack, help_centre.folder, help_centre.chroma)


def test_a_published_change_is_answered_by_the_bot_and_a_rollback_brings_the_old_answer_back(
    content: ContentStack,
) -> None:
    before = content.ask(PASSWORD_QUESTION)
    assert (before["outcome"], before["article"]) == ("answer", PASSWORD_ARTICLE)
    assert NEW_PASSWORD_LINE not in before["text"]

    article = content.folder / "en" / "reset-password.md"
    article.write_text(article.read_text(encoding="utf-8").rstrip() + f"\n\n{NEW_PASSWORD_LINE}\n", encoding="utf-8")
    output = content.publish("--author", "bob")
    published_at = time.monotonic()
    assert "changed 1" in output and "published v2 by bob" in output
    after, seen_after = content.until(PASSWORD_QUESTION, lambda r: NEW_PASSWORD_LINE in r.get("text", ""), published_at)
    print(f"\nthe bot answered from the published change {seen_after:.1f}s after `publish` returned")
    assert (after["outcome"], after["article"]) == ("answer", PASSWORD_ARTICLE)
    assert NEW_PASSWORD_LINE in after["text"]

    rolled = cli("rollback", "v1", "--author", "bob", chroma=content.chroma)
    assert rolled.returncode == 0 and "published v3 by bob (rollback to v1)" in rolled.stdout, rolled.stdout + rolled.stderr
    rolled_at = time.monotonic()
    again, seen_after = content.until(PASSWORD_QUESTION, lambda r: NEW_PASSWORD_LINE not in r.get("text", ""), rolled_at)
    print(f"the bot answered from the rolled-back version {seen_after:.1f}s after `rollback` returned")
    assert again == before  # text, article, confidence and sources, as v1 answered


def test_declined_questions_become_an_article_that_the_bot_then_answers_from(content: ContentStack) -> None:
    for question in VOUCHER_QUESTIONS:
        declined = content.ask(question)
        assert (declined["outcome"], declined["article"]) == ("decline", None), (question, declined)

    settings = KnowledgeSettings(chroma_path=content.chroma)
    unanswered = redis.Redis.from_url(content.stack.urls["redis"], decode_responses=True)
    found = [c for c in clusters(unanswered, make_embeddings(settings)) if set(c.questions) & set(VOUCHER_QUESTIONS)]
    assert len(found) == 1, [(c.title, c.questions) for c in found]
    cluster = found[0]
    assert (cluster.lang, cluster.outcomes.get("decline")) == ("en", len(VOUCHER_QUESTIONS))
    assert cluster.count == len(VOUCHER_QUESTIONS) and set(cluster.questions) == set(VOUCHER_QUESTIONS)

    draft = draft_from_cluster(cluster, article_id="lumen/gift-vouchers-en", title="Gift vouchers")
    assert draft.needs_answer and DRAFT_PLACEHOLDER in draft.markdown
    (content.folder / "en" / draft.file_name).write_text(draft.markdown.replace(DRAFT_PLACEHOLDER, VOUCHER_ANSWER),
                                                         encoding="utf-8")
    output = content.publish("--author", "carol", "--confirm")
    published_at = time.monotonic()
    assert "+ lumen/gift-vouchers-en" in output and "published v" in output
    mark_handled(unanswered, cluster)

    answered, seen_after = content.until(
        VOUCHER_QUESTIONS[1], lambda r: r.get("article") == "lumen/gift-vouchers-en", published_at
    )
    print(f"\nthe bot answered from the new article {seen_after:.1f}s after `publish` returned")
    assert (answered["outcome"], answered["article"], answered["text"]) == ("answer", "lumen/gift-vouchers-en", VOUCHER_ANSWER)
    # The cluster's questions left the list (asked again while the new version loaded, they are back as new ones).
    left = clusters(unanswered, make_embeddings(settings))
    assert not [c for c in left if set(c.event_ids) & set(cluster.event_ids)]


def test_a_blocked_publish_lists_the_variants_it_would_break_and_the_bot_keeps_answering(content: ContentStack) -> None:
    password = (content.folder / "en" / "reset-password.md").read_text(encoding="utf-8")
    copy = content.folder / "en" / "password-help.md"
    copy.write_text(password.replace(PASSWORD_ARTICLE, "lumen/password-help-en")
                    .replace("Reset your password", "Password help"), encoding="utf-8")
    live = cli("versions", chroma=content.chroma).stdout.splitlines()[0]
    try:
        done = cli("publish", str(content.folder), "--author", "dave", chroma=content.chroma)
        assert done.returncode == 3, done.stdout[-3000:] + done.stderr[-3000:]
        assert "BLOCKED: nothing published" in done.stdout
        broken = [line for line in done.stdout.splitlines() if line.startswith(f"  {PASSWORD_ARTICLE}: \"")]
        assert broken, done.stdout[-3000:]
        reply = content.ask(PASSWORD_QUESTION)
        assert (reply["outcome"], reply["article"]) == ("answer", PASSWORD_ARTICLE)
        assert cli("versions", chroma=content.chroma).stdout.splitlines()[0] == live
    finally:
        copy.unlink()
