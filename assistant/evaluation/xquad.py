"""XQuAD (SQuAD-format JSON) as an eval set: each paragraph an article, each question an
item, and for the decline tests the same questions again against corpora without their
article (``removed``) or without their paragraph but with its siblings (``topic``)."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path

from .sets import (
    FULL,
    REMOVED,
    TOPIC,
    EvalItem,
    EvalSet,
    EvalSetError,
    news_distractors,
    write_jsonl,
)


def xquad_article_id(title: str, n: int) -> str:
    """Stable id of the n-th paragraph (context) of a Wikipedia article."""
    return f"xquad-{title}-{n}"


def read_xquad(path: Path) -> list[dict]:
    """The ``data`` list of a SQuAD-format file."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))["data"]
    except (OSError, ValueError, KeyError) as exc:
        raise EvalSetError(f"{path}: expected SQuAD-format JSON with 'data', got {exc!r}") from None


def xquad_contexts(data: list[dict], language: str) -> list[dict]:
    """Each context as an article record for the JSONL loader."""
    return [
        {
            "id": xquad_article_id(a["title"], n),
            "title": f"{a['title']} ({n})",
            "text": p["context"],
            "language": language,
            "source": "XQuAD",
        }
        for a in data
        for n, p in enumerate(a["paragraphs"])
    ]


def xquad_items(
    questions: list[dict], language: str, contexts: list[dict] | None = None
) -> list[EvalItem]:
    """One answerable item per question; the gold article is its context.

    With ``contexts`` in another language (cross-lingual), the gold answers of the same
    question id in that language come first: the answer quotes the contexts' language.
    """
    spans = {
        qa["id"]: [x["text"] for x in qa["answers"]]
        for a in contexts or []
        for p in a["paragraphs"]
        for qa in p["qas"]
    }
    return [
        EvalItem(
            id=qa["id"],
            question=qa["question"],
            language=language,
            answerable=True,
            answers=tuple(
                dict.fromkeys(spans.get(qa["id"], []) + [x["text"] for x in qa["answers"]])
            ),
            gold_articles=(xquad_article_id(a["title"], n),),
            kind=a["title"],
        )
        for a in questions
        for n, p in enumerate(a["paragraphs"])
        for qa in p["qas"]
    ]


def held_out_titles(data: list[dict], every: int = 4) -> set[str]:
    """Every ``every``-th article title, removed from the corpus for the decline test."""
    return {a["title"] for i, a in enumerate(data) if i % every == every - 1}


def topic_paragraphs(data: list[dict], held: set[str], every: int = 3) -> set[str]:
    """Article ids of every ``every``-th paragraph of the articles that stay in the corpus.

    The same-topic decline test removes only these paragraphs: the rest of each Wikipedia
    article stays indexed, so the question's topic is there but its answer is not.
    """
    return {
        xquad_article_id(a["title"], n)
        for a in data
        if a["title"] not in held
        for n in range(len(a["paragraphs"]))
        if n % every == 1
    }


@dataclass(frozen=True)
class XquadSpec:
    """Where XQuAD lives and how to run it."""

    questions: Path  # the file whose questions are asked (de or en)
    contexts: Path  # the file whose paragraphs are the corpus (de for cross-lingual)
    language: str  # language of the questions
    distractors: Path | None = None  # 10kGNAD CSV, or None
    distractor_limit: int | None = None
    limit: int | None = None  # at most this many questions, spread over all articles
    removed: bool = True  # also ask held-out articles' questions against a corpus without them


def write_corpus(folder: Path, articles: list[dict], news: list[dict]) -> Path:
    """The XQuAD paragraphs (and the news distractors) of one corpus variant as JSONL."""
    write_jsonl(folder / "xquad.jsonl", articles)
    if news:
        write_jsonl(folder / "news.jsonl", news)
    return folder


def unanswerable(item: EvalItem, variant: str) -> EvalItem:
    """The same question against a corpus without its answer: it must be declined."""
    return replace(
        item,
        id=f"{item.id}#{variant}",
        answerable=False,
        answers=(),
        gold_articles=(),
        variant=variant,
    )


def build_xquad_set(name: str, spec: XquadSpec, cache: Path) -> EvalSet:
    """An EvalSet for XQuAD whose corpora are JSONL files written under ``cache``."""
    contexts = read_xquad(spec.contexts)
    cross = spec.questions != spec.contexts
    items = xquad_items(read_xquad(spec.questions), spec.language, contexts if cross else None)
    if spec.limit is not None and spec.limit < len(items):
        step = len(items) / spec.limit
        items = [items[int(i * step)] for i in range(spec.limit)]
    news = news_distractors(spec.distractors, spec.distractor_limit) if spec.distractors else []
    articles = xquad_contexts(contexts, "de" if "de" in spec.contexts.name else "en")
    corpora = {FULL: [write_corpus(cache / "corpus-full", articles, news)]}
    if spec.removed:
        held = held_out_titles(contexts)
        kept = [a for a in articles if not any(a["id"].startswith(f"xquad-{t}-") for t in held)]
        corpora[REMOVED] = [write_corpus(cache / "corpus-removed", kept, news)]
        dropped = topic_paragraphs(contexts, held)
        siblings = [a for a in articles if a["id"] not in dropped]
        corpora[TOPIC] = [write_corpus(cache / "corpus-topic", siblings, news)]
        items += [unanswerable(i, REMOVED) for i in items if i.kind in held]
        items += [
            unanswerable(i, TOPIC)
            for i in items
            if i.variant == FULL and i.gold_articles[0] in dropped
        ]
    return EvalSet(
        name=name,
        items=items,
        corpora=corpora,
        notes=f"XQuAD dev: {spec.questions.name} questions against "
        f"{spec.contexts.name} contexts + {len(news)} news distractors",
    )
