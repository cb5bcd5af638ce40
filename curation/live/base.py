"""What the live collections of a folder and of an S3 prefix share: writes that swap the rows in.

A version is never changed in place: a write puts the written rows into a new
Collection, so a session holding the old one keeps a consistent view.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from curation.editing.publish import Change, Outcome, OutcomeStatus, set_published_many, write_many
from curation.loading.collection import Collection


class WritesThrough:
    """A live collection's writes: the library's safe write, then `record_writes` swaps the rows in.

    Subclasses give `location`, `_lock`, `_version` and `_stale`; `_before_write()` takes a note just
    before a write and `_after_write(versions, note)` learns the versions (ETags) the write produced.
    """

    location: Path | str
    _lock: threading.RLock
    _version: Collection | None
    _stale: bool
    tracks_versions = False  # True: a write that reports no version leaves the version stale
    _writes_in_flight = 0  # our writes between their first byte and their rows swapped in (under _lock)

    @property
    def writing(self) -> bool:
        """Whether one of our writes is on disk but not yet in the version: the folder's times, and the
        watcher's events, already show it, and taking them for another program's change would reload every
        document (seconds and a whole frame at 1,000,000) for a change that is ours (docs/performance.md)."""
        return self._writes_in_flight > 0

    def _before_write(self) -> Any:
        return None

    def _after_write(self, versions: dict[str, str], before: Any) -> None:
        pass

    def record_writes(self, outcomes: Iterable[Outcome], before: Any = None) -> None:
        """Put what our writes did into a new version; a conflict (changed under us) leaves it stale."""
        updates: dict[str, dict[str, Any]] = {}
        versions: dict[str, str] = {}
        stale = False
        for outcome in outcomes:
            change = outcome.change
            if outcome.status == OutcomeStatus.CHANGED and change is not None:
                field = change.entry.field if change.entry is not None else "published"
                updates[outcome.id] = {
                    field: change.new, "sha256": change.sha_after, "size": change.size, "mtime_ns": change.mtime_ns,
                }  # fmt: skip
                if change.version:
                    versions[outcome.id] = change.version
                elif self.tracks_versions:
                    stale = True  # the watcher could not tell our write from another's: reload
            elif outcome.status == OutcomeStatus.CONFLICT:
                stale = True  # it changed under us: show what is there
        with self._lock:
            if self._version is None:
                return
            if updates:
                self._version = self._version.with_rows_updated(updates)
            self._after_write(versions, before)
            self._stale = self._stale or stale

    def write_published(self, doc_ids: Iterable[str], value: bool, **options: Any) -> list[Outcome]:
        """`publish.set_published_many` (same options), then the written rows swapped into a new version."""
        location = self.location
        return self.recording(lambda: set_published_many(location, doc_ids, value, **options))

    def write(self, doc_ids: Iterable[str], write_one: Callable[..., Change], **options: Any) -> list[Outcome]:
        """`publish.write_many` (a field edit, a publish; same options), then the written rows swapped in."""
        return self.recording(lambda: write_many(doc_ids, write_one, **options))

    def recording(self, act: Callable[[], list[Outcome]]) -> list[Outcome]:
        """Run a library write that returns outcomes (`write_many`, an undo), then swap the written rows in."""
        with self._lock:
            self._writes_in_flight += 1
        try:
            before = self._before_write()
            outcomes: list[Outcome] = []
            try:
                outcomes = act()
            finally:
                self.record_writes(outcomes, before)
        finally:
            with self._lock:
                self._writes_in_flight -= 1
        return outcomes
