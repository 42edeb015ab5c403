"""What every door accepts, as JSON Schema for its document, and the one check made at the door.

The HTTP APIs (``api.py``, ``openai_api.py``) and the MCP tools (``mcp.py``) declare the same
values in their schemas: a question that is not blank and at most ``max_question_chars``
characters, a language ``de``/``en``, days as YYYY-MM-DD (blank: none), ``top_k`` 0-100.
They are declared (``json_schema_extra``), not enforced by the models: the values are checked
where every channel's request is checked (``Filters.parse``, ``dates.parse_as_of``, the
answer chain), so each mistake has one message whichever door it came through.

The one check made here, ``checked_length``: the chain counts a question's characters after
collapsing whitespace, which no JSON Schema can say, so a door counts what ``maxLength``
counts, the text as sent (same message as the chain's).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BeforeValidator
from pydantic.json_schema import JsonDict

from ..errors import QuestionError

MAX_QUESTION = "max_question_chars"  # the setting ``openapi.apply_settings`` fills in
# Python's whitespace (str.isspace: what split() and strip() remove), spelled out: ``\s`` is
# another set in each regex dialect (ECMA 262 lacks \x1c-\x1f and \x85, has \ufeff), so a
# validator would take "\x1d" as a question that the chain finds blank.
SPACE = r"\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
NOT_BLANK = f"[^{SPACE}]"
BLANK = f"^[{SPACE}]*$"
QUESTION: JsonDict = {
    "minLength": 1,
    "maxLength": 2000,
    "pattern": NOT_BLANK,
    "x-setting": MAX_QUESTION,
}
# Filters.parse: strip, lower
LANGUAGE: JsonDict = {"pattern": f"^[{SPACE}]*([dD][eE]|[eE][nN])?[{SPACE}]*$"}
DAY: JsonDict = {  # YYYY-MM-DD, or blank for none (Filters.parse, dates.parse_as_of)
    "anyOf": [
        {"type": "string", "format": "date"},
        {"type": "string", "pattern": BLANK},
        {"type": "null"},
    ]
}
TOP_K: JsonDict = {"minimum": 0, "maximum": 100}


def _whole(value):
    """JSON has one number type: 3.0 is the integer 3 (as JSON Schema counts it)."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


WholeNumber = Annotated[int, BeforeValidator(_whole)]  # strict models: no "3", no true


def question_schema(limit: int) -> JsonDict:
    """QUESTION with the configured limit (for schemas built per server, like MCP's)."""
    return {**QUESTION, "maxLength": limit}


def checked_length(text: str, limit: int, where: str = "") -> str:
    """``text`` when it is at most ``limit`` characters as sent; else the chain's message."""
    if len(text) > limit:
        raise QuestionError(
            f"expected a question of at most {limit} characters{where}, got {len(text)}"
        )
    return text
