"""`verbatim`: serve, ask, ingest, eval. Bad input gets one line and a non-zero exit, no traceback."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from typing import TYPE_CHECKING, Any, NoReturn

from app.config import quiet_third_parties

if TYPE_CHECKING:  # imported where used: `verbatim ask` answers from a service without torch
    from collections.abc import Callable

    from app.config import Settings
    from app.corpus_ops import Change
    from app.schemas import AskRequest

EXIT_USAGE = 2
EXIT_FAILURE = 1
SERVICE_PROBE_S = 2.0  # /healthz answers at once; longer means nothing usable is there
SERVICE_ANSWER_S = 120.0  # an answer takes about a second; a busy machine is given time
COLD_START_S = 15.0  # models and index loaded in-process on 2 cores, until a start is recorded
COLD_START_FILE = "ask-cold-start.txt"
log = logging.getLogger(__name__)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        print(f"verbatim: {message} (see verbatim --help)", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="verbatim", description="Answers only with verbatim, cited quotes.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    serve = sub.add_parser("serve", help="index the corpus if needed, then serve the API and page")
    serve.add_argument("--host", help="default 127.0.0.1, or VERBATIM_HOST")
    serve.add_argument("--port", type=int, help="default 8000, or VERBATIM_PORT")
    serve.add_argument("--workers", type=int, default=1, help="API worker processes")
    ask = sub.add_parser(
        "ask",
        help="answer one question in the terminal, from the running service when there is one",
    )
    ask.add_argument("question")
    ask.add_argument("--json", action="store_true", help="print exactly the /v1/ask response body")
    ask.add_argument("--source", action="append", dest="source_ids", help="only this source id")
    sub.add_parser("ingest", help="(re)build the index from the corpus, with progress")
    add = sub.add_parser("add", help="validate a source file, add it to the corpus, re-index")
    add.add_argument("file")
    add.add_argument("--replace", action="store_true", help="replace a source with the same id")
    remove = sub.add_parser("remove", help="remove a source by id (kept under data/removed/)")
    remove.add_argument("source_id")
    ev = sub.add_parser("eval", help="run an evaluation suite and print its metrics")
    ev.add_argument(
        "suite", nargs="?", default="wagner", help="wagner (default), newsdesk, squad2, or all"
    )
    ev.add_argument("--split", default=None, help="dev, test or all (default: the suite's own)")
    ev.add_argument("--limit", type=int, default=None, help="ask at most this many questions")
    ev.add_argument("--ragas", action="store_true", help="also write RAGAS-shaped JSONL")
    return parser


def _progress(done: int, total: int) -> None:
    width = 30
    filled = width * done // max(total, 1)
    end = "\n" if done >= total else ""
    print(
        f"\rembedding passages [{'#' * filled}{'.' * (width - filled)}] {done}/{total}",
        end=end,
        file=sys.stderr,
        flush=True,
    )


def _fail(message: str) -> NoReturn:
    print(f"verbatim: {message}", file=sys.stderr)
    raise SystemExit(EXIT_FAILURE)


def main(argv: list[str] | None = None) -> None:
    quiet_third_parties()
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    from app.config import get_settings
    from app.sources import CorpusError

    try:
        settings = get_settings()
    except Exception as exc:  # pydantic's ValidationError: a bad VERBATIM_* value
        _fail(f"bad setting: {str(exc).splitlines()[0]} ({exc})".replace("\n", " "))
    try:
        if args.command == "serve":
            host = settings.host if args.host is None else args.host
            port = settings.port if args.port is None else args.port
            _serve(settings, host, port, args.workers)
        elif args.command == "ask":
            _ask(settings, args.question, args.json, args.source_ids)
        elif args.command == "ingest":
            _ingest(settings)
        elif args.command in ("add", "remove"):
            _change(settings, args)
        elif args.command == "eval":
            from evals.runner import run_suite

            code = run_suite(settings, args.suite, args.split, args.limit, args.ragas)
            raise SystemExit(code)
    except CorpusError as exc:
        _fail(f"corpus error: {exc}")
    except KeyboardInterrupt:
        raise SystemExit(130) from None
    except (OSError, ValueError, RuntimeError) as exc:
        _fail(f"{type(exc).__name__}: {exc}")


def _serve(settings: object, host: str, port: int, workers: int) -> None:
    import uvicorn

    from app.config import Settings
    from app.sources import load_corpus

    assert isinstance(settings, Settings)
    load_corpus(settings.corpus_dir)  # refuse to start on a malformed corpus, naming the file
    if not 0 < port < 65536:
        _fail(f"port {port} is out of range")
    from app.observability import configure_logging

    configure_logging()
    # uvicorn's own access log is replaced by ours (JSON, with the request id).
    options = {"host": host, "port": port, "log_config": None, "access_log": False}
    if workers > 1:
        # Several workers on few cores: one torch thread each, or their threads wait on each
        # other (measured in benchmarks/results). An explicit OMP_NUM_THREADS wins.
        os.environ.setdefault("OMP_NUM_THREADS", "1")
        uvicorn.run("app.api.asgi:app", workers=workers, **options)  # type: ignore[arg-type]
    else:
        from app.api.main import create_app

        uvicorn.run(create_app(settings), **options)  # type: ignore[arg-type]


def _ask(settings: object, question: str, as_json: bool, source_ids: list[str] | None) -> None:
    from app.config import Settings
    from app.schemas import AskRequest, AskResponse, Filters

    assert isinstance(settings, Settings)
    try:
        request = AskRequest(
            question=question, filters=Filters(source_ids=source_ids) if source_ids else None
        )
    except ValueError as exc:
        _fail(f"invalid question: {_first_error(exc)}")
    answer = _ask_service(settings, request)
    body = answer if isinstance(answer, dict) else _ask_in_process(settings, request, answer)
    if as_json:
        print(json.dumps(body, ensure_ascii=False))
        return
    response = AskResponse.model_validate(body)
    print(response.answer)
    if response.citations:
        print()
    for c in response.citations:
        tag = " (related, does not answer)" if c.related_only else ""
        print(f"[{c.n}] {c.source_id} chars {c.start}-{c.end}: {c.title}{tag}")
    if response.status == "declined":
        print(f"\ndeclined: {response.decline_reason}")


def _ask_service(settings: Settings, request: AskRequest) -> dict[str, Any] | str:
    """The answer from the `verbatim serve` at the configured host and port, about a second away,
    or why there is none: nothing answers there, or it serves another corpus (an answer is only
    taken from the very corpus this command would read)."""
    import httpx

    from app.sources import corpus_hash, load_corpus

    # Read here as well: a malformed corpus or an unknown source id is reported the same way
    # whether or not a service runs, before anything is loaded.
    sources = load_corpus(settings.corpus_dir)
    wanted = request.filters.source_ids if request.filters and request.filters.source_ids else []
    unknown = sorted(set(wanted) - {s.id for s in sources})
    if unknown:
        _fail(f"unknown source_ids: {', '.join(unknown[:5])}")
    version = corpus_hash(sources)[:16]
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    base = f"http://{host}:{settings.port}"
    auth = {"authorization": f"Bearer {settings.read_token}"} if settings.read_token else {}
    try:
        health = httpx.get(f"{base}/healthz", timeout=SERVICE_PROBE_S)
        said = health.json() if health.status_code == 200 else {}
        serving = said.get("corpus_version") if isinstance(said, dict) else None
        if serving is None:
            return f"the service at {base} is not ready"
        if serving != version:
            return f"the service at {base} serves another corpus ({serving}, not {version})"
        r = httpx.post(
            f"{base}/v1/ask",
            json=request.model_dump(exclude_none=True),
            headers=auth,
            timeout=SERVICE_ANSWER_S,
        )
        if r.status_code != 200:
            return f"the service at {base} answered {r.status_code}"
        body: dict[str, Any] = r.json()
    except (httpx.HTTPError, ValueError):  # nothing listening, or not our service there
        return f"no service at {base} (`verbatim serve` answers in about a second)"
    return body


def _ask_in_process(settings: Settings, request: AskRequest, why: str) -> dict[str, Any]:
    """Load the models and the index here, as `verbatim serve` does once; how long that took is
    kept in the data directory, to say how long the next cold start will take."""
    record = settings.data_dir / COLD_START_FILE
    try:
        seconds = float(record.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        seconds = COLD_START_S
    _note(f"{why}; answering in-process, a cold start takes about {round(seconds)} seconds")
    started = time.perf_counter()
    from app.engine import Engine

    engine = Engine(settings)
    source_ids = request.filters.source_ids if request.filters else None
    response = engine.ask(request.question, (), source_ids)
    try:
        record.write_text(f"{time.perf_counter() - started:.1f}\n", encoding="utf-8")
    except OSError:
        log.debug("could not record the cold start in %s", record)
    return response.model_dump()


def _note(message: str) -> None:
    print(f"verbatim: {message}", file=sys.stderr, flush=True)


def _first_error(exc: Exception) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        first = errors()[0]
        return str(first.get("msg", exc)).removeprefix("Value error, ")
    return str(exc)


def _change(settings: object, args: argparse.Namespace) -> None:
    from pathlib import Path

    from app.config import Settings
    from app.corpus_ops import AlreadyInCorpus, add_source, remove_source

    assert isinstance(settings, Settings)
    if args.command == "add":
        path = Path(args.file)
        if not path.is_file():
            _fail(f"{path}: no such file")
        content = path.read_bytes()

        def apply() -> Change:
            try:
                return add_source(settings, path.name, content, args.replace)
            except AlreadyInCorpus as exc:
                _fail(f"corpus error: {exc}; add --replace to replace it")

    else:

        def apply() -> Change:
            try:
                return remove_source(settings, args.source_id)
            except KeyError:
                _fail(f"unknown source id {args.source_id!r}")

    _publish(settings, f"verbatim {args.command}", apply)


def _ingest(settings: object) -> None:
    _publish(settings, "verbatim ingest", None, rebuild=True)


def _publish(
    settings: object, what: str, apply: Callable[[], Change] | None, rebuild: bool = False
) -> None:
    """Under the change lock (waiting for another change to finish first): change the corpus
    folder, index it beside the serving index and publish it; every `verbatim serve` on this
    data (or Chroma server) switches to it within about VERBATIM_WATCH_SECONDS."""
    from app.config import Settings
    from app.embeddings import load_embedder
    from app.index import chroma_client, publish_corpus
    from app.publish import ChangeBusy, ChangeLock

    assert isinstance(settings, Settings)
    embedder, model_fp = load_embedder(settings.embedding_model, settings.device)
    client = chroma_client(settings)
    lock = ChangeLock(settings, client, what)
    try:
        lock.acquire(wait=settings.change_wait_seconds, on_wait=_note)
    except ChangeBusy as exc:
        _fail(f"{exc}; waited {settings.change_wait_seconds:g} s (VERBATIM_CHANGE_WAIT_SECONDS)")
    try:
        if apply is not None:
            change = apply()
            print(f"{change.action} {change.source_id}; re-indexing", flush=True)
        done = publish_corpus(
            settings, embedder, model_fp, client, rebuild=rebuild, progress=_progress
        )
    finally:
        lock.release()
    print(
        f"indexed {done.passages} passages from {done.sources} sources; "
        f"corpus version {done.published.corpus_version}"
        + ("" if done.built else " (its index was already built)")
    )


if __name__ == "__main__":
    main()
