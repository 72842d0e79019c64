"""What the bot says, in the customer's language, for each outcome."""
from __future__ import annotations

from knowledge.triggers import EscalationReason

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
