"""`verbatim`: serve, ask, ingest, eval. Bad input gets one line and a non-zero exit, no traceback."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from typing import NoReturn

from app.config import quiet_third_parties

EXIT_USAGE = 2
EXIT_FAILURE = 1


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        print(f"verbatim: {message} (see verbatim --help)", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="verbatim", description="Answers only with verbatim, cited quotes.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    serve = sub.add_parser("serve", help="index the corpus if needed, then serve the API and page")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1, help="API worker processes")
    ask = sub.add_parser("ask", help="answer one question in the terminal")
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
    ev.add_argument("suite", nargs="?", default="wagner", help="wagner (default), newsdesk, squad2, or all")
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
            _serve(settings, args.host, args.port, args.workers)
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
    from app.engine import Engine
    from app.schemas import AskRequest, Filters

    assert isinstance(settings, Settings)
    try:
        request = AskRequest(
            question=question, filters=Filters(source_ids=source_ids) if source_ids else None
        )
    except ValueError as exc:
        _fail(f"invalid question: {_first_error(exc)}")
    engine = Engine(settings)
    response = engine.ask(request.question, (), source_ids)
    if as_json:
        print(json.dumps(response.model_dump(), ensure_ascii=False))
        return
    print(response.answer)
    if response.citations:
        print()
    for c in response.citations:
        tag = " (related, does not answer)" if c.related_only else ""
        print(f"[{c.n}] {c.source_id} chars {c.start}-{c.end}: {c.title}{tag}")
    if response.status == "declined":
        print(f"\ndeclined: {response.decline_reason}")


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
        try:
            change = add_source(settings, path.name, path.read_bytes(), args.replace)
        except AlreadyInCorpus as exc:
            _fail(f"corpus error: {exc}; add --replace to replace it")
    else:
        try:
            change = remove_source(settings, args.source_id)
        except KeyError:
            _fail(f"unknown source id {args.source_id!r}")
    print(f"{change.action} {change.source_id}; re-indexing")
    _ingest(settings, rebuild=False)


def _ingest(settings: object, rebuild: bool = True) -> None:
    from app.config import Settings
    from app.engine import Engine

    assert isinstance(settings, Settings)
    engine = Engine(settings, rebuild=rebuild, progress=_progress)
    index = engine.index
    print(
        f"indexed {len(index.passages)} passages from {len(index.sources)} sources; "
        f"corpus version {engine.corpus_version}"
    )


if __name__ == "__main__":
    main()
