"""The Answerer protocol, the decline texts, and the factory for the configured answerer."""

from __future__ import annotations

from collections.abc import Generator
from typing import Protocol

from ..config import Settings
from ..records import Draft, Evidence

DECLINE = {"de": "Das geht aus den Artikeln nicht hervor.", "en": "The articles don't say."}
LANGUAGE_NAMES = {"de": "German", "en": "English"}
# a closest response: what the articles don't say (in the reader's words), then the nearest
# evidence, quoted and cited; never a lead value
NOTHING_ABOUT = {
    "de": "Zu {missing} sagen die Artikel nichts.",
    "en": "The articles say nothing about {missing}.",
}
NOT_EXACTLY = {
    "de": "Genau das sagen die Artikel nicht.",
    "en": "The articles don't say exactly that.",
}
CLOSEST = {"de": "Am nächsten kommt:", "en": "Closest:"}
WORD_QUOTES = {"de": ("‚", "‘"), "en": ("'", "'")}
AND = {"de": "und", "en": "and"}


def missing_text(missing: tuple[str, ...], language: str) -> str:
    """The sentence that says what the articles lack: ``Zu ‚gefallen‘ sagen die Artikel
    nichts.`` (or that they don't say exactly what was asked, when no word is known)."""
    language = language if language in NOTHING_ABOUT else "en"
    if not missing:
        return NOT_EXACTLY[language]
    opening, closing = WORD_QUOTES[language]
    words = [f"{opening}{w}{closing}" for w in missing]
    named = words[0] if len(words) == 1 else f"{', '.join(words[:-1])} {AND[language]} {words[-1]}"
    return NOTHING_ABOUT[language].format(missing=named)


class Answerer(Protocol):
    """Drafts an answer from the ranked evidence; its markers are the chunks' ranks."""

    name: str

    def stream(
        self, question: str, language: str, evidence: Evidence
    ) -> Generator[str, None, Draft]:
        """Yield the text as it is drafted; return the Draft (text, claims, decline)."""

    def closest(
        self, question: str, language: str, evidence: Evidence
    ) -> Generator[str, None, Draft]:
        """The articles don't say what was asked (``evidence.missing``): say so, then the
        nearest evidence, cited; a Draft of kind ``closest`` (or a decline)."""


def decline_draft(language: str) -> Draft:
    """The honest answer when the evidence is not there."""
    return Draft(DECLINE.get(language, DECLINE["en"]), (), False)


def make_answerer(settings: Settings, chat_model=None, margin: float = 0.1) -> Answerer:
    """The answerer the settings ask for (``chat_model`` overrides the provider's model);
    ``margin`` is the answer model's margin for quoting a second sentence."""
    if settings.answerer == "extractive" and chat_model is None:
        from .extractive import ExtractiveAnswerer

        return ExtractiveAnswerer(max_sentences=settings.max_answer_sentences, margin=margin)
    from ..prompts import load_prompt
    from ..providers import make_chat_model
    from .generative import GenerativeAnswerer

    return GenerativeAnswerer(
        chat_model or make_chat_model(settings),
        load_prompt("answer", settings.prompts_dir),
        name=settings.answerer if chat_model is None else "chat",
        closest=load_prompt("closest", settings.prompts_dir),
    )
