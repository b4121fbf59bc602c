"""The service's one engine, built in the background at start-up so `/healthz` can say 'starting'."""

from __future__ import annotations

import logging
import threading
import time

from app.config import Settings
from app.engine import Engine
from app.observability import Metrics

log = logging.getLogger(__name__)
RETIRE_AFTER_S = 2.0


class EngineHolder:
    def __init__(self, settings: Settings, engine: Engine | None = None) -> None:
        self.settings = settings
        self.engine = engine
        self.metrics = engine.metrics if engine is not None else Metrics()
        self.error: str | None = None
        self.reload_error: str | None = None
        self._thread: threading.Thread | None = None
        self._reload_lock = threading.Lock()
        self.reload_pending = False  # a change arrived while a re-index was running

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

    def reload(self) -> bool:
        """Re-index the corpus beside the serving index, then switch to it in one step.

        Questions asked meanwhile are answered by the serving engine. A failure (a malformed
        file, a crash in the build) leaves it serving; the error is kept for /v1/admin/status.
        Returns False when a re-index is already running (another follows it).
        """
        if not self._reload_lock.acquire(blocking=False):
            # The running re-index may have read the corpus before this change: run once more.
            self.reload_pending = True
            return False
        threading.Thread(target=self._reload, name="reindex", daemon=True).start()
        return True

    def _reload(self) -> None:
        try:
            current = self.engine
            if current is None:
                return
            fresh = current.reindexed()
            self.engine = fresh  # one reference swap: each request sees one engine or the other
            self.reload_error = None
            time.sleep(RETIRE_AFTER_S)  # let requests on the old index finish before dropping it
            fresh.index.drop_others()
            log.info("switched index", extra={"corpus_version": fresh.corpus_version})
        except Exception as exc:
            self.reload_error = f"{type(exc).__name__}: {exc}"
            log.error("re-index failed, the previous index keeps serving: %s", self.reload_error)
        finally:
            self._reload_lock.release()
        if self.reload_pending:
            self.reload_pending = False
            self.reload()

    @property
    def reindexing(self) -> bool:
        return self._reload_lock.locked()

    def wait(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)
