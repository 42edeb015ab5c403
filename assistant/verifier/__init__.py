"""The verifier: does this sentence say what the question asks? (question and sentence read
together; see ``assistant/verifier/model.py``)."""
