"""What each item came to, and what changed between two runs (or a run and its baseline).

Why items and not only averages: the gate compared means with ``baseline.json``, so a
release that turned a declined question into a false claim passed whenever another item
improved, and nobody saw which question changed. An ``ItemState`` is the part of an item's
result a comparison needs; it is built from the report.json form of an item
(``report.item_dict``), so the current run, two saved runs (``--compare``) and the baseline
(``baseline_entry`` / ``state_from_baseline``) all go through the same fields.

The verdicts come from the metrics' scores, never re-derived: *correct* is ``correct`` 1.0
(answerable items), *declined correctly* is an unanswerable item not answered. The answer's
kind is ``answer_kind`` ("answer", "closest", "none") where the result has it, else
"answer" when answered and "none" when not; "closest" and "none" both decline. A *false
claim* is an unanswerable item answered as "answer"; a *wrong answer* an answerable item
answered as "answer" without a gold answer in it. A **regression** (what the item gate
counts, ``gate.item_failures``) is an item that was correct or declined correctly and now
claims something wrong: a false claim or a wrong answer. A correct answer that became a
decline is "newly wrong" and shown first too, but left to the averages: saying "the
articles don't say" is the safe way to be wrong.

The baseline stores the answer text beside its hash: the hash decides "answer text changed"
exactly; the text (cut to ``TEXT_CHARS``) is what a reader sees beside the new answer, and
the baseline is the only record of the last release's answers.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field

ANSWER, CLOSEST, NONE = "answer", "closest", "none"
CORRECT, WRONG, DECLINED = "correct", "wrong answer", "declined"
DECLINED_OK, FALSE_CLAIM, ERROR = "declined correctly", "false claim", "error"
GOOD = (CORRECT, DECLINED_OK)
CLAIMS_WRONGLY = (FALSE_CLAIM, WRONG)
TEXT_CHARS = 500
# change tags, most severe first: the order changed items are listed in
REGRESSION = "regression"
TAGS = (
    REGRESSION,
    "newly a false claim",
    "newly wrong",
    "newly declined",
    "newly right",
    "answer text changed",
    "citations changed",
    "new item",
    "no longer in the set",
)


@dataclass(frozen=True)
class ItemState:
    """One item's outcome in one run: kind, verdict, citations, scores, answer."""

    id: str
    expected_answerable: bool
    kind: str  # ANSWER, CLOSEST or NONE
    status: str  # CORRECT, WRONG, DECLINED, DECLINED_OK, FALSE_CLAIM or ERROR
    citations: tuple[str, ...] = ()  # cited article ids, in order
    scores: dict[str, float] = field(default_factory=dict)  # rounded
    answer_sha: str = ""
    answer: str = ""
    question: str = ""

    @property
    def good(self) -> bool:
        """Correct, or declined correctly."""
        return self.status in GOOD

    @property
    def false_claim(self) -> bool:
        return self.status == FALSE_CLAIM


def answer_kind(result) -> str:
    """The kind of an item result or report item: its ``answer_kind`` where it has one."""
    get = result.get if isinstance(result, dict) else lambda k: getattr(result, k, None)
    return get("answer_kind") or (ANSWER if get("answered") else NONE)


def text_sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def rounded(scores: dict[str, float | None], digits: int = 3) -> dict[str, float]:
    """Scores without the missing ones, rounded (so a baseline diff stays readable)."""
    return {k: round(float(v), digits) for k, v in scores.items() if v is not None}


def status_of(answerable: bool, kind: str, scores: dict, error: str) -> str:
    """The verdict of one item from its kind and its metric scores."""
    if error:
        return ERROR
    if answerable:
        if kind != ANSWER:
            return DECLINED
        return CORRECT if scores.get("correct") == 1.0 else WRONG
    return FALSE_CLAIM if kind == ANSWER else DECLINED_OK


def state_from_report(item: dict) -> ItemState:
    """The state of one report.json item (``report.item_dict``; older reports lack
    ``answer_kind``)."""
    kind, scores = answer_kind(item), rounded(item.get("scores", {}))
    answerable = bool(item["expected_answerable"])
    answer = item.get("answer") or ""
    cited = dict.fromkeys(c["article_id"] for c in item.get("citations", ()))
    return ItemState(
        id=str(item["id"]),
        expected_answerable=answerable,
        kind=kind,
        status=status_of(answerable, kind, scores, item.get("error") or ""),
        citations=tuple(cited),
        scores=scores,
        answer_sha=text_sha(answer),
        answer=item.get("error") or answer,
        question=str(item.get("question", "")),
    )


def baseline_entry(state: ItemState) -> dict:
    """What the baseline keeps of one item (``gate.save_baseline``)."""
    text = state.answer if len(state.answer) <= TEXT_CHARS else state.answer[:TEXT_CHARS] + "…"
    return {
        "expected": ANSWER if state.expected_answerable else "decline",
        "kind": state.kind,
        "status": state.status,
        "correct": state.status == CORRECT if state.expected_answerable else None,
        "false_claim": state.false_claim,
        "citations": list(state.citations),
        "scores": state.scores,
        "answer_sha256": state.answer_sha,
        "answer": text,
    }


def state_from_baseline(item_id: str, entry: dict) -> ItemState:
    """The state stored for one item by ``baseline_entry``."""
    return ItemState(
        id=item_id,
        expected_answerable=entry["expected"] == ANSWER,
        kind=str(entry["kind"]),
        status=str(entry["status"]),
        citations=tuple(entry.get("citations", ())),
        scores=dict(entry.get("scores", {})),
        answer_sha=str(entry.get("answer_sha256", "")),
        answer=str(entry.get("answer", "")),
    )


@dataclass(frozen=True)
class Change:
    """One item whose outcome differs between ``before`` and ``after``."""

    id: str
    before: ItemState | None
    after: ItemState | None
    tags: tuple[str, ...]

    @property
    def regression(self) -> bool:
        return REGRESSION in self.tags

    def score_changes(self) -> dict[str, tuple[float | None, float | None]]:
        """The scores that differ: name -> (before, after)."""
        old = self.before.scores if self.before else {}
        new = self.after.scores if self.after else {}
        names = list(dict.fromkeys([*old, *new]))
        return {n: (old.get(n), new.get(n)) for n in names if old.get(n) != new.get(n)}

    def summary(self) -> str:
        """One line: what the item was, what it is now."""
        was = self.before.status if self.before else "not in the set"
        now = self.after.status if self.after else "not in the set"
        return f"{self.id}: {was} → {now} ({', '.join(self.tags)})"


def change_tags(before: ItemState | None, after: ItemState | None) -> tuple[str, ...]:
    """What changed for one item, as ``TAGS`` (empty: nothing did)."""
    if before is None or after is None:
        return ("new item",) if before is None else ("no longer in the set",)
    tags = {
        REGRESSION: before.good and after.status in CLAIMS_WRONGLY,
        "newly a false claim": after.false_claim and not before.false_claim,
        "newly wrong": before.good and not after.good,
        "newly declined": before.kind == ANSWER and after.kind != ANSWER,
        "newly right": after.good and not before.good,
        "answer text changed": before.answer_sha != after.answer_sha,
        "citations changed": before.citations != after.citations,
    }
    return tuple(tag for tag in TAGS if tags.get(tag))


def compare(before: dict[str, ItemState], after: dict[str, ItemState]) -> list[Change]:
    """Every item that changed, most severe first (then in the set's order)."""
    ids = list(dict.fromkeys([*after, *before]))
    changes = [
        Change(i, before.get(i), after.get(i), tags)
        for i in ids
        if (tags := change_tags(before.get(i), after.get(i)))
    ]
    return sorted(changes, key=lambda c: min(TAGS.index(t) for t in c.tags))


@dataclass
class Comparison:
    """A run's items against a reference (the baseline, or another run for ``--compare``).

    ``note`` says why there is nothing item by item to compare (a baseline written before
    item baselines); ``gated``: whether regressions fail the gate (not while
    ``--update-baseline`` replaces the reference, nor for ``--compare`` when told so)."""

    against: str  # what the run is compared with, for people
    changes: list[Change]
    total: int  # items compared
    note: str = ""
    gated: bool = True
    allowed: int = 0  # --allow-item-regressions
    labels: tuple[str, str] = ("baseline", "now")  # the two sides' column headings

    @property
    def regressions(self) -> list[Change]:
        return [c for c in self.changes if c.regression]

    @property
    def failing(self) -> list[Change]:
        """The regressions that fail the gate: all of them once there are more than
        ``allowed``, none while the trade-off is allowed."""
        found = self.regressions
        return found if self.gated and len(found) > self.allowed else []


def states(items: Iterable[dict]) -> dict[str, ItemState]:
    """Report.json items by id."""
    return {s.id: s for s in map(state_from_report, items)}
