"""What the bot says, in the customer's language, for each outcome."""
from __future__ import annotations

from knowledge.contract import EscalationReason

_DECLINE = {
    "en": "Sorry, I can't answer that from our help centre. Could you rephrase it, or ask for an advisor?",
    "fr": "Désolé, je ne trouve pas de réponse à cela dans notre centre d'aide. "
    "Pouvez-vous reformuler, ou demander un conseiller ?",
}
_ESCALATE = {
    EscalationReason.SENSITIVE: {
        "en": "This needs a member of our team. I'm passing your conversation to an advisor now.",
        "fr": "Cette demande doit être traitée par un membre de notre équipe. Je transmets votre conversation à un conseiller.",
    },
    EscalationReason.CUSTOMER_REQUEST: {
        "en": "Of course. I'm passing your conversation to an advisor now.",
        "fr": "Bien sûr. Je transmets votre conversation à un conseiller.",
    },
    EscalationReason.COMPLAINT: {
        "en": "I'm sorry to hear that. An advisor will take your complaint; I'm passing your conversation on now.",
        "fr": "Je suis désolé de l'apprendre. Un conseiller va prendre en charge votre réclamation ; je lui transmets votre conversation.",
    },
    EscalationReason.NOT_HELPFUL: {
        "en": "I'm sorry my answer didn't help. I'm passing your conversation to an advisor now.",
        "fr": "Désolé que ma réponse ne vous ait pas aidé. Je transmets votre conversation à un conseiller.",
    },
    EscalationReason.LOW_CONFIDENCE: {
        "en": "Of course. I'm passing your conversation to an advisor now.",
        "fr": "Bien sûr. Je transmets votre conversation à un conseiller.",
    },
    EscalationReason.REPEATED_FAILURE: {
        "en": "I still can't find the right answer, so I'm passing your conversation to an advisor now.",
        "fr": "Je ne trouve toujours pas la bonne réponse : je transmets votre conversation à un conseiller.",
    },
}
# When no advisor taking the customer's language is online: a ticket instead of the queue.
_NO_ADVISOR = {
    "en": "No advisor is available right now. Leave your email address or phone number and an advisor "
    "will get back to you (or say no if you'd rather not).",
    "fr": "Aucun conseiller n'est disponible pour le moment. Laissez votre adresse e-mail ou votre numéro "
    "de téléphone et un conseiller vous recontactera (ou répondez non si vous préférez).",
}
_NO_ADVISOR_IN_TIME = {
    "en": "Sorry, no advisor could take your chat in time. Leave your email address or phone number and an "
    "advisor will get back to you (or say no if you'd rather not).",
    "fr": "Désolé, aucun conseiller n'a pu prendre votre conversation à temps. Laissez votre adresse e-mail ou "
    "votre numéro de téléphone et un conseiller vous recontactera (ou répondez non si vous préférez).",
}
_OFFER_ADVISOR = {
    "en": "Sorry, I'm not sure I can answer that from our help centre. Would you like to talk to an advisor?",
    "fr": "Désolé, je ne suis pas sûr de pouvoir répondre à cela avec notre centre d'aide. "
    "Voulez-vous parler à un conseiller ?",
}
_YES_NO = {"en": ("Yes", "No"), "fr": ("Oui", "Non")}
_OFFER_DECLINED = {
    "en": "OK. Ask me another question whenever you like.",
    "fr": "D'accord. Posez-moi une autre question quand vous voulez.",
}
_CONTACT_INVALID = {
    "en": "That doesn't look like an email address or a phone number. Please type one, for example "
    "name@example.com or 06 12 34 56 78, or say no if you'd rather not.",
    "fr": "Cela ne ressemble ni à une adresse e-mail ni à un numéro de téléphone. Indiquez-en un, par exemple "
    "nom@exemple.fr ou 06 12 34 56 78, ou répondez non si vous préférez.",
}
_TICKET_FILED = {
    "en": "Thank you. Your request {ticket} is recorded: an advisor will get back to you at {contact}.",
    "fr": "Merci. Votre demande {ticket} est enregistrée : un conseiller vous recontactera ({contact}).",
}
_TICKET_FAILED = {
    "en": "Sorry, I couldn't record your request just now. Please try again in a few minutes.",
    "fr": "Désolé, je n'ai pas pu enregistrer votre demande pour le moment. Réessayez dans quelques minutes.",
}
_EMPTY = {"en": "I didn't get a question. What can I help you with?", "fr": "Je n'ai pas reçu de question. Que puis-je faire pour vous ?"}
_TOO_LONG = {
    "en": "Your message is too long for me ({limit} characters at most). Could you shorten it?",
    "fr": "Votre message est trop long pour moi ({limit} caractères au maximum). Pouvez-vous le raccourcir ?",
}
_SOURCE = {"en": "Source", "fr": "Source"}


def _pick(texts: dict[str, str], lang: str) -> str:
    return texts.get(lang, texts["en"])


def decline_text(lang: str) -> str:
    return _pick(_DECLINE, lang)


def escalate_text(reason: EscalationReason, lang: str) -> str:
    return _pick(_ESCALATE[reason], lang)


def empty_text(lang: str) -> str:
    return _pick(_EMPTY, lang)


def too_long_text(lang: str, limit: int) -> str:
    return _pick(_TOO_LONG, lang).format(limit=limit)


def no_advisor_text(lang: str) -> str:
    return _pick(_NO_ADVISOR, lang)


def no_advisor_in_time_text(lang: str) -> str:
    return _pick(_NO_ADVISOR_IN_TIME, lang)


def offer_advisor_text(lang: str) -> str:
    return _pick(_OFFER_ADVISOR, lang)


def yes_no_titles(lang: str) -> tuple[str, str]:
    return _YES_NO.get(lang, _YES_NO["en"])


def offer_declined_text(lang: str) -> str:
    return _pick(_OFFER_DECLINED, lang)


def contact_invalid_text(lang: str) -> str:
    return _pick(_CONTACT_INVALID, lang)


def ticket_filed_text(lang: str, ticket: str, contact: str) -> str:
    return _pick(_TICKET_FILED, lang).format(ticket=ticket, contact=contact)


def ticket_failed_text(lang: str) -> str:
    return _pick(_TICKET_FAILED, lang)
