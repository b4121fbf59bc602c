"""The service's one engine, built in the background at start-up so `/healthz` can say 'starting'."""

from __future__ import annotations

import logging
import threading

from app.config import Settings
from app.engine import Engine
from app.observability import Metrics

log = logging.getLogger(__name__)


class EngineHolder:
    def __init__(self, settings: Settings, engine: Engine | None = None) -> None:
        self.settings = settings
        self.engine = engine
        self.metrics = engine.metrics if engine is not None else Metrics()
        self.error: str | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self.engine is not None or self._thread is not None:
            return
        self._thread = threading.Thread(target=self._build, name="engine-build", daemon=True)
        self._thread.start()

    def _build(self) -> None:
        try:
            self.engine = Engine(self.settings, metrics=self.metrics)
            log.info("index ready", extra={"corpus_version": self.engine.corpus_version})
        except Exception as exc:  # reported through /healthz; the process keeps answering 503
            self.error = f"{type(exc).__name__}: {exc}"
            log.error("engine failed to start: %s", self.error)

    def wait(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)
