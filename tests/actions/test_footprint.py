"""What the action server loads on the default embedding model: no torch (hundreds of MB it would never use)."""
from __future__ import annotations

import subprocess
import sys

from knowledge.settings import REPO_ROOT

HEAVY = ("torch", "transformers", "sentence_transformers", "langchain_huggingface")

SCRIPT = f"""
import sys
import actions.server
from rasa_sdk.executor import ActionExecutor
from knowledge.embeddings import DEFAULT_MODEL, make_embeddings
from knowledge.settings import KnowledgeSettings

ActionExecutor().register_package("actions")
embeddings = make_embeddings(KnowledgeSettings(embedding_model=""))
assert embeddings.name == DEFAULT_MODEL, embeddings.name
embeddings.embed_query("how do I reset my password?")
print(" ".join(name for name in {HEAVY!r} if name in sys.modules))
"""


def test_the_action_server_never_imports_torch_on_the_default_model() -> None:
    done = subprocess.run([sys.executable, "-c", SCRIPT], cwd=REPO_ROOT, capture_output=True, text=True, timeout=300,
                          env={"PYTHONPATH": str(REPO_ROOT), "HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == ""
