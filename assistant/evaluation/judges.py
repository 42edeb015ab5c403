"""Judges decide whether a statement is supported by passages, behind one interface.

``OfflineJudge`` (the default) is deterministic and shares the citation checker's support
check: numbers, dates and names in the statement must occur in the cited text, negation and
"reported claim" wording must match the best passage sentence, and the statement must be
supported lexically or (with an embedder) semantically, by ``citations.support``.
``LLMJudge`` asks a chat model (any OpenAI-compatible server) with the prompts
``prompts/judge_statements.md`` and ``prompts/judge_verdict.md``. What the offline judge
cannot catch is in docs/evaluation.md.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from ..citations import SEMANTIC_SUPPORT, passage_sentences, support
from ..language import ENGLISH, GERMAN, detect_language
from ..text import ATTRIBUTION, content_words, lexical_support, numbers_in

NEGATIONS = frozenset(
    "nicht kein keine keinen keinem keiner keines nie niemals weder "
    "not no never none nor neither cannot".split()
)
_CLAUSE = re.compile(r"[,;:]|\b(?:but|aber|jedoch|während|while|whereas)\b", re.I)
MONTHS = frozenset(
    "januar februar märz april mai juni juli august september oktober "
    "november dezember january february march may june july october "
    "december".split()
)
_TOKEN = re.compile(r"[\w'’-]+")


@dataclass(frozen=True)
class Verdict:
    """Whether a statement is supported, how strongly (0..1), and why not."""

    supported: bool
    score: float
    reason: str = ""


class Judge(Protocol):
    """Splits answers into statements and judges each against passages."""

    name: str

    def statements(self, question: str, answer: str, sentences: Sequence[str]) -> list[str]:
        """The statements an answer makes (``sentences``: its parsed sentences)."""

    def verdict(self, statement: str, passages: Sequence[str]) -> Verdict:
        """Is ``statement`` supported by the passages taken together?"""


def names_in(text: str) -> set[str]:
    """Capitalised words that are not function words: names (and, in German, nouns)."""
    return {
        t
        for t in _TOKEN.findall(text)
        if t[:1].isupper()
        and len(t) > 1
        and t.lower() not in GERMAN | ENGLISH
        and not ATTRIBUTION.fullmatch(t)
    }


def _occurs(word: str, passage_words: set[str]) -> bool:
    """The first five letters occur in a passage word (Putins ~ Putin, Berichte ~
    Truppenberichte): German inflects and compounds names and nouns."""
    stem = word.lower()[:5]
    return any(stem in w for w in passage_words)


def is_value(statement: str) -> bool:
    """The statement is one number, date or name and nothing else ("fast 12.000 Truppen"):
    a value an answer leads with, which states nothing beyond the sentence it comes from."""
    from ..evidence.types import typed_spans

    text = statement.strip()
    return any(
        s.start == 0 and s.end == len(text)
        for lang in ("de", "en")
        for s in typed_spans(text, lang)
    )


def _excerpt(squashed: str) -> re.Pattern:
    return re.compile(rf"(?<!\w){re.escape(squashed)}(?!\w)")


def _squash(text: str) -> str:
    return " ".join(text.split()).lower()


def _negated(text: str) -> bool:
    words = {w.lower() for w in _TOKEN.findall(text)}
    return bool(words & NEGATIONS) or "n't" in text.lower() or "n’t" in text.lower()


class OfflineJudge:
    """Deterministic checks, strictest first; the first failing check is the reason."""

    name = "offline"

    def __init__(self, embedder=None, lexical: float = 0.5, semantic: float = SEMANTIC_SUPPORT):
        self.embedder = embedder
        self.lexical = lexical
        self.semantic = semantic

    def statements(self, question: str, answer: str, sentences: Sequence[str]) -> list[str]:
        """Offline, a statement is an answer sentence (markers removed)."""
        return [s for s in sentences if s.strip()]

    def verdict(self, statement: str, passages: Sequence[str]) -> Verdict:
        """Run the checks in order: facts, then wording, then support."""
        passages = [p for p in passages if p and p.strip()]
        if not passages:
            return Verdict(False, 0.0, "cites no retrieved passage")
        squashed = _squash(statement)
        sentences = passage_sentences(passages)
        if squashed in {_squash(x) for x in sentences}:
            return Verdict(True, 1.0)  # a whole sentence quoted verbatim: supported
        if is_value(statement) and any(_excerpt(squashed).search(_squash(p)) for p in passages):
            return Verdict(True, 1.0)  # a value (the answer's lead span) quoted verbatim
        reason = self._facts(statement, "\n".join(passages)) or self._wording(statement, passages)
        if reason:
            return Verdict(False, 0.0, reason)
        found = support(statement, passages, self.embedder, self.lexical, self.semantic, sentences)
        if found.supported:
            return Verdict(True, found.score)
        return Verdict(False, found.score, f"support {found.score:.2f} below the thresholds")

    def _facts(self, statement: str, passage: str) -> str:
        missing = numbers_in(statement) - numbers_in(passage)
        if missing:
            return f"number {sorted(missing)[0]} not in the cited text"
        words = {w.lower() for w in _TOKEN.findall(passage)}
        months = {w.lower() for w in _TOKEN.findall(statement)} & MONTHS
        if months - words:
            return f"date ({sorted(months - words)[0]}) not in the cited text"
        if detect_language(statement) == detect_language(passage):  # names are translated
            absent = sorted(n for n in names_in(statement) if not _occurs(n, words))
            if absent:
                return f"name {absent[0]!r} not in the cited text"
        return ""

    @staticmethod
    def _wording(statement: str, passages: Sequence[str]) -> str:
        """Negation per clause, and attribution of the best-matching passage sentence."""
        sentences = passage_sentences(passages)
        clauses = [c for sentence in sentences for c in _CLAUSE.split(sentence) if c]
        for part in (c for c in _CLAUSE.split(statement) if c and content_words(c)):
            best = max(clauses, key=lambda c: lexical_support(part, c))
            if lexical_support(part, best) > 0 and _negated(part) != _negated(best):
                return "negation differs from the cited text"
        best_sentence = max(sentences, key=lambda s: lexical_support(statement, s))
        if ATTRIBUTION.search(best_sentence) and not ATTRIBUTION.search(statement):
            return "states as fact what the source only reports"
        return ""


class LLMJudge:
    """Statements extracted by a chat model, then one verdict per statement (RAGAS style)."""

    def __init__(self, chat_model, prompts_dir, name: str = "llm"):
        from langchain_core.output_parsers import StrOutputParser

        from ..prompts import load_prompt

        self.name = name
        parse = StrOutputParser()
        self._extract = (
            load_prompt("judge_statements", prompts_dir).to_langchain() | chat_model | parse
        )
        self._judge = load_prompt("judge_verdict", prompts_dir).to_langchain() | chat_model | parse
        self._cache: dict[tuple[str, tuple[str, ...]], Verdict] = {}

    def statements(self, question: str, answer: str, sentences: Sequence[str]) -> list[str]:
        """The model's list of atomic statements; the sentences when it returns none."""
        reply = self._extract.invoke({"question": question, "answer": answer})
        found = _json_list(reply)
        return found or [s for s in sentences if s.strip()]

    def verdict(self, statement: str, passages: Sequence[str]) -> Verdict:
        """The model's verdict; cached because citation precision asks subsets again."""
        key = (statement, tuple(passages))
        if key not in self._cache:
            context = "\n\n".join(f"[{i}] {p}" for i, p in enumerate(passages, 1))
            reply = self._judge.invoke({"statement": statement, "context": context})
            self._cache[key] = _parse_verdict(reply)
        return self._cache[key]


def _json_list(reply: str) -> list[str]:
    match = re.search(r"\[.*\]", reply, re.S)
    try:
        items = json.loads(match.group(0)) if match else []
    except json.JSONDecodeError:
        return [
            line.lstrip("-*0123456789. ").strip() for line in reply.splitlines() if line.strip()
        ]
    return [str(x).strip() for x in items if str(x).strip()]


def _parse_verdict(reply: str) -> Verdict:
    """``{"verdict": "supported"|"unsupported", "reason": ...}`` or a bare word."""
    match = re.search(r"\{.*\}", reply, re.S)
    try:
        data = json.loads(match.group(0)) if match else {}
    except json.JSONDecodeError:
        data = {}
    word = str(data.get("verdict", reply)).strip().lower()
    supported = word.startswith("supported") or word in ("yes", "true", "1")
    return Verdict(
        supported,
        1.0 if supported else 0.0,
        "" if supported else str(data.get("reason", "the judge model found no support")),
    )


def make_judge(name: str, settings, embedder=None, chat_model=None) -> Judge:
    """``offline`` (default) or ``llm`` (the configured OpenAI-compatible chat model)."""
    if name == "offline":
        return OfflineJudge(embedder, lexical=settings.support_threshold)
    from ..providers import make_chat_model

    return LLMJudge(chat_model or make_chat_model(settings), settings.prompts_dir)
