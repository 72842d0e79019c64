"""Answering from the knowledge base, and handing over when the customer or the topic needs a person.

Escalation policy (each hand-over says why in the payload's `reason`):
- asking for a person (`customer_request`), complaining (`complaint`), saying an answer did
  not help (`not_helpful`): at once, from the intent;
- a `handoff: true` article or a topic of knowledge/sensitive_topics.yml (`sensitive`): at once,
  and the article's urgent steps come first in the same reply (help and hand over, never
  instead): actions/excerpts.py; a person asked for or a complaint about such an article too;
- an unsure decline (`low_confidence`): the bot asks "Did you mean A / B?" when two articles
  are close (actions/dialogue/clarification.py), else offers an advisor, and hands over if the
  customer says yes; a second unsure decline in a row hands over at once
  (`repeated_failure`). An out-of-scope decline does not count, but its text invites asking
  for an advisor, so a "yes" right after it hands over too.
- a follow-up ("and in Canada?") is read with the conversation's last question
  (knowledge/answering/followups.py).
"""
from __future__ import annotations

from dataclasses import replace

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import slots
from actions.dialogue.clarification import answer_from, chosen_article, clarification_options, clarify_reply
from actions.collaborators import CollaboratingAction
from actions.conversation import intent_of, last_bot_reply, remember, turn_context
from actions.excerpts import answer_reply, urgent_steps_for
from actions.nlu_arbiter import handover_intent_stands, is_button
from actions.recording import record_reply
from actions.replies import say
from actions.routing import hand_over
from actions.dialogue.smalltalk import SMALLTALK_RESPONSES, small_talk_reply, without_third_repeat
from handoff.insights.metrics import DECISION_SECONDS
from knowledge import wording
from knowledge.answering.engine import KnowledgeEngine
from knowledge.answering.followups import decide_in_context, next_context, topic_words
from knowledge.answering.sensitive_topics import apply_topic_rule
from knowledge.answering.triggers import TRIGGER_INTENTS
from knowledge.contract import Decision, DeclineReason, EscalationReason, Offer, Outcome, Reply

# Intents that hand over at once, whatever was said before.
HANDOVER_INTENTS = {**TRIGGER_INTENTS, "answer_not_helpful": EscalationReason.NOT_HELPFUL}
# The unsure declines in a row after which the bot hands over without asking.
REPEATED_FAILURES = 2


def _no_pending_handover(tracker: Tracker, failures: float = 0.0) -> list[EventType]:
    return slots.changed(tracker, {
        slots.HANDOVER_OFFERED: None, slots.HANDOVER_ROUTE: None, slots.LOW_CONFIDENCE_COUNT: failures,
        slots.CLARIFY_OPTIONS: None,
    })


# Words a message may have and still be bare small talk ("hello there", "merci beaucoup").
BARE_SMALL_TALK_WORDS = 3


# Topic words (knowledge/answering/followups.py) a message may have and still get a small-talk
# reply: "merci beaucoup pour votre aide" is thanks; "je vais à Londres la semaine pro, je paie un
# supplément ?" is a question, whatever NLU says.
SMALL_TALK_TOPIC_WORDS = 4


def _reads_as_small_talk(question: str) -> bool:
    return len(topic_words(question)) <= SMALL_TALK_TOPIC_WORDS


def _bare_small_talk(question: str, decision: Decision) -> bool:
    """A short small-talk message that the knowledge base only escalates as a request or complaint."""
    requests = {EscalationReason.CUSTOMER_REQUEST.value, EscalationReason.COMPLAINT.value}
    return (decision.outcome is Outcome.ESCALATE and decision.reason in requests
            and len(question.split()) <= BARE_SMALL_TALK_WORDS)


def offer_advisor(dispatcher: CollectingDispatcher, decision: Decision) -> None:
    """An unsure decline that asks "Would you like to talk to an advisor?", with Yes/No buttons."""
    offer = wording.utterance("utter_offer_advisor", decision.lang)
    say(dispatcher, Reply.from_decision(decision, offer.text, offer=Offer.ADVISOR, buttons=offer.buttons))


class ActionAnswerQuestion(CollaboratingAction):
    def name(self) -> str:
        return "action_answer_question"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        service = self.service
        question = tracker.latest_message.get("text") or ""
        intent = str(intent_of(tracker).get("name"))
        engine = service.engine()
        lang = engine.language_of(question, fallback=tracker.get_slot(slots.LANGUAGE))
        events: list[EventType] = [SlotSet(slots.LANGUAGE, lang)]
        if intent == "deny" and tracker.get_slot(slots.HANDOVER_OFFERED):
            say(dispatcher, Reply(Outcome.SMALLTALK, lang, wording.text("utter_offer_declined", lang)))
            failures = float(tracker.get_slot(slots.LOW_CONFIDENCE_COUNT) or 0.0)
            return events + _no_pending_handover(tracker, failures)

        context = turn_context(tracker)
        chosen = chosen_article(engine, tracker, question)
        if chosen is not None:  # the customer picked one of the articles "Did you mean…?" offered
            decision = answer_from(engine, chosen, lang)
            asked = context.question if context else question
            say(dispatcher, answer_reply(engine, asked, decision, service.settings))
            return events + _no_pending_handover(tracker)

        with DECISION_SECONDS.time():
            understood = decide_in_context(engine, question, lang, context)
        decision = understood.decision
        events += remember(tracker, next_context(context, question, understood))
        sensitive, topic = apply_topic_rule(self.topics, question, decision, lang)
        if topic is not None:
            return events + await self._hand_over(dispatcher, tracker, engine, sensitive, topic.topic)
        # Small talk only where the knowledge base declines: a confident answer, a sensitive
        # topic or a request for a person in a greeting ("bonjour, un conseiller svp") wins;
        # but a bare greeting or thanks is never taken for a request for a person or a complaint.
        smalltalk = intent in SMALLTALK_RESPONSES and _reads_as_small_talk(question)
        if smalltalk and (decision.outcome is Outcome.DECLINE or _bare_small_talk(question, decision)):
            reply = small_talk_reply(tracker, intent, lang)
            assert reply is not None
            say(dispatcher, reply)
            return events + _no_pending_handover(tracker)
        if decision.outcome is Outcome.ESCALATE:
            return events + await self._hand_over(dispatcher, tracker, engine, decision)
        if decision.reason == DeclineReason.LOW_CONFIDENCE.value:
            failures = int(tracker.get_slot(slots.LOW_CONFIDENCE_COUNT) or 0) + 1
            if failures >= REPEATED_FAILURES:
                reason = EscalationReason.REPEATED_FAILURE
                repeated = replace(decision, outcome=Outcome.ESCALATE, reason=reason.value,
                                   text=wording.escalate_text(reason, lang))
                return events + await self._hand_over(dispatcher, tracker, engine, repeated)
            await record_reply(self.redis, tracker, decision, self.handoff_settings.unanswered_retention_s)
            options = clarification_options(engine, decision)
            if options:
                say(dispatcher, clarify_reply(decision, options))
                return events + slots.changed(tracker, {
                    slots.HANDOVER_OFFERED: None, slots.HANDOVER_ROUTE: None,
                    slots.LOW_CONFIDENCE_COUNT: float(failures), slots.CLARIFY_OPTIONS: [o.article for o in options],
                })
            offer_advisor(dispatcher, decision)
            return events + slots.changed(tracker, {
                slots.HANDOVER_OFFERED: True, slots.HANDOVER_ROUTE: None, slots.LOW_CONFIDENCE_COUNT: float(failures),
                slots.CLARIFY_OPTIONS: None,
            })
        if decision.outcome is Outcome.ANSWER and decision.article:
            reply = answer_reply(engine, understood.understood_as, decision, service.settings)
            title = engine.snapshot.articles[decision.article].title
            reply = without_third_repeat(tracker, reply, "utter_answer_again", title=title)
        else:
            reply = without_third_repeat(tracker, Reply.from_decision(decision), "utter_decline_again")
        say(dispatcher, reply)
        await record_reply(self.redis, tracker, decision, self.handoff_settings.unanswered_retention_s)
        events += _no_pending_handover(tracker)
        if decision.reason == DeclineReason.OUT_OF_SCOPE.value:
            # The decline ends "…or ask for an advisor?": a "yes" to it hands over, a "no" is
            # answered kindly; it does not count as an unsure answer.
            events += slots.changed(tracker, {slots.HANDOVER_OFFERED: True})
        return events

    async def _hand_over(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, engine: KnowledgeEngine, escalation: Decision,
        topic: str | None = None,
    ) -> list[EventType]:
        await record_reply(self.redis, tracker, escalation, self.handoff_settings.unanswered_retention_s)
        steps = urgent_steps_for(engine, escalation)
        return await hand_over(dispatcher, tracker, escalation, self.redis, self.handoff_settings, topic, steps)


class ActionHandOver(CollaboratingAction):
    """The customer asked for a person, complained, said an answer did not help, or accepted
    the advisor the bot offered: hand over at once, whatever the topic."""

    def name(self) -> str:
        return "action_hand_over"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        service = self.service
        intent = intent_of(tracker)
        reason = HANDOVER_INTENTS.get(str(intent.get("name")))
        if reason is None and intent.get("name") == "affirm" and tracker.get_slot(slots.HANDOVER_OFFERED):
            reason = EscalationReason.LOW_CONFIDENCE
        question = tracker.latest_message.get("text") or ""
        engine = service.engine()
        lang = engine.language_of(question, fallback=tracker.get_slot(slots.LANGUAGE))
        events: list[EventType] = [SlotSet(slots.LANGUAGE, lang)]
        if reason is EscalationReason.NOT_HELPFUL and last_bot_reply(tracker) is None and not is_button(question):
            reason = None  # "not helpful" with nothing said before: a message like any other
        chosen = chosen_article(engine, tracker, question) if not is_button(question) else None
        if chosen is not None:  # a title "Did you mean…?" offered, which NLU took for a hand-over intent
            context = turn_context(tracker)
            asked = context.question if context else question
            say(dispatcher, answer_reply(engine, asked, answer_from(engine, chosen, lang), service.settings))
            return events + _no_pending_handover(tracker)
        typed = bool(question) and not is_button(question)
        typed_trigger = typed and (reason in TRIGGER_INTENTS.values() or reason is EscalationReason.NOT_HELPFUL)
        decision = None
        if reason is None or typed_trigger:
            context = turn_context(tracker)
            with DECISION_SECONDS.time():
                understood = decide_in_context(engine, question, lang, context)
            decision = understood.decision
            events += remember(tracker, next_context(context, question, understood))
        if reason is EscalationReason.NOT_HELPFUL and decision is not None and decision.outcome is not Outcome.ANSWER:
            decision = None  # "that didn't help": only a confident answer to a new question overrides it
        if decision is not None and (reason is None or not handover_intent_stands(engine, question, decision)):
            # No trigger intent, or one the knowledge base contradicts (actions/nlu_arbiter.py).
            if decision.outcome is not Outcome.ESCALATE:
                answered = decision.outcome is Outcome.ANSWER and decision.article
                say(dispatcher, answer_reply(engine, understood.understood_as, decision, service.settings) if answered
                    else Reply.from_decision(decision))
                await record_reply(self.redis, tracker, decision, self.handoff_settings.unanswered_retention_s)
                return events + _no_pending_handover(tracker)
        # Otherwise the knowledge base's own hand-over stands; for a sensitive article ("my phone
        # was stolen, I want a person") its reply shows the article's urgent steps meanwhile.
        if decision is None or (reason is not None and not urgent_steps_for(engine, decision)):
            assert reason is not None  # without a trigger intent the knowledge base decided above
            # What the customer reacts to (an answer that did not help, an unsure decline)
            # goes to the advisor with the hand-over.
            earlier = last_bot_reply(tracker) if reason in (EscalationReason.NOT_HELPFUL, EscalationReason.LOW_CONFIDENCE) else None
            decision = Decision(
                Outcome.ESCALATE, wording.escalate_text(reason, lang), lang,
                article=earlier.article if earlier else None, confidence=float(intent.get("confidence") or 0.0),
                reason=reason.value, sources=list(earlier.sources) if earlier else [],
            )
        await record_reply(self.redis, tracker, decision, self.handoff_settings.unanswered_retention_s)
        steps = urgent_steps_for(engine, decision)
        return events + await hand_over(dispatcher, tracker, decision, self.redis, self.handoff_settings, steps=steps)
