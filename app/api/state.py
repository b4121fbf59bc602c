"""The service's one engine: built in the background at start-up (so `/healthz` can say
'starting'), and switched, in one reference swap, whenever another index is published."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TypeVar

from app.config import Settings
from app.engine import Engine
from app.index import publish_corpus
from app.observability import Metrics
from app.publish import ChangeLock, read_published

log = logging.getLogger(__name__)
T = TypeVar("T")


class EngineHolder:
    def __init__(self, settings: Settings, engine: Engine | None = None) -> None:
        self.settings = settings
        self.engine = engine
        self.metrics = engine.metrics if engine is not None else Metrics()
        self.error: str | None = None
        self.reload_error: str | None = None
        self.reindexing = False  # this process's own corpus change is being indexed
        self._thread: threading.Thread | None = None
        self._watcher: threading.Thread | None = None
        self._switching = threading.Lock()
        self._stop = threading.Event()

    def start(self) -> None:
        if self.engine is not None:
            self._watch_start()
            return
        if self._thread is None:
            self._thread = threading.Thread(target=self._build, name="engine-build", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _build(self) -> None:
        try:
            self.engine = Engine(self.settings, metrics=self.metrics)
            log.info("index ready", extra={"corpus_version": self.engine.corpus_version})
        except Exception as exc:  # reported through /healthz; the process keeps answering 503
            self.error = f"{type(exc).__name__}: {exc}"
            log.error("engine failed to start: %s", self.error)
            return
        self._watch_start()

    def _watch_start(self) -> None:
        if self.settings.watch_seconds > 0 and self._watcher is None:
            self._watcher = threading.Thread(target=self._watch, name="index-watch", daemon=True)
            self._watcher.start()

    def _watch(self) -> None:
        while not self._stop.wait(self.settings.watch_seconds):
            try:
                self.follow()
            except Exception as exc:  # Chroma unreachable, or the index replaced meanwhile
                log.warning("could not switch to the published index, still serving: %s", exc)

    def follow(self) -> bool:
        """Switch to the published index when it is not the one serving. Questions asked
        meanwhile are answered by the serving engine; each request sees one engine or the other."""
        with self._switching:
            engine = self.engine
            if engine is None:
                return False
            published = read_published(engine.index.client, engine.model_fp)
            if published is None or published.collection == engine.index.collection:
                return False
            self.engine = engine.switched_to(published)
        log.info("switched index", extra={"corpus_version": published.corpus_version})
        return True

    def change(self, apply: Callable[[], T]) -> T:
        """Apply a corpus change (it writes the corpus folder) under the change lock, then index
        and publish it in the background, still holding the lock; the serving engine answers
        until the new index is in. Raises ChangeBusy when another change is running anywhere."""
        engine = self.engine
        assert engine is not None
        lock = ChangeLock(self.settings, engine.index.client, "the admin endpoint").acquire(wait=0)
        try:
            result = apply()
        except BaseException:
            lock.release()
            raise
        self.reindexing = True
        threading.Thread(target=self._publish, args=(engine, lock), daemon=True).start()
        return result

    def _publish(self, engine: Engine, lock: ChangeLock) -> None:
        try:
            publish_corpus(self.settings, engine.embedder, engine.model_fp, engine.index.client)
            self.follow()
            self.reload_error = None
        except Exception as exc:  # a crash in the build: the previous index keeps serving
            self.reload_error = f"{type(exc).__name__}: {exc}"
            log.error("re-index failed, the previous index keeps serving: %s", self.reload_error)
        finally:
            lock.release()
            self.reindexing = False

    def wait(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)
