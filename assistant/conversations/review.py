"""Review: one reader's feedback becomes one eval item of the ``feedback`` set.

A reviewer decides what the right answer to the rated turn was: ``quote:N`` (the quote of
retrieved chunk N answers it; ``--answer TEXT`` names a shorter gold answer inside that
chunk), ``decline`` (the articles do not answer it) or ``discard`` (no eval item). The item
is appended to ``<evals_dir>/feedback/items.jsonl`` in the format of every eval set
(``evaluation/sets.item_from_record``), with the turn's history, filters, timeline switch
and its day as ``as_of`` (so "gestern" means the same day when it is replayed), and the
feedback is marked reviewed. An item id is derived from the feedback id and written at most
once: a reviewed item cannot be reviewed again, and an id already in the file is not
appended again (a review that died between the two writes is finished by the next one).

The corpus: an eval set builds its own index from the files its ``set.json`` names, and
the live index is not a file set (uploads, feeds, folders that may be gone or changed). So
the review snapshots the articles the item depends on, the gold article and every article
the turn retrieved (the near misses that misled it), from the live index into
``feedback/corpus/<hash>.jsonl``, one article a file, written once and never overwritten
(an older item keeps the text it was reviewed against). The text is rebuilt from the
article's chunks (each is an exact slice of the article at its offsets). The feedback set
is therefore reproducible without the live index and in CI, and it is a regression check
of the answer over those articles, not of retrieval among all live articles.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import ConversationError, NotFoundError
from ..records import Chunk
from ..stored import content_hash
from .records import Feedback, Turn, filters_dict, history_before
from .service import ConversationService

SET_NAME = "feedback"
DECISION = re.compile(r"quote:(\d+)|decline|discard")


@dataclass(frozen=True)
class Decision:
    """What the reviewer decided: ``quote`` (with the chunk's rank), ``decline``, ``discard``."""

    kind: str
    rank: int | None = None

    @classmethod
    def parse(cls, text: str) -> Decision:
        match = DECISION.fullmatch(text.strip())
        if not match:
            raise ConversationError(
                f"expected a decision quote:N, decline or discard, got {text!r}"
            )
        if match.group(1):
            return cls("quote", int(match.group(1)))
        return cls(match.group())

    def __str__(self) -> str:
        return f"quote:{self.rank}" if self.kind == "quote" else self.kind


@dataclass(frozen=True)
class Review:
    """What one review did."""

    feedback: Feedback
    item: dict | None  # the eval item (None: discarded)
    appended: bool  # False when the item was in the file already
    articles: tuple[str, ...]  # article ids snapshot for the set's corpus (new or kept)
    missing: tuple[str, ...]  # retrieved articles the live index no longer holds


def review_feedback(
    service: ConversationService,
    feedback_id: str,
    decision: Decision,
    evals_dir: Path,
    answer: str | None = None,
) -> Review:
    """Turn one feedback item into an eval item (see the module docstring)."""
    store = service.store
    feedback = store.feedback_item(feedback_id)
    if feedback.decision:
        raise ConversationError(
            f"expected feedback not reviewed yet, got {feedback.id} reviewed as "
            f"{feedback.decision} on {feedback.reviewed}"
        )
    if decision.kind == "discard":
        return Review(store.mark_reviewed(feedback.id, "discard", ""), None, False, (), ())
    turn = store.turn(feedback.turn_id)
    history = history_before(store.turns(turn.conversation_id), turn.n)
    gold = gold_for(service, turn, decision, answer)
    item = eval_item(feedback, turn, history, gold)
    folder = Path(evals_dir) / SET_NAME
    wanted = list(dict.fromkeys([*item["gold_articles"], *retrieved_articles(turn)]))
    kept, missing = snapshot_articles(service, wanted, folder / "corpus")
    lost = [a for a in item["gold_articles"] if a in missing]
    if lost:
        raise NotFoundError(f"expected the gold article {lost[0]!r} in the index, got none")
    appended = append_item(folder / "items.jsonl", item)
    reviewed = store.mark_reviewed(feedback.id, str(decision), item["id"])
    return Review(reviewed, item, appended, tuple(kept), tuple(missing))


@dataclass(frozen=True)
class Gold:
    """The right answer the reviewer named: answers, articles and quotes (empty: decline)."""

    answers: tuple[str, ...] = ()
    articles: tuple[str, ...] = ()
    quotes: tuple[str, ...] = ()


def gold_for(service, turn: Turn, decision: Decision, answer: str | None) -> Gold:
    """The gold of ``decision``: nothing for a decline; the chunk's quote (or ``answer``,
    which must occur in the chunk) and its article for ``quote:N``."""
    if decision.kind == "decline":
        return Gold()
    retrieved = {int(r["rank"]): r for r in turn.answer.get("retrieved", ())}
    if decision.rank not in retrieved:
        raise ConversationError(
            f"expected N among the turn's retrieved chunks {sorted(retrieved)}, got {decision.rank}"
        )
    chosen = retrieved[decision.rank]
    cited = {int(c["n"]): c for c in turn.answer.get("citations", ())}
    quote = cited[decision.rank]["quote"] if decision.rank in cited else ""
    text = cited[decision.rank]["text"] if decision.rank in cited else chunk_text(service, chosen)
    if not (answer or quote):
        raise ConversationError(
            f"expected --answer TEXT for chunk {decision.rank}: the answer did not quote it, "
            f"got no answer text"
        )
    if answer and " ".join(answer.split()) not in " ".join(text.split()):
        raise ConversationError(
            f"expected an answer that occurs in chunk {decision.rank}, got {answer!r}"
        )
    kept_quote = quote if quote and (not answer or answer in quote) else ""  # not the wrong one
    return Gold((answer or quote,), (chosen["article_id"],), (kept_quote,) if kept_quote else ())


def chunk_text(service, retrieved: dict) -> str:
    """The text of a retrieved chunk, from the live index."""
    chunks = service.assistant.index.get_chunks([retrieved["chunk_id"]])
    if not chunks:
        raise NotFoundError(
            f"expected chunk {retrieved['rank']} ({retrieved['chunk_id'][:12]}) in the index, "
            f"got none (its article changed or was removed)"
        )
    return chunks[0].text


def eval_item(feedback: Feedback, turn: Turn, history: tuple, gold: Gold) -> dict:
    """The eval item record (``sets.item_from_record``'s format) for one reviewed turn."""
    settings = turn.settings
    filters = {k: v for k, v in filters_dict(settings.filters).items() if v is not None}
    return {
        "id": f"feedback-{feedback.id[:12]}",
        "question": turn.question,
        "language": turn.answer.get("language", ""),
        "answerable": bool(gold.answers),
        "answers": list(gold.answers),
        "gold_articles": list(gold.articles),
        "gold_quotes": list(gold.quotes),
        "history": [list(pair) for pair in history],
        "kind": f"feedback-{feedback.reason or feedback.rating}",
        "as_of": (settings.as_of.isoformat() if settings.as_of else turn.created[:10]),
        "filters": filters,
        "timeline": settings.timeline,
        "feedback": {
            "id": feedback.id,
            "turn_id": turn.id,
            "rating": feedback.rating,
            "citation": feedback.citation,
            "reason": feedback.reason or None,
            "comment": feedback.comment or None,
            "answer_given": turn.text,
        },
    }


def retrieved_articles(turn: Turn) -> list[str]:
    """The articles of the turn's retrieved chunks, best first, each once."""
    return list(dict.fromkeys(r["article_id"] for r in turn.answer.get("retrieved", ())))


def snapshot_articles(service, article_ids: list[str], folder: Path) -> tuple[list[str], list[str]]:
    """Write each article (rebuilt from the live index) to ``folder`` unless it is there;
    (the ids now in the folder, the ids the index no longer holds)."""
    assistant = service.assistant
    chunk_ids = assistant.keywords.chunk_ids()
    kept, missing = [], []
    for article_id in article_ids:
        path = folder / f"{content_hash(article_id)[:16]}.jsonl"
        if path.is_file():
            kept.append(article_id)
            continue
        chunks = assistant.index.get_chunks(sorted(chunk_ids.get(article_id, ())))
        if not chunks:
            missing.append(article_id)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        record = json.dumps(article_record(chunks), ensure_ascii=False)
        path.write_text(record + "\n", encoding="utf-8")
        kept.append(article_id)
    return kept, missing


def article_record(chunks: list[Chunk]) -> dict:
    """The JSONL article record of one article from its chunks (text rebuilt by offsets;
    a gap between chunks, which only whitespace can be, becomes one space)."""
    ordered = sorted(chunks, key=lambda c: (c.start, c.end))
    text, end = "", 0
    for chunk in ordered:
        if chunk.end <= end:
            continue
        overlap = max(end - chunk.start, 0)
        text += (" " if text and chunk.start > end else "") + chunk.text[overlap:]
        end = chunk.end
    first = ordered[0]
    optional = {"language": first.language, "source": first.source}
    optional.update(published=first.published, url=first.url)
    record = {"id": first.article_id, "title": first.title, "text": text}
    return record | {k: v for k, v in optional.items() if v}


def append_item(path: Path, item: dict) -> bool:
    """Append ``item`` as a JSONL line unless an item with its id is in the file already."""
    lines = path.read_text(encoding="utf-8").splitlines() if path.is_file() else []
    if any(line.strip() and json.loads(line).get("id") == item["id"] for line in lines):
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        if lines and not path.read_text(encoding="utf-8").endswith("\n"):
            handle.write("\n")
        handle.write(json.dumps(item, ensure_ascii=False) + "\n")
    return True
