"""Which index serves, and who may change the corpus: the published pointer and the change lock.

Every corpus change (`verbatim add`, `remove`, `ingest`, the admin endpoints, a server starting on
a corpus it has not indexed) runs under one lock, builds its index beside the serving one and ends
by publishing it: one metadata write on a small pointer collection in the same Chroma the
indexes live in, so processes on one machine and machines sharing one Chroma server see the same
pointer. Serving processes poll the pointer and switch to the index it names; each index carries
its sources with it, so a server on another machine needs nothing from this one's corpus folder.

Collections are only dropped under the lock, and never the published index nor the one published
before it (a server that has not yet switched is still reading it).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any

from app.config import Settings

log = logging.getLogger(__name__)
POINTER_PREFIX = "verbatim-published-"
LEASE = "verbatim-change-lock"
LEASE_S = 15.0  # a Chroma-server lease not renewed for this long belongs to a dead process
RENEW_S = 3.0


class ChangeBusy(RuntimeError):
    """Another corpus change holds the lock."""


@dataclass(frozen=True)
class Published:
    collection: str  # the index that serves
    corpus_version: str
    previous: str  # the index published before it ("" for the first)
    serial: int


def pointer_name(model_fp: str) -> str:
    return POINTER_PREFIX + hashlib.sha256(model_fp.encode()).hexdigest()[:16]


def read_published(client: Any, model_fp: str) -> Published | None:
    try:
        meta = client.get_collection(pointer_name(model_fp)).metadata or {}
    except Exception:  # chromadb raises NotFoundError or ValueError by version: nothing published
        return None
    if not meta.get("collection"):
        return None
    return Published(
        collection=str(meta["collection"]),
        corpus_version=str(meta["corpus_version"]),
        previous=str(meta.get("previous", "")),
        serial=int(meta.get("serial", 0)),
    )


def publish(client: Any, model_fp: str, collection: str, corpus_version: str) -> Published:
    """Point every serving process at `collection`. The caller holds the change lock."""
    old = read_published(client, model_fp)
    if old is not None and old.collection == collection:
        return old
    new = Published(
        collection=collection,
        corpus_version=corpus_version,
        previous=old.collection if old else "",
        serial=(old.serial if old else 0) + 1,
    )
    pointer = client.get_or_create_collection(pointer_name(model_fp), embedding_function=None)
    pointer.modify(
        metadata={
            "collection": new.collection,
            "corpus_version": new.corpus_version,
            "previous": new.previous,
            "serial": new.serial,
            "at": time.time(),
        }
    )
    return new


class ChangeLock:
    """One corpus change at a time, across processes and, with a Chroma server, machines.

    Embedded, it is an flock on `<data_dir>/corpus.lock`: the kernel releases it when its holder
    dies, even by kill -9. With a Chroma server it is a lease collection there that its holder
    renews every few seconds; a lease left by a dead holder expires after LEASE_S and is taken
    over (renamed by id first, so two waiters cannot both take it).
    """

    def __init__(self, settings: Settings, client: Any, what: str) -> None:
        self.settings = settings
        self.client = client
        self.what = what
        self._file: IO[str] | None = None
        self._lease: Any = None
        self._stop = threading.Event()
        self._renewer: threading.Thread | None = None

    def holder(self) -> str:
        """Who holds the lock, in words, for a message ('' when unknown)."""
        try:
            if self.settings.chroma_host:
                meta = self.client.get_collection(LEASE).metadata or {}
            else:
                text = (self.settings.data_dir / "corpus.lock").read_text(encoding="utf-8")
                meta = json.loads(text) if text.strip() else {}
        except Exception:  # gone meanwhile, or half written: say nothing rather than guess
            return ""
        if not meta.get("what"):
            return ""
        since = max(0, round(time.time() - float(meta.get("since", time.time()))))
        return f"{meta['what']} (pid {meta.get('pid')} on {meta.get('host')}, for {since} s)"

    def _about(self) -> dict[str, Any]:
        return {
            "what": self.what,
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "since": time.time(),
        }

    def _try(self) -> bool:
        if not self.settings.chroma_host:
            self.settings.data_dir.mkdir(parents=True, exist_ok=True)
            fh = (self.settings.data_dir / "corpus.lock").open("a+", encoding="utf-8")
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                fh.close()
                return False
            fh.seek(0)
            fh.truncate()
            fh.write(json.dumps(self._about()))
            fh.flush()
            self._file = fh
            return True
        meta = {**self._about(), "expires": time.time() + LEASE_S}
        try:
            self._lease = self.client.create_collection(
                LEASE, metadata=meta, embedding_function=None
            )
        except Exception:  # taken: see whether its holder is still renewing it
            self._take_over_expired()
            return False
        self._renewer = threading.Thread(target=self._renew, name="change-lease", daemon=True)
        self._renewer.start()
        return True

    def _take_over_expired(self) -> None:
        try:
            lease = self.client.get_collection(LEASE)
            if float((lease.metadata or {}).get("expires", 0)) > time.time():
                return
            # By id: if another waiter took it over first, this lease no longer exists and
            # the rename fails instead of removing the new holder's lease.
            stale = f"{LEASE}-expired-{uuid.uuid4().hex[:12]}"
            lease.modify(name=stale)
            self.client.delete_collection(stale)
            log.warning("took over a corpus-change lease its holder stopped renewing")
        except Exception:  # released or taken over meanwhile: the next try sees which
            return

    def _renew(self) -> None:
        while not self._stop.wait(RENEW_S):
            try:
                meta = dict(self._lease.metadata or {})
                meta["expires"] = time.time() + LEASE_S
                self._lease.modify(metadata=meta)
            except Exception as exc:  # the server is unreachable: the lease may lapse
                log.warning("could not renew the corpus-change lease: %s", exc)

    def acquire(
        self, wait: float | None = None, on_wait: Callable[[str], None] | None = None
    ) -> ChangeLock:
        """Take the lock, waiting at most `wait` seconds (None: as long as it takes); raise
        ChangeBusy, naming the holder, when it stays taken."""
        deadline = None if wait is None else time.monotonic() + wait
        told = False
        while not self._try():
            if deadline is not None and time.monotonic() >= deadline:
                who = self.holder() or "another process"
                raise ChangeBusy(f"another corpus change is running: {who}")
            if on_wait and not told:
                on_wait(f"waiting for another corpus change to finish: {self.holder() or '?'}")
                told = True
            time.sleep(0.2)
        return self

    def release(self) -> None:
        if self._file is not None:
            with contextlib.suppress(OSError):
                self._file.truncate(0)
            fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
            self._file.close()
            self._file = None
        if self._lease is not None:
            self._stop.set()
            if self._renewer is not None:
                self._renewer.join()
            with contextlib.suppress(Exception):  # a lease taken over after a lapse is not ours
                if self.client.get_collection(LEASE).id == self._lease.id:
                    self.client.delete_collection(LEASE)
            self._lease = None

    def __enter__(self) -> ChangeLock:
        if self._file is None and self._lease is None:
            self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
