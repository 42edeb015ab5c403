"""``assistant conversations list|show|export|delete|purge`` and ``assistant feedback list|review``.

These read and write ``<index_dir>/conversations.sqlite3`` only, so they do not load the
embedder or the answer model; ``feedback review`` also opens the index, because it
snapshots the articles behind the eval item it writes (``review.py``). An id may be given
by its first characters (as the lists print it) when they name exactly one.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from ..config import Settings
from ..errors import ConfigError
from .export import conversation_markdown, one_line
from .records import Feedback, Turn
from .review import Decision, review_feedback
from .service import ConversationService
from .store import FILE_NAME


def add_commands(sub) -> list[argparse.ArgumentParser]:
    """The ``conversations`` and ``feedback`` sub-commands; returns their leaf parsers (each
    takes ``--index``)."""
    conversations = sub.add_parser("conversations", help="list, show, export or delete kept ones")
    actions = conversations.add_subparsers(dest="action", required=True)
    leaves = [actions.add_parser("list", help="newest first")]
    for name, text in (("show", "every turn"), ("export", "as Markdown"), ("delete", "for good")):
        leaves.append(actions.add_parser(name, help=text))
        leaves[-1].add_argument("id", help="conversation id (or its first characters)")
    purge = actions.add_parser("purge", help="delete conversations not updated for DAYS days")
    purge.add_argument("--older-than", type=int, help="days (default: conversation_retention_days)")
    feedback = sub.add_parser("feedback", help="readers' ratings: list them, review one")
    steps = feedback.add_subparsers(dest="action", required=True)
    listing = steps.add_parser("list", help="feedback not reviewed yet")
    listing.add_argument("--all", action="store_true", help="reviewed feedback too")
    review = steps.add_parser("review", help="make one feedback item an eval item")
    review.add_argument("id", help="feedback id (or its first characters)")
    review.add_argument(
        "--decision", help="quote:N (retrieved chunk N answers it), decline, discard"
    )
    review.add_argument("--answer", help="with quote:N: the gold answer inside chunk N")
    return [*leaves, purge, listing, review]


def main(args, settings: Settings, open_assistant: Callable[[], object]) -> int:
    """Run one sub-command; ``open_assistant`` builds the Assistant (review needs the index)."""
    path = Path(settings.index_dir) / FILE_NAME
    if not path.is_file():
        raise ConfigError(
            f"expected kept conversations at {path}, got no such file "
            f"(assistant ask and serve keep them there)"
        )
    needs_index = args.command == "feedback" and args.action == "review"
    service = ConversationService(
        open_assistant() if needs_index else None,
        path,
        settings.store_conversations,
        settings.conversation_retention_days,
    )
    if args.command == "feedback":
        return _feedback(service, args, settings)
    return _conversations(service, args, settings)


def _conversations(service: ConversationService, args, settings: Settings) -> int:
    store = service.store
    if args.action == "list":
        for c in service.conversations(limit=1_000_000):
            print(f"{c.id[:12]}  {c.updated[:19]}  {c.turn_count:>3} turns  {one_line(c.title)}")
        return 0
    if args.action == "purge":
        days = settings.conversation_retention_days if args.older_than is None else args.older_than
        if days <= 0 and args.older_than is None:
            print("conversation_retention_days is 0 (keep forever): pass --older-than DAYS")
            return 0
        counts = store.purge(days)
        print(f"purged {_counted(counts)} not updated for {days} days")
        return 0
    conversation_id = store.resolve("conversations", args.id)
    if args.action == "delete":
        print(f"deleted conversation {conversation_id}: {_counted(store.delete(conversation_id))}")
    elif args.action == "export":
        print(
            conversation_markdown(store.conversation(conversation_id), store.turns(conversation_id))
        )
    else:
        for turn in store.turns(conversation_id):
            print("\n".join(turn_lines(turn)) + "\n")
    return 0


def _feedback(service: ConversationService, args, settings: Settings) -> int:
    store = service.store
    if args.action == "list":
        for feedback in store.feedback(include_reviewed=args.all):
            print("\n".join(feedback_lines(feedback, store.turn(feedback.turn_id))) + "\n")
        return 0
    if not args.decision:
        raise ConfigError("expected --decision quote:N, decline or discard, got none")
    decision = Decision.parse(args.decision)
    feedback_id = store.resolve("feedback", args.id)
    review = review_feedback(service, feedback_id, decision, settings.evals_dir, args.answer)
    items = Path(settings.evals_dir) / "feedback" / "items.jsonl"
    if review.item is None:
        print(f"feedback {feedback_id[:12]} discarded (no eval item)")
        return 0
    done = "wrote" if review.appended else "found (already there)"
    print(
        f"feedback {feedback_id[:12]} reviewed as {decision}: {done} eval item "
        f"{review.item['id']} in {items}; corpus: {len(review.articles)} article(s)"
    )
    for article_id in review.missing:
        print(f"  left out retrieved article {article_id}: the index no longer holds it")
    return 0


def turn_lines(turn: Turn) -> list[str]:
    """A stored turn for a terminal: question, answer, sources, feedback."""
    lines = [f"[{turn.n}] {one_line(turn.question)}   (turn {turn.id[:12]}, {turn.created[:19]})"]
    lines += ["    " + line for line in turn.text.splitlines() if line.strip()]
    for c in turn.answer.get("citations", ()):
        meta = ", ".join(x for x in (c.get("source"), c.get("published")) if x)
        lines.append(f"    [{c['n']}] {c['title']}" + (f" ({meta})" if meta else ""))
        lines.append(f"        “{one_line(c.get('quote', ''))}”")
    for f in turn.feedback:
        lines.append(
            f"    feedback {f.id[:12]}: {f.rating}" + (f", {f.comment!r}" if f.comment else "")
        )
    return lines


def feedback_lines(feedback: Feedback, turn: Turn) -> list[str]:
    """One feedback item for review: the rating, the question, the answer, its sources and
    every retrieved chunk (``quote:N`` may name any of them)."""
    about = [f"on [{feedback.citation}]" if feedback.citation else "", feedback.reason]
    head = f"{feedback.id[:12]}  {feedback.rating}  {feedback.created[:19]}  " + " ".join(
        x for x in about if x
    )
    if feedback.decision:
        head += f"  reviewed: {feedback.decision}" + (
            f" -> {feedback.eval_item}" if feedback.eval_item else ""
        )
    lines = [head.rstrip()]
    if feedback.comment:
        lines.append(f"  comment: {one_line(feedback.comment)}")
    if turn.trace_id:  # the spans of this answer in the configured trace backend
        lines.append(f"  trace: {turn.trace_id}")
    lines += turn_lines(turn)[: -len(turn.feedback) or None]
    retrieved = turn.answer.get("retrieved", ())
    lines += [f"    retrieved {r['rank']}: {r['title']} ({r['article_id']})" for r in retrieved]
    return lines


def _counted(counts: dict[str, int]) -> str:
    return ", ".join(f"{v} {k}" for k, v in counts.items())
