"""Conversations around the answer chain: history from the store in, the answered turn out.

``ConversationService.stream`` wraps ``Assistant.stream`` and is what every recording
channel calls (``/api/ask``, ``/v1/chat/completions``, ``assistant ask``/``chat``, the
browser chat). A request that names ``conversation_id`` gets its history from the stored
turns (the history it sends is ignored: the store is the conversation, so a client that
resends its messages, as OpenAI clients do, cannot fork it); an unknown id is a
NotFoundError before anything is asked. When the FinalAnswer arrives the turn is written in
one transaction and the answer carries its ``turn_id`` and ``conversation_id``; a request
without ``conversation_id`` starts a conversation. An ErrorEvent stores nothing, and a
store that fails turns the final event into an ErrorEvent (StoreError): a reader never
holds a turn id that was not kept. The chain itself (``chain.py``) knows nothing of this,
so evals and MCP ask without leaving traces.

With ``store_conversations`` off nothing is written and ``conversation_id`` is refused;
what was stored before can still be listed and deleted. Retention
(``conversation_retention_days``) is applied when turns are stored (at most hourly) and
before conversations are listed.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from ..errors import AssistantError, ConversationError
from ..records import Answer, AnswerEvent, AskRequest, ErrorEvent, FinalAnswer
from .records import Conversation, Feedback, Turn, TurnSettings, checked_feedback, history_before
from .store import FILE_NAME, ConversationStore, utc_now

PURGE_EVERY_S = 3600.0
MAX_HISTORY = 50  # turns a continued conversation passes on, as /api/ask takes at most


class ConversationService:
    """Asks through the assistant and keeps each answered turn (see the module docstring)."""

    def __init__(self, assistant, path: Path, enabled: bool = True, retention_days: int = 0):
        self.assistant = assistant
        self.path = Path(path)
        self.enabled = enabled
        self.retention_days = retention_days
        self._store: ConversationStore | None = None
        self._opening = threading.Lock()
        self._purged_at: float | None = None

    @property
    def store(self) -> ConversationStore:
        """The SQLite store, opened on first use (never, when nothing is stored or read)."""
        with self._opening:
            if self._store is None:
                self._store = ConversationStore(self.path)
            return self._store

    # --- asking ----------------------------------------------------------------------
    def ask(self, request: AskRequest) -> Answer:
        """The stored answer; raises the AssistantError that stopped it."""
        for event in self.stream(request):
            if isinstance(event, ErrorEvent):
                raise event.error
            if isinstance(event, FinalAnswer):
                return event.answer
        raise AssertionError("the answer stream ended without an answer")  # a bug, not input

    def stream(self, request: AskRequest) -> Iterator[AnswerEvent]:
        """The assistant's events; the final answer stored and carrying its turn id."""
        try:
            asked, sent = self._with_history(request)
        except AssistantError as exc:
            yield ErrorEvent(exc)
            return
        for event in self.assistant.stream(asked):
            if isinstance(event, FinalAnswer) and self.enabled:
                event = self._stored(event.answer, asked, sent)
            yield event

    def _with_history(self, request: AskRequest) -> tuple[AskRequest, tuple]:
        """The request with the stored history, and the history the client sent itself."""
        if not request.conversation_id:
            return request, request.history
        if not self.enabled:
            raise ConversationError(
                f"expected store_conversations on to continue conversation "
                f"{request.conversation_id!r}, got it off"
            )
        turns = self.store.turns(request.conversation_id)
        return replace(request, history=history_before(turns)[-MAX_HISTORY:]), ()

    def _stored(self, answer: Answer, request: AskRequest, sent: tuple) -> AnswerEvent:
        """FinalAnswer with the turn's ids once it is stored; ErrorEvent when it is not."""
        conversation_id = request.conversation_id or uuid.uuid4().hex
        answer = replace(answer, turn_id=uuid.uuid4().hex, conversation_id=conversation_id)
        turn = Turn(
            answer.turn_id,
            conversation_id,
            0,  # the store numbers it
            TurnSettings.of(request, sent),
            answer.to_dict(),
            dict(answer.timings_ms),
            answer.trace_id,
            utc_now(),
        )
        try:
            self.expire()  # before the turn: if retention fails, no turn id is handed out
            self.store.add_turn(turn, answer.question, create=not request.conversation_id)
        except AssistantError as exc:
            return ErrorEvent(exc)
        return FinalAnswer(answer)

    # --- reading and deleting --------------------------------------------------------
    def conversations(self, limit: int = 100) -> list[Conversation]:
        """Newest first, after retention."""
        self.expire(force=True)
        return self.store.conversations(limit)

    def turns(self, conversation_id: str) -> list[Turn]:
        return self.store.turns(conversation_id)

    def delete(self, conversation_id: str) -> dict[str, int]:
        return self.store.delete(conversation_id)

    def expire(self, force: bool = False) -> dict[str, int] | None:
        """Apply the retention setting (at most every ``PURGE_EVERY_S`` unless ``force``)."""
        due = force or self._purged_at is None or time.monotonic() - self._purged_at > PURGE_EVERY_S
        if self.retention_days <= 0 or not due:
            return None
        self._purged_at = time.monotonic()
        return self.store.purge(self.retention_days)

    # --- feedback --------------------------------------------------------------------
    def add_feedback(
        self,
        turn_id: str,
        rating: str,
        comment: str | None = None,
        citation: int | None = None,
        reason: str | None = None,
    ) -> Feedback:
        """Check and store a reader's feedback on one turn (NotFoundError: no such turn)."""
        turn = self.store.turn(turn_id)
        values = checked_feedback(turn, rating, comment, citation, reason)
        return self.store.add_feedback(Feedback(uuid.uuid4().hex, turn.id, *values, utc_now()))


def make_conversations(assistant) -> ConversationService:
    """The service for ``assistant``'s index, as its settings configure it."""
    settings = assistant.settings
    return ConversationService(
        assistant,
        Path(settings.index_dir) / FILE_NAME,
        settings.store_conversations,
        settings.conversation_retention_days,
    )
