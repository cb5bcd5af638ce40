"""The collection a dashboard process shows for an S3 prefix: the bucket's counterpart of curation.live.folder.

A version is never changed in place; a reload or one of our own writes swaps
in a new Collection, so a session holding the old one keeps a consistent view.

How a change in the bucket is noticed, off the request path: a background
thread lists the prefix every LIST_EVERY_SECONDS (or twice as long as the
last listing took, whichever is longer) and compares every document's ETag
with those the version reflects. When one differs, the next rerun reloads,
using that listing (no second LIST) and the ETag-keyed parse cache, so only
the changed objects are fetched. Our own writes put the written rows and
their new ETags into a new version, so they cause no reload; a conflict
does (the object changed under us: show what is in the bucket).
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import Any

import pandas as pd

from curation.errors import CurationError
from curation.live.base import WritesThrough
from curation.loading.collection import Collection
from curation.loading.objects import build_collection
from curation.loading.parsing import ProgressCallback
from curation.store.s3 import ObjectListing, S3Store

LIST_EVERY_SECONDS = 5.0
log = logging.getLogger("curation")


class LiveObjects(WritesThrough):
    """The current version of one S3 prefix's collection, reloaded when a listing shows a changed ETag."""

    tracks_versions = True

    def __init__(self, location: str, *, list_every: float = LIST_EVERY_SECONDS) -> None:
        self.location = location
        self.store = S3Store(location)
        self._list_every = list_every
        self._lock = threading.RLock()
        self._version: Collection | None = None
        self._etags: pd.Series | None = None  # id -> ETag the version reflects
        self._listing: ObjectListing | None = None  # a newer listing that differs: the next reload uses it
        self._stale = False
        self._watcher: threading.Thread | None = None
        self._stop = threading.Event()
        self.reloads = 0

    def current(
        self,
        progress: ProgressCallback | None = None,
        loading: Callable[[], AbstractContextManager[Any]] = nullcontext,
    ) -> Collection:
        """The current version; reloads (inside `loading()`) when the watcher saw a change."""
        with self._lock:
            if self._version is None or self._stale:
                with loading():
                    self._reload(progress)
            self._start_watching()
            assert self._version is not None
            return self._version

    def _after_write(self, versions: dict[str, str], before: Any) -> None:
        if versions and self._etags is not None:  # the ETags our writes got: the watcher knows them as ours
            self._etags = self._etags.copy()
            known = [doc_id for doc_id in versions if doc_id in self._etags.index]
            self._etags.loc[known] = [versions[doc_id] for doc_id in known]

    def _reload(self, progress: ProgressCallback | None) -> None:
        load = build_collection(self.location, progress, listing=self._listing)
        self._version, self._etags, self._listing, self._stale = load.collection, load.etags, None, False
        self.reloads += 1

    def _start_watching(self) -> None:
        if self._watcher is None or not self._watcher.is_alive():
            # The thread holds only a weak reference: a LiveObjects nobody uses any more is collected.
            self._watcher = threading.Thread(
                target=_watch, args=(weakref.ref(self), self._stop, self._list_every),
                name=f"curation-watch {self.location}", daemon=True,
            )  # fmt: skip
            self._watcher.start()

    def close(self) -> None:
        self._stop.set()

    def check_once(self) -> bool:
        """List the prefix and compare; True (and stale) when any document's ETag differs from the version's."""
        listing = self.store.list_documents()
        listed = pd.Series(listing.etags, index=pd.Index(listing.ids, dtype="str"), dtype="str")
        with self._lock:
            if self._etags is None:
                return False
            if listed.sort_index().equals(self._etags.sort_index()):
                return False
            self._listing, self._stale = listing, True
            return True


def _watch(owner: weakref.ref[LiveObjects], stop: threading.Event, every: float) -> None:
    wait = every
    while not stop.wait(wait):
        live = owner()
        if live is None:
            return
        start = time.monotonic()
        try:
            live.check_once()
        except CurationError as error:  # the bucket unreachable for a moment: the next look tries again
            log.warning("could not list %s to look for changes: %s", live.location, error)
        wait = max(every, 2 * (time.monotonic() - start))
        del live
