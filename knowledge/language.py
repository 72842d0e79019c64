"""Tell French from English in a customer message, without any dependency.

The scorer counts words that belong to only one of the two languages (function
words, greetings, a few self-care words), French elisions (``j'ai``, ``l'appli``),
English contractions (``don't``, ``I'm``) and French accented letters. It names a
language only when that language clearly wins; short or mixed messages such as
"ok" or "SIM" get no answer, so the caller can keep the language it already had.

Everything the Rasa component needs is :func:`detect_language`; swapping this
module for a library means reimplementing that one function.
"""

from __future__ import annotations

import re
from typing import Final, Literal, NamedTuple

Language = Literal["en", "fr"]

# A language is named only with at least this much evidence...
MIN_SCORE: Final = 1.0
# ...and when it has at least this many times the other language's evidence.
MIN_RATIO: Final = 2.0

# Words found in only one of the two languages. Words that both use ("a", "on",
# "me", "son", "car", "plus", "code", "ok", "agent", "robot", "service",
# "question", "internet") or that English texters write for "don't" ("dont")
# are left out.
FRENCH_WORDS: Final = frozenset(
    """
    je tu il elle nous vous ils elles moi toi lui leur leurs eux
    le la les un une des du au aux ce cet cette ces mon ma mes ton ta tes
    sa ses notre nos votre vos
    de et ou mais donc ni que qui quoi quand comment pourquoi combien
    quel quelle quels quelles lequel laquelle
    est sont suis es sommes êtes était ai avons avez ont été être avoir
    fait faire peux peut pouvez veux veut voulez voudrais aimerais dois doit
    faut sais savoir vais va allez
    pas ne jamais rien aucun aucune très trop aussi encore déjà toujours
    avec sans pour par sur sous dans chez vers entre depuis pendant avant après
    y là ici aujourd
    bonjour bonsoir salut coucou merci oui non ouais nan voilà
    svp stp revoir bientôt bonne bon journée soirée
    parler quelqu personne conseiller conseillère humain vrai vraie
    plainte réclamation
    facture factures paiement payer remboursement rembourser livraison livré
    colis commandé passe compte carte forfait abonnement téléphone portable
    perdu perdue volé volée réseau étranger numéro
    """.split()
)

ENGLISH_WORDS: Final = frozenset(
    """
    i you he she we they my mine your yours his her hers our ours their
    them it its this that these those
    the and or but so if then than because when where why how what which
    who whom whose
    is are was were am be been being do does did done have has had having
    will would can could should shall may might must
    not no never nothing any some very too also still already always
    with without for from of by in into at to about after before
    there here
    hello hi hey hiya thanks thank thx cheers bye goodbye yes yeah yep nope
    please pls morning evening afternoon good great
    want need talk speak someone somebody person human real representative
    complaint complain
    bill bills billing payment pay paid refund delivery delivered order ordered
    parcel package password account card phone lost stolen network abroad
    number help
    """.split()
)

# After an apostrophe is dropped, these prefixes mark a French elision.
FRENCH_ELISIONS: Final = frozenset(
    {"j", "l", "c", "d", "m", "n", "s", "t", "qu", "jusqu", "lorsqu", "puisqu"}
)
# After an apostrophe, these endings mark an English contraction or possessive.
ENGLISH_CONTRACTIONS: Final = frozenset({"t", "s", "m", "re", "ve", "ll", "d"})

_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*")
_FRENCH_LETTERS = re.compile(r"[àâäçéèêëîïôöùûüÿœæ]")


class LanguageScores(NamedTuple):
    """Evidence found for each language; higher means more sure."""

    en: float
    fr: float


def score_language(text: str) -> LanguageScores:
    """Count the evidence for English and for French in ``text``."""
    en = fr = 0.0
    normalized = text.lower().replace("\u2019", "'").replace("`", "'")
    for token in _WORD.findall(normalized):
        parts = token.split("'")
        if len(parts) > 1:
            if parts[0] in FRENCH_ELISIONS:
                fr += 1
                parts = parts[1:]
            elif parts[-1] in ENGLISH_CONTRACTIONS:
                en += 1
                parts = parts[:-1]
        for word in parts:
            if word in FRENCH_WORDS:
                fr += 1
            elif word in ENGLISH_WORDS:
                en += 1
            elif _FRENCH_LETTERS.search(word):
                fr += 1
    return LanguageScores(en=en, fr=fr)


def detect_language(text: str) -> Language | None:
    """Return ``"fr"`` or ``"en"`` when ``text`` clearly is that language, else None."""
    scores = score_language(text)
    if scores.fr >= MIN_SCORE and scores.fr >= MIN_RATIO * scores.en:
        return "fr"
    if scores.en >= MIN_SCORE and scores.en >= MIN_RATIO * scores.fr:
        return "en"
    return None
