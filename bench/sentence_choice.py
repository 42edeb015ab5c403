"""Where should sentence scoring happen? Quality and latency of the three choices.

    python bench/sentence_choice.py [N_NEWS]

XQuAD dev (120 German contexts) plus N_NEWS German news articles (first 1,200 characters)
as distractors, German and English questions:
  A. sentence vectors stored at ingest: rank chunks by (chunk cos + best sentence cos)/2,
     quote the best sentences by cosine  (the default)
  B. no sentence vectors: rank chunks by chunk cosine, quote by word overlap (cheap)
  C. embed the top-5 chunks' sentences at question time: quality of A, cost measured here
Containment = a gold answer span of the German context occurs in the extractive answer
(which quotes German text verbatim, also for English questions), for several margins: a
second sentence is quoted when its score is within the margin of the best (0 = always one
sentence, 1 = always two).
"""
from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import news  # noqa: E402
from run import record  # noqa: E402

from assistant.answer.extractive import ExtractiveAnswerer  # noqa: E402
from assistant.ingest.chunking import count_tokens  # noqa: E402
from assistant.providers import E5Embedder  # noqa: E402
from assistant.records import Chunk, Retrieved  # noqa: E402
from assistant.sentences import split_sentences  # noqa: E402


def load_docs(n_news: int):
    data = json.loads((news.DATA / "xquad-dev.de.json").read_text())
    contexts = [p["context"] for a in data["data"] for p in a["paragraphs"]]
    distractors = [a["text"][:1200].rsplit(" ", 1)[0] for a in news.german_articles()[:n_news]]
    docs = []
    for i, text in enumerate(contexts + distractors):
        spans = tuple(split_sentences(text, "de"))
        docs.append(Chunk(id=str(i), article_id=str(i), article_hash="", title="", text=text,
                          language="de", position=0, start=0, end=len(text),
                          token_count=count_tokens(text), sentences=spans))
    return docs, len(contexts)


MARGINS = (0.0, 0.02, 0.05, 1.0)


def questions(lang: str):
    """(question in ``lang``, gold context index, German gold answers)."""
    german = {}
    data = json.loads((news.DATA / "xquad-dev.de.json").read_text())
    for article in data["data"]:
        for paragraph in article["paragraphs"]:
            german.update({q["id"]: [a["text"] for a in q["answers"]] for q in paragraph["qas"]})
    data = json.loads((news.DATA / f"xquad-dev.{lang}.json").read_text())
    out, k = [], 0
    for article in data["data"]:
        for paragraph in article["paragraphs"]:
            out += [(q["question"], k, german[q["id"]]) for q in paragraph["qas"]]
            k += 1
    return out


def evaluate(docs, chunk_vecs, sent_vecs, owner, embedder, qs):
    answerers = {m: ExtractiveAnswerer(max_sentences=2, margin=m) for m in MARGINS}
    hits = {"A": [0, 0], "B": [0, 0]}
    contained = {(mode, m): 0 for mode in "AB" for m in MARGINS}
    c_ms = []
    for question, gold, answers in qs:
        q = embedder.embed_query(question)
        chunk_sim = chunk_vecs @ q
        sent_sim = sent_vecs @ q
        best_sent = np.full(len(docs), -1.0)
        np.maximum.at(best_sent, owner, sent_sim)
        for mode, score in (("A", (chunk_sim + best_sent) / 2), ("B", chunk_sim)):
            top = np.argsort(-score)[:5]
            hits[mode][0] += top[0] == gold
            hits[mode][1] += gold in top
            retrieved = [Retrieved(docs[i], float(score[i]), r,
                                   tuple(sent_sim[owner == i]) if mode == "A" else ())
                         for r, i in enumerate(top, 1)]
            for margin, answerer in answerers.items():
                text = " ".join(t for t, _ in answerer.pick(question, retrieved)).lower()
                contained[(mode, margin)] += any(a.lower() in text for a in answers)
        if len(c_ms) < 40:  # C: embed the top-5 chunks' sentences now
            top = np.argsort(-chunk_sim)[:5]
            started = time.perf_counter()
            embedder.embed_passages([s for i in top for s in docs[i].sentence_texts()])
            c_ms.append((time.perf_counter() - started) * 1000)
    n = len(qs)
    return {"questions": n,
            **{f"{m}_hit@1": round(h[0] / n, 3) for m, h in hits.items()},
            **{f"{m}_hit@5": round(h[1] / n, 3) for m, h in hits.items()},
            **{f"{mode}_containment_margin_{m}": round(c / n, 3)
               for (mode, m), c in contained.items()},
            "C_question_time_sentence_embedding_ms_p50": round(statistics.median(c_ms))}


def main() -> None:
    n_news = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    docs, _ = load_docs(n_news)
    embedder = E5Embedder()
    chunk_vecs = embedder.embed_passages([d.text for d in docs])
    sentences = [(i, s) for i, d in enumerate(docs) for s in d.sentence_texts()]
    sent_vecs = embedder.embed_passages([s for _, s in sentences])
    owner = np.array([i for i, _ in sentences])
    result = {"docs": len(docs), "news_distractors": n_news}
    for lang in ("de", "en"):
        result[lang] = evaluate(docs, chunk_vecs, sent_vecs, owner, embedder, questions(lang))
    record("sentence_choice", result)


if __name__ == "__main__":
    main()
