"""What the simulated customers, the agent and the reviewer do. Each conversation follows a plan; the bot
decides what it decides (a question meant to be answered may be declined or handed over), and whatever
it does is recorded and then handled as a person would: a chat in the queue is claimed by the agent, a
ticket offered gets an email address.

Plans (the conversation's language alternates English / French):
- answer_helpful: questions until one is answered, "helpful? yes", thanks, no (goodbye), rated 5;
- decline: an out-of-scope question (declined), rated 2;
- handover_closed: asks for a person; the agent claims, replies and closes; rated 4;
- answer_unhelpful: an answer, "helpful? no" (the bot hands over); the agent claims, replies and hands
  back; rated 1, then 3 (the figures keep the last);
- ticket: asks for a person while no agent is online; leaves an email; a ticket; rated 3;
- answer_goodbye: an answer, no "helpful?", thanks, no (goodbye), no rating.
"""
from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from knowledge.settings import REPO_ROOT
from ops.simulate_day.clients import Customer, Staff
from ops.simulate_day.journal import ConversationRecord, Journal, Turn, Verdict, replies_of

PLANS = ("answer_helpful", "decline", "handover_closed", "answer_unhelpful", "ticket", "answer_goodbye")
QUESTIONS = REPO_ROOT / "knowledge" / "sample_queries" / "dev.jsonl"
MAX_QUESTIONS = 4  # questions asked in a conversation meant to be answered before giving up
OUT_OF_SCOPE = {
    "en": ["how do I bake sourdough bread", "who painted the mona lisa", "what is the capital of australia"],
    "fr": ["comment faire du pain au levain", "qui a peint la joconde", "quelle est la capitale de l'australie"],
}
SAYINGS = {
    "en": {"person": "I want to talk to a person", "thanks": "thanks", "no": "no", "email": "sim.customer@example.com",
           "agent": "Hello, I'm looking into it for you."},
    "fr": {"person": "je veux parler à un conseiller", "thanks": "merci", "no": "non", "email": "client.sim@example.com",
           "agent": "Bonjour, je regarde cela pour vous."},
}
# The reviewer's verdicts, in turn (and every fourth answer left unreviewed: a reviewer samples).
VERDICTS = ("correct", "correct", "wrong_article", "correct", "should_have_declined", "correct", "should_have_handed_over")
Progress = Callable[[str], None]


def answerable_questions(lang: str, seed: int) -> Iterator[str]:
    """dev.jsonl's questions that name the article answering them, in the language, in a seeded order, forever."""
    rows = [json.loads(line) for line in QUESTIONS.read_text(encoding="utf-8").splitlines() if line.strip()]
    texts = [r["text"] for r in rows if r.get("lang") == lang and str(r.get("expected", "")).startswith("lumen/")]
    random.Random(seed).shuffle(texts)
    while True:
        yield from texts


def plan_and_lang(index: int) -> tuple[str, str]:
    """The plan of the index-th conversation, and its language: each plan in English, then in French."""
    rounds, position = divmod(index, len(PLANS))
    return PLANS[position], ("en" if (position + rounds) % 2 == 0 else "fr")


@dataclass
class Day:
    web: str
    agent: Staff
    journal: Journal
    progress: Progress
    seed: int = 7

    def __post_init__(self) -> None:
        self.questions = {lang: answerable_questions(lang, self.seed) for lang in SAYINGS}

    # ------------------------------------------------------------------ one conversation
    def run(self, index: int, total: int) -> ConversationRecord:
        plan, lang = plan_and_lang(index)
        if plan == "ticket" and self.agent.online:
            self.agent.log_out()  # nobody online: the bot takes contact details for a ticket
        elif plan != "ticket" and not self.agent.online:
            self.agent.log_in()
        customer = Customer(self.web)
        record = ConversationRecord(customer.conversation_id, lang, plan)
        self.journal.conversations.append(record)
        self.journal.write("conversation", conversation=record.conversation_id, plan=plan, lang=lang)
        try:
            getattr(self, f"_{plan}")(customer, record)
        finally:
            customer.close()
        self.progress(f"[{index + 1}/{total}] {lang} {plan}: " + ", ".join(_describe(turn) for turn in record.turns)
                      + (f"; agent {'/'.join(record.agent_actions)}" if record.agent_actions else "")
                      + (f"; rated {'→'.join(map(str, record.ratings))}" if record.ratings else ""))
        return record

    def _say(self, customer: Customer, record: ConversationRecord, text: str) -> Turn:
        response = customer.say(text, record.lang)
        turn = Turn("message", text, response["owner"], replies_of(response))
        return self._settle(customer, record, turn)

    def _feedback(self, customer: Customer, record: ConversationRecord, message_id: str, helpful: bool,
                  article: str | None) -> Turn:
        response = customer.feedback(message_id, helpful, record.lang)
        record.helpful[message_id] = helpful
        record.helpful_article[message_id] = article
        turn = Turn("feedback", "yes" if helpful else "no", response["owner"], replies_of(response))
        return self._settle(customer, record, turn)

    def _settle(self, customer: Customer, record: ConversationRecord, turn: Turn) -> Turn:
        """Records the turn; a ticket offered gets an email address (another turn)."""
        record.turns.append(turn)
        self.journal.write("turn", conversation=record.conversation_id, turn=turn)
        if turn.owner == "bot" and any(r.outcome == "escalate" and r.route == "ticket" for r in turn.replies):
            self._say(customer, record, SAYINGS[record.lang]["email"])
        return turn

    def _agent_takes(self, record: ConversationRecord, then: str) -> None:
        """The agent claims the queued chat, replies, and closes it or hands it back to the bot."""
        if not self.agent.online:
            self.agent.log_in()
        cid = record.conversation_id
        record.agent_actions.append(f"claimed:{self.agent.claim(cid)}")
        self.agent.reply(cid, SAYINGS[record.lang]["agent"])
        record.agent_actions.append("replied")
        status = self.agent.close_chat(cid) if then == "close" else self.agent.hand_back(cid)
        record.agent_actions.append(f"{'closed' if then == 'close' else 'handed_back'}:{status}")
        self.journal.write("agent", conversation=cid, actions=record.agent_actions)

    def _rate(self, customer: Customer, record: ConversationRecord, *ratings: int) -> None:
        for rating in ratings:
            customer.rate(rating, record.lang)
            record.ratings.append(rating)
            self.journal.write("rating", conversation=record.conversation_id, rating=rating)

    def _ask_until_answered(self, customer: Customer, record: ConversationRecord) -> tuple[str, str | None] | None:
        """Questions until one is answered: (the answer's message id, its article); None when the bot did not
        answer any or handed the chat over (then the agent took it and closed it)."""
        for _ in range(MAX_QUESTIONS):
            turn = self._say(customer, record, next(self.questions[record.lang]))
            if turn.owner == "queued":
                self._agent_takes(record, "close")
                return None
            answer = next((r for r in turn.replies if r.outcome == "answer" and r.message_id), None)
            if answer is not None:
                return answer.message_id, answer.article  # type: ignore[return-value]
            if turn.owner != "bot":
                return None
        return None

    def _goodbye(self, customer: Customer, record: ConversationRecord) -> None:
        for text in (SAYINGS[record.lang]["thanks"], SAYINGS[record.lang]["no"]):
            owner = self._say(customer, record, text).owner
            if owner == "queued":
                self._agent_takes(record, "close")
            if owner != "bot":
                return

    # ------------------------------------------------------------------ the plans
    def _answer_helpful(self, customer: Customer, record: ConversationRecord) -> None:
        answered = self._ask_until_answered(customer, record)
        if answered:
            self._feedback(customer, record, answered[0], True, answered[1])
            self._goodbye(customer, record)
        self._rate(customer, record, 5)

    def _decline(self, customer: Customer, record: ConversationRecord) -> None:
        turn = self._say(customer, record, random.Random(len(self.journal.conversations)).choice(OUT_OF_SCOPE[record.lang]))
        if turn.owner == "queued":
            self._agent_takes(record, "close")
        self._rate(customer, record, 2)

    def _handover_closed(self, customer: Customer, record: ConversationRecord) -> None:
        if self._say(customer, record, SAYINGS[record.lang]["person"]).owner == "queued":
            self._agent_takes(record, "close")
        self._rate(customer, record, 4)

    def _answer_unhelpful(self, customer: Customer, record: ConversationRecord) -> None:
        answered = self._ask_until_answered(customer, record)
        if answered and self._feedback(customer, record, answered[0], False, answered[1]).owner == "queued":
            self._agent_takes(record, "hand_back")
        self._rate(customer, record, 1, 3)

    def _ticket(self, customer: Customer, record: ConversationRecord) -> None:
        if self._say(customer, record, SAYINGS[record.lang]["person"]).owner == "queued":
            self._agent_takes(record, "close")  # someone else was online: the chat was queued after all
        self._rate(customer, record, 3)

    def _answer_goodbye(self, customer: Customer, record: ConversationRecord) -> None:
        if self._ask_until_answered(customer, record):
            self._goodbye(customer, record)

    # ------------------------------------------------------------------ after the conversations
    def close_tickets(self) -> None:
        """The agent marks every other ticket filed today done."""
        if not self.agent.online:
            self.agent.log_in()
        filed = [r.ticket for record in self.journal.conversations for r in record.replies if r.outcome == "ticket" and r.ticket]
        for ticket in filed[::2]:
            if self.agent.ticket_done(ticket) == "ok":
                self.journal.tickets_done.append(ticket)
                self.journal.write("ticket_done", ticket=ticket)
        self.progress(f"tickets: {len(filed)} filed, {len(self.journal.tickets_done)} marked done")

    def review(self, reviewer: Staff) -> None:
        """The reviewer marks the sampled answers of this simulation's conversations (every fourth left
        unreviewed), with VERDICTS in turn."""
        ours = {record.conversation_id for record in self.journal.conversations}
        sample = [item for item in reviewer.review_sample(100) if item["conversation_id"] in ours]
        sample.sort(key=lambda item: item["event_id"])
        for position, item in enumerate(sample):
            if position % 4 == 3:
                continue
            verdict = VERDICTS[len(self.journal.verdicts) % len(VERDICTS)]
            status = reviewer.review(item["event_id"], verdict)
            self.journal.write("review", event_id=item["event_id"], verdict=verdict, status=status)
            if status == 204:
                self.journal.verdicts.append(Verdict(item["event_id"], item["conversation_id"], item["lang"], verdict))
        self.progress(f"reviews: {len(sample)} of this day's answers sampled, {len(self.journal.verdicts)} marked")


def _describe(turn: Turn) -> str:
    said = ", ".join(r.outcome + (f"({r.reason})" if r.reason else "") for r in turn.replies) or "no reply"
    return f"{'helpful=' + turn.said if turn.kind == 'feedback' else 'said'}→{said}" + ("→queued" if turn.owner == "queued" else "")
