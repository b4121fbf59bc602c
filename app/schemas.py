"""The contract's request and response shapes (../shared/CONTRACT.md), validated at the edges."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

DeclineReason = Literal[
    "out_of_scope", "speculation_requested", "figure_not_in_corpus", "no_evidence"
]
# Contract order of precedence: the first that applies is the reason given.
DECLINE_REASONS: tuple[DeclineReason, ...] = (
    "out_of_scope",
    "speculation_requested",
    "figure_not_in_corpus",
    "no_evidence",
)
MAX_QUESTION_CHARS = 2000
MAX_HISTORY = 20
MAX_HISTORY_CHARS = 4000


# The same rule as `_no_control_chars`, stated in the OpenAPI schema so clients and fuzzers know it:
# no control characters but newline and tab, and at least one visible character.
TEXT_PATTERN = r"^[^\x00-\x08\x0B-\x1F\x7F-\x9F]*$"
QUESTION_PATTERN = r"^[^\x00-\x08\x0B-\x1F\x7F-\x9F]*[^\s\x00-\x08\x0B-\x1F\x7F-\x9F][^\x00-\x08\x0B-\x1F\x7F-\x9F]*$"


def _no_control_chars(value: str, field: str) -> str:
    bad = [c for c in value if (ord(c) < 32 and c not in "\n\t") or 0x7F <= ord(c) < 0xA0]
    if bad:
        raise ValueError(f"{field} contains control character U+{ord(bad[0]):04X}")
    return value


class HistoryMessage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Literal["user", "assistant"] = Field(description="Who said it.")
    content: str = Field(
        max_length=MAX_HISTORY_CHARS,
        description="What was said.",
        json_schema_extra={"pattern": TEXT_PATTERN},
    )

    @field_validator("content")
    @classmethod
    def _clean(cls, v: str) -> str:
        return _no_control_chars(v, "history content")


class Filters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    source_ids: list[str] | None = Field(
        default=None, min_length=1, max_length=1000, description="Answer only from these sources."
    )


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(
        description="1 to 2,000 characters after trimming.",
        json_schema_extra={"pattern": QUESTION_PATTERN},
    )
    history: list[HistoryMessage] = Field(
        default_factory=list, max_length=MAX_HISTORY, description="Earlier turns, oldest first."
    )
    filters: Filters | None = Field(default=None, description="Restrict the evidence.")

    @field_validator("question")
    @classmethod
    def _question(cls, v: str) -> str:
        v = v.strip()
        if not v:
            raise ValueError("question is empty")
        if len(v) > MAX_QUESTION_CHARS:
            raise ValueError(f"question is longer than {MAX_QUESTION_CHARS} characters")
        return _no_control_chars(v, "question")


class ErrorBody(BaseModel):
    """Every 4xx and 5xx body: `detail` says what is wrong, in words."""

    detail: str


class Citation(BaseModel):
    n: int = Field(description="The marker [n] in the answer text.")
    source_id: str
    title: str | None
    outlet: str | None
    published: str | None
    url: str | None
    quote: str = Field(description="Exactly text[start:end] of the source.")
    start: int = Field(description="Offset in code points into the source text.")
    end: int
    related_only: bool = Field(description="True when the quote relates but does not answer.")


class AskResponse(BaseModel):
    status: Literal["answered", "declined"]
    answer: str
    citations: list[Citation]
    decline_reason: DeclineReason | None
    corpus_version: str


class SourceSummary(BaseModel):
    id: str
    title: str
    outlet: str | None
    published: str | None
    url: str | None
    notes: str | None
    sha256: str
    chars: int


class SourceDetail(SourceSummary):
    text: str


class SourceList(BaseModel):
    sources: list[SourceSummary]
