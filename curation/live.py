"""The collection a dashboard process shows: one current version per docs folder, shared by every session.

A version is never changed in place. A reload, or one of the dashboard's own
writes, builds a new Collection and swaps it in, so a session that holds the
old one keeps a consistent view until its next run.

How a change on disk is noticed:

- **Every call** compares the quick fingerprint (the folders' mtimes) with the
  one the current version reflects. Adds, deletes, renames and atomic saves
  change it, including our own `os.replace`.
- **At most every FULL_CHECK_SECONDS** every file is stat-ed and compared with
  the sizes and mtimes the version holds (and, for documents that are
  problems, with the last check's stats). That also sees an edit written in
  place.
- **Our own writes** (`write_published`) put the written rows' published,
  sha256, size and mtime_ns into a new version, without a stat of every file
  and without reading the parse cache. The folders' fingerprint taken after
  the write becomes the version's own, but only if the fingerprint taken
  just before the write was still the version's: a change by anyone else
  before our write still causes a reload. One made by another program during
  the milliseconds of our write is taken for ours by the quick check; the full
  check finds it (its size or mtime differs from the version's row).
- **A conflict** means the file changed under us: the next call reloads, so
  the page shows what is on disk.

Another server process sees our writes as a folder change and reloads through
the parse cache, as it does for any other program's change.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any

import pandas as pd

from curation.collection import Collection, FolderScan, load_collection, quick_fingerprint, scan_folder
from curation.parsing import ProgressCallback
from curation.publish import Outcome, set_published_many

FULL_CHECK_SECONDS = 30
STATS = ["size", "mtime_ns"]

Loader = Callable[..., Collection]


class LiveCollection:
    """The current version of one docs folder's collection, reloaded only when the disk changed."""

    def __init__(
        self,
        folder: Path | str,
        *,
        loader: Loader = load_collection,
        full_check_seconds: float = FULL_CHECK_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.folder = Path(folder)
        self._loader = loader
        self._full_check_seconds = full_check_seconds
        self._clock = clock
        self._lock = threading.RLock()
        self._version: Collection | None = None
        self._quick: str | None = None  # the folders' fingerprint the version reflects
        self._checked_at = -math.inf
        self._not_rows: pd.DataFrame | None = None  # stats of scanned documents that are not rows (problems)
        self._odd_files: list[tuple[str, str]] = []  # links and other non-regular files, as (path, kind)
        self._stale = False
        self.reloads = 0

    def current(
        self,
        progress: ProgressCallback | None = None,
        loading: Callable[[], AbstractContextManager[Any]] = nullcontext,
    ) -> Collection:
        """The current version; reloads (inside `loading()`, reporting `progress`) when the disk changed."""
        quick = quick_fingerprint(self.folder)
        with self._lock:
            if self._version is None or self._stale or quick != self._quick or self._full_check_finds_a_change():
                with loading():
                    self._reload(quick, progress)
            assert self._version is not None
            return self._version

    def write_published(
        self,
        doc_ids: Iterable[str],
        value: bool,
        *,
        expected_shas: Mapping[str, str] | None = None,
        editor: str = "anonymous",
        audit_log: Path | str | None = None,
    ) -> list[Outcome]:
        """`set_published_many`, then the written rows swapped into a new version (see the module's docstring)."""
        before = quick_fingerprint(self.folder)
        outcomes: list[Outcome] = []
        try:
            outcomes = set_published_many(
                self.folder, doc_ids, value, expected_shas=expected_shas, editor=editor, audit_log=audit_log
            )
        finally:
            self.record_writes(outcomes, before)
        return outcomes

    def record_writes(self, outcomes: Iterable[Outcome], quick_before: str) -> None:
        """Put what `set_published_many` wrote into a new version; `quick_before` was taken before the write."""
        quick_after = quick_fingerprint(self.folder)
        updates: dict[str, dict[str, Any]] = {}
        stale = False
        for outcome in outcomes:
            change = outcome.change
            if outcome.status == "changed" and change is not None:
                size, mtime_ns = getattr(change, "size", None), getattr(change, "mtime_ns", None)
                if size is None or mtime_ns is None:
                    stale = True  # without the written file's stat the rows cannot match the disk: reload
                updates[outcome.id] = {"published": change.new, "sha256": change.sha_after}
                if not stale:
                    updates[outcome.id] |= {"size": size, "mtime_ns": mtime_ns}
            elif outcome.status == "conflict":
                stale = True  # it changed under us: show what is on disk
        with self._lock:
            if self._version is None:
                return
            if updates:
                self._version = self._version.with_rows_updated(updates)
            if quick_before == self._quick:
                self._quick = quick_after  # only our write changed the folders since the version was taken
            self._stale = self._stale or stale

    def _reload(self, quick: str, progress: ProgressCallback | None) -> None:
        # The scan before the load is the baseline for documents that are not rows (problems); rows
        # are compared with the version's own size and mtime. A change between the two is seen at
        # the next full check, so nothing is missed, at worst reloaded once more.
        scan = scan_folder(self.folder)
        version = self._loader(self.folder, progress=progress)
        self._version, self._quick, self._stale = version, quick, False
        self._remember(scan, version)
        self.reloads += 1

    def _remember(self, scan: FolderScan, version: Collection) -> None:
        stats = scan.stats()[STATS]
        self._not_rows = stats[~stats.index.isin(version.frame.index)].sort_index()
        self._odd_files = sorted((problem.path, problem.kind) for problem in scan.problems)
        self._checked_at = self._clock()

    def _full_check_finds_a_change(self) -> bool:
        if self._clock() - self._checked_at < self._full_check_seconds:
            return False
        assert self._version is not None
        scan = scan_folder(self.folder)
        if disk_differs(scan, self._version.frame, self._not_rows, self._odd_files):
            return True
        self._checked_at = self._clock()
        return False


def disk_differs(
    scan: FolderScan, frame: pd.DataFrame, not_rows: pd.DataFrame | None, odd_files: list[tuple[str, str]]
) -> bool:
    """Whether a scan differs from what a version holds: a row's file gone or with another size or mtime,
    or the other documents and odd files not as the last check saw them."""
    stats = scan.stats()[STATS]
    is_row = stats.index.isin(frame.index)
    if int(is_row.sum()) != len(frame):
        return True
    scanned_rows = stats[is_row]
    held = frame[STATS].reindex(scanned_rows.index)
    if not (scanned_rows.to_numpy() == held.to_numpy()).all():
        return True
    if not_rows is None or not stats[~is_row].sort_index().equals(not_rows):
        return True
    return sorted((problem.path, problem.kind) for problem in scan.problems) != odd_files
