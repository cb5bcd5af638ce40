"""Which documents changed under a docs folder, learned off the request path.

A FolderWatcher records the ids of documents that were created, deleted,
moved or written since the last `take_changes()`:

- "notify": the kernel tells (inotify through watchdog) as it happens;
- "poll": for file systems without notifications, for network mounts (NFS,
  SMB and the like accept inotify watches but never hear of other hosts'
  changes, so they are polled on their own), or when $CURATION_WATCH=poll, a
  background thread stats every document every few seconds and records what
  differs from the previous pass.

Either way no request waits for a stat of 100,000 files: a rerun only asks
the watcher what it saw. A change the watcher cannot pin to documents (a
folder created, moved or deleted, an event queue overflow, the watcher
starting) is reported as `everything`, and the caller reloads the folder
(which is incremental: unchanged files come from the parse cache).
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

from curation.store.folder import is_document_name
from curation.store.local import scan_folder

WATCH_ENV = "CURATION_WATCH"  # "poll" forces polling; anything else: notifications when available
POLL_SECONDS = 5.0
NETWORK_FILE_SYSTEMS = ("nfs", "nfs4", "cifs", "smb3", "smbfs", "9p", "ceph", "glusterfs", "lustre", "afs",
                        "fuse.sshfs", "fuse.s3fs", "fuse.rclone", "fuse.gcsfuse")  # fmt: skip
log = logging.getLogger("curation")


@dataclass(frozen=True)
class Changes:
    """What changed since the last look: some document ids, or possibly anything."""

    ids: frozenset[str] = frozenset()
    everything: bool = False

    def __bool__(self) -> bool:
        return self.everything or bool(self.ids)


@dataclass
class _Pending:
    ids: set[str] = field(default_factory=set)
    everything: bool = True  # nothing is known before the first look


def visible_folders(root: Path | str) -> list[str]:
    """A folder and every folder below it, hidden ones (and links) left out (the docs folder's own `.curation`)."""
    folders, pending = [], [str(root)]
    while pending:
        folder = pending.pop()
        folders.append(folder)
        try:
            with os.scandir(folder) as entries:
                pending += [e.path for e in entries if not e.name.startswith(".") and e.is_dir(follow_symlinks=False)]
        except OSError:
            continue
    return folders


class FolderWatcher:
    """Collects changed document ids for one docs folder; see the module docstring."""

    def __init__(self, folder: Path | str, *, poll: bool | None = None, interval: float = POLL_SECONDS) -> None:
        self.folder = Path(folder).resolve()
        self.interval = interval
        self._want_poll = os.environ.get(WATCH_ENV, "").strip().lower() == "poll" if poll is None else poll
        self._lock = threading.Lock()
        self._pending = _Pending()
        self._stopped = threading.Event()
        self._observer = None
        self._handler = None
        self._poller: threading.Thread | None = None
        self.mode = ""
        self.passes = 0  # polling passes completed (a change shows from the second one on)

    def start(self, *, poll_if_needed: bool = True) -> FolderWatcher:
        """Start watching; without notifications, poll (or, with `poll_if_needed=False`, leave mode "")."""
        network = file_system_type(self.folder)
        if not self._want_poll and network in NETWORK_FILE_SYSTEMS:
            log.info("%s is on %s, which does not report other hosts' changes: polling it", self.folder, network)
            self._want_poll = True
        if not self._want_poll:
            try:
                self._start_notifications()
                self.mode = "notify"
                return self
            except (OSError, ImportError) as error:  # e.g. inotify watches exhausted, or no inotify at all
                log.warning("no file notifications for %s (%s); changes are found by polling", self.folder, error)
        if not poll_if_needed:
            return self
        self._poller = threading.Thread(target=self._poll_forever, name="curation-poll", daemon=True)
        self._poller.start()
        self.mode = "poll"
        return self

    def stop(self, *, wait: bool = True) -> None:
        """Stop watching (and release the inotify instance: there are 128 per user)."""
        self._stopped.set()
        if self._observer is not None:
            self._observer.stop()
            if wait:
                self._observer.join(timeout=5)
        if self._poller is not None and wait:
            self._poller.join(timeout=5)

    def take_changes(self) -> Changes:
        """What changed since the last call (and forget it)."""
        with self._lock:
            pending, self._pending = self._pending, _Pending(everything=False)
        return Changes(frozenset(pending.ids), pending.everything)

    def _note(self, doc_id: str | None = None, *, everything: bool = False) -> None:
        with self._lock:
            if everything:
                self._pending.everything = True
            elif doc_id is not None:
                self._pending.ids.add(doc_id)

    def _document_id(self, path: str | bytes) -> str | None:
        """The id of a document path below the folder, or None for anything else (hidden, state, not a document)."""
        relative = os.path.relpath(os.fsdecode(path), self.folder)
        parts = relative.split(os.sep)
        if parts[0] == ".." or any(part.startswith(".") for part in parts) or not is_document_name(parts[-1]):
            return None
        return "/".join(parts)

    # notifications

    def _start_notifications(self) -> None:
        from watchdog.events import FileSystemEvent, FileSystemEventHandler
        from watchdog.observers.inotify import InotifyObserver

        watcher = self

        class Handler(FileSystemEventHandler):
            def on_any_event(self, event: FileSystemEvent) -> None:
                watcher._on_event(event)

        # One watch per visible folder, not watchdog's recursive one: that one also watches .curation/
        # (the cache and the locks come and go there) and races with stop() when a folder appears.
        self._handler = Handler()
        observer = InotifyObserver()
        self._observer = observer
        for folder in visible_folders(self.folder):
            observer.schedule(self._handler, folder, recursive=False)
        observer.start()

    def _on_event(self, event) -> None:
        if event.event_type in ("opened", "closed_no_write"):
            return
        paths = [event.src_path, *([event.dest_path] if getattr(event, "dest_path", "") else [])]
        if event.is_directory:
            # A folder created, moved or deleted can carry documents the events do not name.
            visible = [path for path in paths if self._is_visible_folder(path)]
            if event.event_type != "modified" and visible:
                self._note(everything=True)
                if event.event_type in ("created", "moved") and not self._stopped.is_set():
                    self._watch_new_folder(os.fsdecode(paths[-1]))
            return
        for path in paths:
            doc_id = self._document_id(path)
            if doc_id is not None:
                self._note(doc_id)

    def _watch_new_folder(self, folder: str) -> None:
        try:
            for inside in visible_folders(Path(folder)):
                self._observer.schedule(self._handler, inside, recursive=False)
        except (OSError, RuntimeError) as error:  # gone again, or the observer is stopping
            log.warning("cannot watch %s: %s", folder, error)

    def _is_visible_folder(self, path: str | bytes) -> bool:
        relative = os.path.relpath(os.fsdecode(path), self.folder)
        return relative != "." and not any(part.startswith(".") for part in relative.split(os.sep))

    # polling

    def _poll_forever(self) -> None:

        previous = None
        while not self._stopped.is_set():
            try:
                scan = scan_folder(self.folder)
                now = dict(zip(scan.ids, zip(scan.sizes, scan.mtimes, scan.ctimes, strict=True), strict=True))
            except OSError as error:
                log.warning("cannot poll %s: %s", self.folder, error)
                now = None
            if previous is not None and now is not None:
                for doc_id in previous.keys() | now.keys():
                    if previous.get(doc_id) != now.get(doc_id):
                        self._note(doc_id)
            previous = now if now is not None else previous
            self.passes += 1
            self._stopped.wait(self.interval)


def file_system_type(folder: Path, mounts: str | None = None) -> str:
    """The type of the file system holding the folder, from /proc/self/mounts ("" when unknown)."""
    if mounts is None:
        try:
            mounts = Path("/proc/self/mounts").read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
    target = os.path.realpath(folder)
    best, kind = "", ""
    for line in mounts.splitlines():
        fields = line.split()
        if len(fields) < 3:
            continue
        point = fields[1].replace("\\040", " ")
        inside = target == point or target.startswith(point.rstrip("/") + "/")
        if inside and len(point) >= len(best):
            best, kind = point, fields[2]
    return kind
