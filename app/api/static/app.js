// Verbatim's research chat: plain JavaScript, no network beyond this server.
// Everything from the server is inserted as text (never as HTML): sources are data, not markup.
"use strict";

const MAX_HISTORY = 20; // the contract's limits on `history`
const MAX_HISTORY_CHARS = 4000;

// The decline reasons in plain words (app/conversations.py says the same in exports).
const DECLINE_WORDS = {
  out_of_scope: "outside what the corpus covers",
  speculation_requested: "asks for a guess or estimate",
  figure_not_in_corpus: "no source states this figure",
  no_evidence: "the sources do not answer this",
};

const state = {
  conversationId: null, // the stored conversation the next question goes to
  turns: [], // [{question, response}] of the conversation on screen
  sources: new Map(), // id -> full source, fetched once
  returnFocus: null, // where focus goes back when the source panel closes
  busy: false,
};

const $ = (id) => document.getElementById(id);
const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children) {
    if (child !== null && child !== undefined) node.append(child);
  }
  return node;
}

async function api(path, options = {}) {
  const response = await fetch(path, options);
  if (!response.ok) throw new Error(await problem(response));
  return response.status === 204 ? null : response.json();
}

async function problem(response) {
  try {
    const body = await response.json();
    return typeof body.detail === "string" ? body.detail : `request failed (${response.status})`;
  } catch {
    return `request failed (${response.status})`;
  }
}

function showError(message) {
  const box = $("error");
  box.textContent = message || "";
  box.hidden = !message;
}

// --- Offsets: the API counts Unicode code points; JavaScript strings count UTF-16 units. ---

function utf16Index(text, codePoints) {
  let i = 0;
  for (let n = 0; n < codePoints && i < text.length; n += 1) {
    i += text.codePointAt(i) > 0xffff ? 2 : 1;
  }
  return i;
}

function codePointLength(text) {
  let n = 0;
  for (const _ of text) n += 1;
  return n;
}

function sourceLink(sourceId, start, end) {
  const params = new URLSearchParams({ source: sourceId });
  if (start !== undefined && end !== undefined) {
    params.set("start", String(start));
    params.set("end", String(end));
  }
  return `#${params.toString()}`;
}

// --- Rendering answers ---

function chip(citation) {
  const where = citation.title || citation.source_id;
  return el("a", {
    class: "chip",
    href: sourceLink(citation.source_id, citation.start, citation.end),
    "aria-label": `Citation ${citation.n}: open ${where} at the quoted characters`,
    "data-n": citation.n,
    text: String(citation.n),
  });
}

// A quote is set in curly double marks, counting those of the source: one that opens with its own
// mark gets no second one (“It seems …, not ““It seems …), and ours closes only what is left open.
function quoted(text) {
  const count = (marks) => (text.match(marks) || []).length;
  const lead = /^[“„"]/.test(text) ? "" : "“";
  const open = count(/[“„]/g) + (lead ? 1 : 0) > count(/”/g) || count(/"/g) % 2 === 1;
  return `${lead}${text}${open ? "”" : ""}`;
}

function quoteBlock(citation) {
  const block = el("blockquote", {
    class: citation.related_only ? "quote related" : "quote",
    "data-source": citation.source_id,
    "data-start": citation.start,
    "data-end": citation.end,
  });
  if (citation.related_only) {
    block.append(el("span", { class: "related-tag", text: "related, does not answer" }));
  }
  block.append(el("p", {}, quoted(citation.quote), chip(citation)));
  return block;
}

function paragraphs(text) {
  return text
    .split(/\n{2,}/)
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => el("p", { text: part }));
}

function stated(value) {
  return value === null || value === undefined || value === "" ? "not stated" : value;
}

function citeList(citations) {
  const list = el("ol", { class: "cite-list", "aria-label": "Citations" });
  for (const c of citations) {
    const item = el("li", { value: c.n });
    item.append(
      el("a", { href: sourceLink(c.source_id, c.start, c.end), text: c.title || c.source_id }),
      ` — outlet ${stated(c.outlet)}, published ${stated(c.published)}, characters ${c.start}–${c.end}`,
      c.related_only ? " (related, does not answer)" : "",
    );
    list.append(item);
  }
  return list;
}

// The answer text holds each quote as “quote” [n]; it is laid out as framing and quote blocks.
function renderAnswer(response) {
  const declined = response.status === "declined";
  const card = el("article", {
    class: declined ? "answer declined" : "answer answered",
    "aria-label": declined ? "Declined" : "Answer",
    "data-status": response.status,
  });
  if (declined) {
    const reason = response.decline_reason;
    card.append(
      el("span", { class: "badge declined", text: `Declined: ${DECLINE_WORDS[reason] || reason}` }),
    );
  } else {
    card.append(el("span", { class: "badge answered", text: "Answered in quotes" }));
  }
  let rest = response.answer;
  for (const c of response.citations) {
    const marked = `“${c.quote}” [${c.n}]`;
    const at = rest.indexOf(marked);
    if (at < 0) continue;
    card.append(...paragraphs(rest.slice(0, at)), quoteBlock(c));
    rest = rest.slice(at + marked.length);
  }
  card.append(...paragraphs(rest));
  if (response.citations.length) card.append(citeList(response.citations));
  return card;
}

function turnItem(question) {
  const item = el("li", { class: "turn" });
  item.append(el("p", { class: "question" }, el("span", { class: "visually-hidden", text: "You asked: " }), question));
  $("log").append(item);
  $("empty-chat").hidden = true;
  return item;
}

function renderTurns() {
  $("log").replaceChildren();
  $("empty-chat").hidden = state.turns.length > 0;
  for (const turn of state.turns) turnItem(turn.question).append(renderAnswer(turn.response));
}

// --- Asking, streamed ---

function historyMessages() {
  const messages = [];
  for (const turn of state.turns) {
    messages.push({ role: "user", content: turn.question.slice(0, MAX_HISTORY_CHARS) });
    messages.push({ role: "assistant", content: turn.response.answer.slice(0, MAX_HISTORY_CHARS) });
  }
  return messages.slice(-MAX_HISTORY);
}

// Server-Sent Events over a POST body: EventSource only does GET, so the stream is read by hand.
async function* events(response) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    buffer += decoder.decode(value || new Uint8Array(), { stream: !done });
    let cut;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      let name = "message";
      const data = [];
      for (const line of block.split("\n")) {
        if (line.startsWith("event:")) name = line.slice(6).trim();
        else if (line.startsWith("data:")) data.push(line.slice(5).trimStart());
      }
      if (data.length) yield { name, data: JSON.parse(data.join("\n")) };
    }
    if (done) return;
  }
}

function setStatus(text) {
  $("status").textContent = text;
}

async function ensureConversation() {
  if (state.conversationId) return;
  const created = await api("/v1/conversations", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: "{}",
  });
  state.conversationId = created.id;
}

async function ask(question) {
  showError("");
  state.busy = true;
  $("ask-button").disabled = true;
  const item = turnItem(question);
  const pending = el("article", { class: "answer pending", "aria-label": "Answer in progress" });
  item.append(pending);
  setStatus("Searching the sources…");
  try {
    await ensureConversation();
    const response = await fetch("/v1/ask/stream", {
      method: "POST",
      headers: { "content-type": "application/json", accept: "text/event-stream" },
      body: JSON.stringify({ question, history: historyMessages(), conversation_id: state.conversationId }),
    });
    if (!response.ok) throw new Error(await problem(response));
    let final = null;
    for await (const event of events(response)) {
      if (event.name === "progress" && event.data.stage === "retrieving") {
        setStatus("Searching the sources…");
      } else if (event.name === "progress" && event.data.stage === "judging") {
        setStatus(`Weighing ${plural(event.data.passages, "passage")} from ${plural(event.data.sources, "source")}…`);
      } else if (event.name === "quote") {
        setStatus("Verified quotes arriving…");
        pending.append(quoteBlock(event.data));
      } else if (event.name === "answer") {
        final = event.data;
      } else if (event.name === "error") {
        showError(event.data.detail);
      }
    }
    if (!final) throw new Error("the answer did not arrive; try again");
    pending.replaceWith(renderAnswer(final));
    state.turns.push({ question, response: final });
    setStatus(final.status === "declined" ? "Declined. The reason is shown with the answer." : "Answered.");
    showConversationHeader();
    await refreshConversations();
  } catch (error) {
    pending.remove();
    item.remove();
    $("empty-chat").hidden = state.turns.length > 0;
    setStatus("");
    showError(error.message);
    $("question").value = question;
  } finally {
    state.busy = false;
    $("ask-button").disabled = false;
  }
}

// --- Conversations ---

function showConversationHeader(title) {
  const id = state.conversationId;
  const first = state.turns.length ? state.turns[0].question : "";
  $("chat-heading").textContent = title || first || "New conversation";
  $("exports").hidden = !id || state.turns.length === 0;
  if (id) {
    $("export-md").href = `/v1/conversations/${encodeURIComponent(id)}/export.md`;
    $("export-json").href = `/v1/conversations/${encodeURIComponent(id)}/export.json`;
  }
}

async function refreshConversations() {
  const { conversations } = await api("/v1/conversations");
  const list = $("conversation-list");
  list.replaceChildren();
  const shown = conversations.filter((c) => c.turns > 0 || c.id === state.conversationId);
  $("no-conversations").hidden = shown.length > 0;
  for (const c of shown) {
    const title = c.title || "Untitled";
    const when = c.updated_at.replace("T", " ").slice(0, 16);
    // The title on one line, cut with an ellipsis in the narrow sidebar; whole on hover, to
    // screen readers, and as the chat's heading once opened.
    const open = el(
      "button",
      { type: "button", class: "open", title, "aria-current": c.id === state.conversationId ? "true" : null },
      el("span", { class: "title", text: title }),
    );
    open.addEventListener("click", () => openConversation(c.id));
    const meta = el("span", { class: "meta", text: `${plural(c.turns, "question")} · ${when} UTC` });
    const remove = el("button", { type: "button", class: "small danger", "aria-label": `Delete “${title}”`, text: "Delete" });
    remove.addEventListener("click", () => deleteConversation(c.id, title));
    list.append(el("li", { class: c.id === state.conversationId ? "current" : null, "data-id": c.id }, open, meta, remove));
  }
}

async function openConversation(id) {
  showError("");
  try {
    const conversation = await api(`/v1/conversations/${encodeURIComponent(id)}`);
    state.conversationId = conversation.id;
    state.turns = conversation.turns.map((t) => ({ question: t.question, response: t.response }));
    renderTurns();
    showConversationHeader(conversation.title);
    showView("chat");
    await refreshConversations();
    $("question").focus();
  } catch (error) {
    showError(error.message);
  }
}

async function deleteConversation(id, title) {
  if (!window.confirm(`Delete the conversation “${title}”? This cannot be undone.`)) return;
  try {
    await api(`/v1/conversations/${encodeURIComponent(id)}`, { method: "DELETE" });
    if (id === state.conversationId) newConversation();
    await refreshConversations();
    setStatus("Conversation deleted.");
  } catch (error) {
    showError(error.message);
  }
}

function newConversation() {
  state.conversationId = null;
  state.turns = [];
  renderTurns();
  showConversationHeader();
  setStatus("");
  showError("");
  refreshConversations().catch((error) => showError(error.message));
  $("question").focus();
}

// --- The source beside the chat ---

async function getSource(id) {
  if (!state.sources.has(id)) {
    state.sources.set(id, await api(`/v1/sources/${encodeURIComponent(id)}`));
  }
  return state.sources.get(id);
}

function provenanceRow(list, label, value, asLink = false) {
  const dd = el("dd");
  if (value === null || value === undefined || value === "") {
    dd.append(el("span", { class: "not-stated", text: "not stated" }));
  } else if (asLink) {
    // A link the reader may follow; the page itself never fetches it.
    dd.append(el("a", { href: value, rel: "noopener noreferrer", target: "_blank", text: value }));
  } else {
    dd.textContent = value;
  }
  list.append(el("dt", { text: label }), dd);
}

// Paragraphs are runs of text between blank lines, as the passages are split on the server.
function paragraphSpans(text) {
  const spans = [];
  const blank = /\r?\n[ \t\u00a0\r]*\n/g;
  let start = 0;
  let match;
  while ((match = blank.exec(text)) !== null) {
    spans.push([start, match.index]);
    start = match.index + match[0].length;
  }
  spans.push([start, text.length]);
  return spans.filter(([s, e]) => text.slice(s, e).trim());
}

function renderSourceText(text, from, to) {
  const box = $("source-text");
  box.replaceChildren();
  let first = null;
  for (const [s, e] of paragraphSpans(text)) {
    const p = el("p");
    const a = Math.max(s, from);
    const b = Math.min(e, to);
    if (from < to && a < b) {
      const mark = el("mark", { text: text.slice(a, b) });
      p.className = "active";
      p.append(text.slice(s, a), mark, text.slice(b, e));
      first = first || mark;
    } else {
      p.textContent = text.slice(s, e);
    }
    box.append(p);
  }
  return first;
}

async function openSource(id, start, end) {
  showError("");
  let source;
  try {
    source = await getSource(id);
  } catch (error) {
    showError(`Could not open source ${id}: ${error.message}`);
    return;
  }
  const panel = $("source-panel");
  panel.hidden = false;
  document.querySelector(".layout").classList.add("with-source");
  $("source-title").textContent = source.title;
  const prov = $("provenance");
  prov.replaceChildren();
  provenanceRow(prov, "Title", source.title);
  provenanceRow(prov, "Outlet", source.outlet);
  provenanceRow(prov, "Published", source.published);
  provenanceRow(prov, "URL", source.url, true);
  provenanceRow(prov, "Notes", source.notes);
  provenanceRow(prov, "Source id", source.id);

  const length = codePointLength(source.text);
  const wanted = Number.isInteger(start) && Number.isInteger(end);
  const valid = wanted && start >= 0 && start < end && end <= length;
  const from = valid ? utf16Index(source.text, start) : 0;
  const to = valid ? utf16Index(source.text, end) : 0;
  const mark = renderSourceText(source.text, from, to);
  $("highlight-note").textContent = valid
    ? `Characters ${start}–${end} are highlighted.`
    : wanted
      ? `The link's characters ${start}–${end} are not within this source (${length} characters); showing it whole.`
      : "";
  const link = $("source-link");
  link.href = valid ? sourceLink(id, start, end) : sourceLink(id);
  link.textContent = valid ? "Link to these characters" : "Link to this source";
  $("source-link-row").hidden = false;
  $("copy-status").textContent = "";
  $("source-title").focus({ preventScroll: true });
  // Scroll only the text box (scrollIntoView would move the whole page too).
  const box = $("source-text");
  box.scrollTop = mark ? Math.max(0, mark.offsetTop - box.clientHeight / 3) : 0;
}

function closeSource() {
  $("source-panel").hidden = true;
  document.querySelector(".layout").classList.remove("with-source");
  if (location.hash) history.pushState(null, "", location.pathname + location.search);
  const back = state.returnFocus;
  state.returnFocus = null;
  if (back && document.contains(back)) back.focus();
}

async function copyLink() {
  const url = new URL($("source-link").getAttribute("href"), location.href).toString();
  try {
    await navigator.clipboard.writeText(url);
    $("copy-status").textContent = "Copied.";
  } catch {
    $("copy-status").textContent = url; // no clipboard (plain http): show it to copy by hand
  }
}

function routeHash() {
  const params = new URLSearchParams(location.hash.slice(1));
  const id = params.get("source");
  if (!id) {
    if (!$("source-panel").hidden) closeSource();
    return;
  }
  const number = (name) => (params.has(name) && /^\d+$/.test(params.get(name)) ? Number(params.get(name)) : undefined);
  openSource(id, number("start"), number("end"));
}

// --- Sources and search ---

function showView(name) {
  const chat = name === "chat";
  $("chat-view").hidden = !chat;
  $("sources-view").hidden = chat;
  $("tab-chat").setAttribute("aria-pressed", String(chat));
  $("tab-sources").setAttribute("aria-pressed", String(!chat));
  if (!chat) loadSourceList().catch((error) => showError(error.message));
}

function clip(text, most) {
  return text.length > most ? `${text.slice(0, most - 1).trimEnd()}…` : text;
}

// The question box points at the corpus being served, by one of its own titles: the page is the
// same whatever corpus is loaded. Until the index is ready it keeps its generic text.
async function suggestFromCorpus() {
  const { sources } = await api("/v1/sources");
  if (!sources.length) return;
  const title = clip(sources[0].title, 70);
  $("question").placeholder = `Ask about the ${plural(sources.length, "source")}, such as “${title}”`;
}

async function loadSourceList() {
  const { sources } = await api("/v1/sources");
  const list = $("source-list");
  list.replaceChildren();
  for (const s of sources) {
    list.append(
      el(
        "li",
        {},
        el("a", { class: "source-name", href: sourceLink(s.id), text: s.title }),
        el("div", { class: "muted", text: `Outlet ${stated(s.outlet)} · published ${stated(s.published)} · ${s.chars} characters · id ${s.id}` }),
      ),
    );
  }
}

async function search(event) {
  event.preventDefault();
  const q = $("search-q").value.trim();
  const mode = new FormData($("search-form")).get("mode");
  const results = $("search-results");
  if (!q) {
    $("search-status").textContent = "Type words to find.";
    return;
  }
  $("search-status").textContent = "Searching…";
  try {
    const params = new URLSearchParams({ q, mode, limit: "10" });
    const { hits } = await api(`/v1/search?${params}`);
    results.replaceChildren();
    for (const hit of hits) {
      const phrase = hit.match_start !== null && hit.match_start !== undefined;
      const [start, end] = phrase ? [hit.match_start, hit.match_end] : [hit.start, hit.end];
      const text = el("p", { class: "hit-text" });
      if (phrase) {
        const a = utf16Index(hit.text, hit.match_start - hit.start);
        const b = utf16Index(hit.text, hit.match_end - hit.start);
        text.append(hit.text.slice(0, a), el("mark", { text: hit.text.slice(a, b) }), hit.text.slice(b));
      } else {
        text.textContent = hit.text;
      }
      results.append(
        el(
          "li",
          {},
          el("span", { class: "hit-title", text: hit.title }),
          text,
          el("a", { href: sourceLink(hit.source_id, start, end), text: `Open in the source (characters ${start}–${end})` }),
        ),
      );
    }
    const how = mode === "phrase" ? "containing that phrase" : "closest in meaning";
    $("search-status").textContent = hits.length ? `${plural(hits.length, "passage")} ${how}.` : `No passages ${how}.`;
  } catch (error) {
    $("search-status").textContent = error.message;
  }
}

// --- Wiring ---

function start() {
  $("ask-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const question = $("question").value.trim();
    if (!question) {
      showError("Type a question first.");
      $("question").focus();
      return;
    }
    if (state.busy) return;
    $("question").value = "";
    ask(question);
  });
  $("question").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      $("ask-form").requestSubmit();
    }
  });
  // A chip or hit is a link (shareable, keyboard-reachable); remember it to return focus.
  document.addEventListener("click", (event) => {
    const link = event.target.closest('a[href^="#source="]');
    if (link) state.returnFocus = link;
  });
  $("new-conversation").addEventListener("click", newConversation);
  $("close-source").addEventListener("click", closeSource);
  $("copy-link").addEventListener("click", copyLink);
  $("tab-chat").addEventListener("click", () => showView("chat"));
  $("tab-sources").addEventListener("click", () => showView("sources"));
  $("search-form").addEventListener("submit", search);
  $("toggle-conversations").addEventListener("click", (event) => {
    const open = document.querySelector(".sidebar").classList.toggle("open");
    event.currentTarget.setAttribute("aria-expanded", String(open));
    $("toggle-word").textContent = open ? "Hide" : "Show";
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !$("source-panel").hidden) closeSource();
  });
  window.addEventListener("hashchange", routeHash);
  refreshConversations().catch((error) => showError(error.message));
  suggestFromCorpus().catch(() => {}); // a hint only: the generic one stays if this fails
  routeHash();
}

document.addEventListener("DOMContentLoaded", start);
