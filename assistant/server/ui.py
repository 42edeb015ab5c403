"""The browser chat (Gradio Blocks): streaming answers, sources panel, filters, index panel.

Every event calls the shared ``ServerState`` (and through it ``Assistant``) only; every
``AssistantError`` is shown to the user as its message. Streamed answer text is article
text, so the chat shows it escaped (``untrusted.escape``), re-escaped whole on each delta.

Answers are asked through the conversation service, so each one is kept as a turn of the
tab's conversation; a ``ChatSession`` (a ``gr.State``) remembers the conversation id and the
turn id of each answer message, so the Chatbot's thumbs up/down store feedback for the
turn that message shows (``rate_answer``).
"""

from __future__ import annotations

from pathlib import Path

from ..errors import AssistantError
from ..ingest.loaders import SUFFIXES
from ..records import AskRequest, ErrorEvent, Filters, FinalAnswer
from ..untrusted import escape
from .history import (
    REASON_CHOICES,
    ChatSession,
    conversation_choices,
    delete_conversation,
    open_conversation,
    send_feedback,
)
from .render import answer_markdown, sources_html, stats_markdown
from .state import ServerState, Upload

ANY = "(any)"
EMPTY_INDEX = (
    "⚠ The index is empty, so there is nothing to answer from. Upload articles "
    "in the **Index** tab (or run `assistant ingest corpus`), then ask again."
)
CSS = """
.source-card {border: 1px solid var(--border-color-primary); border-radius: 8px;
  padding: 8px 12px; margin-bottom: 10px;}
.source-meta {color: var(--body-text-color-subdued); font-size: 0.9em;}
.source-text mark {background: #ffe58a; color: #000; padding: 0 2px;}
.source-text strong.answer-span {background: #ffb020; color: #000; padding: 0 2px;}
.source-backs {font-size: 0.9em; margin: 4px 0;}
.answer-kind {display: inline-block; border-radius: 6px; padding: 1px 8px; font-size: 0.85em;
  font-weight: 600;}
.answer-kind-closest {background: #e8f0fe; color: #1a3d7c; border: 1px solid #9bb6e8;}
.answer-kind-none {background: #eeeeee; color: #333; border: 1px solid #bbbbbb;}
"""


def parse_filters(
    language: str | None, source: str | None, date_from: str | None, date_to: str | None
) -> Filters:
    """Filters from the UI controls ("(any)" is no restriction); bad input is a QuestionError."""
    return Filters.parse(
        None if language == ANY else language,
        None if (source or "").strip() == ANY else source,
        date_from,
        date_to,
    )


def chat_events(
    state: ServerState,
    message: str,
    chat: list,
    turns: list,
    language: str,
    source: str,
    date_from: str,
    date_to: str,
    show_query: bool,
    timeline: bool = False,
    session: ChatSession | None = None,
):
    """Yield (chat, sources html, turns, textbox, session) while the answer streams in."""
    chat = list(chat or []) + [
        {"role": "user", "content": message or ""},
        {"role": "assistant", "content": ""},
    ]
    turns, session = list(turns or []), session or ChatSession()
    try:
        filters = parse_filters(language, source, date_from, date_to)
        if state.assistant.index.count() == 0:
            chat[-1]["content"] = EMPTY_INDEX
            yield chat, sources_html(None), turns, "", session
            return
        request = chat_request(message, turns, filters, timeline, session)
        streamed = ""
        for event in state.conversations.stream(request):
            if isinstance(event, ErrorEvent):
                raise event.error
            if isinstance(event, FinalAnswer):
                answer = event.answer
                chat[-1]["content"] = answer_markdown(answer, show_query)
                turns.append([answer.question, answer.answer])
                session = session.kept(len(chat) - 1, answer.conversation_id, answer.turn_id)
                yield chat, sources_html(answer), turns, "", session
            else:
                streamed += event.text
                chat[-1]["content"] = escape(streamed)
                yield chat, sources_html(None), turns, "", session
    except AssistantError as exc:  # the user's problem or the provider's: say which
        chat[-1]["content"] = f"⚠ {exc}"
        yield chat, sources_html(None), turns, message, session


def chat_request(
    message: str, turns: list, filters: Filters, timeline: bool, session: ChatSession
) -> AskRequest:
    """The request of one chat message: the tab's kept conversation continues (its stored
    turns are the history; ``turns`` only count when conversations are not stored); the
    timeline switch forces a timeline, off the question decides ("Wie hat sich ... ?")."""
    return AskRequest(
        question=message or "",
        history=tuple((q, a) for q, a in turns),
        filters=filters,
        timeline=True if timeline else None,
        conversation_id=session.conversation_id or None,
    )


def rate_answer(state: ServerState, session: ChatSession, index, liked) -> str:
    """Store a thumbs up (``liked`` True) or down (False) for the answer message at
    ``index``; a line for the reader. Un-clicking a thumb ("") stores nothing."""
    if liked is not True and liked is not False:
        return ""
    turn_id = session.turn_at(index)
    if not turn_id:
        return "⚠ This message was not kept as an answer, so it cannot be rated."
    try:
        state.conversations.add_feedback(turn_id, "up" if liked else "down")
    except AssistantError as exc:
        return f"⚠ {escape(str(exc))}"
    return "✔ Thanks: your rating is stored with this answer" + (
        "." if liked else " and will be reviewed."
    )


class GradioProgress:
    """Adapts ``gr.Progress`` to the ingest pipeline's ``update(n)``/``close()`` counter."""

    def __init__(self, progress):
        self.progress = progress
        self.done = 0

    def update(self, n: int = 1) -> None:
        """Count ``n`` more embedded texts."""
        self.done += n
        self.progress((self.done, None), desc="embedding", unit="texts")

    def close(self) -> None:
        """Nothing to release."""


def ingest_files(state: ServerState, paths: list[str] | None, progress) -> tuple[str, str]:
    """Index uploaded files; a report with every file's articles or problems, and the new
    stats (the same handling as ``/api/ingest``: ``ServerState.ingest_uploads``)."""
    if not paths:
        return "⚠ Choose one or more files first (txt, md, html, jsonl).", stats_markdown(
            state.stats()
        )
    uploads = [Upload(Path(p).name, Path(p).read_bytes()) for p in paths]
    try:
        report = state.ingest_uploads(uploads, progress=lambda: GradioProgress(progress))
    except AssistantError as exc:
        return f"⚠ {exc}", stats_markdown(state.stats())
    lines = [f"✔ {report.summary()}"]
    lines += [
        f"- ✔ **{escape(f.name)}**: {escape(', '.join(f.article_ids))}"
        for f in report.files
        if f.article_ids
    ]
    lines += [f"- ⚠ **{escape(s.where)}**: {escape(s.reason)}" for s in report.skipped]
    return "\n".join(lines), stats_markdown(state.stats())


def feeds_markdown(status: dict | None) -> str:
    """The Index tab's feed panel: the last refresh run and its failures (escaped: URLs
    and reasons come from the web)."""
    if not status or not status.get("last_run"):
        following = len(status["following"]) if status else 0
        return f"Feeds: {following} followed, not polled yet." if following else ""
    run = status["last_run"]
    lines = [
        f"**Feeds** · last run {escape(run['started'])}: {run['feeds_polled']} polled, "
        f"{run['feeds_not_modified']} not modified; articles {run['added']} added, "
        f"{run['updated']} updated, {run['unchanged']} unchanged, "
        f"{run.get('merged', 0)} merged as copies; {len(run['failed'])} failed"
    ]
    lines += [f"- ⚠ {escape(f['where'])}: {escape(f['reason'])}" for f in run["failed"][:20]]
    return "\n".join(lines)


def source_choices(state: ServerState) -> list[str]:
    """The filter dropdown: any source, or one the index holds."""
    return [ANY, *state.stats().articles_by_source.keys()]


def build_blocks(state: ServerState):
    """The Gradio app: a Chat tab and an Index tab."""
    import gradio as gr

    with gr.Blocks(title="News assistant", analytics_enabled=False) as blocks:
        gr.Markdown(
            "## News assistant\nAsk about the indexed articles; every statement "
            "is cited `[n]` and checked against its source."
        )
        with gr.Tab("Chat"):
            source, history = _chat_tab(gr, state)
        with gr.Tab("Index"):
            stats = _index_tab(gr, state, source)
        blocks.load(
            lambda: (
                stats_markdown(state.stats()),
                gr.update(choices=source_choices(state)),
                gr.update(choices=conversation_choices(state)),
            ),
            outputs=[stats, source, history],
            api_visibility="private",
        )
    return blocks


def _chat_tab(gr, state: ServerState):
    with gr.Row():
        with gr.Column(scale=3):
            chat = gr.Chatbot(
                label="Chat", height=460, elem_id="chat", feedback_options=("Like", "Dislike")
            )
            turns = gr.State([])
            session = gr.State(ChatSession())
            rated = gr.Markdown(elem_id="feedback-note")
            form = _feedback_form(gr)
            message = gr.Textbox(
                label="Question",
                elem_id="question",
                lines=1,
                placeholder="Wie viele nordkoreanische Soldaten …?",
                max_length=state.settings.max_question_chars + 1,
            )
            with gr.Row():
                send = gr.Button("Ask", variant="primary", elem_id="ask")
                clear = gr.Button("New conversation")
            options = _options(gr)
        with gr.Column(scale=2):
            buttons = _history_panel(gr)
            sources = gr.HTML(sources_html(None), elem_id="sources")
    source, history = options[1], buttons[0]
    parts = (chat, turns, session, rated, message, send, clear, sources, history)
    _wire_chat(gr, state, parts, options)
    _rating_events(gr, state, chat, turns, session, rated)
    button, *fields = form
    button.click(
        lambda *values: send_feedback(state, *values),
        [session, *fields],
        rated,
        api_visibility="private",
    )
    _history_events(gr, state, buttons, (chat, sources, turns, session))
    return source, history


def _wire_chat(gr, state: ServerState, parts: tuple, options: list) -> None:
    """Ask and Enter answer (``chat_events``) and refresh the history list; New
    conversation clears the chat."""
    chat, turns, session, rated, message, send, clear, sources, history = parts
    inputs = [message, chat, turns, *options]
    outputs = [chat, sources, turns, message, session]

    def respond(*args):
        yield from chat_events(state, *args)

    listed = lambda: gr.update(choices=conversation_choices(state))  # noqa: E731
    send.click(respond, [*inputs, session], outputs, api_name="chat").then(
        listed, None, history, api_visibility="private"
    )
    message.submit(respond, [*inputs, session], outputs, api_visibility="private").then(
        listed, None, history, api_visibility="private"
    )
    clear.click(
        lambda: ([], sources_html(None), [], "", ChatSession(), ""),
        None,
        [*outputs, rated],
        api_visibility="private",
    )


def _options(gr) -> list:
    """The filters and switches under the chat, in ``chat_events``' argument order."""
    with gr.Accordion("Filters and options", open=False):
        language = gr.Dropdown([ANY, "de", "en"], value=ANY, label="Language")
        source = gr.Dropdown([ANY], value=ANY, label="Source", allow_custom_value=True)
        date_from = gr.Textbox(label="Published from (YYYY-MM-DD)")
        date_to = gr.Textbox(label="Published to (YYYY-MM-DD)")
        show_query = gr.Checkbox(label="Show the search query (resolved follow-up)")
        timeline = gr.Checkbox(
            label="Timeline: dated quotes from several articles, oldest first", elem_id="timeline"
        )
    return [language, source, date_from, date_to, show_query, timeline]


def _history_panel(gr) -> tuple:
    """The kept conversations: (dropdown, open, delete, note)."""
    with gr.Accordion("Conversations", open=False, elem_id="history-panel"):
        history = gr.Dropdown([], label="Kept conversations (newest first)", elem_id="history")
        with gr.Row():
            reopen = gr.Button("Open", elem_id="history-open")
            forget = gr.Button("Delete", variant="stop", elem_id="history-delete")
        note = gr.Markdown(elem_id="history-note")
    return history, reopen, forget, note


def _rating_events(gr, state: ServerState, chat, turns, session, rated) -> None:
    """The Chatbot's thumbs store feedback for their turn; its trash icon starts anew."""

    def rate(session: ChatSession, data) -> str:
        return rate_answer(state, session, data.index, data.liked)

    rate.__annotations__["data"] = gr.LikeData  # Gradio passes the event data by this type
    chat.like(rate, [session], [rated], api_visibility="private")
    chat.clear(
        lambda: ([], ChatSession(), ""), None, [turns, session, rated], api_visibility="private"
    )


def _feedback_form(gr) -> tuple:
    """Rating, [n], reason and comment for the last answer; (button, *fields)."""
    with gr.Accordion("Feedback on the last answer", open=False, elem_id="feedback-form"):
        with gr.Row():
            rating = gr.Radio(["up", "down"], value="down", label="Rating", elem_id="fb-rating")
            citation = gr.Textbox(label="About citation [n] (optional)", elem_id="fb-citation")
            reason = gr.Dropdown(REASON_CHOICES, value="", label="Why", elem_id="fb-reason")
        comment = gr.Textbox(label="Comment (optional)", lines=2, elem_id="fb-comment")
        button = gr.Button("Send feedback", elem_id="fb-send")
    return button, rating, citation, reason, comment


def _history_events(gr, state: ServerState, buttons: tuple, shown: tuple) -> None:
    """Open a kept conversation into the chat (with its sources), or delete one."""
    history, reopen, forget, note = buttons
    chat, sources, turns, session = shown

    def opened(conversation_id):
        return open_conversation(state, conversation_id)

    def deleted(conversation_id, current: ChatSession):
        text, was_open = delete_conversation(state, conversation_id, current)
        cleared = ([], sources_html(None), [], ChatSession()) if was_open else (gr.skip(),) * 4
        return (text, gr.update(choices=conversation_choices(state), value=None), *cleared)

    reopen.click(opened, history, [chat, sources, turns, session, note], api_visibility="private")
    forget.click(
        deleted,
        [history, session],
        [note, history, chat, sources, turns, session],
        api_visibility="private",
    )


def _index_tab(gr, state: ServerState, source):
    stats = gr.Markdown("…", elem_id="index-stats")
    files = gr.File(
        label="Articles (" + ", ".join(SUFFIXES) + ")",
        file_count="multiple",
        file_types=list(SUFFIXES),
    )
    index_button = gr.Button("Index files", variant="primary")
    report = gr.Markdown(elem_id="ingest-report")
    feeds = gr.Markdown(lambda: feeds_markdown(state.feeds_status()), elem_id="feed-status")
    refresh = gr.Button("Refresh counts")

    def ingest(paths, progress=gr.Progress()):  # noqa: B008 - how Gradio injects progress
        text, counts = ingest_files(state, paths, progress)
        return text, counts, gr.update(choices=source_choices(state))

    index_button.click(ingest, files, [report, stats, source], api_name="ingest")
    refresh.click(
        lambda: (stats_markdown(state.stats()), feeds_markdown(state.feeds_status())),
        None,
        [stats, feeds],
        api_visibility="private",
    )
    return stats
