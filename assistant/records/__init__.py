"""Typed records that flow between the stages: Article -> Chunk -> Retrieved -> Answer.

Every record is a frozen dataclass; ``Answer.to_dict()`` is the one JSON form that every
channel (CLI ``--json``, Python, HTTP, UI) shows, so citations cannot get lost on the way.
All of them are importable from here (as Haystack keeps its shared types in one package):
``question`` (what is asked), ``evidence`` (what retrieval and ranking pass on), ``answer``
(what is said).
"""

from .answer import (
    Answer,
    AnswerEvent,
    Citation,
    Claim,
    Draft,
    ErrorEvent,
    FinalAnswer,
    ReportedBy,
    Sentence,
    TextDelta,
)
from .evidence import (
    ANSWER,
    ANSWER_KINDS,
    CLOSEST,
    NONE,
    Candidate,
    Chunk,
    Evidence,
    Retrieval,
    Retrieved,
    ScoredSentence,
    Span,
)
from .question import Article, AskRequest, DateWindow, Filters, parse_day

__all__ = [
    "ANSWER", "ANSWER_KINDS", "CLOSEST", "NONE", "Answer", "AnswerEvent", "Article",
    "AskRequest", "Candidate", "Chunk", "Citation", "Claim", "DateWindow", "Draft",
    "ErrorEvent", "Evidence", "Filters", "FinalAnswer", "ReportedBy", "Retrieval",
    "Retrieved", "ScoredSentence", "Sentence", "Span", "TextDelta", "parse_day",
]  # fmt: skip
