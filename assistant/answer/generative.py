"""Generative answers from any LangChain chat model (ChatOpenAI against OpenAI, vLLM,
llama.cpp server, Ollama ...), streamed, with the answer prompt from ``prompts/``."""

from __future__ import annotations

from collections.abc import Generator, Sequence

from ..errors import ProviderError
from ..prompts import Prompt
from ..records import Draft, Evidence, Retrieved
from ..text import MARKER, parse_claims
from .base import DECLINE, LANGUAGE_NAMES


def format_sources(retrieved: Sequence[Retrieved]) -> str:
    """Numbered sources as the model sees them: ``[n] title (source, date)`` + text."""
    blocks = []
    for hit in retrieved:
        chunk = hit.chunk
        about = ", ".join(x for x in (chunk.source, chunk.published) if x)
        header = f"[{hit.rank}] {chunk.title}" + (f" ({about})" if about else "")
        blocks.append(f"{header}\n{chunk.text}")
    return "\n\n".join(blocks)


class GenerativeAnswerer:
    """prompt | chat model | text, streamed token by token."""

    def __init__(self, chat_model, prompt: Prompt, name: str = "openai"):
        from langchain_core.output_parsers import StrOutputParser

        self.name = name
        self.prompt = prompt
        self.chain = prompt.to_langchain() | chat_model | StrOutputParser()
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
        parts: list[str] = []
        try:
            for delta in self.chain.stream(inputs):
                parts.append(delta)
                yield delta
        except Exception as exc:  # SDKs raise many types; users need one clear message
            raise ProviderError(
                f"the answer model ({self._model_name}) failed: {type(exc).__name__}: {exc}"
            ) from exc
        text = "".join(parts).strip()
        declined = _is_decline(text, decline)
        claims = () if declined else tuple(parse_claims(text, language))
        return Draft(decline if declined else text, claims, not declined)


def _is_decline(text: str, decline: str) -> bool:
    """The model declined when it wrote the decline sentence and cited nothing."""
    plain = MARKER.sub("", text).strip().lower()
    known = {d.lower().rstrip(".") for d in DECLINE.values()} | {decline.lower().rstrip(".")}
    return (
        not plain
        or (plain.rstrip(".") in known)
        or (not MARKER.search(text) and any(k in plain for k in known))
    )
