"""The research chat in a real headless Chromium (Debian's package), driven by Playwright, against
a real uvicorn server. Each state is saved as a screenshot under tests/artifacts/ to look at."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, Route, expect, sync_playwright

from app.api.main import create_app
from app.config import ROOT, Settings
from app.engine import Engine
from tests.conftest import write_source
from tests.live_server import serve

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = ROOT / "tests" / "artifacts"
WAIT_MS = 60_000  # an answer takes about a second; the machine may be busy with other work
ANSWERED = "How many Wagner personnel does the U.S. estimate are deployed in Ukraine?"
FOLLOW_UP = "What did he say about North Korea?"
DECLINED = "How many Wagner fighters died in Mali?"
expect.set_options(timeout=WAIT_MS)


@pytest.fixture(scope="module")
def base_url(
    settings: Settings, engine: Engine, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    own = settings.model_copy(update={"data_dir": tmp_path_factory.mktemp("page")})
    with serve(create_app(own, engine)) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.is_file():
        pytest.fail("Debian's chromium is not installed: run `make setup`")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def _open(browser: Browser, base_url: str, **context: Any) -> Iterator[Page]:
    """A fresh page that fails the test on a script error or any request off this server."""
    ctx = browser.new_context(base_url=base_url, **context)
    errors: list[str] = []
    elsewhere: list[str] = []

    def only_here(route: Route) -> None:
        if route.request.url.startswith(base_url):
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    ctx.route("**/*", only_here)
    page = ctx.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.set_default_timeout(WAIT_MS)
    yield page
    ctx.close()
    assert errors == [], errors
    assert elsewhere == [], elsewhere


@pytest.fixture
def page(browser: Browser, base_url: str) -> Iterator[Page]:
    yield from _open(browser, base_url, viewport={"width": 1360, "height": 860})


@pytest.fixture(scope="module")
def flour_url(
    settings: Settings, engine: Engine, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The same page serving another corpus: one source that has nothing to do with Wagner."""
    folder = tmp_path_factory.mktemp("flour")
    (folder / "corpus").mkdir()
    write_source(
        folder / "corpus",
        "ledger.md",
        "The depot held 7,300 crates of flour in March 2021.\n",
        "title: The depot's flour ledger",
    )
    own = settings.model_copy(update={"corpus_dir": folder / "corpus", "data_dir": folder / "data"})
    with serve(create_app(own, Engine(own, reader=engine.reader))) as url:
        yield url


@pytest.fixture
def phone(browser: Browser, base_url: str) -> Iterator[Page]:
    yield from _open(
        browser,
        base_url,
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
    )


def _source_text(base_url: str, source_id: str) -> str:
    text: str = httpx.get(f"{base_url}/v1/sources/{source_id}").json()["text"]
    return text


def _ask(page: Page, question: str) -> None:
    before = page.locator("#log article.answer:not(.pending)").count()
    page.get_by_label("Your question").fill(question)
    page.get_by_label("Your question").press("Enter")
    expect(page.locator("#log article.answer:not(.pending)")).to_have_count(before + 1)


def _marked(page: Page) -> str:
    text: str = page.locator("#source-text mark").evaluate_all(
        "marks => marks.map(m => m.textContent).join('')"
    )
    return text


def _offsets(href: str) -> tuple[str, int, int]:
    match = re.fullmatch(r"#source=([^&]+)&start=(\d+)&end=(\d+)", href)
    assert match, href
    return match[1], int(match[2]), int(match[3])


def test_ask_open_citation_follow_up_and_decline(page: Page, base_url: str) -> None:
    page.goto("/")
    expect(page.get_by_role("heading", name="Verbatim")).to_be_visible()

    # A question answered in quotes, each with a numbered chip.
    _ask(page, ANSWERED)
    answer = page.locator("#log article.answer").last
    expect(answer).to_have_attribute("data-status", "answered")
    expect(answer.locator("blockquote.quote").first).to_contain_text("50,000 personnel")
    page.screenshot(path=ARTIFACTS / "01-answer.png")

    # The chip opens the source beside the chat, the quoted characters highlighted.
    chip = answer.locator("a.chip").first
    source_id, start, end = _offsets(chip.get_attribute("href") or "")
    chip.click()
    expect(page.locator("#source-panel")).to_be_visible()
    expect(page.locator("#source-text mark").first).to_be_visible()
    assert _marked(page) == _source_text(base_url, source_id)[start:end]
    expect(page.locator("#source-text p.active mark")).not_to_have_count(0)
    expect(page.locator("#provenance")).to_contain_text("not stated")
    expect(page.locator("#source-link")).to_have_attribute("href", chip.get_attribute("href") or "")
    page.screenshot(path=ARTIFACTS / "02-source.png")

    # A follow-up is sent with the earlier turn as history, in the same conversation.
    first_answer = answer.get_attribute("data-status")
    with page.expect_request("**/v1/ask/stream") as sent:
        _ask(page, FOLLOW_UP)
    body = sent.value.post_data_json
    assert body is not None
    assert [m["role"] for m in body["history"]] == ["user", "assistant"]
    assert body["history"][0]["content"] == ANSWERED and first_answer == "answered"
    assert body["conversation_id"]
    expect(page.locator("#log .question")).to_contain_text([ANSWERED, FOLLOW_UP])
    page.screenshot(path=ARTIFACTS / "03-follow-up.png")

    # A decline looks different: its reason in words, related evidence marked as such.
    _ask(page, DECLINED)
    declined = page.locator("#log article.answer").last
    expect(declined).to_have_class(re.compile(r"\bdeclined\b"))
    expect(declined.locator(".badge")).to_have_text("Declined: no source states this figure")
    related = declined.locator("blockquote.quote.related")
    expect(related.first.locator(".related-tag")).to_have_text("related, does not answer")
    expect(page.locator("#conversation-list li.current")).to_contain_text("3 questions")
    page.screenshot(path=ARTIFACTS / "04-decline.png", full_page=True)


def test_a_shared_link_opens_the_source_at_the_characters(page: Page, base_url: str) -> None:
    source_id = "002_bdaf77c2435e2623"
    text = _source_text(base_url, source_id)
    start = text.index("Kirby said the United States estimates")
    end = text.index("Russian prisons.", start) + len("Russian prisons.")
    page.goto(f"/#source={source_id}&start={start}&end={end}")
    expect(page.locator("#source-text mark").first).to_be_visible()
    assert _marked(page) == text[start:end]
    expect(page.locator("#highlight-note")).to_have_text(
        f"Characters {start}–{end} are highlighted."
    )

    page.goto(f"/#source={source_id}&start=5&end={len(text) + 10}")  # past the end: no highlight
    expect(page.locator("#highlight-note")).to_contain_text("not within this source")
    expect(page.locator("#source-text mark")).to_have_count(0)

    page.goto("/#source=no-such-source&start=0&end=4")
    expect(page.locator("#error")).to_contain_text("unknown source id")


def test_sources_view_and_search(page: Page, base_url: str) -> None:
    page.goto("/")
    page.get_by_role("button", name="Sources & search").click()
    expect(page.locator("#source-list li")).to_have_count(3)
    expect(page.locator("#source-list")).to_contain_text("not stated")

    page.get_by_label("Find passages").fill("NOTHING more than gossip")
    page.get_by_label("Exact phrase").check()
    page.get_by_role("button", name="Search", exact=True).click()
    hit = page.locator("#search-results li").first
    expect(hit.locator("mark")).to_have_text("nothing more than gossip")
    link = hit.get_by_role("link")
    source_id, start, end = _offsets(link.get_attribute("href") or "")
    link.click()
    expect(page.locator("#source-text mark").first).to_be_visible()
    assert (
        _marked(page) == _source_text(base_url, source_id)[start:end] == "nothing more than gossip"
    )
    page.screenshot(path=ARTIFACTS / "05-search-phrase.png")

    page.get_by_label("By meaning").check()
    page.get_by_label("Find passages").fill("arms shipments from Pyongyang")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.locator("#search-status")).to_contain_text("closest in meaning")
    expect(page.locator("#search-results")).to_contain_text("North Korea")
    page.screenshot(path=ARTIFACTS / "06-search-meaning.png")


def test_conversations_reopen_and_delete(page: Page, base_url: str) -> None:
    made = httpx.post(f"{base_url}/v1/conversations", json={"title": "Kept for reopening"}).json()
    r = httpx.post(
        f"{base_url}/v1/ask/stream",
        json={"question": ANSWERED, "conversation_id": made["id"]},
        timeout=WAIT_MS / 1000,
    )
    assert r.status_code == 200
    page.goto("/")
    entry = page.locator(f'#conversation-list li[data-id="{made["id"]}"]')
    entry.get_by_role("button", name=re.compile("^Kept for reopening")).click()
    expect(page.locator("#chat-heading")).to_have_text("Kept for reopening")
    expect(page.locator("#log .question")).to_contain_text([ANSWERED])
    expect(page.locator("#log article.answer")).to_have_attribute("data-status", "answered")
    expect(page.locator("#export-md")).to_have_attribute(
        "href", f"/v1/conversations/{made['id']}/export.md"
    )
    page.screenshot(path=ARTIFACTS / "07-reopened.png")

    page.once("dialog", lambda dialog: dialog.accept())
    entry.get_by_role("button", name="Delete “Kept for reopening”").click()
    expect(entry).to_have_count(0)
    expect(page.locator("#chat-heading")).to_have_text("New conversation")
    assert httpx.get(f"{base_url}/v1/conversations/{made['id']}").status_code == 404


def test_keyboard_only(page: Page) -> None:
    page.goto("/")
    page.keyboard.press("Tab")
    expect(page.locator(".skip")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_label("Your question")).to_be_focused()
    page.keyboard.type(ANSWERED)
    page.keyboard.press("Enter")
    expect(page.locator("#log article.answer:not(.pending)")).to_have_count(1)
    for _ in range(12):  # back from the question box to the nearest citation chip
        page.keyboard.press("Shift+Tab")
        if page.evaluate("document.activeElement.classList.contains('chip')"):
            break
    chip = page.locator("a.chip:focus")
    expect(chip).to_have_count(1)
    page.keyboard.press("Enter")
    expect(page.locator("#source-title")).to_be_focused()
    expect(page.locator("#source-text mark").first).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("#source-panel")).to_be_hidden()
    expect(chip).to_be_focused()


def test_every_field_has_a_label_and_text_has_contrast(page: Page) -> None:
    page.goto("/")
    _ask(page, DECLINED)
    unlabelled = page.evaluate(
        """() => [...document.querySelectorAll('input, textarea, select, button')]
              .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')
                           && !e.textContent.trim())
              .map(e => e.outerHTML)"""
    )
    assert unlabelled == []
    pairs = page.evaluate(
        r"""() => {
          const bg = (e) => {
            for (; e; e = e.parentElement) {
              const c = getComputedStyle(e).backgroundColor;
              if (c && !/^rgba\(.*,\s*0\)$/.test(c) && c !== 'transparent') return c;
            }
            return 'rgb(255, 255, 255)';
          };
          return [...document.querySelectorAll('body *')]
            .filter(e => e.offsetParent !== null && [...e.childNodes].some(
              n => n.nodeType === 3 && n.textContent.trim()))
            .map(e => [e.tagName + '.' + e.className, getComputedStyle(e).color, bg(e)]);
        }"""
    )
    assert len(pairs) > 20
    low = [(what, fg, bg) for what, fg, bg in pairs if _contrast(fg, bg) < 4.5]
    assert low == []


def _contrast(fg: str, bg: str) -> float:
    def luminance(css: str) -> float:
        channels = [int(v) / 255 for v in re.findall(r"\d+", css)[:3]]
        lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    hi, lo = sorted((luminance(fg), luminance(bg)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_works_on_a_phone(phone: Page, base_url: str) -> None:
    phone.goto("/")
    _ask(phone, ANSWERED)
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, "the page scrolls sideways on a phone"
    phone.screenshot(path=ARTIFACTS / "08-phone-answer.png")
    phone.locator("a.chip").first.tap()
    panel = phone.locator("#source-panel")
    expect(panel).to_be_visible()
    box = panel.bounding_box()
    assert box is not None and box["width"] == 390  # the source covers the screen
    expect(phone.get_by_role("button", name="Close source")).to_be_visible()
    expect(phone.locator("#source-text mark").first).to_be_in_viewport()
    phone.screenshot(path=ARTIFACTS / "09-phone-source.png")
    phone.get_by_role("button", name="Close source").tap()
    expect(panel).to_be_hidden()
    toggle = phone.locator("#toggle-conversations")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    toggle.tap()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(phone.locator("#conversation-list li").first).to_be_visible()


def test_the_question_box_suggests_whatever_corpus_is_loaded(
    browser: Browser, base_url: str, flour_url: str
) -> None:
    # Nothing about one corpus is written into the page itself.
    for static in ("/", "/static/app.js"):
        assert "Wagner" not in httpx.get(f"{base_url}{static}").text, static
    opened = contextmanager(_open)
    for url in (base_url, flour_url):
        sources = httpx.get(f"{url}/v1/sources").json()["sources"]
        with opened(browser, url, viewport={"width": 1360, "height": 860}) as page:
            page.goto("/")
            box = page.get_by_label("Your question")
            expect(box).to_have_attribute("placeholder", re.compile("such as"))
            hint = box.get_attribute("placeholder") or ""
            assert sources[0]["title"][:40] in hint, hint
            if url == flour_url:
                assert hint == "Ask about the 1 source, such as “The depot's flour ledger”"
                assert "Wagner" not in hint


def test_a_quote_that_opens_with_its_own_mark_shows_one(page: Page, base_url: str) -> None:
    """The source's sentence “It seems ... is quoted with one opening mark, not two."""
    source_id = "002_bdaf77c2435e2623"
    text = _source_text(base_url, source_id)
    sentence = (
        "“It seems that Mr. Prigozhin is willing to throw Russian corpses into "
        "Bakhmut’s meat grinder."
    )
    whole_end = text.index("Kirby said.", text.index(sentence)) + len("Kirby said.")
    plain = "Kirby said the United States estimates that Wagner currently has about 50,000"
    quotes = [
        sentence,  # opens with the source's mark, which it does not close
        text[text.index(sentence) : whole_end],  # ... Criminals,” Kirby said.
        text[text.index(plain) : text.index("Russian prisons.") + len("Russian prisons.")],
    ]
    citations = []
    for n, quote in enumerate(quotes, 1):
        start = text.index(quote)
        citations.append(
            {
                "n": n,
                "source_id": source_id,
                "title": "t",
                "outlet": None,
                "published": None,
                "url": None,
                "quote": quote,
                "start": start,
                "end": start + len(quote),
                "related_only": False,
            }
        )
    answer = "Three quotes address this: " + " ".join(
        f"“{c['quote']}” [{c['n']}]" for c in citations
    )
    response = {
        "status": "answered",
        "answer": answer,
        "citations": citations,
        "decline_reason": None,
        "corpus_version": "v",
    }
    events = [("quote", c) for c in citations] + [("answer", response)]
    # The answer arrives as the stream sends it (the contract's shape, the source's real offsets);
    # which sentence the engine picks for a question is not what this test is about.
    page.route(
        "**/v1/ask/stream",
        lambda route: route.fulfill(
            status=200,
            headers={"content-type": "text/event-stream"},
            body="".join(f"event: {e}\ndata: {json.dumps(d)}\n\n" for e, d in events),
        ),
    )
    page.goto("/")
    _ask(page, "What did Kirby say about Prigozhin?")
    shown = page.locator("#log article.answer blockquote.quote p").evaluate_all(
        "ps => ps.map(p => p.firstChild.textContent)"
    )
    assert shown == [f"{sentence}”", quotes[1], f"“{quotes[2]}”"]
    assert not any(q.startswith("““") for q in shown)
    page.screenshot(path=ARTIFACTS / "10-own-quotation-marks.png")


def test_a_long_conversation_title_keeps_to_one_line(page: Page, base_url: str) -> None:
    title = (
        "How many Wagner personnel does the U.S. estimate are deployed in Ukraine, and how many "
        "of them were recruited from Russian prisons?"
    )
    made = httpx.post(f"{base_url}/v1/conversations", json={"title": title}).json()
    r = httpx.post(
        f"{base_url}/v1/ask/stream",
        json={"question": ANSWERED, "conversation_id": made["id"]},
        timeout=WAIT_MS / 1000,
    )
    assert r.status_code == 200
    page.goto("/")
    entry = page.locator(f'#conversation-list li[data-id="{made["id"]}"]')
    button = entry.locator("button.open")
    expect(button).to_contain_text(title)
    measured = button.evaluate(
        """b => {
          const style = getComputedStyle(b);
          const text = b.firstElementChild || b;
          return {
            content: b.clientHeight - parseFloat(style.paddingTop) - parseFloat(style.paddingBottom),
            line: parseFloat(getComputedStyle(text).lineHeight),
            cut: text.scrollWidth > text.clientWidth,
            overflow: getComputedStyle(text).textOverflow,
          };
        }"""
    )
    assert measured["content"] < 1.5 * measured["line"], measured  # one line, not one word a line
    assert measured["cut"] and measured["overflow"] == "ellipsis", measured
    expect(button).to_have_attribute("title", title)  # whole on hover
    height = entry.evaluate("e => e.getBoundingClientRect().height")
    assert height < 6 * measured["line"], height  # title, then count and Delete: two short rows
    page.screenshot(path=ARTIFACTS / "11-long-title.png")
