"""Answerers draft an answer with ``[n]`` markers from numbered retrieved chunks."""

from ..records import Draft
from .base import DECLINE, Answerer, make_answerer

__all__ = ["DECLINE", "Answerer", "Draft", "make_answerer"]
