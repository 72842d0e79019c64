"""python -m knowledge: what an operator or the content team types."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from knowledge.articles import load_folder
from knowledge.settings import REPO_ROOT, SAMPLE_KB


def cli(*args: str, chroma: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CHROMA_PATH": str(chroma), "PYTHONPATH": str(REPO_ROOT)}
    env.pop("CHROMA_HOST", None)
    return subprocess.run([sys.executable, "-m", "knowledge", *args], capture_output=True, text=True, env=env, timeout=600)


def test_ask_prints_the_decision_article_confidence_and_sources(sample_index_path: Path) -> None:
    done = cli("ask", "j'ai perdu mon téléphone dans le métro", chroma=sample_index_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "decision:   escalate (sensitive)" in done.stdout
    assert "article:    lumen/lost-stolen-phone-fr" in done.stdout
    as_json = json.loads(cli("ask", "how do I activate my eSIM?", "--json", chroma=sample_index_path).stdout)
    assert (as_json["outcome"], as_json["article"]) == ("answer", "lumen/activate-sim-esim-en")
    assert as_json["sources"] and as_json["confidence"] > 0.5


def test_list_shows_every_article(sample_index_path: Path) -> None:
    done = cli("list", chroma=sample_index_path)
    assert done.returncode == 0
    assert done.stdout.strip().splitlines()[-1] == "36 articles"
    stolen = next(a for a in load_folder(SAMPLE_KB).articles if a.id == "lumen/lost-stolen-phone-en")
    assert f"lumen/lost-stolen-phone-en\ten\t{len(stolen.questions)} variants" in done.stdout and "[handoff]" in done.stdout


def test_ingest_reports_a_bad_file_by_line_and_fails_while_indexing_the_rest(tmp_path: Path) -> None:
    kb = tmp_path / "kb"
    shutil.copytree(SAMPLE_KB / "en", kb)
    (kb / "broken.md").write_text('---\nid: x\ntitle: "Broken"\nlang: en\n---\n', encoding="utf-8")
    done = cli("ingest", str(kb), chroma=tmp_path / "chroma")
    assert done.returncode == 1
    assert f"{kb / 'broken.md'}:6: the article has no answer text" in done.stderr
    assert "added 18," in done.stdout
    again = cli("ingest", str(kb), chroma=tmp_path / "chroma")
    assert "added 0, updated 0, removed 0, unchanged 18, texts embedded 0" in again.stdout
