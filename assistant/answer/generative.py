"""Generative answers from any LangChain chat model (ChatOpenAI against OpenAI, vLLM,
llama.cpp server, Ollama ...), streamed, with the answer prompt from ``prompts/``.

The sources reach the model fenced (``untrusted.fence``): one ``<article id="n">`` block
each, title and text inside, so an article's own words can neither pose as the prompt nor
close their block; the prompt tells the model the blocks are data. The answer is then
checked like any other (``citations.py``): that flags a model that obeys an article without
citing it, but not one that cites the injected article itself (it does say so; see
"Article text is data" in docs/architecture.md).
"""

from __future__ import annotations

from collections.abc import Generator, Sequence

from ..errors import ProviderError
from ..prompts import Prompt
from ..records import CLOSEST, Draft, Evidence, Retrieved
from ..text import MARKER, parse_claims
from ..untrusted import fence
from .base import CLOSEST as CLOSEST_LABEL
from .base import DECLINE, LANGUAGE_NAMES, missing_text


def format_sources(retrieved: Sequence[Retrieved]) -> str:
    """The sources as the model sees them: one fenced ``<article id="n">`` block each."""
    return "\n\n".join(
        fence(
            hit.rank,
            hit.chunk.text,
            title=hit.chunk.title,
            source=hit.chunk.source,
            published=hit.chunk.published,
        )
        for hit in retrieved
    )


class GenerativeAnswerer:
    """prompt | chat model | text, streamed token by token."""

    def __init__(self, chat_model, prompt: Prompt, name: str = "openai", closest=None):
        from langchain_core.output_parsers import StrOutputParser

        self.name = name
        self.prompt = prompt
        self.chain = prompt.to_langchain() | chat_model | StrOutputParser()
        self.closest_chain = (
            closest.to_langchain() | chat_model | StrOutputParser() if closest else None
        )
        self._model_name = getattr(chat_model, "model_name", type(chat_model).__name__)

    def stream(
        self, question: str, language: str, evidence: Evidence
    ) -> Generator[str, None, Draft]:
        decline = DECLINE.get(language, DECLINE["en"])
        inputs = {
            "question": question,
            "sources": format_sources(evidence.retrieved),
            "language_name": LANGUAGE_NAMES.get(language, "English"),
            "decline": decline,
        }
        text = (yield from self._streamed(self.chain, inputs)).strip()
        declined = _is_decline(text, decline)
        claims = () if declined else tuple(parse_claims(text, language))
        return Draft(decline if declined else text, claims, not declined)

    def closest(
        self, question: str, language: str, evidence: Evidence
    ) -> Generator[str, None, Draft]:
        """The closest prompt (``prompts/closest.md``): what the articles lack, then the
        nearest sentence quoted with its number; every quote is checked like any other."""
        if self.closest_chain is None:
            raise AssertionError("a closest response needs the closest prompt")  # a bug
        inputs = {
            "question": question,
            "sources": format_sources(evidence.retrieved),
            "language_name": LANGUAGE_NAMES.get(language, "English"),
            "lacking": missing_text(evidence.missing, language),
            "closest_label": CLOSEST_LABEL.get(language, CLOSEST_LABEL["en"]),
        }
        text = (yield from self._streamed(self.closest_chain, inputs)).strip()
        claims = tuple(c for c in parse_claims(text, language) if c.markers)
        return Draft(text, claims, False, "", CLOSEST, evidence.missing)

    def _streamed(self, chain, inputs: dict) -> Generator[str, None, str]:
        parts: list[str] = []
        try:
            for delta in chain.stream(inputs):
                parts.append(delta)
                yield delta
        except Exception as exc:  # SDKs raise many types; users need one clear message
            raise ProviderError(
                f"the answer model ({self._model_name}) failed: {type(exc).__name__}: {exc}"
            ) from exc
        return "".join(parts)


def _is_decline(text: str, decline: str) -> bool:
    """The model declined when it wrote the decline sentence and cited nothing."""
    plain = MARKER.sub("", text).strip().lower()
    known = {d.lower().rstrip(".") for d in DECLINE.values()} | {decline.lower().rstrip(".")}
    return (
        not plain
        or (plain.rstrip(".") in known)
        or (not MARKER.search(text) and any(k in plain for k in known))
    )
