"""Evidence: what the question asks for, the signals, the fitted answer model, the ranker.

``types`` (answer types and typed spans), ``features`` (named signals), ``model`` (the
versioned weights file), ``rank`` (chunks, sentences and the answer decision), and the
fitting tools ``collect``, ``cv`` and ``fit`` (``python -m assistant.evidence.fit``).
"""
