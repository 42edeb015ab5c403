"""The HTTP API: ``/api/ask``, ``/api/ingest``, ``/api/index``, ``/healthz``.

Every answer is ``Answer.to_dict()`` (the same JSON as ``assistant ask --json``); every
error is ``{"error": {"type", "message"}}`` (``wire.py``) with a 4xx status for anything
the client got wrong.

The request models check the shape (422: missing, unknown or mistyped fields; strict, so
``"5"`` is no number and ``1`` no boolean, as the document says). The values (an empty
question, ``top_k`` outside 0-100, a language or date that is no filter) are declared in
the document but checked where every channel's request is checked (``inputs.py``): 400,
with the same message as the CLI, the UI and MCP. Every status a route answers is declared
on it (``openapi.errors``); what the app adds on every route (401, 413) in ``openapi.py``.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from typing import Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse
from fastapi.routing import iter_route_contexts
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from ..dates import parse_as_of
from ..records import AnswerEvent, AskRequest, ErrorEvent, Filters
from .inputs import DAY, LANGUAGE, QUESTION, TOP_K, WholeNumber, checked_length
from .openapi import ANSWERING, ASK_EVENT, errors, streamed
from .outputs import AnswerOut
from .state import ServerState, Upload
from .wire import ErrorOut, error_body, sse_events

JSONL_TYPES = (
    "application/x-ndjson",
    "application/jsonl",
    "application/json-lines",
    "application/x-jsonlines",
)
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE")
STRICT = ConfigDict(extra="forbid", strict=True)


def question_field(description: str = "the question, in German or English"):
    """A question: some text that is not whitespace, at most ``max_question_chars`` (400)."""
    return Field(
        description=f"{description}; not blank, at most max_question_chars characters (maxLength)",
        json_schema_extra=dict(QUESTION),
    )


def top_k_field():
    """``top_k``: documented as 0-100, checked with the answer chain's message (400)."""
    return Field(
        None,
        description="chunks an answer may cite, 0-100; omitted: the configured number",
        json_schema_extra=dict(TOP_K),
    )


def timeline_field():
    """``timeline``: force (true) or forbid (false) a timeline answer; omitted: detected."""
    return Field(
        None,
        description="true: dated quotes from several articles in date order; "
        "omitted: when the question asks how something developed",
    )


def day_field(description: str):
    """A day as YYYY-MM-DD; blank or null: none (400 for anything else)."""
    return Field(None, description=description, json_schema_extra=dict(DAY))


def as_of_field():
    """``as_of``: the reference day of relative dates, checked by ``dates.parse_as_of`` (400)."""
    return day_field("YYYY-MM-DD: the day 'yesterday', 'letzte Woche' count from; omitted: today")


def conversation_field():
    """``conversation_id``: continue a kept conversation (its history comes from the store)."""
    return Field(
        None,
        description="a kept conversation to continue (the answer's conversation_id); its "
        "stored turns are the history. Omitted: the answer starts a new conversation",
        max_length=64,
    )


class FiltersIn(BaseModel):
    """Retrieval filters; unknown keys are refused so a typo cannot silently widen a search.
    The values are parsed by ``Filters.parse``, the one filter parser (blank = any)."""

    model_config = STRICT
    language: str | None = Field(
        None,
        description="'de' or 'en' (case and surrounding blanks ignored); blank: any",
        examples=["de"],
        json_schema_extra=dict(LANGUAGE),
    )
    source: str | None = Field(None, description="as in citations[].source; blank: any")
    published_from: str | None = day_field("YYYY-MM-DD, on or before published_to")
    published_to: str | None = day_field("YYYY-MM-DD, on or after published_from")

    def to_filters(self) -> Filters:
        """The retrieval record."""
        return Filters.parse(self.language, self.source, self.published_from, self.published_to)


class TurnIn(BaseModel):
    """One earlier turn of the conversation."""

    model_config = STRICT
    question: str
    answer: str


class AskIn(BaseModel):
    """A question with optional conversation history and filters."""

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={
            "examples": [
                {
                    "question": "Wie viele nordkoreanische Soldaten soll Nordkorea nach Russland "
                    "geschickt haben?",
                    "filters": {"language": "de"},
                }
            ]
        },
    )
    question: str = question_field()
    history: list[TurnIn] = Field(default_factory=list, max_length=50)
    filters: FiltersIn | None = None
    top_k: WholeNumber | None = top_k_field()
    as_of: str | None = as_of_field()
    timeline: bool | None = timeline_field()
    conversation_id: str | None = conversation_field()


def ask_request(body: AskIn, limit: int) -> AskRequest:
    """The request record from a request body."""
    return AskRequest(
        question=checked_length(body.question, limit),
        history=tuple((t.question, t.answer) for t in body.history),
        filters=body.filters.to_filters() if body.filters else Filters(),
        top_k=body.top_k,
        as_of=parse_as_of(body.as_of),
        timeline=body.timeline,
        conversation_id=body.conversation_id,
    )


def require_json(request: Request) -> None:
    """415 for a body not declared as JSON (a form post, text/plain, no Content-Type):
    FastAPI would not read it as JSON and answer a puzzling 422."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/json" and not kind.endswith("+json"):
        raise HTTPException(
            415, f"expected Content-Type application/json, got {kind or 'no Content-Type'}"
        )


def build_fallback(routes: Iterable) -> APIRouter:
    """405 with ``Allow`` for every other method on each path of ``routes``, and 404 for every
    other ``/api`` and ``/v1`` path, in the one error shape; without it the UI mounted at
    ``/`` would answer them with Gradio's own 404."""
    allowed: dict[str, set[str]] = {}
    for route in iter_route_contexts(list(routes)):  # into included routers
        if route.methods and route.path:  # not /mcp (any method) or a mount
            allowed.setdefault(route.path, set()).update(route.methods)
    router = APIRouter(include_in_schema=False)
    for path, methods in allowed.items():
        others = [m for m in METHODS if m not in methods]
        router.add_api_route(path, not_allowed(sorted(methods)), methods=others)

    @router.api_route("/api/{rest:path}", methods=list(METHODS))
    @router.api_route("/v1/{rest:path}", methods=list(METHODS))
    def fallback(request: Request):
        raise HTTPException(404, f"expected a route listed at /docs, got {request.url.path}")

    return router


def not_allowed(methods: list[str]):
    """An endpoint that answers 405 naming ``methods`` (also in ``Allow``)."""

    def refuse(request: Request):
        raise HTTPException(
            405,
            f"expected {' or '.join(methods)} for {request.url.path}, got {request.method}",
            headers={"Allow": ", ".join(methods)},
        )

    return refuse


def start_stream(events: Iterator[AnswerEvent]) -> Iterator[AnswerEvent]:
    """The events with the first one read: a failure before any text raises, so that it
    is answered with its status instead of a 200 stream that only says "error"."""
    first = next(events)
    if isinstance(first, ErrorEvent):
        raise first.error
    return itertools.chain([first], events)


class HealthOut(BaseModel):
    """The server answers and the index can be read."""

    status: Literal["ok"]
    chunks: int = Field(description="chunks in the index")
    embedder: str


class HealthDown(ErrorOut):
    """The index cannot be read: not ready."""

    status: Literal["unavailable"]


def build_router(state: ServerState) -> APIRouter:
    """The ``/api`` and ``/healthz`` routes, bound to ``state``."""
    router = APIRouter()
    _answer_route(router, state)
    _index_routes(router, state)
    return router


def _answer_route(router: APIRouter, state: ServerState) -> None:
    """``POST /api/ask``: one answer, or its server-sent events."""
    limit = state.settings.max_question_chars

    @router.post(
        "/api/ask",
        tags=["api"],
        dependencies=[Depends(require_json)],
        summary="Answer a question with citations",
        responses={
            **streamed(AnswerOut, ASK_EVENT, "Answer.to_dict(); stream=true: text/event-stream"),
            **errors(*ANSWERING),
        },
    )
    def ask(body: AskIn, stream: bool = Query(False, description="stream server-sent events")):
        """The same JSON object as ``assistant ask --json``; or SSE deltas then the answer.
        The answered turn is kept: the answer carries its ``turn_id`` and ``conversation_id``."""
        request = ask_request(body, limit)
        if not stream:
            return state.conversations.ask(request).to_dict()
        events = start_stream(state.conversations.stream(request))
        return StreamingResponse(
            sse_events(events),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache"},
        )


def _index_routes(router: APIRouter, state: ServerState) -> None:
    """Uploads, what the index holds, and health."""

    @router.post(
        "/api/ingest",
        tags=["api"],
        summary="Index uploaded articles",
        openapi_extra=INGEST_OPENAPI,
        responses=errors(400, 409, 415, 503),
    )
    async def ingest(request: Request):
        """Files (multipart field ``files``: txt, md, html, jsonl) or a JSONL body."""
        uploads = await _read_uploads(request, state.settings.max_upload_bytes)
        report = await run_in_threadpool(state.ingest_uploads, uploads)
        stats = await run_in_threadpool(state.stats)
        return {**report.to_dict(), "index": stats.to_dict()}

    @router.get("/api/index", tags=["api"], summary="What the index holds", responses=errors(503))
    def index():
        """Articles and chunks by language and source, the embedder, the last update, and
        the feeds followed with their last refresh run (``feeds``; null when none)."""
        return {**state.stats().to_dict(), "feeds": state.feeds_status()}

    @router.get(
        "/healthz",
        tags=["health"],
        summary="Liveness and readiness",
        response_model=HealthOut,
        responses={503: {"model": HealthDown, "description": "the index cannot be read"}},
    )
    def healthz():
        """200 when the server answers and the index can be read; 503 otherwise."""
        try:
            chunks = state.assistant.index.count()
        except Exception as exc:  # readiness: any failure to read the index means not ready
            return JSONResponse(
                {"status": "unavailable", **error_body(503, str(exc))}, status_code=503
            )
        return {"status": "ok", "chunks": chunks, "embedder": state.assistant.embedder.name}


async def _read_uploads(request: Request, max_bytes: int) -> list[Upload]:
    """Uploads from a multipart form (field ``files``) or a JSONL body."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "multipart/form-data":
        form = await request.form(max_part_size=max_bytes)
        files = [f for f in form.getlist("files") if isinstance(f, UploadFile)]
        if not files:
            raise HTTPException(
                400, "expected one or more files in the multipart field 'files', got none"
            )
        return [Upload(f.filename or "upload", await f.read()) for f in files]
    if kind in JSONL_TYPES:
        body = await request.body()
        if not body.strip():
            raise HTTPException(
                400, "expected JSONL (one article object per line), got an empty body"
            )
        return [Upload("body.jsonl", body)]
    raise HTTPException(
        415,
        f"expected multipart/form-data (field 'files') or "
        f"application/x-ndjson, got {kind or 'no content type'}",
    )


JSONL = {
    "schema": {
        "type": "string",
        "pattern": "[^ \\t\\n\\r\\f\\v]",  # not blank (bytes.strip())
        "description": 'one JSON object per line: {"id", "title", "text", '
        '"language"?, "source"?, "published"?, "url"?}',
    }
}
INGEST_OPENAPI = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["files"],
                    "properties": {
                        "files": {
                            "type": "array",
                            "minItems": 1,
                            "items": {"type": "string", "format": "binary"},
                            "description": "article files (.txt, .md, .html, .jsonl); a "
                            "file that cannot be used is reported, the others are indexed",
                        }
                    },
                }
            },
            **{kind: JSONL for kind in JSONL_TYPES},
        },
    }
}
