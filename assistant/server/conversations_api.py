"""Kept conversations and readers' feedback over HTTP: ``/api/conversations``, ``/api/feedback``.

Routes only: each one calls ``ConversationService`` (``assistant/conversations``), where the
feedback values are checked for every channel (so the browser chat's thumbs and this API
refuse the same input with the same message). As everywhere in ``/api``, the request
models check the shape (422: missing, unknown or mistyped fields) and declare the values in
the document (rating up/down, a comment 1 to 2,000 characters, a reason), which are checked
once, behind them (400); an unknown conversation or turn is a 404.

Two checks are done here, so that the document can state them exactly: the comment's
length as sent (the service counts after stripping), and the citation: a number the turn
does not have names nothing stored, so it is a 404 like an unknown turn (it was a 400, which
told a client that a request the document allows was malformed). Nothing is stored when a
request is refused. The export is ``text/markdown`` (``MarkdownResponse``).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, ConfigDict, Field

from ..conversations.export import conversation_markdown
from ..conversations.records import MAX_COMMENT_CHARS, REASONS
from ..errors import ConversationError, NotFoundError
from .api import require_json
from .inputs import NOT_BLANK, WholeNumber
from .openapi import errors, ok
from .outputs import ConversationsOut, ConversationTurnsOut, DeletedOut, FeedbackOut
from .state import ServerState


class MarkdownResponse(PlainTextResponse):
    """A Markdown document (UTF-8)."""

    media_type = "text/markdown"


class FeedbackIn(BaseModel):
    """A reader's rating of one answered turn."""

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={
            "examples": [{"turn_id": "…", "rating": "down", "citation": 1, "reason": REASONS[0]}]
        },
    )
    turn_id: str = Field(description="the answer's turn_id", max_length=64)
    rating: str = Field(
        description="'up' or 'down'", examples=["down"], json_schema_extra={"enum": ["up", "down"]}
    )
    comment: str | None = Field(
        None,
        description=f"1 to {MAX_COMMENT_CHARS} characters, not blank; omitted or null: none",
        json_schema_extra={"minLength": 1, "maxLength": MAX_COMMENT_CHARS, "pattern": NOT_BLANK},
    )
    citation: WholeNumber | None = Field(
        None,
        description="the [n] of the answer it is about; one the turn does not have: 404",
        json_schema_extra={"minimum": 1},
    )
    reason: str | None = Field(
        None,
        description=f"{' or '.join(REASONS)}; blank or null: none",
        json_schema_extra={"anyOf": [{"enum": [*REASONS, ""]}, {"type": "null"}]},
    )


def check_feedback(state: ServerState, body: FeedbackIn) -> None:
    """The checks the document states that the service would make differently (above)."""
    numbers = state.conversations.store.turn(body.turn_id).citation_numbers()  # 404
    if body.comment is not None and len(body.comment) > MAX_COMMENT_CHARS:
        raise ConversationError(
            f"expected a comment of at most {MAX_COMMENT_CHARS} characters, got {len(body.comment)}"
        )
    if body.citation is not None and body.citation not in numbers:
        raise NotFoundError(
            f"expected citation to be one of the turn's citations {numbers}, got {body.citation}"
        )


def build_conversations_router(state: ServerState) -> APIRouter:
    """The ``/api/conversations`` and ``/api/feedback`` routes, bound to ``state``."""
    router = APIRouter(prefix="/api", tags=["conversations"])
    _kept_routes(router, state)
    _export_route(router, state)
    _feedback_route(router, state)
    return router


def _kept_routes(router: APIRouter, state: ServerState) -> None:
    """List, read and delete kept conversations."""

    @router.get(
        "/conversations",
        summary="Kept conversations, newest first",
        responses={**ok(ConversationsOut), **errors(422, 503)},
    )
    def conversations(limit: int = Query(100, ge=1, le=1000)):
        """``{"conversations": [{"id", "title", "created", "updated", "turns"}]}``."""
        return {"conversations": [c.to_dict() for c in state.conversations.conversations(limit)]}

    @router.get(
        "/conversations/{conversation_id}",
        summary="One conversation, every turn",
        responses={**ok(ConversationTurnsOut), **errors(404, 503)},
    )
    def conversation(conversation_id: str):
        """The conversation with each turn's settings, answer (citations included),
        timings, trace id and feedback."""
        turns = state.conversations.turns(conversation_id)
        found = state.conversations.store.conversation(conversation_id)
        return {**found.to_dict(), "turns": [t.to_dict() for t in turns]}

    @router.delete(
        "/conversations/{conversation_id}",
        summary="Delete a conversation",
        responses={**ok(DeletedOut), **errors(404, 503)},
    )
    def delete(conversation_id: str):
        """Deletes its turns and their feedback; says how many."""
        return {"deleted": conversation_id, **state.conversations.delete(conversation_id)}


def _export_route(router: APIRouter, state: ServerState) -> None:
    """One conversation as Markdown."""

    @router.get(
        "/conversations/{conversation_id}/export",
        summary="One conversation as Markdown",
        response_class=MarkdownResponse,
        responses={200: {"description": "the conversation as Markdown"}, **errors(404, 503)},
    )
    def export(conversation_id: str):
        """Each question, its answer and its sources (title, source, date, quote, URL)."""
        turns = state.conversations.turns(conversation_id)
        found = state.conversations.store.conversation(conversation_id)
        return MarkdownResponse(conversation_markdown(found, turns))


def _feedback_route(router: APIRouter, state: ServerState) -> None:
    """A reader's rating of one answer."""

    @router.post(
        "/feedback",
        summary="Rate an answer",
        status_code=201,
        dependencies=[Depends(require_json)],
        responses={**ok(FeedbackOut, 201), **errors(400, 404, 415, 422, 503)},
    )
    def feedback(body: FeedbackIn):
        """Stores the rating with its turn; answers the stored feedback (201)."""
        check_feedback(state, body)
        stored = state.conversations.add_feedback(
            body.turn_id, body.rating, body.comment, body.citation, body.reason
        )
        return stored.to_dict()
