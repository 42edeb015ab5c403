"""Answerers draft an answer with ``[n]`` markers from numbered retrieved chunks."""
from .base import DECLINE, Answerer, Draft, make_answerer

__all__ = ["DECLINE", "Answerer", "Draft", "make_answerer"]
