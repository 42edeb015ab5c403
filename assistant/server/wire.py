"""The one wire format: error bodies, server-sent events and OpenAI chunks from answer events.

Every HTTP path answers an error the same way: the status from ``error_status`` and the
body ``{"error": {"type": ..., "message": ...}}``; once a stream has started (status 200
sent), the same object is the stream's last event. Text deltas carry final marker numbers
(``[n]`` is citation ``n`` everywhere), so a client may render them as they arrive.

``ErrorOut`` is that body as a model: the OpenAPI document declares it for every error
status of every route (``openapi.py``), so the one shape written here is the one shape a
generated client reads.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Literal

from pydantic import BaseModel, Field

from ..errors import (
    AssistantError,
    ConfigError,
    IndexMismatchError,
    NotFoundError,
    ProviderError,
    QuestionError,
    StoreError,
)
from ..records import Answer, AnswerEvent, ErrorEvent, FinalAnswer, TextDelta

ERROR_TYPES = (
    (QuestionError, 400, "invalid_request_error"),
    (NotFoundError, 404, "invalid_request_error"),
    (IndexMismatchError, 409, "index_mismatch"),
    (ProviderError, 502, "provider_error"),
    (ConfigError, 503, "configuration_error"),
    (StoreError, 503, "store_error"),
    (AssistantError, 400, "invalid_request_error"),
)


ErrorType = Literal[
    "invalid_request_error",
    "index_mismatch",
    "provider_error",
    "configuration_error",
    "store_error",
    "server_error",
]


class Issue(BaseModel):
    """One problem a 422 (or a malformed JSON 400) found in the request."""

    loc: list[str | int] = Field(description="where: 'body', then field names and indexes")
    msg: str
    type: str = Field(description="the validator's name for the problem, e.g. 'missing'")


class ErrorInfo(BaseModel):
    """What went wrong: ``type`` follows the status, ``message`` says expected and got."""

    type: ErrorType = Field(description="4xx: invalid_request_error; 409, 502, 503: the cause")
    message: str = Field(description="'expected X, got Y'")
    param: None = Field(None, description="under /v1 only, always null (the openai client)")
    code: None = Field(None, description="under /v1 only, always null (the openai client)")
    detail: list[Issue] | None = Field(None, description="422 and malformed JSON: each problem")


class ErrorOut(BaseModel):
    """The one error body of every path: ``{"error": {"type", "message"}}``."""

    error: ErrorInfo


def error_status(exc: AssistantError) -> int:
    """The HTTP status for an assistant error: the client's fault is a 4xx."""
    return next(status for kind, status, _ in ERROR_TYPES if isinstance(exc, kind))


def error_body(status: int, message: str, kind: str | None = None) -> dict:
    """``{"error": {"type", "message"}}``: the one error shape of every path."""
    default = "invalid_request_error" if status < 500 else "server_error"
    return {"error": {"type": kind or default, "message": message}}


def for_path(path: str, body: dict) -> dict:
    """An error ``body`` as sent on ``path``: under ``/v1/`` it also has the ``param`` and
    ``code`` fields the ``openai`` client reads (the middleware and the handlers both use
    this, so a 401 or 413 looks like any other error of that door)."""
    if path.startswith("/v1/"):
        body["error"].update(param=None, code=None)
    return body


def assistant_error_body(exc: AssistantError) -> dict:
    kind = next(name for cls, _, name in ERROR_TYPES if isinstance(exc, cls))
    return error_body(error_status(exc), str(exc), kind)


def sse(event: str, data: dict) -> str:
    """One server-sent event."""
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def sse_events(events: Iterator[AnswerEvent]) -> Iterator[str]:
    """``delta`` events, then ``answer`` (Answer.to_dict()) or ``error``."""
    for event in events:
        if isinstance(event, TextDelta):
            yield sse("delta", {"text": event.text})
        elif isinstance(event, FinalAnswer):
            yield sse("answer", event.answer.to_dict())
        else:
            yield sse(
                "error", {**assistant_error_body(event.error), "status": error_status(event.error)}
            )


def openai_extras(answer: Answer) -> dict:
    """The fields a plain OpenAI client ignores and ours reads: citations and checks."""
    data = answer.to_dict()
    return {
        key: data[key]
        for key in (
            "citations",
            "sentences",
            "query",
            "answerable",
            "answer_kind",
            "missing",
            "confidence",
            "lead",
            "turn_id",
            "conversation_id",
        )
    }


def openai_chunk(meta: dict, delta: dict, finish: str | None = None, **extra) -> str:
    data = {
        **meta,
        "object": "chat.completion.chunk",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}],
        **extra,
    }
    return f"data: {json.dumps(data, ensure_ascii=False)}\n\n"


def openai_chunks(events: Iterator[AnswerEvent], meta: dict) -> Iterator[str]:
    """Role chunk, content deltas, a final chunk with the citations, then ``[DONE]``."""
    yield openai_chunk(meta, {"role": "assistant", "content": ""})
    for event in events:
        if isinstance(event, TextDelta) and event.text:
            yield openai_chunk(meta, {"content": event.text})
        elif isinstance(event, FinalAnswer):
            yield openai_chunk(meta, {}, "stop", **openai_extras(event.answer))
        elif isinstance(event, ErrorEvent):
            yield f"data: {json.dumps(assistant_error_body(event.error), ensure_ascii=False)}\n\n"
    yield "data: [DONE]\n\n"


def openai_completion(answer: Answer, meta: dict) -> dict:
    """A ``chat.completion`` object for a finished answer."""
    return {
        **meta,
        "object": "chat.completion",
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "logprobs": None,
                "message": {"role": "assistant", "content": answer.answer},
            }
        ],
        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
        **openai_extras(answer),
    }
