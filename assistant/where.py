"""Filters as the vector store sees them: Chroma's ``where`` clause, and the same test on
one row's metadata (``allows``), so a filtered search can filter the nearest rows itself
instead of making local Chroma read every row's metadata (docs/scaling.md)."""

from __future__ import annotations

from .records import Filters


def published_day(iso_date: str) -> int:
    """``2024-10-25`` -> 20241025; 0 when unknown (filters compare integers)."""
    return int(iso_date.replace("-", "")) if iso_date else 0


def chroma_where(filters: Filters) -> dict | None:
    """The Chroma ``where`` clause for ``filters``, or None for no restriction."""
    clauses: list[dict] = []
    if filters.language:
        clauses.append({"language": filters.language})
    if filters.source:
        clauses.append({"source": filters.source})
    if filters.published_from or filters.published_to:
        clauses.append({"published_day": {"$gt": 0}})  # undated articles match no date
    if filters.published_from:
        clauses.append(
            {"published_day": {"$gte": published_day(filters.published_from.isoformat())}}
        )
    if filters.published_to:
        clauses.append({"published_day": {"$lte": published_day(filters.published_to.isoformat())}})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def allows(filters: Filters, meta: dict) -> bool:
    """What ``chroma_where(filters)`` says of one row, from its metadata."""
    day = int(meta.get("published_day") or 0)
    start, end = filters.published_from, filters.published_to
    return (
        (not filters.language or meta.get("language") == filters.language)
        and (not filters.source or meta.get("source") == filters.source)
        and (not (start or end) or day > 0)
        and (not start or day >= published_day(start.isoformat()))
        and (not end or day <= published_day(end.isoformat()))
    )


def pick_rows(rows: dict, keep: list[int]) -> dict:
    """The rows of a one-query result at the positions ``keep``."""
    return {
        key: [[rows[key][0][k] for k in keep]]
        for key in ("ids", "documents", "metadatas", "distances")
        if rows.get(key) is not None
    }
