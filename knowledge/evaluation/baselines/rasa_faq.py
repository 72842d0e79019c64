"""Baseline: Rasa's own FAQ approach. One retrieval intent `faq/<article>` per article, trained
on its question variants and title, picked by a ResponseSelector; escalation triggers are
plain intents (`request_human`, `complaint`), as in this project's Rasa data.

Rasa's FallbackClassifier declines when the intent confidence is below its threshold; a
FAQ bot also needs the response selector to be sure of the article, so the baseline declines
when min(intent confidence, response confidence) is below one threshold, picked on the
held-out variants (`protocol`). The rule is applied after parsing rather than by a
FallbackClassifier in the pipeline, so that one trained model serves every threshold.

Trained with the Rasa virtual environment (`rasa train nlu`), run over the questions by
`rasa_faq_runner.py` in the same environment, in one process.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import yaml

from knowledge.evaluation.baselines.protocol import Corpus, Prediction, Question, allowed_languages, label_language
from knowledge.settings import REPO_ROOT
from knowledge.answering.triggers import TRIGGER_PREFIX

RASA_VENV = REPO_ROOT / ".venv-rasa"
RUNNER = Path(__file__).with_name("rasa_faq_runner.py")
RETRIEVAL_INTENT = "faq"
DEFAULT_EPOCHS = 100
# Rasa's FAQ approach learns from example questions: a base of plain documents has none.
MIN_SHARE_WITH_VARIANTS = 0.5
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")
# Rasa reads [text](entity) and {"entity": ...} markup inside examples.
_MARKUP = re.compile(r"[\[\]{}]")


class RasaBaselineError(RuntimeError):
    pass


def epochs_from_env() -> int:
    return int(os.environ.get("PEER_EPOCHS", DEFAULT_EPOCHS))


def applicable(corpus: Corpus) -> bool:
    with_variants = sum(1 for a in corpus.articles.values() if a.questions)
    return bool(corpus.articles) and with_variants / len(corpus.articles) >= MIN_SHARE_WITH_VARIANTS


def pipeline_config(epochs: int, language: str) -> dict:
    """Rasa's default NLU pipeline reduced to what scales to hundreds of FAQ topics."""
    return {
        "recipe": "default.v1",
        "language": language,
        "assistant_id": "eval-baseline-rasa-faq",
        "pipeline": [
            {"name": "WhitespaceTokenizer"},
            {"name": "CountVectorsFeaturizer"},
            {"name": "CountVectorsFeaturizer", "analyzer": "char_wb", "min_ngram": 1, "max_ngram": 4},
            {"name": "DIETClassifier", "epochs": epochs, "constrain_similarities": True, "random_seed": 42},
            {
                "name": "ResponseSelector", "epochs": epochs, "constrain_similarities": True,
                "retrieval_intent": RETRIEVAL_INTENT, "ranking_length": 0, "random_seed": 42,
            },
        ],
        "policies": [],
    }


def response_keys(corpus: Corpus) -> dict[str, str]:
    """Article id -> a response key Rasa accepts (no '/' inside a retrieval intent's key)."""
    keys: dict[str, str] = {}
    used: set[str] = set()
    for number, article_id in enumerate(sorted(corpus.articles)):
        key = _UNSAFE.sub("_", article_id).strip("_") or f"article{number}"
        if key in used:
            key = f"{key}_{number}"
        used.add(key)
        keys[article_id] = key
    return keys


def _examples(texts: Sequence[str]) -> str:
    cleaned = [" ".join(_MARKUP.sub(" ", t).split()) for t in texts]
    return "".join(f"- {t}\n" for t in dict.fromkeys(c for c in cleaned if c))


def write_training_files(corpus: Corpus, folder: Path, epochs: int) -> dict[str, str]:
    """nlu.yml, domain.yml and config.yml for `rasa train nlu`; returns key -> article id."""
    keys = response_keys(corpus)
    texts: dict[str, list[str]] = {}
    for item in corpus.training:
        texts.setdefault(item.label, []).append(item.text)
    nlu = []
    intents = [RETRIEVAL_INTENT]
    for label, examples in texts.items():
        if label.startswith(TRIGGER_PREFIX):
            intent = label[len(TRIGGER_PREFIX):]
            intents.append(intent)
        else:
            intent = f"{RETRIEVAL_INTENT}/{keys[label]}"
        nlu.append({"intent": intent, "examples": _examples(examples)})
    responses = {
        f"utter_{RETRIEVAL_INTENT}/{keys[article_id]}": [{"text": article.title}]
        for article_id, article in corpus.articles.items()
        if article_id in texts
    }
    languages = sorted(corpus.languages, key=lambda l: -sum(a.lang == l for a in corpus.articles.values()))
    folder.mkdir(parents=True, exist_ok=True)
    dump = lambda data: yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=10_000)  # noqa: E731
    (folder / "nlu.yml").write_text(dump({"version": "3.1", "nlu": nlu}), encoding="utf-8")
    (folder / "domain.yml").write_text(
        dump({"version": "3.1", "intents": intents, "responses": responses}), encoding="utf-8"
    )
    (folder / "config.yml").write_text(dump(pipeline_config(epochs, languages[0] if languages else "en")), encoding="utf-8")
    return {key: article_id for article_id, key in keys.items()}


def _rasa_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(TF_CPP_MIN_LOG_LEVEL="3", SQLALCHEMY_SILENCE_UBER_WARNING="1", PYTHONUNBUFFERED="1")
    return env


def train(folder: Path) -> Path:
    """Trains the NLU model; Rasa's own progress bars go to the terminal."""
    done = subprocess.run(
        [
            str(RASA_VENV / "bin" / "rasa"), "train", "nlu", "--config", "config.yml", "--nlu", "nlu.yml",
            "--domain", "domain.yml", "--out", "models", "--fixed-model-name", "faq", "--num-threads", "2",
        ],
        cwd=folder, env=_rasa_env(), stdout=sys.stderr,
    )
    model = folder / "models" / "faq.tar.gz"
    if done.returncode != 0 or not model.exists():
        raise RasaBaselineError(f"rasa train nlu failed (exit {done.returncode}) in {folder}")
    return model


def parse(model: Path, questions: Sequence[Question], folder: Path) -> list[dict]:
    """One Rasa process parses every question; returns the runner's lines in order."""
    questions_path = folder / "questions.jsonl"
    out_path = folder / "parsed.jsonl"
    questions_path.write_text(
        "".join(json.dumps({"id": str(i), "text": q.text}, ensure_ascii=False) + "\n" for i, q in enumerate(questions)),
        encoding="utf-8",
    )
    done = subprocess.run(
        [str(RASA_VENV / "bin" / "python"), str(RUNNER), str(model), str(questions_path), str(out_path)],
        env=_rasa_env(), stdout=sys.stderr,
    )
    if done.returncode != 0:
        raise RasaBaselineError(f"the Rasa runner failed (exit {done.returncode})")
    parsed = {line["id"]: line for line in map(json.loads, out_path.read_text(encoding="utf-8").splitlines())}
    return [parsed[str(i)] for i in range(len(questions))]


def prediction_of(corpus: Corpus, key_to_article: dict[str, str], question: Question, parsed: dict) -> Prediction:
    intent = parsed.get("intent")
    intent_confidence = float(parsed.get("intent_confidence") or 0.0)
    latency = float(parsed.get("latency_ms") or 0.0)
    if intent and intent != RETRIEVAL_INTENT:
        return Prediction(question.id, f"{TRIGGER_PREFIX}{intent}", intent_confidence, latency)
    allowed = allowed_languages(corpus, question.lang)
    for key, confidence in parsed.get("ranking") or []:
        article_id = key_to_article.get(key)
        if article_id is None or (allowed is not None and label_language(corpus, article_id) not in allowed):
            continue
        return Prediction(question.id, article_id, min(intent_confidence, float(confidence)), latency)
    return Prediction(question.id, None, 0.0, latency)


def predict(corpus: Corpus, question_sets: Sequence[Sequence[Question]], workdir: Path, epochs: int) -> list[list[Prediction]]:
    """Trains once on `corpus`, then predicts every set of questions with that model."""
    folder = workdir / "rasa-faq"
    key_to_article = write_training_files(corpus, folder, epochs)
    print(f"training Rasa's ResponseSelector ({epochs} epochs) on {len(corpus.training)} examples", file=sys.stderr)
    model = train(folder)
    flat = [q for questions in question_sets for q in questions]
    parsed = parse(model, flat, folder)
    predictions = [prediction_of(corpus, key_to_article, q, p) for q, p in zip(flat, parsed)]
    out: list[list[Prediction]] = []
    start = 0
    for questions in question_sets:
        out.append(predictions[start : start + len(questions)])
        start += len(questions)
    return out
