"""Conversations kept in SQLite, and their exports: Markdown with footnotes, a JSON audit bundle.

A turn stores the verified answer exactly as it was sent, with the sha256 of each cited source's
text at that moment, so an export can be re-verified later even if the corpus has changed since.
One short-lived connection per operation keeps the store safe to use from the server's threads.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.schemas import AskResponse, Citation, DeclineReason

SCHEMA_VERSION = 1
TITLE_CHARS = 80
AUDIT_FORMAT = "verbatim-audit/1"
# The decline reasons in plain words; the page says the same.
DECLINE_WORDS: dict[DeclineReason, str] = {
    "out_of_scope": "outside what the corpus covers",
    "speculation_requested": "asks for a guess or estimate",
    "figure_not_in_corpus": "no source states this figure",
    "no_evidence": "the sources do not answer this",
}
_SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    touched INTEGER NOT NULL  -- orders "most recently used" exactly; timestamps can tie
);
CREATE TABLE IF NOT EXISTS turns (
    conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    question TEXT NOT NULL,
    response TEXT NOT NULL,
    source_sha256 TEXT NOT NULL,
    asked_at TEXT NOT NULL,
    PRIMARY KEY (conversation_id, position)
);
"""
_NEXT_TOUCH = "(SELECT COALESCE(MAX(touched), 0) + 1 FROM conversations)"


class ConversationNotFound(KeyError):
    pass


@dataclass(frozen=True)
class Turn:
    position: int  # 1 for the first question
    question: str
    response: AskResponse
    source_sha256: dict[str, str]  # cited source id -> sha256 of its text when answered
    asked_at: str


@dataclass(frozen=True)
class Conversation:
    id: str
    title: str
    created_at: str
    updated_at: str
    turn_count: int
    turns: tuple[Turn, ...] = ()  # filled only when one conversation is read whole


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def title_from(question: str) -> str:
    words = " ".join(question.split())
    return words if len(words) <= TITLE_CHARS else words[: TITLE_CHARS - 1].rstrip() + "…"


class ConversationStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            # WAL lets a reader list conversations while a turn is being written.
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(_SCHEMA)
            db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        with closing(sqlite3.connect(self.path, timeout=10, isolation_level=None)) as db:
            db.row_factory = sqlite3.Row
            db.execute("PRAGMA foreign_keys=ON")
            yield db

    def create(self, title: str | None = None) -> Conversation:
        now = _now()
        conversation = Conversation(uuid.uuid4().hex, (title or "").strip(), now, now, 0)
        with self._connect() as db:
            db.execute(
                "INSERT INTO conversations (id, title, created_at, updated_at, touched) "
                f"VALUES (?, ?, ?, ?, {_NEXT_TOUCH})",
                (conversation.id, conversation.title, now, now),
            )
        return conversation

    def exists(self, conversation_id: str) -> bool:
        with self._connect() as db:
            row = db.execute("SELECT 1 FROM conversations WHERE id = ?", (conversation_id,))
            return row.fetchone() is not None

    def recent(self) -> list[Conversation]:
        """Most recently used first."""
        with self._connect() as db:
            rows = db.execute(
                "SELECT c.*, (SELECT COUNT(*) FROM turns t WHERE t.conversation_id = c.id) AS n "
                "FROM conversations c ORDER BY c.touched DESC"
            ).fetchall()
        return [_conversation(r, r["n"]) for r in rows]

    def get(self, conversation_id: str) -> Conversation:
        with self._connect() as db:
            row = db.execute("SELECT * FROM conversations WHERE id = ?", (conversation_id,))
            found = row.fetchone()
            if found is None:
                raise ConversationNotFound(conversation_id)
            turns = db.execute(
                "SELECT * FROM turns WHERE conversation_id = ? ORDER BY position",
                (conversation_id,),
            ).fetchall()
        loaded = tuple(_turn(t) for t in turns)
        return _conversation(found, len(loaded), loaded)

    def append(
        self, conversation_id: str, question: str, response: AskResponse, sha256: dict[str, str]
    ) -> Turn:
        """Add a question and its verified answer; the first question titles an untitled one."""
        turn_time = _now()
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")  # the next position is read and written atomically
            try:
                row = db.execute(
                    "SELECT title FROM conversations WHERE id = ?", (conversation_id,)
                ).fetchone()
                if row is None:
                    raise ConversationNotFound(conversation_id)
                (last,) = db.execute(
                    "SELECT COALESCE(MAX(position), 0) FROM turns WHERE conversation_id = ?",
                    (conversation_id,),
                ).fetchone()
                turn = Turn(last + 1, question, response, sha256, turn_time)
                db.execute(
                    "INSERT INTO turns VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        conversation_id,
                        turn.position,
                        question,
                        response.model_dump_json(),
                        json.dumps(sha256, sort_keys=True),
                        turn_time,
                    ),
                )
                db.execute(
                    "UPDATE conversations SET updated_at = ?, title = ?, "
                    f"touched = {_NEXT_TOUCH} WHERE id = ?",
                    (turn_time, row["title"] or title_from(question), conversation_id),
                )
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        return turn

    def delete(self, conversation_id: str) -> None:
        with self._connect() as db:
            gone = db.execute("DELETE FROM conversations WHERE id = ?", (conversation_id,))
            if gone.rowcount == 0:
                raise ConversationNotFound(conversation_id)


def _conversation(row: sqlite3.Row, count: int, turns: tuple[Turn, ...] = ()) -> Conversation:
    return Conversation(row["id"], row["title"], row["created_at"], row["updated_at"], count, turns)


def _turn(row: sqlite3.Row) -> Turn:
    return Turn(
        position=row["position"],
        question=row["question"],
        response=AskResponse.model_validate_json(row["response"]),
        source_sha256=json.loads(row["source_sha256"]),
        asked_at=row["asked_at"],
    )


# --- Exports -------------------------------------------------------------------------------


def footnote(c: Citation, label: str) -> str:
    """A Markdown footnote definition: where the quote comes from, exactly."""
    published = c.published or "date not stated"
    outlet = c.outlet or "outlet not stated"
    where = f"<{c.url}>" if c.url else "URL not stated"
    note = "; related, does not answer" if c.related_only else ""
    title = " ".join((c.title or c.source_id).split())
    return (
        f"[^{label}]: {title}. {outlet}, {published}, {where}. "
        f"Source `{c.source_id}`, characters {c.start}–{c.end}{note}."
    )


def footnoted(response: AskResponse, prefix: str = "") -> tuple[str, list[str]]:
    """The answer with each `“quote” [n]` marker turned into a footnote reference, and the notes.

    Only a marker right after its own quote is replaced: a source may itself contain "[1]".
    """
    body = response.answer
    notes = []
    for c in response.citations:
        label = f"{prefix}{c.n}"
        body = body.replace(f"“{c.quote}” [{c.n}]", f"“{c.quote}” [^{label}]")
        notes.append(footnote(c, label))
    return body, notes


def to_markdown(conversation: Conversation) -> str:
    lines = [
        f"# {conversation.title or 'Untitled conversation'}",
        "",
        f"Exported from Verbatim on {_now()}. Every quote is verbatim from a vetted source; "
        "its footnote names the source and the characters quoted.",
    ]
    for turn in conversation.turns:
        body, notes = footnoted(turn.response, prefix=f"{turn.position}-")
        lines += ["", f"## {' '.join(turn.question.split())}", ""]
        reason = turn.response.decline_reason
        if reason is not None:
            lines += [f"*Declined: {DECLINE_WORDS[reason]}.*", ""]
        lines += [body, "", *notes]
    return "\n".join(lines) + "\n"


def audit_bundle(conversation: Conversation) -> dict[str, Any]:
    """Everything a reader needs to re-check each quote against the sources, independently."""
    return {
        "format": AUDIT_FORMAT,
        "how_to_verify": (
            "For each citation, fetch the source text (GET /v1/sources/{source_id}, field `text`). "
            "Its UTF-8 sha256 must equal `source_sha256` (else the source changed since), and "
            "text[start:end], counted in Unicode code points, must equal `quote`."
        ),
        "conversation": {
            "id": conversation.id,
            "title": conversation.title,
            "created_at": conversation.created_at,
            "updated_at": conversation.updated_at,
        },
        "answers": [
            {
                "turn": t.position,
                "question": t.question,
                "asked_at": t.asked_at,
                "status": t.response.status,
                "decline_reason": t.response.decline_reason,
                "answer": t.response.answer,
                "corpus_version": t.response.corpus_version,
                "citations": [
                    {**c.model_dump(), "source_sha256": t.source_sha256.get(c.source_id)}
                    for c in t.response.citations
                ],
            }
            for t in conversation.turns
        ],
    }
