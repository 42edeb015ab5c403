"""Condense a follow-up question into a standalone search query before retrieval.

"Und was sagte Pjöngjang dazu?" retrieves nothing useful on its own: the conversation says
what "dazu" refers to. Two condensers share one interface:

* ``RuleCondenser`` (the extractive default, no model): a question that looks like a
  follow-up (starts with "Und"/"And"/..., uses a pronoun or adverb pointing back, or is at
  most four words long) gets the key content words of the previous (resolved) question
  appended. Deterministic, so tests can state the exact query.
* ``LLMCondenser``: a chat model rewrites the question with ``prompts/condense.md``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol

from .errors import ProviderError
from .language import ENGLISH, GERMAN
from .text import MARKER

History = Sequence[tuple[str, str]]  # (question, answer) pairs, oldest first

_WORD = re.compile(r"[^\W_]+(?:[.,]\d+)*", re.UNICODE)
_OPENERS = (
    "und",
    "and",
    "aber",
    "but",
    "also",
    "auch",
    "what about",
    "how about",
    "was ist mit",
    "und was",
    "what else",
)
_BACK_REFERENCES = frozenset(
    "er sie es ihm ihn ihr ihnen dazu dabei darüber davon damit darauf daran dort dies "
    "diese dieser dieses das dem den denen deren dessen jener "
    "he she it they them him her his its their there that this these those".split()
)
_EXTRA_STOP = frozenset(
    "gab gibt geben wurde worden hatte hätte wäre könnte kann können muss müssen "
    "ja nein bitte denn dann doch mal sehr etwa fast rund "
    "did does do can may might must also just very about".split()
)
_STOP = GERMAN | ENGLISH | _BACK_REFERENCES | _EXTRA_STOP
MAX_ADDED_WORDS = 8
SHORT_QUESTION_WORDS = 4


class Condenser(Protocol):
    """Turns a question plus the conversation into the query that is searched."""

    def condense(self, question: str, history: History) -> str:
        """The standalone query for ``question`` (the question itself without history)."""


def is_follow_up(question: str) -> bool:
    """True when ``question`` likely depends on the conversation before it."""
    lowered = question.lower().strip()
    words = _WORD.findall(lowered)
    if not words:
        return False
    if any(lowered == o or lowered.startswith(o + " ") for o in _OPENERS):
        return True
    if len(words) <= SHORT_QUESTION_WORDS:
        return True
    return any(w in _BACK_REFERENCES for w in words)


def key_words(text: str) -> list[str]:
    """Content words of ``text`` in order, each once (case-insensitively), stop words dropped."""
    seen: set[str] = set()
    out = []
    for word in _WORD.findall(MARKER.sub("", text)):
        low = word.lower()
        if low in _STOP or low in seen or (len(word) < 3 and not word[0].isdigit()):
            continue
        seen.add(low)
        out.append(word)
    return out


def condense_rule(question: str, history: History) -> str:
    """The deterministic follow-up rule (see the module docstring)."""
    if not history or not is_follow_up(question):
        return question
    previous = condense_rule(history[-1][0], history[:-1])  # the previous *resolved* query
    present = {w.lower() for w in _WORD.findall(question)}
    added = [w for w in key_words(previous) if w.lower() not in present][:MAX_ADDED_WORDS]
    return " ".join([question, *added]) if added else question


class RuleCondenser:
    """The model-free condenser used with the extractive answerer."""

    name = "rule"

    def condense(self, question: str, history: History) -> str:
        """See ``condense_rule``."""
        return condense_rule(question, history)


class LLMCondenser:
    """Rewrites follow-ups with a chat model and the ``condense`` prompt."""

    name = "llm"

    def __init__(self, chat_model, prompt, max_turns: int = 4, max_answer_chars: int = 600):
        from langchain_core.output_parsers import StrOutputParser

        self.chain = prompt.to_langchain() | chat_model | StrOutputParser()
        self.max_turns = max_turns
        self.max_answer_chars = max_answer_chars

    def condense(self, question: str, history: History) -> str:
        """The model's standalone rewrite; the question itself when there is no history."""
        if not history:
            return question  # nothing to resolve: spare the model call
        try:
            text = self.chain.invoke(
                {"history": self.format_history(history), "question": question}
            )
        except Exception as exc:  # SDKs raise many types; users need one clear message
            raise ProviderError(f"the condense model failed: {type(exc).__name__}: {exc}") from exc
        rewritten = " ".join(str(text).split())
        return rewritten or question

    def format_history(self, history: History) -> str:
        """The last turns as ``User:``/``Assistant:`` lines, markers removed, answers cut."""
        lines = []
        for asked, answered in list(history)[-self.max_turns :]:
            answer = " ".join(MARKER.sub("", answered).split())[: self.max_answer_chars]
            lines += [f"User: {asked}", f"Assistant: {answer}"]
        return "\n".join(lines)


def make_condenser(settings, chat_model=None) -> Condenser:
    """LLM condensing when a chat model is given or configured (openai), else the rule.

    The scripted ``fake`` answerer keeps the rule: its canned replies are answers, not
    rewrites, and would replace the query.
    """
    if chat_model is None and settings.answerer != "openai":
        return RuleCondenser()
    from .prompts import load_prompt
    from .providers import make_chat_model

    return LLMCondenser(
        chat_model or make_chat_model(settings), load_prompt("condense", settings.prompts_dir)
    )
