"""Schemathesis hooks for test_api_schema.py: the rules of the API that JSON Schema cannot state.

The document states them in words (field descriptions, docs/api.md) and the server refuses a
request that breaks them with a 400 naming the rule; no schema keyword compares two values,
so a generator that only reads the schema would make such requests and count the 400 as a
"schema-valid request rejected". These hooks keep generated requests inside the rules, and
nothing else: every other refusal must be in the schema itself.

* ``filters.published_from`` on or before ``filters.published_to`` (``Filters``);
* a user message's text parts, joined by spaces, at most ``max_question_chars`` characters
  (each part's ``maxLength`` is stated; their sum cannot be).

Load with ``SCHEMATHESIS_HOOKS=tests/server/schema_hooks.py`` (the test does).
"""

from __future__ import annotations

from datetime import date

import schemathesis

MAX_QUESTION_CHARS = 2000  # the default of the served test app


def day(value) -> date | None:
    """The day a filter value names, or None (blank, not a day, not a string)."""
    try:
        return date.fromisoformat(value.strip()) if isinstance(value, str) else None
    except ValueError:
        return None


def reversed_range(filters) -> bool:
    """True when both days are given and the first is after the second."""
    if not isinstance(filters, dict):
        return False
    start, end = day(filters.get("published_from")), day(filters.get("published_to"))
    return bool(start and end and start > end)


def joined_too_long(messages) -> bool:
    """True when a user message's text parts, joined, pass the question limit."""
    for message in messages if isinstance(messages, list) else ():
        parts = message.get("content") if isinstance(message, dict) else None
        if not isinstance(parts, list) or message.get("role") != "user":
            continue
        texts = [
            p.get("text") or ""
            for p in parts
            if isinstance(p, dict) and p.get("type") == "text" and isinstance(p.get("text"), str)
        ]
        if len(" ".join(texts)) > MAX_QUESTION_CHARS:
            return True
    return False


@schemathesis.hook
def filter_body(context, body) -> bool:
    """Keep bodies inside the rules above."""
    if not isinstance(body, dict):
        return True
    return not reversed_range(body.get("filters")) and not joined_too_long(body.get("messages"))
