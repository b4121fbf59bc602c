"""`POST /v1/ask/stream`: progress, then verified quotes, then exactly the `/v1/ask` body."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from app.api.main import create_app
from app.config import Settings
from app.engine import Engine
from tests.live_server import serve

ANSWERED = "How many Wagner personnel does the U.S. estimate are deployed in Ukraine?"
DECLINED = "How many Wagner fighters died in Mali?"
Event = tuple[str, dict[str, Any]]


def parse_sse(body: str) -> list[Event]:
    events: list[Event] = []
    for block in body.split("\n\n"):
        if not block.strip():
            continue
        fields = dict(line.split(": ", 1) for line in block.split("\n"))
        events.append((fields["event"], json.loads(fields["data"])))
    return events


def stream(client: TestClient, body: dict[str, Any]) -> list[Event]:
    r = client.post("/v1/ask/stream", json=body)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/event-stream")
    return parse_sse(r.text)


def _check_order(events: list[Event]) -> dict[str, Any]:
    names = [name for name, _ in events]
    assert events[0] == ("progress", {"stage": "retrieving"})
    assert events[1][0] == "progress" and events[1][1]["stage"] == "judging"
    assert events[1][1]["passages"] > 0 and events[1][1]["sources"] > 0
    assert names[-1] == "answer" and names.count("answer") == 1
    assert set(names[2:-1]) <= {"quote"}
    answer = events[-1][1]
    assert [data for name, data in events if name == "quote"] == answer["citations"]
    return answer


@pytest.mark.parametrize("question", [ANSWERED, DECLINED])
def test_stream_ends_with_exactly_the_ask_body(client: TestClient, question: str) -> None:
    answer = _check_order(stream(client, {"question": question}))
    assert answer == client.post("/v1/ask", json={"question": question}).json()


def test_streamed_quotes_are_verbatim(client: TestClient) -> None:
    events = stream(client, {"question": ANSWERED})
    quotes = [data for name, data in events if name == "quote"]
    assert quotes and events[-1][1]["status"] == "answered"
    for q in quotes:
        text = client.get(f"/v1/sources/{q['source_id']}").json()["text"]
        assert text[q["start"] : q["end"]] == q["quote"]


def test_decline_streams_related_evidence_marked_as_such(client: TestClient) -> None:
    answer = _check_order(stream(client, {"question": DECLINED}))
    assert answer["status"] == "declined" and answer["decline_reason"] == "figure_not_in_corpus"
    assert all(c["related_only"] for c in answer["citations"])


def test_history_and_filters_are_honoured(client: TestClient) -> None:
    body = {
        "question": "What did he say about North Korea?",
        "history": [
            {"role": "user", "content": "What did John Kirby say about Wagner's personnel?"},
            {"role": "assistant", "content": "One source addresses this."},
        ],
        "filters": {"source_ids": ["002_bdaf77c2435e2623"]},
    }
    answer = _check_order(stream(client, body))
    assert answer == client.post("/v1/ask", json=body).json()


def test_answer_is_stored_in_the_conversation(client: TestClient) -> None:
    conversation = client.post("/v1/conversations", json={}).json()
    events = stream(client, {"question": ANSWERED, "conversation_id": conversation["id"]})
    stored = client.get(f"/v1/conversations/{conversation['id']}").json()
    assert stored["title"] == ANSWERED
    assert [t["question"] for t in stored["turns"]] == [ANSWERED]
    assert stored["turns"][0]["response"] == events[-1][1]


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({}, "question"),
        ({"question": "  "}, "empty"),
        ({"question": "x" * 2001}, "2000"),
        ({"question": "ok", "extra": 1}, "extra"),
        ({"question": "ok", "filters": {"source_ids": ["nope"]}}, "unknown source_ids"),
        ({"question": "ok", "history": [{"role": "system", "content": "x"}]}, "role"),
        ({"question": "ok", "conversation_id": "nope"}, "conversation"),
    ],
)
def test_bad_input_is_refused_before_the_stream(
    client: TestClient, body: dict[str, Any], says: str
) -> None:
    r = client.post("/v1/ask/stream", json=body)
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/json")
    assert says in r.json()["detail"]


def test_events_arrive_over_real_http(settings: Settings, engine: Engine) -> None:
    with serve(create_app(settings, engine)) as base:
        chunks: list[str] = []
        with httpx.stream(
            "POST", f"{base}/v1/ask/stream", json={"question": ANSWERED}, timeout=60
        ) as r:
            assert r.status_code == 200
            assert r.headers["cache-control"] == "no-store"
            chunks.extend(r.iter_text())
    _check_order(parse_sse("".join(chunks)))
