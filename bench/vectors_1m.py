"""One million synthetic chunk vectors in Chroma with our HNSW settings (issue 12).

    python bench/vectors_1m.py generate   # write the vectors and the queries (.npy)
    python bench/vectors_1m.py build      # add batches for --minutes, stop at a checkpoint
    python bench/vectors_1m.py measure    # recall@10 and latency of the sizes reached
    python bench/vectors_1m.py run        # all three, each as a bounded child process,
                                          # until --n vectors are in (resumable)
    python bench/vectors_1m.py scan       # read every id once (what the manifest and the
                                          # orphan check do), time and memory
    python bench/vectors_1m.py probe ...  # (internal) a fresh process that opens and queries

Options: ``--n`` (1,000,000), ``--minutes`` per build run (8), ``--efs`` (400,200,100,50).
Everything lives under ``.index/bench/vectors-<n>/`` (git-ignored); results are appended to
``bench/results/results.jsonl`` in the shape of ``bench/run.py``'s ``record``.

**What the vectors are.** Unit vectors of 384 dimensions from a Gaussian mixture built on
real multilingual-e5-small chunk vectors: one component per chunk vector of a real news
index (``.index/eval/news-dates/index-full``, collection ``articles``: 4,931 chunks when
written), which is copied to ``.index/bench/real-copy`` first and only read there. Component
weights are log-normal (sigma 0.5: some stories have many chunks, some few). A vector is
``c_j + s_j * e`` normalised, where ``c_j = m + beta * (r_j - m)`` is the real chunk vector
``r_j`` pulled towards the real mean ``m``, ``e`` is drawn from a normal distribution with
the covariance of the real chunk vectors (anisotropic: the real spectrum, ~115 effective
dimensions) and ``s_j = alpha * exp(0.3 * N(0, 1))`` per component. ``alpha`` is
calibrated so that two vectors of one component have the median cosine that a real chunk
has with its nearest other real chunk (~.91): a component is one "story", its vectors as
alike as neighbouring real chunks; ``beta = sqrt(1 - E[s^2])`` keeps the mixture's
covariance that of the real vectors, so random pairs are about as alike as random real
pairs (median cosine .79 against .78). Seeded (``SEED``, one
``default_rng([SEED, block])`` per block of 5,000): the same centroids give the same bytes,
in any order of runs. Where no real index exists, the centroids are drawn from a normal
distribution with a power-law spectrum instead, and the results say so.

**Queries** (200 each, never added): ``synthetic``, fresh draws from the same mixture
(another seed stream); ``real``, 200 real e5 *sentence* vectors of the same index (real
text, near the chunks, not in the collection). Ground truth: exact cosine top-10 by numpy
over the vectors' memmap (the first N rows at size N: ids are row numbers).

**Measured.** Per batch of 5,000 adds: seconds (build time = their sum over all resumed
runs); peak RSS of each build run; at 100k, 250k, 500k and 1M a fresh process opens the
collection (the memory a server needs), answers each query set once to warm up, then
times every query (top-10, one query per call, as ``ChromaIndex.search_chunks`` does) at
each ``hnsw:ef_search`` in ``--efs``, set on the existing collection with
``collection.modify(configuration={"hnsw": {"ef_search": ef}})`` in a fresh process per
value (a loaded index keeps the ef it was loaded with), ours (400) last, so it stays set.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from assistant.index import HNSW  # noqa: E402  (our settings, the same dict ingest uses)

RESULTS = ROOT / "bench" / "results"
BENCH = ROOT / ".index" / "bench"
REAL_INDEX = ROOT / ".index" / "eval" / "news-dates" / "index-full"
REAL_COPY = BENCH / "real-copy"
DIM = 384
SEED = 20261128
BATCH = 5000
QUERIES = 200
TOP_K = 10
COLLECTION = "articles"
EMBEDDER = "synthetic/e5-small-mixture-v1"
EXIT_MORE = 3  # build: more to add (budget or checkpoint reached)


def log(message: str) -> None:
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    print(f"{stamp} {message}", flush=True)


def rss_mb() -> float:
    """Current resident set of this process (VmRSS), MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def checkpoints(n: int) -> list[int]:
    if n == 1_000_000:
        return [100_000, 250_000, 500_000, 1_000_000]
    return sorted({max(BATCH, round(n * f / BATCH) * BATCH) for f in (0.1, 0.25, 0.5)} | {n})


def chroma_client(path: Path):
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    return chromadb.PersistentClient(
        path=str(path), settings=ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    )


def du_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20


class Paths:
    def __init__(self, n: int):
        self.n = n
        self.dir = BENCH / f"vectors-{n}"
        self.vectors = self.dir / "vectors.npy"
        self.params = self.dir / "params.npz"
        self.meta = self.dir / "generate.json"
        self.queries = {
            "synthetic": self.dir / "queries.npy",
            "real": self.dir / "queries-real.npy",
        }
        self.chroma = self.dir / "chroma"
        self.state = self.dir / "state.json"

    def load_state(self) -> dict:
        if self.state.exists():
            return json.loads(self.state.read_text())
        return {"batches": [], "runs": [], "measured": {}}

    def save_state(self, state: dict) -> None:
        tmp = self.state.with_suffix(".tmp")
        tmp.write_text(json.dumps(state, indent=1))
        tmp.replace(self.state)


# --- the vectors -------------------------------------------------------------------------
def real_vectors() -> tuple[np.ndarray, np.ndarray] | None:
    """Chunk and sentence vectors of the real index, read from a copy (never the original)."""
    cache = BENCH / "real-vectors.npz"
    if cache.exists():
        data = np.load(cache)
        return data["chunks"], data["sentences"]
    if not REAL_INDEX.is_dir():
        return None
    if not REAL_COPY.exists():
        shutil.copytree(REAL_INDEX, REAL_COPY)
    client = chroma_client(REAL_COPY)
    names = {c.name for c in client.list_collections()}
    rows = client.get_collection("articles").get(include=["embeddings"])
    chunks = np.asarray(rows["embeddings"], dtype=np.float32)
    sentences = np.zeros((0, DIM), np.float32)
    if "articles_sentences" in names:
        rows = client.get_collection("articles_sentences").get(include=["embeddings"])
        sentences = np.asarray(rows["embeddings"], dtype=np.float32)
    np.savez(cache, chunks=chunks, sentences=sentences)
    return chunks, sentences


def _draw(rng, count: int, params: dict) -> np.ndarray:
    centroids, weights, scale, root = (params[k] for k in ("centroids", "weights", "scale", "root"))
    comp = rng.choice(len(centroids), size=count, p=weights)
    noise = rng.standard_normal((count, DIM)) @ root.T
    x = centroids[comp] + scale[comp, None] * noise
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def _same_component_cos(rng, params: dict, alpha: float, pairs: int = 4000) -> float:
    centroids, root = _shrunk(params, alpha), params["root"]
    comp = rng.integers(0, len(centroids), pairs)
    s = alpha * np.exp(0.3 * rng.standard_normal(pairs))[:, None]
    a = centroids[comp] + s * (rng.standard_normal((pairs, DIM)) @ root.T)
    b = centroids[comp] + s * (rng.standard_normal((pairs, DIM)) @ root.T)
    a /= np.linalg.norm(a, axis=1, keepdims=True)
    b /= np.linalg.norm(b, axis=1, keepdims=True)
    return float(np.median((a * b).sum(1)))


def _shrunk(params: dict, alpha: float) -> np.ndarray:
    """Centroids pulled towards their mean so that the mixture keeps the real covariance:
    beta**2 * cov (between components) + E[s**2] * cov (within) == cov."""
    centroids = params["real_centroids"]
    mean = centroids.mean(0)
    beta = np.sqrt(max(0.0, 1.0 - alpha**2 * np.exp(0.18)))  # E[exp(0.3 N)^2] = exp(0.18)
    return mean + beta * (centroids - mean)


def make_params() -> tuple[dict, dict]:
    rng = np.random.default_rng([SEED, 10**7])
    real = real_vectors()
    if real is not None and len(real[0]) >= 1000:
        chunks, sentences = real
        source = f"real e5 chunk vectors of {REAL_INDEX.relative_to(ROOT)} ({len(chunks)})"
        centroids = chunks.astype(np.float64)
        cov = np.cov((centroids - centroids.mean(0)).T)
        gram = chunks @ chunks.T
        np.fill_diagonal(gram, -1)
        target = float(np.median(gram.max(1)))  # a real chunk and its nearest real chunk
    else:
        sentences = np.zeros((0, DIM), np.float32)
        source = "gaussian fallback (no real index): power-law spectrum"
        basis, _ = np.linalg.qr(rng.standard_normal((DIM, DIM)))
        spectrum = 0.216 * (np.arange(1, DIM + 1) ** -1.0) / (np.arange(1, DIM + 1) ** -1.0).sum()
        cov = basis @ np.diag(spectrum) @ basis.T
        mean = basis[:, 0] * 0.885
        centroids = rng.multivariate_normal(mean, cov, size=4096)
        centroids /= np.linalg.norm(centroids, axis=1, keepdims=True)
        target = 0.91
    values, vectors = np.linalg.eigh(cov)
    root = vectors * np.sqrt(np.clip(values, 0, None))  # e = root @ z has covariance cov
    weights = np.exp(0.5 * rng.standard_normal(len(centroids)))
    params = {"real_centroids": centroids, "weights": weights / weights.sum(), "root": root}
    lo, hi = 0.05, 0.9
    for _ in range(30):  # bisect alpha: same-component median cosine == target
        mid = (lo + hi) / 2
        cos = _same_component_cos(np.random.default_rng([SEED, 10**7 + 1]), params, mid)
        lo, hi = (mid, hi) if cos > target else (lo, mid)
    alpha = (lo + hi) / 2
    params["scale"] = alpha * np.exp(0.3 * rng.standard_normal(len(centroids)))
    params["centroids"] = _shrunk(params, alpha)
    eff_dims = float(values.sum() ** 2 / (values**2).sum())
    info = {
        "centroids_source": source,
        "centroids": len(centroids),
        "centroids_sha256": hashlib.sha256(centroids.astype(np.float32).tobytes()).hexdigest(),
        "target_same_component_cos": round(target, 4),
        "alpha": round(alpha, 4),
        "beta": round(float(np.sqrt(max(0.0, 1.0 - alpha**2 * np.exp(0.18)))), 4),
        "noise_effective_dims": round(eff_dims, 1),
        "real_sentences": len(sentences),
    }
    params["sentences"] = sentences
    return params, info


def cmd_generate(paths: Paths, args) -> None:
    paths.dir.mkdir(parents=True, exist_ok=True)
    if paths.meta.exists():
        log(f"already generated: {paths.meta}")
        return
    started = time.perf_counter()
    params, info = make_params()
    log(f"params: {info}")
    out = np.lib.format.open_memmap(
        paths.vectors, mode="w+", dtype=np.float32, shape=(paths.n, DIM)
    )
    digest = hashlib.sha256()
    for block, start in enumerate(range(0, paths.n, BATCH)):
        stop = min(start + BATCH, paths.n)
        out[start:stop] = _draw(np.random.default_rng([SEED, block]), stop - start, params)
        digest.update(out[start:stop].tobytes())
    out.flush()
    del out
    np.save(
        paths.queries["synthetic"], _draw(np.random.default_rng([SEED, 2 * 10**7]), QUERIES, params)
    )
    sentences = params["sentences"]
    if len(sentences) >= QUERIES:
        pick = np.random.default_rng([SEED, 3 * 10**7]).choice(
            len(sentences), QUERIES, replace=False
        )
        np.save(paths.queries["real"], sentences[pick])
    sample = np.load(paths.vectors, mmap_mode="r")[:: max(1, paths.n // 5000)][:5000]
    gram = sample @ sample.T
    np.fill_diagonal(gram, np.nan)
    info |= {
        "n": paths.n,
        "seed": SEED,
        "vectors_sha256": digest.hexdigest(),
        "sample_pair_cos_p5_p50_p95": [
            round(float(v), 3) for v in np.nanpercentile(gram, [5, 50, 95])
        ],
        "seconds": round(time.perf_counter() - started, 1),
    }
    paths.meta.write_text(json.dumps(info, indent=1))
    log(f"generated {paths.n} vectors in {info['seconds']} s: {info}")


# --- the build -------------------------------------------------------------------------------
def open_collection(client):
    meta = {"embedder": EMBEDDER, "dimension": DIM}  # the keys ChromaIndex writes
    return client.get_or_create_collection(
        COLLECTION, embedding_function=None, configuration={"hnsw": HNSW}, metadata=meta
    )


def cmd_build(paths: Paths, args) -> int:
    if not paths.meta.exists():
        sys.exit("run `generate` first")
    vectors = np.load(paths.vectors, mmap_mode="r")
    state = paths.load_state()
    run_started, deadline = time.perf_counter(), time.perf_counter() + args.minutes * 60
    client = chroma_client(paths.chroma)
    collection = open_collection(client)
    have = collection.count()
    open_s = time.perf_counter() - run_started
    targets = [c for c in checkpoints(paths.n) if c > have]
    log(f"build: {have} in the collection (opened in {open_s:.1f} s), next stop {targets[:1]}")
    added, first = 0, True
    while targets and time.perf_counter() < deadline:
        stop = min(have + BATCH, targets[0])
        ids = [f"v{i:07d}" for i in range(have, stop)]
        t0 = time.perf_counter()
        collection.add(ids=ids, embeddings=np.ascontiguousarray(vectors[have:stop]))
        seconds = time.perf_counter() - t0
        have, added = stop, added + len(ids)
        state["batches"].append(
            {
                "end": have,
                "rows": len(ids),
                "seconds": round(seconds, 3),
                "resumed": first,
                "at": datetime.now(UTC).isoformat(timespec="seconds"),
            }
        )
        first = False
        total = sum(b["seconds"] for b in state["batches"])
        log(
            f"{have:>9,} rows  batch {seconds:6.2f} s ({len(ids) / seconds:6.0f}/s)  "
            f"build {total / 60:6.1f} min  rss {rss_mb():6.0f} MB  load {os.getloadavg()[0]:.1f}"
        )
        if have == targets[0]:
            targets.pop(0)
            break  # a checkpoint: measure before adding more
        if len(state["batches"]) % 10 == 0:
            paths.save_state(state)
    count = collection.count()
    state["runs"].append(
        {
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
            "added": added,
            "count": count,
            "open_seconds": round(open_s, 2),
            "wall_seconds": round(time.perf_counter() - run_started, 1),
            "peak_rss_mb": round(peak_rss_mb()),
            "load1": round(os.getloadavg()[0], 2),
        }
    )
    paths.save_state(state)
    log(f"build run done: count {count}, added {added}, peak RSS {peak_rss_mb():.0f} MB")
    return 0 if count >= paths.n else EXIT_MORE


# --- measuring ---------------------------------------------------------------------------
def exact_top(paths: Paths, queries: np.ndarray, n: int) -> np.ndarray:
    """Exact cosine top-10 row numbers over the first ``n`` vectors (unit: dot = cosine)."""
    vectors = np.load(paths.vectors, mmap_mode="r")
    best_s = np.full((len(queries), 0), -np.inf, np.float32)
    best_i = np.zeros((len(queries), 0), np.int64)
    for start in range(0, n, 100_000):
        block = np.asarray(vectors[start : min(start + 100_000, n)])
        scores = queries @ block.T
        top = np.argpartition(-scores, TOP_K, axis=1)[:, :TOP_K]
        best_s = np.hstack([best_s, np.take_along_axis(scores, top, 1)])
        best_i = np.hstack([best_i, top + start])
        keep = np.argsort(-best_s, axis=1)[:, :TOP_K]
        best_s, best_i = np.take_along_axis(best_s, keep, 1), np.take_along_axis(best_i, keep, 1)
    return best_i


def percentiles(values: list[float]) -> dict:
    values = sorted(values)
    return {
        "p50": round(statistics.median(values), 2),
        "p95": round(values[int(0.95 * (len(values) - 1))], 2),
    }


def cmd_probe(paths: Paths, args) -> None:
    """A fresh process: set ef_search, open the collection, answer the queries, report
    memory and ids. A fresh process per ef: Chroma 1.5 keeps a loaded HNSW index with the
    ef_search it was loaded with: ``modify`` is stored, but takes effect only in a process
    that loads the index afterwards (20,000 uniform random vectors, 100 queries: ef 10 set
    in the querying process kept recall@10 at .94, as at 400; a fresh process gave .12)."""
    out: dict = {"rss_mb_start": round(rss_mb()), "ef": args.ef}
    t0 = time.perf_counter()
    client = chroma_client(paths.chroma)
    collection = client.get_collection(COLLECTION)
    if collection.configuration_json["hnsw"]["ef_search"] != args.ef:
        collection.modify(configuration={"hnsw": {"ef_search": args.ef}})
        collection = client.get_collection(COLLECTION)
    out["ef_reported"] = collection.configuration_json["hnsw"]["ef_search"]
    out["count"] = collection.count()
    out["open_ms"] = round((time.perf_counter() - t0) * 1000, 1)
    out["rss_mb_opened"] = round(rss_mb())
    sets = {name: np.load(p) for name, p in paths.queries.items() if p.exists()}

    def query(vector):
        return collection.query(
            query_embeddings=[vector.tolist()],
            n_results=TOP_K,
            include=["documents", "metadatas", "distances"],  # as ChromaIndex.search_chunks
        )

    t0 = time.perf_counter()
    query(sets["synthetic"][0])
    out["first_query_ms"] = round((time.perf_counter() - t0) * 1000, 1)  # loads the index
    out["rss_mb_after_first_query"] = round(rss_mb())
    out["runs"] = {}
    for name, queries in sets.items():
        for vector in queries:  # warm-up pass
            query(vector)
        times, ids = [], []
        for vector in queries:
            t0 = time.perf_counter()
            rows = query(vector)
            times.append((time.perf_counter() - t0) * 1000)
            ids.append([int(i[1:]) for i in rows["ids"][0]])
        out["runs"][name] = {"ms": times, "ids": ids}
    out["rss_mb_end"] = round(rss_mb())
    out["peak_rss_mb"] = round(peak_rss_mb())
    Path(args.out).write_text(json.dumps(out))


def cmd_scan(paths: Paths, args) -> None:
    """A fresh process reads every id, as ``ChromaIndex.delete_orphan_sentences`` does
    (``get(include=[])``); the manifest reads every chunk's metadata the same way."""
    started = time.perf_counter()
    collection = chroma_client(paths.chroma).get_collection(COLLECTION)
    t0 = time.perf_counter()
    ids = collection.get(include=[])["ids"]
    seconds = time.perf_counter() - t0
    record(
        "vectors_1m_scan",
        {
            "vectors": len(ids),
            "get_all_ids_s": round(seconds, 2),
            "wall_s": round(time.perf_counter() - started, 2),
            "rss_mb_end": round(rss_mb()),
            "machine_shared": True,
        },
    )


def record(name: str, data: dict) -> None:
    """The shape of bench/run.py's ``record``: bench, date, machine, command, figures."""
    entry = {
        "bench": name,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()} {os.cpu_count()} cores, "
        f"{platform.python_implementation()} {platform.python_version()}",
        "command": "python " + " ".join(sys.argv),
        **data,
        "peak_rss_mb": round(peak_rss_mb()),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    with open(RESULTS / "results.jsonl", "a", encoding="utf-8") as handle:
        handle.write(json.dumps(entry) + "\n")
    print(json.dumps(entry, indent=1), flush=True)


def measure_once(paths: Paths, args, state: dict) -> dict:
    ours = HNSW["ef_search"]
    efs = [ef for ef in args.efs if ef != ours] + [ours]  # ours last: the collection keeps it
    load_before = os.getloadavg()[0]
    probes, walls = {}, {}
    for ef in efs:
        probe_out = paths.dir / f"probe-{ef}.json"
        probe_out.unlink(missing_ok=True)
        command = [
            sys.executable,
            __file__,
            "probe",
            "--n",
            str(paths.n),
            "--out",
            str(probe_out),
            "--ef",
            str(ef),
        ]
        started = time.perf_counter()
        subprocess.run(command, check=True)
        walls[ef] = round(time.perf_counter() - started, 1)
        probes[ef] = json.loads(probe_out.read_text())
        log(f"probe ef={ef}: {walls[ef]} s, peak RSS {probes[ef]['peak_rss_mb']} MB")
    probe = probes[ours]
    n = probe["count"]
    queries = {name: np.load(p) for name, p in paths.queries.items() if p.exists()}
    truth = {name: exact_top(paths, q, n) for name, q in queries.items()}
    vectors = np.load(paths.vectors, mmap_mode="r")
    runs = {}
    for ef, result in probes.items():
        for name, run in result["runs"].items():
            hits, top1, gap10 = [], [], []
            for got, want, query in zip(run["ids"], truth[name], queries[name]):
                hits.append(len(set(got) & set(want.tolist())) / TOP_K)
                top1.append(bool(got) and got[0] == int(want[0]))  # want is best first
                exact_10th = float(vectors[int(want[-1])] @ query)
                got_10th = float(np.sort(vectors[np.sort(got)] @ query)[0]) if got else -1.0
                gap10.append(max(0.0, exact_10th - got_10th))  # how far the 10th found falls short
            runs[f"{name}@{ef}"] = {
                "ef_search": ef,
                "ef_reported": result["ef_reported"],
                "queries": name,
                "recall_at_10": round(float(np.mean(hits)), 4),
                "recall_at_10_min": round(float(np.min(hits)), 2),
                "queries_below_half": int(np.sum(np.array(hits) < 0.5)),
                "top1_hit": round(float(np.mean(top1)), 4),
                "cosine_gap_10th_p95_max": [
                    round(float(np.percentile(gap10, 95)), 4),
                    round(max(gap10), 4),
                ],
                **percentiles(run["ms"]),
                "serve_peak_rss_mb": result["peak_rss_mb"],
            }
    batches = [b for b in state["batches"] if b["end"] <= n]
    build_s = sum(b["seconds"] for b in batches)
    tail = [b["rows"] / b["seconds"] for b in batches[-10:]]
    generated = json.loads(paths.meta.read_text())
    chroma_files = {
        p.name: round(p.stat().st_size / 2**20, 1) for p in paths.chroma.iterdir() if p.is_file()
    }
    return {
        "vectors": n,
        "dimension": DIM,
        "hnsw": HNSW,
        "collection_configuration": _configuration(paths),
        "build_seconds": round(build_s, 1),
        "build_batches": len(batches),
        "build_rows_per_s_last_10_batches": round(statistics.median(tail), 1) if tail else None,
        "build_peak_rss_mb": max(
            (r["peak_rss_mb"] for r in state["runs"] if r["count"] <= n), default=None
        ),
        "build_runs": sum(1 for r in state["runs"] if r["count"] <= n),
        "serve_rss_mb": {
            k: probe[k]
            for k in (
                "rss_mb_start",
                "rss_mb_opened",
                "rss_mb_after_first_query",
                "rss_mb_end",
                "peak_rss_mb",
            )
        },
        "serve_open_ms": probe["open_ms"],
        "serve_first_query_ms": probe["first_query_ms"],
        "probe_wall_s": walls,
        "disk_mb": round(du_mb(paths.chroma), 1),
        "disk_mb_files": chroma_files,
        "disk_mb_segment_dirs": {
            p.name: round(du_mb(p), 1) for p in paths.chroma.iterdir() if p.is_dir()
        },
        "queries": {k: len(np.load(p)) for k, p in paths.queries.items() if p.exists()},
        "runs": runs,
        "generator": {
            k: generated[k]
            for k in (
                "centroids_source",
                "centroids",
                "alpha",
                "seed",
                "target_same_component_cos",
                "vectors_sha256",
                "sample_pair_cos_p5_p50_p95",
            )
        },
        "load1_before_after": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "machine_shared": True,
    }


def _configuration(paths: Paths) -> dict:
    client = chroma_client(paths.chroma)
    return client.get_collection(COLLECTION).configuration_json["hnsw"]


def cmd_measure(paths: Paths, args) -> None:
    state = paths.load_state()
    count = state["runs"][-1]["count"] if state["runs"] else 0
    due = [c for c in checkpoints(paths.n) if c == count and str(c) not in state["measured"]]
    if not due and not args.force:
        log(f"measure: nothing due at {count}")
        return
    log(f"measure at {count}")
    figures = measure_once(paths, args, state)
    record("vectors_1m", figures)
    state["measured"][str(figures["vectors"])] = figures["runs"]
    paths.save_state(state)


def cmd_run(paths: Paths, args) -> None:
    """generate, then build / measure as child processes until done (each bounded)."""
    me = [sys.executable, __file__]
    opts = ["--n", str(paths.n), "--efs", ",".join(map(str, args.efs))]
    subprocess.run([*me, "generate", *opts], check=True)
    while True:
        rc = subprocess.run([*me, "build", *opts, "--minutes", str(args.minutes)]).returncode
        if rc not in (0, EXIT_MORE):
            sys.exit(f"build failed with exit code {rc}")
        subprocess.run([*me, "measure", *opts], check=True)
        if rc == 0:
            log("done")
            return


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["generate", "build", "measure", "run", "probe", "scan"])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--minutes", type=float, default=8.0)
    parser.add_argument(
        "--efs", type=lambda s: [int(v) for v in s.split(",")], default=[400, 200, 100, 50]
    )
    parser.add_argument("--force", action="store_true", help="measure now, at whatever count")
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--ef", type=int, default=HNSW["ef_search"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    paths = Paths(args.n)
    handler = {
        "generate": cmd_generate,
        "build": cmd_build,
        "measure": cmd_measure,
        "run": cmd_run,
        "probe": cmd_probe,
        "scan": cmd_scan,
    }[args.command]
    sys.exit(handler(paths, args) or 0)


if __name__ == "__main__":
    main()
