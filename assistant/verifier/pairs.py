"""(question, sentence, answers?) pairs for the verifier, from the visible eval data.

A pair is positive when the sentence holds the question's gold answer where the gold
article states it, negative when it is another sentence of the same article or paragraph:
the same topic, the same words, often the same names, but not the answer. That is exactly
the confusion the verifier must resolve ("how many fell?" beside "12,000 were sent").

Sources, each grouped by article so that folds never split an article:
- XQuAD dev (the visible half, 24 Wikipedia articles): German questions on German
  paragraphs, English questions on German paragraphs (the product's cross-lingual case)
  and English on English; the positive is the sentence that holds ``answer_start``.
- ``evals/news``: the answerable items' gold articles (a sentence holding an answer span is
  positive), and every same-topic item's topic article (all negatives).
- ``evals/news-pairs``: hand-written same-topic questions with the sentence a careless
  reader would quote (negative) and their answerable twins (positive).
Negatives per question are capped at the ``NEGATIVES`` sentences sharing most question
stems (the hard ones); sentences that hold the answer text elsewhere are left out, since
whether they answer is unclear.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from ..evaluation.sets import english_news, news_distractors
from ..evaluation.xquad import read_xquad
from ..sentences import split_sentences
from ..terms import term_set

NEGATIVES = 6
MAX_SENTENCE_CHARS = 600  # longer "sentences" are tables or lists: not a quote


@dataclass(frozen=True)
class Pair:
    """One question beside one sentence, and whether the sentence answers it."""

    question: str
    question_language: str
    sentence: str
    sentence_language: str
    label: int  # 1: the sentence answers the question
    group: str  # the article (XQuAD: the Wikipedia article) for folds
    source: str  # xquad-de | xquad-en-de | xquad-en | news | news-pairs
    item: str  # the eval item id
    near: bool = False  # the hand-picked nearest sentence of a same-topic question


def fold_of(group: str, folds: int) -> int:
    """The fold of an article group: a stable hash, so that the verifier's folds and the
    answer model's are the same partition of the articles."""
    return int(hashlib.sha1(group.encode("utf-8")).hexdigest(), 16) % folds


def sentences_of(text: str, language: str) -> list[tuple[int, int, str]]:
    """(start, end, text) of every sentence of ``text``."""
    return [(s.start, s.end, text[s.start : s.end]) for s in split_sentences(text, language)]


def hardest(question: str, language: str, candidates: list[str], n: int) -> list[str]:
    """The ``n`` candidates sharing most stems with the question (ties: earlier first)."""
    stems = term_set(question, language)
    scored = [(-len(stems & term_set(c, language)), i, c) for i, c in enumerate(candidates)]
    return [c for _, _, c in sorted(scored)[:n]]


def _usable(sentence: str) -> bool:
    return len(sentence.split()) >= 3 and len(sentence) <= MAX_SENTENCE_CHARS


def question_pairs(
    question: str, q_lang: str, text: str, s_lang: str, gold: tuple[int, ...], answers, **meta
) -> Iterator[Pair]:
    """One question against one text: sentences covering an offset in ``gold`` (or, without
    offsets, holding an answer span) are positive; up to NEGATIVES others are negative."""
    spans = [a.casefold() for a in answers if a.strip()]
    positives, negatives = [], []
    for start, end, sentence in sentences_of(text, s_lang):
        holds = any(a in sentence.casefold() for a in spans)
        if (
            gold
            and any(start <= g < end for g in gold)
            or (holds and not gold)
            and _usable(sentence)
        ):
            positives.append(sentence)
        elif not holds and _usable(sentence):
            negatives.append(sentence)
    for sentence in positives:
        yield Pair(question, q_lang, sentence, s_lang, 1, **meta)
    for sentence in hardest(question, q_lang, negatives, NEGATIVES):
        yield Pair(question, q_lang, sentence, s_lang, 0, **meta)


def xquad_pairs(questions: Path, contexts: Path, q_lang: str, source: str) -> Iterator[Pair]:
    """Pairs of the questions in ``questions`` against the paragraphs of ``contexts`` (the
    same question ids; cross-lingual when the two files differ)."""
    asked = {qa["id"]: qa["question"] for a in read_xquad(questions) for p in a["paragraphs"]
             for qa in p["qas"]}  # fmt: skip
    s_lang = "de" if ".de." in contexts.name else "en"
    for article in read_xquad(contexts):
        for paragraph in article["paragraphs"]:
            for qa in paragraph["qas"]:
                gold = tuple(a["answer_start"] for a in qa["answers"])
                answers = [a["text"] for a in qa["answers"]]
                yield from question_pairs(
                    asked[qa["id"]], q_lang, paragraph["context"], s_lang, gold, answers,
                    group=f"xquad:{article['title']}", source=source, item=qa["id"],
                )  # fmt: skip


def shared_articles(data_dir: Path) -> dict[str, dict]:
    """The visible news articles by id (10kGNAD rows 0-299, news-en's first 300 rows)."""
    rows = news_distractors(data_dir / "10kgnad-test.csv", 300)
    rows += english_news(data_dir / "news-en.csv", 300)
    return {r["id"]: r for r in rows}


def news_pairs(items: Path, articles: dict[str, dict], source: str) -> Iterator[Pair]:
    """Pairs of one news set's items against their gold or topic articles."""
    for line in items.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        item = json.loads(line)
        meta = {"source": source, "item": item["id"]}
        ids = item.get("gold_articles") or [item.get("topic_article")]
        for article_id in [a for a in ids if a in articles]:
            article = articles[article_id]
            answers = item.get("answers", []) if item["answerable"] else []
            yield from question_pairs(
                item["question"], item["language"], article["text"], article["language"], (),
                answers, group=article_id, **meta,
            )  # fmt: skip
        near = item.get("near_sentence")
        topic = item.get("topic_article", "")
        if near and topic in articles:
            lang = articles[topic]["language"]
            yield Pair(item["question"], item["language"], near, lang, 0, topic, source,
                       item["id"], near=True)  # fmt: skip


def all_pairs(data_dir: Path, evals_dir: Path) -> list[Pair]:
    """Every pair of the visible data, without duplicates (question, sentence)."""
    de, en = data_dir / "xquad-dev.de.json", data_dir / "xquad-dev.en.json"
    parts = [
        xquad_pairs(de, de, "de", "xquad-de"),
        xquad_pairs(en, de, "en", "xquad-en-de"),
        xquad_pairs(en, en, "en", "xquad-en"),
    ]
    articles = shared_articles(data_dir)
    for name in ("news", "news-pairs"):
        if (evals_dir / name / "items.jsonl").is_file():
            parts.append(news_pairs(evals_dir / name / "items.jsonl", articles, name))
    seen: dict[tuple[str, str], Pair] = {}
    for pair in (p for part in parts for p in part):
        key = (pair.question, pair.sentence)
        if key not in seen or pair.near:
            seen[key] = pair
    return list(seen.values())


def write_pairs(pairs: list[Pair], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps(asdict(p), ensure_ascii=False) for p in pairs]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def read_pairs(path: Path) -> list[Pair]:
    return [Pair(**json.loads(line)) for line in path.read_text(encoding="utf-8").splitlines()]


def article_keys(examples, known: list[Pair]) -> list[str]:
    """The article group of each collected question, keyed as the known pairs key it (a
    news article's id, ``xquad:<title>``), so that ``fold_of`` puts a question, its mined
    pairs and its article's pairs in one fold: the group of its known pairs; else a news
    question's gold article; else, for a same-topic question of ``evals/news-pairs`` (no
    gold article), its answerable twin's article, whose sentences it is answered with;
    else the question itself."""
    group = {p.item: p.group for p in known}

    def plain(e) -> str:
        return e.group.split(":", 1)[-1] if e.group.startswith("news") else e.group

    twins = {e.item.id.rsplit("-", 1)[0]: plain(e) for e in examples if e.item.gold_articles}
    out = []
    for e in examples:
        base = e.item.id.split("#", 1)[0]
        twin = twins.get(e.item.id.rsplit("-", 1)[0]) if not e.item.gold_articles else None
        out.append(group.get(base) or twin or plain(e))
    return out


def mined_pairs(examples, model, known: list[Pair], top: int = 5) -> list[Pair]:
    """Hard pairs as answering meets them: the ``top`` sentences the answer model ranks
    first for every collected question (``evidence.fit collect``), positive where the
    question is answerable and the sentence holds a gold answer, negative where the question
    is not answerable (its article or paragraph removed: the same-topic near misses) or the
    sentence lacks the answer. A sentence that holds the answer text under an unanswerable
    question is left out (unclear). Grouped by the article the known pairs give the item."""
    from ..evaluation.metrics import contains_answer
    from ..evidence.rank import EvidenceRanker

    ranker = EvidenceRanker(model)
    keys = article_keys(examples, known)
    out = []
    for e, key in zip(examples, keys):
        evidence = ranker.rank(e.item.question, e.retrieval, 5)
        for s in evidence.sentences[:top]:
            chunk = evidence.retrieved[s.rank - 1].chunk
            holds = bool(e.item.answers) and bool(contains_answer(s.text, e.item.answers))
            if not _usable(s.text) or (holds and not e.item.answerable):
                continue
            label = int(e.item.answerable and holds)
            out.append(Pair(e.item.question, e.item.language, s.text, chunk.language, label, key,
                            f"mined-{e.set_name}", e.item.id))  # fmt: skip
    return out
