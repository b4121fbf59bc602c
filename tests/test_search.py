"""`GET /v1/search`: passages by exact phrase or by meaning, each pointing into its source."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient


def _search(client: TestClient, **params: str | int) -> list[dict[str, Any]]:
    r = client.get("/v1/search", params=params)
    assert r.status_code == 200, r.text
    hits: list[dict[str, Any]] = r.json()["hits"]
    return hits


def _source_text(client: TestClient, source_id: str) -> str:
    text: str = client.get(f"/v1/sources/{source_id}").json()["text"]
    return text


def test_phrase_hits_point_at_the_exact_characters(client: TestClient) -> None:
    hits = _search(client, q="nothing more than gossip", mode="phrase")
    assert hits
    for hit in hits:
        text = _source_text(client, hit["source_id"])
        assert text[hit["start"] : hit["end"]] == hit["text"]
        assert text[hit["match_start"] : hit["match_end"]].lower() == "nothing more than gossip"
        assert hit["title"]


def test_phrase_ignores_case_and_curly_quotes(client: TestClient) -> None:
    # The source has "Wagner’s lead" with a curly apostrophe; people type a straight one.
    hits = _search(client, q="WAGNER'S  LEAD", mode="phrase")
    assert len(hits) == 1
    text = _source_text(client, hits[0]["source_id"])
    assert text[hits[0]["match_start"] : hits[0]["match_end"]] == "Wagner’s lead"


def test_phrase_with_no_hit_is_an_empty_list(client: TestClient) -> None:
    assert _search(client, q="sourdough starter", mode="phrase") == []


def test_phrase_is_the_default_mode_and_limit_holds(client: TestClient) -> None:
    r = client.get("/v1/search", params={"q": "Wagner", "limit": 3})
    assert r.json()["mode"] == "phrase" and len(r.json()["hits"]) == 3


def test_meaning_finds_passages_without_the_words(client: TestClient) -> None:
    hits = _search(client, q="arms shipments from Pyongyang", mode="meaning", limit=5)
    assert 1 <= len(hits) <= 5
    assert any("North Korea" in h["text"] for h in hits[:3])
    scores = [h["score"] for h in hits]
    assert scores == sorted(scores, reverse=True)
    for hit in hits:
        assert _source_text(client, hit["source_id"])[hit["start"] : hit["end"]] == hit["text"]


@pytest.mark.parametrize(
    ("params", "says"),
    [
        ({}, "q"),
        ({"q": ""}, "empty"),
        ({"q": "   "}, "empty"),
        ({"q": "x" * 501}, "500"),
        ({"q": "bell\u0007"}, "control"),
        ({"q": "Wagner", "mode": "fuzzy"}, "mode"),
        ({"q": "Wagner", "limit": 0}, "limit"),
        ({"q": "Wagner", "limit": 51}, "limit"),
        ({"q": "Wagner", "limit": "many"}, "limit"),
    ],
)
def test_bad_search_gets_a_clear_422(
    client: TestClient, params: dict[str, str | int], says: str
) -> None:
    r = client.get("/v1/search", params=params)
    assert r.status_code == 422
    detail = r.json()["detail"]
    assert isinstance(detail, str) and says in detail
