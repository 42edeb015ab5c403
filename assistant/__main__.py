"""Command line: ``assistant ingest | ask | chat | serve | watch | mcp | eval`` (each calls
Assistant) and ``conversations | feedback`` (the kept conversations, ``conversations/``)."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from .conversations import make_conversations
from .errors import AssistantError, ConfigError
from .records import AskRequest, Filters

if TYPE_CHECKING:
    from .config import Settings


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="assistant", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    ingest = sub.add_parser("ingest", help="index articles from a file or folder")
    ingest.add_argument(
        "path", nargs="?", help="file, folder, or URL of an RSS/Atom feed, sitemap or article"
    )
    ingest.add_argument("--feeds", type=Path, help="TOML list of feeds to poll (see README)")
    ingest.add_argument("--prune", action="store_true", help="remove articles not under PATH")
    ingest.add_argument("--strict", action="store_true", help="exit 1 if any file is skipped")
    ask = sub.add_parser("ask", help="answer one question (or a JSONL file of questions)")
    _ask_arguments(ask)
    sub.add_parser("chat", help="chat in the terminal")
    serve = sub.add_parser("serve", help="browser chat and HTTP API on one port")
    serve.add_argument("--host", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default 7860)")
    serve.add_argument("--feeds", type=Path, help="TOML list of feeds to poll in the background")
    serve.add_argument("--refresh", help="how often to poll them, e.g. 15m (default 15m)")
    watch = sub.add_parser("watch", help="poll feeds into the index until interrupted")
    watch.add_argument("--feeds", type=Path, required=True, help="TOML list of feeds")
    watch.add_argument("--every", help="how often to poll, e.g. 15m (default 15m)")
    mcp = sub.add_parser("mcp", help="serve the ask and search tools to an MCP client over stdio")
    chat = [p for n, p in sub.choices.items() if n == "chat"]
    from .conversations.command import add_commands

    kept = add_commands(sub)
    for command in (ingest, ask, serve, mcp, watch, *chat, *kept):
        command.add_argument("--index", type=Path, help="index directory (default .index)")
    evaluate = sub.add_parser("eval", help="run an eval set and apply the release gate")
    evaluate.add_argument("--index", type=Path, help="index cache (default INDEX_DIR/eval/SET)")
    from .evaluation.command import add_arguments

    add_arguments(evaluate)
    return parser


def _ask_arguments(ask: argparse.ArgumentParser) -> None:
    """The question, its filters and how the answer is printed."""
    ask.add_argument("question", nargs="?")
    ask.add_argument("--questions", type=Path, help='JSONL: {"id", "question"} per line')
    ask.add_argument("--json", action="store_true", help="print the full answer as JSON")
    ask.add_argument("--top-k", type=int, help="chunks an answer may cite (0-100)")
    ask.add_argument("--language", help="only articles in this language (de, en)")
    ask.add_argument("--source", help="only articles from this source")
    ask.add_argument(
        "--from", dest="published_from", help="only articles published on or after this day"
    )
    ask.add_argument("--to", dest="published_to", help="... on or before this day (YYYY-MM-DD)")
    ask.add_argument(
        "--as-of", help="the day 'yesterday', 'letzte Woche' count from (YYYY-MM-DD; default today)"
    )
    ask.add_argument(
        "--timeline",
        action="store_const",
        const=True,
        help="answer with dated quotes from several articles in date order",
    )
    ask.add_argument("--conversation", help="continue this kept conversation (its id)")


def main(argv: Sequence[str] | None = None, *, embedder=None) -> int:
    """Entry point of the ``assistant`` command; returns the exit status. ``embedder``
    replaces the one the settings name (a seam for tests that share one loaded model)."""
    args = _parser().parse_args(argv)
    try:
        from .chain import Assistant
        from .config import load_settings

        if args.command == "eval":  # builds its own assistants, one per corpus variant
            from .evaluation.command import main as run_eval

            return run_eval(args, load_settings(), embedder)
        overrides = {"index_dir": args.index} if args.index else {}
        overrides.update({k: v for k in ("host", "port") if (v := getattr(args, k, None))})
        settings = load_settings(**overrides)
        if args.command in ("conversations", "feedback"):  # the store; review: the index too
            from .conversations.command import main as run_kept

            return run_kept(args, settings, lambda: open_assistant(settings, embedder))
        if args.command == "serve":  # refuse an open public bind before loading anything
            from .server.security import check_exposure

            check_exposure(settings)
        if args.command in READS_INDEX:
            require_index(settings)
        with _stdout_to_stderr() if args.command == "mcp" else contextlib.nullcontext():
            assistant = Assistant.from_settings(settings, embedder=embedder)  # mcp: stdout=protocol
        with assistant:
            return COMMANDS[args.command](assistant, args)
    except AssistantError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


READS_INDEX = ("ask", "chat", "serve", "mcp")  # ingest creates the index; these only read it


def open_assistant(settings: Settings, embedder=None):
    """The Assistant on an index that exists (see ``require_index``)."""
    from .chain import Assistant

    require_index(settings)
    return Assistant.from_settings(settings, embedder=embedder)


def require_index(settings: Settings) -> None:
    """A command that reads the index refuses a folder that is not there: opening it would
    create an empty index and every answer would be "the articles don't say" (a mistyped
    ``--index`` must not look like an answer). A Chroma server holds its own index."""
    folder = settings.index_dir
    if settings.chroma_host is None and not folder.is_dir():
        raise ConfigError(
            f"expected an index at {folder}, got no such folder; "
            f"run `assistant ingest <articles> --index {folder}` first"
        )


def _ingest(assistant, args) -> int:
    from .feeds.command import ingest_feeds, is_url

    if args.feeds or is_url(args.path):
        return ingest_feeds(assistant, args)
    if not args.path:
        raise ConfigError("expected a PATH, a URL or --feeds FILE to ingest, got none")
    report = assistant.ingest(Path(args.path), prune=args.prune)
    for skipped in report.skipped:
        print(f"skipped {skipped.where}: {skipped.reason}", file=sys.stderr)
    for where, encoding in report.guessed.items():
        print(
            f"read {where} as {encoding} (not UTF-8; guessed by charset-normalizer)",
            file=sys.stderr,
        )
    print(report.summary())
    strict = args.strict or assistant.settings.strict
    return 1 if strict and report.skipped else 0


def _ask(assistant, args) -> int:
    if args.questions:
        return _ask_many(assistant, args)
    if not args.question:
        print("error: expected a QUESTION or --questions FILE", file=sys.stderr)
        return 2
    answer = make_conversations(assistant).ask(ask_request(args, args.question))
    if args.json:
        print(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(render_answer(answer))
    return 0


def ask_request(args, question: str) -> AskRequest:
    """The request record from the command line's question and filters."""
    from .dates import parse_as_of

    filters = Filters.parse(args.language, args.source, args.published_from, args.published_to)
    as_of = parse_as_of(args.as_of)
    timeline, conversation = getattr(args, "timeline", None), getattr(args, "conversation", None)
    return AskRequest(
        question=question,
        filters=filters,
        top_k=args.top_k,
        as_of=as_of,
        timeline=timeline,
        conversation_id=conversation,
    )


def _ask_many(assistant, args) -> int:
    failures, conversations = 0, make_conversations(assistant)
    for number, line in enumerate(args.questions.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            result = {
                "id": item.get("id", number),
                **conversations.ask(ask_request(args, item["question"])).to_dict(),
            }
        except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
            result, failures = (
                {
                    "id": number,
                    "error": f'expected {{"id", "question"}} on line {number}, got {exc!r}',
                },
                failures + 1,
            )
        except AssistantError as exc:
            result, failures = {"id": item.get("id", number), "error": str(exc)}, failures + 1
        print(json.dumps(result, ensure_ascii=False), flush=True)
    return 1 if failures else 0


def render_answer(answer) -> str:
    """Answer text, flagged sentences and the sources, for a terminal (``present.py``)."""
    from .present import terminal

    return terminal(answer)


def _chat(assistant, args) -> int:
    print("Ask about the articles (empty line or Ctrl-D to quit).")
    history: list[tuple[str, str]] = []
    conversations, conversation = make_conversations(assistant), None
    while True:
        try:
            question = input("> ").strip()
        except EOFError:
            return 0
        if not question:
            return 0
        try:
            answer = conversations.ask(
                AskRequest(question=question, history=tuple(history), conversation_id=conversation)
            )
            print(render_answer(answer) + "\n")
            history.append((question, answer.answer))  # when storing is off
            conversation = answer.conversation_id or None
        except AssistantError as exc:
            print(f"error: {exc}\n")


def _serve(assistant, args) -> int:
    from .feeds.command import server_refresh
    from .server import serve

    serve(assistant, on_start=server_refresh(args))
    return 0


def _watch(assistant, args) -> int:
    from .feeds.command import watch_feeds

    return watch_feeds(assistant, args)


def _mcp(assistant, args) -> int:
    from .server.mcp import run_stdio

    run_stdio(assistant)
    return 0


@contextlib.contextmanager
def _stdout_to_stderr():
    """Point file descriptor 1 at stderr for the block, so that nothing (not even a native
    library) writes to stdout while the MCP server is loading."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        os.dup2(2, 1)
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


COMMANDS = {
    "ingest": _ingest,
    "ask": _ask,
    "chat": _chat,
    "serve": _serve,
    "mcp": _mcp,
    "watch": _watch,
}

if __name__ == "__main__":
    sys.exit(main())
