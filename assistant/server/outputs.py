"""What the API answers, as models for the OpenAPI document (never used to filter a reply).

Why models at all when every route returns ``Answer.to_dict()`` as it is: a client generated
from the document gets typed answers, and the contract test (tests/server/test_api_schema.py)
checks each reply against them and follows ``turn_id`` and ``conversation_id`` from an answer
to the routes that take them. They are passed as ``responses={200: {"model": ...}}``, which
documents without validating, so a field added to ``Answer.to_dict()`` reaches clients at
once; objects allow more fields than listed, and only the fields every answer has are
required.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class ReportedByOut(BaseModel):
    """Another outlet's copy of the cited article."""

    source: str
    url: str
    published: str
    title: str
    article_id: str


class CitationOut(BaseModel):
    """The chunk behind marker ``[n]`` and the quote that supports the claim."""

    n: int = Field(description="the [n] in the answer text")
    chunk_id: str
    article_id: str
    title: str
    source: str
    published: str = Field(description="YYYY-MM-DD, or empty when unknown")
    url: str
    text: str = Field(description="the whole chunk text")
    quote: str = Field(description="the sentence of the chunk that supports the claim")
    quote_start: int
    quote_end: int
    also_reported_by: list[ReportedByOut] = []


class SentenceOut(BaseModel):
    """One factual sentence of the answer and its citation check."""

    text: str
    citations: list[int]
    supported: bool
    support: float
    reason: str = Field(description="why it is unsupported; empty when supported")


class RetrievedOut(BaseModel):
    """One ranked chunk."""

    rank: int
    chunk_id: str
    article_id: str
    title: str
    score: float


class DateWindowOut(BaseModel):
    """The published-date window the question names."""

    model_config = ConfigDict(populate_by_name=True)
    from_: str | None = Field(alias="from", description="YYYY-MM-DD; null: no lower bound")
    to: str | None = Field(description="YYYY-MM-DD; null: no upper bound")
    text: str
    undated: int


class AnswerOut(BaseModel):
    """``Answer.to_dict()``: the same object as ``assistant ask --json``."""

    question: str
    query: str = Field(description="what was searched (a condensed follow-up)")
    answer: str = Field(description="the text with inline markers [n]")
    answerable: bool = Field(description="true only when answer_kind is 'answer'")
    answer_kind: Literal["answer", "closest", "none"] = Field(
        description="answer: the articles answer (lead value and quote); closest: they don't "
        "say what was asked; the text says what is missing and quotes the nearest evidence, "
        "never with a lead value; none: nothing relevant, a decline"
    )
    missing: list[str] = Field(
        description="the question's words the quoted evidence does not speak to (closest)"
    )
    confidence: float
    lead: str
    language: str
    provider: str
    date_window: DateWindowOut | None
    timeline: bool
    turn_id: str | None = Field(description="the kept turn; rate it with POST /api/feedback")
    conversation_id: str | None = Field(description="continue it with conversation_id")
    trace_id: str | None
    sentences: list[SentenceOut]
    citations: list[CitationOut]
    retrieved: list[RetrievedOut]
    timings_ms: dict[str, float]


class CompletionMessage(BaseModel):
    """The assistant's message."""

    role: Literal["assistant"]
    content: str


class Choice(BaseModel):
    """The one choice of a completion."""

    index: int
    finish_reason: Literal["stop"]
    logprobs: None
    message: CompletionMessage


class ChatCompletionOut(BaseModel):
    """OpenAI's ``chat.completion`` with our fields: citations, checks, the kept turn."""

    id: str
    object: Literal["chat.completion"]
    created: int
    model: str
    choices: list[Choice]
    usage: dict[str, int]
    citations: list[CitationOut]
    sentences: list[SentenceOut]
    query: str
    answerable: bool
    confidence: float
    lead: str
    turn_id: str | None
    conversation_id: str | None


class FeedbackOut(BaseModel):
    """A stored rating."""

    id: str
    turn_id: str
    rating: Literal["up", "down"]
    comment: str | None
    citation: int | None
    reason: str | None
    created: str
    decision: str | None
    reviewed: str | None
    eval_item: str | None


class ConversationOut(BaseModel):
    """A kept conversation: its title is its first question."""

    id: str
    title: str
    created: str
    updated: str
    turns: int


class ConversationsOut(BaseModel):
    """Kept conversations, newest first."""

    conversations: list[ConversationOut]


class TurnOut(BaseModel):
    """One answered question as its reader got it."""

    id: str
    n: int
    created: str
    settings: dict = Field(description="filters, top_k, as_of, timeline, history")
    answer: dict = Field(description="Answer.to_dict() as the client got it")
    timings_ms: dict[str, float]
    trace_id: str | None
    feedback: list[FeedbackOut]


class ConversationTurnsOut(BaseModel):
    """One conversation with every turn, first first."""

    id: str
    title: str
    created: str
    updated: str
    turns: list[TurnOut]


class DeletedOut(BaseModel):
    """What a delete removed."""

    deleted: str = Field(description="the conversation id")
    turns: int
    feedback: int
