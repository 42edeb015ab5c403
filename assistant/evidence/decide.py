"""The decision after ranking: answer, closest, or none, and the lead value's type.

The answer model (``rank.py``) says how near the evidence is; near is not enough ("how many
fell?" next to "12,000 were sent"). When the model file carries a ``verify`` section, the
verifier (``assistant/verifier``: question and sentence read together) scores the best
``top`` sentences, and a logistic regression over those scores and the nearness
(``VERIFY_FEATURES``, fitted on out-of-fold verifier scores, cross-validated by article)
decides:

- ``none``: the evidence is not near: the answer model's probability is under ``floor``
  (far below its own threshold: the verifier may still find an answer the nearness signals
  missed, "How did Pyongyang react?" beside „grundlose Gerüchte“), or it only reports a claim
  the question asks to be established;
- ``answer``: near and verified; the verified sentence is quoted first;
- ``closest``: near but not verified: the articles don't say what was asked; the nearest
  sentence is quoted with what it does not speak to (``verifier/missing.py``).

A lead value (the value an answer opens with) is shown only when its sentence is verified
(``lead`` threshold) and the value is of the type asked for: the kind (number, date, person,
place, name, money), the measure of a number question (``units.py``: a mass for "wie
schwer", a duration for "how long", ...), and for an age, next to the person the question
names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

import numpy as np

from ..records import ANSWER, CLOSEST, NONE, Evidence, ScoredSentence
from ..text import STOP
from ..verifier.missing import uncovered
from .features import Question, SentenceView
from .linear import LinearModel
from .types import MONEY, NAME, NUMBER, PERSON
from .units import AGE, fits, span_measure

# Without a verifier, evidence under the answer model's threshold is shown as the closest
# evidence when the model gives it at least this probability. Measured on out-of-fold
# nearness (stack rows, 2026-12-07), the share of unanswerable questions that would get a
# closest response at floors .1 / .3 / .4 / .5: same-topic news 1.0 / .96 / .93 / .85;
# XQuAD paragraph removed (topic kept) de .81 / .47 / .33 / .24, en .98 / .74 / .57 / .39;
# XQuAD whole article removed (off topic) de .49 / .15 / .08 / .03, en .98 / .58 / .32 / .18.
# .4 keeps most same-topic questions and shows few off-topic quotes.
CLOSEST_FLOOR = 0.4
# Without a verifier, an answer opens with its lead value only when the answer model gives
# the evidence at least this probability: where an out-of-fold lead is right two times in
# three (a wrong lead is a false claim; a missing one costs the reader a glance at the
# quote, so it counts half). bench/coverage_rule.py, 2026-12-07, the sets the model is
# fitted on (news, XQuAD de/en, 3 folds by article): leads right 25 of 69 under .85, 21 of
# 38 in [.85, .9), 27 of 42 in [.9, .95), 84 of 102 from .95; a logistic fit of right on
# the model's logit reaches 2/3 at .939. Shown from .94: 87 of 107 right (.81) against 157
# of 251 (.63) for all; on evals/news-pairs (never fitted on) 28 of 50 (.56) against 43 of
# 101 (.43). A lead on an unanswerable question counts as wrong. The quote stays.
LEAD_FLOOR = 0.94
# A number or money question ("how many", "wie viel kostet") is answered only by quoted
# sentences holding a value of the measure asked for; otherwise it is closest evidence. Out
# of fold (bench/coverage_rule.py, 2026-12-07, after the measure fixes of units.py): on the
# sets the model is fitted on it turned 4 false claims and 5 wrong answers into closest
# responses for 6 right ones; on evals/news-pairs (never fitted on) 33 false claims and 2
# wrong answers for 2 right ones. For dates, persons and names the same rule on the first
# sentence cost more right answers than it saved (their answers are often no typed span:
# "Studenten", "rund um Weihnachten").
VALUE_KINDS = (NUMBER, MONEY)
VERIFY_FEATURES = ("nearness", "verified_best", "verified_first", "type_fits", "cross_language")


@dataclass(frozen=True)
class VerifyModel:
    """The fitted decision over the verifier's scores (the model file's ``verify``)."""

    model: LinearModel
    thresholds: dict[str, float]  # question language -> minimum P(answer)
    lead: float  # minimum verifier probability of a sentence whose value leads
    top: int  # sentences verified per question
    verifier: str  # the verifier file's version it was fitted with
    floor: float = 0.1  # the answer model's probability under which nothing is near

    def threshold(self, language: str) -> float:
        return self.thresholds.get(language, self.thresholds["en"])

    def to_dict(self) -> dict:
        return {
            "model": self.model.to_dict(), "thresholds": self.thresholds, "lead": self.lead,
            "top": self.top, "verifier": self.verifier, "floor": self.floor,
        }  # fmt: skip

    @classmethod
    def from_dict(cls, data: dict, where: str) -> VerifyModel:
        return cls(
            LinearModel.from_dict(data["model"], VERIFY_FEATURES, f"{where} verify"),
            {str(k): float(v) for k, v in data["thresholds"].items()},
            float(data["lead"]), int(data["top"]), str(data["verifier"]),
            float(data.get("floor", 0.1)),
        )  # fmt: skip


def logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return float(np.log(p / (1 - p)))


def verify_row(
    confidence: float, scores: np.ndarray, fitting: list[bool], cross: list[bool]
) -> list[float]:
    """VERIFY_FEATURES of one question: nearness (the answer model's logit), the best and
    the first sentence's verifier probability, whether the best verified sentence holds a
    value of the asked type, and whether it is in another language than the question."""
    best = int(np.argmax(scores))
    return [logit(confidence), float(scores[best]), float(scores[0]), float(fitting[best]),
            float(cross[best])]  # fmt: skip


def typed_spans_for(q: Question, view: SentenceView) -> list[tuple[int, int]]:
    """The spans of ``view`` that are of the type the question asks for (kind, measure,
    and for an age the person named): every one a lead could be."""
    measure, counted = q.measure, q.counted
    out = []
    for span in view.answer_spans(q):
        if span.text.lower() in STOP or (q.kind == PERSON and span.kind not in (PERSON, NAME)):
            continue
        has = span_measure(view.text, span.start, span.end)
        if not fits(measure, has) or (counted and not measure and has not in ("", counted)):
            continue
        out.append((span.start, span.end))
    if measure == AGE and (len(out) > 1 or names_in(q.text, view.text)):
        out = [(a, b) for a, b in out if near_named(q.text, view.text, a)]
    return out


_NAMED = re.compile(r"(?<!^)(?<![.?!]\s)\b[A-ZÄÖÜ][\w-]+")


def near_named(question: str, sentence: str, at: int, reach: int = 40) -> bool:
    """A name the question uses (not its first word) stands within ``reach`` characters
    of position ``at`` in the sentence (the age of the person asked about)."""
    for name in _NAMED.findall(question):
        for match in re.finditer(re.escape(name), sentence):
            if abs(match.start() - at) <= reach:
                return True
    return False


def names_in(question: str, sentence: str) -> bool:
    """The sentence holds a name the question uses. An age must stand next to that name,
    or next to one of them when the sentence gives several ages; a single age in a
    sentence that names nobody the question does is the asked person's ("Mit 39 Jahren
    ist er ...", a 60-jähriger Priester for "the Canadian priest")."""
    return any(re.search(re.escape(name), sentence) for name in _NAMED.findall(question))


class Decider:
    """Applies the verify model to one ranked evidence (``rank.py``'s output)."""

    def __init__(self, verify: VerifyModel, verifier, embedder):
        self.verify, self.verifier, self.embedder = verify, verifier, embedder

    def decide(self, q: Question, evidence: Evidence) -> Evidence:
        """The evidence with its kind: none stays none; near evidence is an answer when the
        decision verifies it (the verified sentence first, a lead only where verified and of
        the asked type) and, for a number or money question, the verified sentence holds a
        value of the asked measure (``lacks_value``); else closest (no lead, the words it
        does not speak to)."""
        if not near(evidence, self.verify.floor):
            return replace(evidence, answerable=False, kind=NONE)
        top = list(evidence.sentences[: self.verify.top])
        views = [view_of(evidence, s) for s in top]
        scores = self.verifier.verify(q.text, [s.text for s in top])
        fitting = [bool(typed_spans_for(q, v)) or q.kind == "other" for v in views]
        row = verify_row(evidence.confidence, scores, fitting, [v.chunk.language != q.language
                                                                 for v in views])  # fmt: skip
        chance = float(1 / (1 + np.exp(-self.verify.model.logits([row])[0])))
        verified = tuple(float(s) for s in scores)
        if chance >= self.verify.threshold(q.language):
            best = int(np.argmax(scores))
            leads = [s if i == best and scores[i] >= self.verify.lead else replace(s, answer=None)
                     for i, s in enumerate(top)]  # fmt: skip
            ordered = (leads[best], *leads[:best], *leads[best + 1 :])
            rest = without_leads(evidence.sentences[len(top) :])
            answer = replace(evidence, sentences=ordered + rest, kind=ANSWER, verified=verified)
            if not lacks_value(q, answer):  # the value rule, as without a verifier
                return answer
            evidence = answer
        return replace(closest(q, evidence, self.embedder), verified=verified)


class NearnessDecider:
    """The decision where the answer model has no ``verify`` section: the answer model's
    own threshold answers, unless a number or money question's sentence holds no value of
    the asked measure (``VALUE_KINDS``), with a lead value only from ``lead`` up
    (``LEAD_FLOOR``); near evidence under the threshold, and such a valueless answer, is the
    closest evidence (quoted, no lead, the words it does not speak to) instead of a bare
    decline; the rest is none."""

    def __init__(
        self, floor: float, embedder, lead: float = LEAD_FLOOR, quoted: int = 2, margin: float = 0.0
    ):
        self.floor, self.embedder, self.lead = floor, embedder, lead
        self.quoted, self.margin = quoted, margin  # the sentences an answer quotes (pick)

    def decide(self, q: Question, evidence: Evidence) -> Evidence:
        evidence = with_continuation(q, evidence)
        if evidence.answerable and lacks_value(q, evidence, self.quoted, self.margin):
            return closest(q, evidence, self.embedder)
        if evidence.answerable and evidence.confidence < self.lead:
            return replace(evidence, sentences=without_leads(evidence.sentences))
        if evidence.answerable or not near(evidence, self.floor):
            return evidence  # its kind follows ``answerable``: answer or none
        return closest(q, evidence, self.embedder)


def with_continuation(q: Question, evidence: Evidence) -> Evidence:
    """A question for a measure (an age, a duration, a mass: ``units.asked_measure``) whose
    best sentence holds no value of it, where the sentence right after it in the same chunk
    does and carries it on ("Breslin ... died Sunday." "He was 88."): that sentence is
    quoted second, with the best one's score (the answer spans the two), and its value may
    lead (``extractive``). A plain count is too loose a tie: "Wie hoch ist die Geldstrafe?"
    beside "Er erhielt eine Sperre für zwei Partien." (evals/news-pairs, 2026-12-07)."""
    if q.kind != NUMBER or not q.measure or not evidence.sentences:
        return evidence
    first = evidence.sentences[0]
    after = next((s for s in evidence.sentences[1:] if s.carries_on(first)), None)
    if after is None:
        return evidence
    if typed_spans_for(q, view_of(evidence, first)):
        return evidence
    if not typed_spans_for(q, view_of(evidence, after)):
        return evidence
    rest = tuple(s for s in evidence.sentences[1:] if s is not after)
    return replace(evidence, sentences=(first, replace(after, score=first.score), *rest))


def lacks_value(q: Question, evidence: Evidence, quoted: int = 1, margin: float = 0.0) -> bool:
    """A number or money question none of whose quoted sentences (the first ``quoted``
    within ``margin`` of the best, as the extractive answer picks them) holds a value of the
    asked measure ("How many fell?" beside sentences with no count)."""
    if q.kind not in VALUE_KINDS or not evidence.sentences:
        return False
    shown = evidence.near_best(quoted, margin)
    return not any(typed_spans_for(q, view_of(evidence, s)) for s in shown)


def closest(q: Question, evidence: Evidence, embedder) -> Evidence:
    """``evidence`` as a closest response: no lead values, the question's words its first
    sentence does not speak to (``verifier/missing.py``)."""
    first = view_of(evidence, evidence.sentences[0])
    missing = uncovered(q.text, q.language, [(first.text, first.chunk.language)], embedder,
                        context=first.chunk.text)  # fmt: skip
    return replace(evidence, sentences=without_leads(evidence.sentences), answerable=False,
                   kind=CLOSEST, missing=missing)  # fmt: skip


def without_leads(sentences: tuple[ScoredSentence, ...]) -> tuple[ScoredSentence, ...]:
    """The sentences with no lead value marked (an answer then opens with the quote)."""
    return tuple(replace(s, answer=None) for s in sentences)


def near(evidence: Evidence, floor: float) -> bool:
    """Worth verifying: sentences to read, the answer model's probability at ``floor`` or
    more, and not a claim the question wants established that the evidence only reports
    (``rank.only_reported``: the ranker declined it although it was confident)."""
    enough = evidence.confidence >= floor
    return bool(evidence.sentences) and enough and not evidence.reported_only


def view_of(evidence: Evidence, sentence: ScoredSentence) -> SentenceView:
    return SentenceView(evidence.retrieved[sentence.rank - 1].chunk, sentence.index, 0.0)


def make_decider(verify: VerifyModel, path, embedder) -> Decider:
    """The decider with the verifier file at ``path`` (refused with the reason when it does
    not match the model's verify section or the installed base weights)."""
    from ..errors import ConfigError
    from ..verifier.runtime import VerifierRuntime

    runtime = VerifierRuntime(path)
    if verify.verifier and runtime.version != verify.verifier:
        raise ConfigError(
            f"{path}: expected the verifier version {verify.verifier!r} the answer model was "
            f"fitted with, got {runtime.version!r}"
        )
    return Decider(verify, runtime, embedder)
