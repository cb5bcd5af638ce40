"""The collection a dashboard process shows: one current version per docs folder, shared by every session.

A version is never changed in place. A reload, or one of the dashboard's own
writes, builds a new Collection and swaps it in, so a session that holds the
old one keeps a consistent view until its next run.

How a change on disk is noticed:

- **Every call** compares the folders' mtimes with the ones the current
  version reflects (a stat per folder; the folders are listed again only on a
  reload). Adds, deletes, renames and atomic saves change them, including our
  own `os.replace`.
- **Every FULL_CHECK_SECONDS** (every FULL_CHECK_WITH_NOTIFY_SECONDS when
  inotify reports edits in place), in a background thread (never inside a
  request), every file is stat-ed and compared with the sizes and mtimes the
  version holds (and, for documents that are problems, with the last check's
  stats). That also sees an edit written in place; the next call reloads.
  Stat-ing every file holds the GIL away from the server's runs (figures in
  docs/performance.md), so with notifications it is only the safety net for a
  lost event.
- **Our own writes** (`write_published`) put the written rows' published,
  sha256, size and mtime_ns into a new version, without a stat of every file,
  without listing a folder and without reading the parse cache. The folders'
  mtimes taken after the write become the version's own, but only if the
  ones taken just before the write were still the version's: a change by
  anyone else before our write still causes a reload. One made by another
  program during the milliseconds of our write is taken for ours by the quick
  check; the full check finds it (its size or mtime differs from the
  version's row).
- **A conflict** means the file changed under us: the next call reloads, so
  the page shows what is on disk.

Another server process sees our writes as a folder change and reloads through
the parse cache, as it does for any other program's change.
"""

from __future__ import annotations

import math
import os
import threading
import time
import weakref
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext, suppress
from pathlib import Path
from typing import Any

import pandas as pd

from curation.access import is_read_only
from curation.errors import CurationError
from curation.live.base import WritesThrough
from curation.live.watch import FolderWatcher
from curation.loading.collection import Collection, load_collection
from curation.loading.folder import BASELINE_STATS, scan_baseline, scanned_rows, stats_frame
from curation.loading.parsing import ProgressCallback
from curation.store.folder import DocsFolder
from curation.store.local import FolderScan, check_docs_folder, scan_folder

FULL_CHECK_SECONDS = 30
FULL_CHECK_WITH_NOTIFY_SECONDS = 300

Loader = Callable[..., Collection]


class LiveCollection(WritesThrough):
    """The current version of one docs folder's collection, reloaded only when the disk changed."""

    def __init__(
        self,
        folder: Path | str,
        *,
        loader: Loader = load_collection,
        full_check_seconds: float | None = None,  # None: as often as the kind of watching needs
        clock: Callable[[], float] = time.monotonic,
        background: bool = True,
        watch: bool = True,
    ) -> None:
        self.folder = Path(folder)
        self._loader = loader
        self._clock = clock
        self._background = background  # False: the full check runs inside the call (tests)
        self._lock = threading.RLock()
        self._version: Collection | None = None
        self._folders: list[str] = []  # every folder below the docs folder, as listed at the last reload
        self._times: FolderTimes = []  # their mtimes, as the version reflects them
        self._checked_at = -math.inf
        self._checking = False
        self._not_rows: pd.DataFrame | None = None  # stats of scanned documents that are not rows (problems)
        self._odd_files: list[tuple[str, str]] = []  # links and other non-regular files, as (path, kind)
        self._stale = False
        self.reloads = 0
        # inotify (watchdog): an edit in place, by any program, shows at the next call, not 30 s later.
        self._watcher = FolderWatcher(self.folder).start(poll_if_needed=False) if watch else None
        if self._watcher is not None and self._watcher.mode != "notify":
            self._watcher = None  # no notifications (or CURATION_WATCH=poll): the folder times and full check
        if full_check_seconds is None:
            full_check_seconds = FULL_CHECK_SECONDS if self._watcher is None else FULL_CHECK_WITH_NOTIFY_SECONDS
        self._full_check_seconds = full_check_seconds
        if self._watcher is not None:
            # A version the dashboard's cache let go of must not keep its inotify instance (128 per user).
            weakref.finalize(self, self._watcher.stop, wait=False)

    def current(
        self,
        progress: ProgressCallback | None = None,
        loading: Callable[[], AbstractContextManager[Any]] = nullcontext,
    ) -> Collection:
        """The current version; reloads (inside `loading()`, reporting `progress`) when the disk changed."""
        check_docs_folder(self.folder)
        with self._lock:
            if (
                self._version is None
                or self._stale
                # While our own write is in flight the disk shows it before the version does: the next call checks.
                or (not self.writing and (folder_times(self._folders) != self._times or self._notified_change()))
            ):
                with loading():
                    self._reload(progress)
            self._start_full_check_when_due()
            assert self._version is not None
            return self._version

    @property
    def location(self) -> Path:
        return self.folder

    @property
    def full_check_seconds(self) -> float:
        """How often every file is stat-ed in the background."""
        return self._full_check_seconds

    def _before_write(self) -> FolderTimes:
        return folder_times(self._folders)

    def _after_write(self, versions: dict[str, str], times_before: FolderTimes) -> None:
        if times_before == self._times:
            self._times = folder_times(self._folders)  # only our write changed the folders since

    def _notified_change(self) -> bool:
        """Whether a file the watcher reported differs from the version (our own writes are in it already)."""
        if self._watcher is None or self._version is None:
            return False
        changes = self._watcher.take_changes()
        if changes.everything:
            return True
        frame = self._version.frame
        for doc_id in changes.ids:
            try:
                info = os.stat(self.folder / doc_id, follow_symlinks=False)
            except OSError:
                return True  # gone (or unreadable) now
            if doc_id not in frame.index:
                return True  # new, or a problem document that changed
            if (info.st_size, info.st_mtime_ns) != (frame.at[doc_id, "size"], frame.at[doc_id, "mtime_ns"]):
                return True
        return False

    def close(self) -> None:
        """Stop watching the folder."""
        if self._watcher is not None:
            self._watcher.stop()

    def _reload(self, progress: ProgressCallback | None) -> None:
        # The folders' mtimes are taken before the load, so a change during it shows at the next call.
        # The scan before the load is the baseline for documents that are not rows (problems); rows
        # are compared with the version's own size and mtime. A change between the two is seen at
        # the next full check, so nothing is missed, at worst reloaded once more.
        if self._watcher is not None:
            self._watcher.take_changes()  # what happened before this load is in it; later events count
        _make_state_folder(self.folder)
        version = self._loader(self.folder, progress=progress, baseline=True)
        # The load's own scan took each folder's time before listing it: one scan, not three (a listing for
        # the folders, one for the baseline, the load's), seconds at 1,000,000 files (docs/performance.md).
        # A loader that reports no scan is compared with one taken now: a change during its load is seen
        # at the next full check at worst.
        seen = version.baseline or scan_baseline(scan_folder(self.folder), None, version.frame)
        self._version, self._stale = version, False
        self._folders, self._times = [folder for folder, _ in seen.folder_times], list(seen.folder_times)
        self._not_rows, self._odd_files = seen.not_rows, seen.odd_files
        self._checked_at = self._clock()
        self.reloads += 1

    def _start_full_check_when_due(self) -> None:
        if self._checking or self._clock() - self._checked_at < self._full_check_seconds:
            return
        self._checking = True
        if self._background:
            threading.Thread(target=self._full_check, name="curation-full-check", daemon=True).start()
        else:
            self._full_check()

    def _full_check(self) -> None:
        """Stat every file; if the disk differs from the version, the next call reloads."""
        try:
            scan = scan_folder(self.folder)
            with self._lock:
                if self._version is not None and disk_differs(scan, self._version.frame, self._not_rows,
                                                              self._odd_files):  # fmt: skip
                    self._stale = True
                self._checked_at = self._clock()
        finally:
            self._checking = False


FolderTimes = list[tuple[str, int]]


def _make_state_folder(folder: Path) -> None:
    """Make `.curation/` before the folders' times are taken: the first load makes it for its cache,
    and that would change the docs folder's mtime and look like someone else's change."""
    if is_read_only():
        return  # a read-only load makes nothing
    with suppress(CurationError, OSError), DocsFolder(folder) as docs, docs.state_folder(create=True):
        pass


def folder_times(folders: list[str]) -> FolderTimes:
    """Each folder's mtime (-1 when it is gone): adds, deletes, renames and atomic saves in it change it."""
    times = []
    for directory in folders:
        try:
            times.append((directory, os.stat(directory).st_mtime_ns))
        except OSError:
            times.append((directory, -1))
    return times


def disk_differs(
    scan: FolderScan, frame: pd.DataFrame, not_rows: pd.DataFrame | None, odd_files: list[tuple[str, str]]
) -> bool:
    """Whether a scan differs from what a version holds: a row's file gone or with another size or mtime,
    or the other documents and odd files not as the last check saw them."""
    stats = stats_frame(scan)[BASELINE_STATS]
    is_row = scanned_rows(stats.index, frame)
    if int(is_row.sum()) != len(frame):
        return True
    row_stats = stats[is_row]
    held = frame[BASELINE_STATS].reindex(row_stats.index)
    if not (row_stats.to_numpy() == held.to_numpy()).all():
        return True
    if not_rows is None or not stats[~is_row].sort_index().equals(not_rows):
        return True
    return sorted((problem.path, problem.kind) for problem in scan.problems) != odd_files
