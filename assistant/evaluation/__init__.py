"""Evaluation: eval sets, metrics, judges, the runner, reports and the release gate.

Nothing here loads a model or opens a connection at import time.
"""
