"""A crash costs seconds: kill -9 during ingest, again and again, then one clean run.

The corpus changes between runs (edits, additions, deletions), so every killed run has
work to do. The end state must equal a clean build of the final corpus: the same chunk,
sentence and keyword ids, no orphan rows, no duplicates.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from assistant import Assistant, load_settings
from assistant.errors import StoreError
from assistant.ingest.chunking import article_version
from assistant.ingest.loaders import Skipped, iter_articles
from assistant.ingest.lock import ingest_lock
from assistant.providers import HashingEmbedder
from assistant.stores import open_stores

pytestmark = pytest.mark.reliability

WORDS = (
    "Regierung Minister Truppen Grenze Bericht Wahl Stadt Polizei Gericht Euro Woche "
    "Zeitung Hafen Streik Bahn Schule Klinik Wetter Sturm Ernte Markt Bank Strom"
).split()
KILLS = 20


def _article(rng: random.Random, number: int) -> str:
    sentences = [
        " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 14))).capitalize() + "."
        for _ in range(rng.randint(10, 30))
    ]
    return f"---\nid: a{number}\nlanguage: de\ntitle: Artikel {number}\n---\n" + " ".join(sentences)


def _change(folder: Path, rng: random.Random, round_: int) -> None:
    """Edit, add and delete a few articles so that the next run has work to do."""
    files = sorted(folder.glob("*.txt"))
    for path in rng.sample(files, min(15, len(files))):
        path.write_text(_article(rng, int(path.stem[1:])), encoding="utf-8")
    for path in rng.sample(files, 3):
        path.unlink()
    for n in range(4):
        number = 1000 + round_ * 10 + n
        (folder / f"a{number}.txt").write_text(_article(rng, number), encoding="utf-8")


def _ingest_command(folder: Path, index: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "assistant",
        "ingest",
        str(folder),
        "--prune",
        "--index",
        str(index),
    ]


def _ingest(folder: Path, index: Path) -> None:
    """One ingest to its end; its stderr in the failure message when it fails."""
    done = subprocess.run(
        _ingest_command(folder, index), env=_env(), capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-3000:]


def _env() -> dict[str, str]:
    return {**os.environ, "ASSISTANT_EMBEDDINGS": "fake", "PYTHONUNBUFFERED": "1"}


def _current(folder: Path, index_dir: Path) -> int:
    """Articles of ``folder`` that the index holds completely at their current version."""
    settings = load_settings(index_dir=index_dir, embeddings="fake")
    manifest = open_stores(settings, HashingEmbedder())[0].manifest()
    articles = [a for a in iter_articles(folder) if not isinstance(a, Skipped)]
    return sum(
        1 for a in articles if a.id in manifest and manifest[a.id].complete_for(article_version(a))
    )


def _state(index_dir: Path) -> dict:
    """Ids in the three stores, and what would be wrong with them."""
    settings = load_settings(index_dir=index_dir, embeddings="fake")
    index, keywords = open_stores(settings, HashingEmbedder())
    chunk_ids, metas = index.chunk_metadatas()
    sentences = index.sentences.get(include=["metadatas"])
    keyword_ids = {c for ids in keywords.chunk_ids().values() for c in ids}
    manifest = index.manifest()
    return {
        "chunks": set(chunk_ids),
        "sentences": set(sentences["ids"]),
        "keywords": keyword_ids,
        "keyword_rows": keywords.count(),
        "orphan_sentences": {m["chunk_id"] for m in sentences["metadatas"]} - set(chunk_ids),
        "incomplete": [a for a, s in manifest.items() if len(s.hashes) != 1],
    }


def test_twenty_kills_then_one_run_equal_a_clean_build(tmp_path: Path):
    rng = random.Random(10)
    folder = tmp_path / "corpus"
    folder.mkdir()
    for number in range(120):
        (folder / f"a{number}.txt").write_text(_article(rng, number), encoding="utf-8")
    index = tmp_path / "crashed"
    started = time.perf_counter()
    _ingest(folder, index)
    full = time.perf_counter() - started
    print(f"clean ingest in a subprocess: {full:.1f} s")
    kept = []
    for round_ in range(KILLS):
        _change(folder, rng, round_)
        before = _current(folder, index)
        process = subprocess.Popen(
            _ingest_command(folder, index),
            env=_env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(0.3, full))
        process.send_signal(signal.SIGKILL)
        process.wait()
        kept.append(_current(folder, index) - before)
    _ingest(folder, index)
    crashed = _state(index)

    clean_settings = load_settings(index_dir=tmp_path / "clean", embeddings="fake")
    Assistant.from_settings(clean_settings, embedder=HashingEmbedder()).ingest(folder)
    clean = _state(tmp_path / "clean")

    assert crashed["chunks"] == clean["chunks"]
    assert crashed["sentences"] == clean["sentences"]
    assert crashed["keywords"] == clean["keywords"] == crashed["chunks"]
    assert crashed["keyword_rows"] == len(crashed["chunks"])  # no duplicate keyword rows
    assert crashed["orphan_sentences"] == set() and crashed["incomplete"] == []
    assert len(clean["chunks"]) > 300
    # killed runs kept their finished articles (writing every 512 chunks kept none)
    print("articles kept by each killed run:", kept)
    assert sum(k > 0 for k in kept) >= KILLS // 4, kept


def test_a_second_ingest_on_the_same_index_fails_cleanly(tmp_path: Path, corpus_dir: Path):
    index = tmp_path / "index"
    with ingest_lock(index):
        with (
            pytest.raises(StoreError, match=r"expected no other ingest on .*pid \d+"),
            ingest_lock(index),
        ):
            pass
        result = subprocess.run(
            _ingest_command(corpus_dir, index), env=_env(), capture_output=True, text=True
        )
    assert result.returncode == 2
    assert "expected no other ingest" in result.stderr
    # the lock dies with its holder: the next ingest runs
    _ingest(corpus_dir, index)
    assert len(_state(index)["chunks"]) >= 2


def test_the_run_after_a_killed_one_removes_sentences_whose_chunk_never_came(
    fake_assistant, corpus_dir: Path
):
    fake_assistant.ingest(corpus_dir)
    index = fake_assistant.index
    vector = np.ones((1, 256), dtype=np.float32) / 16
    index.sentences.upsert(  # what a kill between the sentence and the chunk write leaves
        ids=["orphan"],
        embeddings=vector,
        documents=["Ein Satz, dessen Abschnitt nie geschrieben wurde."],
        metadatas=[{"article_id": "gone", "chunk_id": "never-written", "article_hash": "x"}],
    )
    lock = fake_assistant.settings.index_dir / "ingest.lock"
    assert lock.read_text() == "done"
    assert fake_assistant.ingest(corpus_dir).orphans_removed == 0  # a clean end: no sweep
    assert "orphan" in index.sentences.get(ids=["orphan"])["ids"]
    lock.write_text("4242")  # the pid of a run that was killed
    report = fake_assistant.ingest(corpus_dir)
    assert report.orphans_removed == 1 and report.unchanged == 2
    assert index.sentences.get(ids=["orphan"])["ids"] == []
    assert lock.read_text() == "done"
