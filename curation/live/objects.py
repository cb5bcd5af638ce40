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

Another host's edit shows at the next click, before any listing: each rerun
(at most every FOLLOW_EVERY_SECONDS) LISTs the audit entries named since the
last look — one request, usually answered with none — and swaps in the rows
of the documents they name, each read and parsed again (only a document whose
ETag differs from the one the version reflects). The listing stays the
truth: it also sees what was changed without curation, and an entry a
writer's clock misnamed.
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

from curation.documents import read_article
from curation.errors import CurationError
from curation.live.base import WritesThrough
from curation.loading.collection import Collection
from curation.loading.frame import UPDATABLE_COLUMNS
from curation.loading.objects import build_collection
from curation.loading.parsing import ProgressCallback
from curation.store.s3 import ObjectListing, S3Store

LIST_EVERY_SECONDS = 5.0
FOLLOW_EVERY_SECONDS = 0.25  # the audit entries' tail is looked at by a rerun at most this often
FOLLOW_FROM_NS = 60 * 1_000_000_000  # a new version follows entries named from this long before it was loaded
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
        self._audit_after = ""  # the last audit key looked at: another host's writes are named after it
        self._followed_at = 0.0
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
            self._follow_other_writes()
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
        self._audit_after = self.store.audit_key_at(time.time_ns() - FOLLOW_FROM_NS)
        load = build_collection(self.location, progress, listing=self._listing)
        self._version, self._etags, self._listing, self._stale = load.collection, load.etags, None, False
        self.reloads += 1

    def _follow_other_writes(self) -> None:
        """Swap in the rows of documents other hosts wrote since the last look (see the module's docstring)."""
        now = time.monotonic()
        if (
            self._version is None
            or self._stale
            or self._etags is None
            or now - self._followed_at < FOLLOW_EVERY_SECONDS
        ):
            return
        self._followed_at = now
        try:
            entries, self._audit_after = self.store.entries_after(self._audit_after)
            updates: dict[str, dict[str, Any]] = {}
            etags: dict[str, str] = {}
            for doc_id in dict.fromkeys(entry.id for entry in entries):
                if doc_id not in self._etags.index:
                    self._stale = True  # not in this version (new, or a problem): the listing's reload shows it
                    continue
                stored = self.store.get(doc_id)
                if stored.etag == self._etags[doc_id]:
                    continue  # ours, or already seen
                try:
                    row = read_article(stored.raw, doc_id)
                except Exception:  # no longer a document: the listing's reload shows the problem
                    self._stale = True
                    continue
                updates[doc_id] = {column: row[column] for column in UPDATABLE_COLUMNS if column in row}
                updates[doc_id].update(size=stored.size, mtime_ns=stored.mtime_ns)
                etags[doc_id] = stored.etag
        except CurationError as error:  # unreachable, deleted, or no longer a document: the listing will tell
            log.warning("could not follow the writes in %s: %s", self.location, error)
            return
        if updates:
            self._version = self._version.with_rows_updated(updates)
            self._etags = self._etags.copy()  # one copy for all: a session may hold the old Series
            self._etags.loc[list(etags)] = list(etags.values())

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
