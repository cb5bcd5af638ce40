"""The server's side of `curation bench --browser`: its memory, and whether the sessions' writes landed.

Nothing here drives a browser: it reads /proc (Linux), the audit log and the documents.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from curation.documents import read_article
from curation.editing.publish import load_history
from curation.store import read_document_bytes

POLL_SECONDS = 0.1


def _status_kb(pid: int, name: str) -> int:
    """A `/proc/<pid>/status` figure in kB; 0 when the process has ended meanwhile."""
    try:
        with open(f"/proc/{pid}/status") as status:
            return next((int(line.split()[1]) for line in status if line.startswith(name + ":")), 0)
    except (FileNotFoundError, ProcessLookupError):  # processes come and go between listing and reading
        return 0


def _process_group(pid: str) -> int | None:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            # pid (command) state ppid pgrp …; the command may hold spaces and parentheses.
            return int(stat.read().rsplit(")", 1)[1].split()[2])
    except (FileNotFoundError, ProcessLookupError):
        return None


def group_rss_kb(group: int) -> int:
    """VmRSS summed over every process of a process group (the server and its parse workers)."""
    return sum(
        _status_kb(int(pid), "VmRSS") for pid in os.listdir("/proc") if pid.isdigit() and _process_group(pid) == group
    )


class PeakMemory:
    """The highest RSS of a process group while the block runs, polled every 100 ms in a thread.

    On leaving, the leader's own VmHWM counts too (a peak between two polls). Leave the block
    while the processes still run.
    """

    def __init__(self, group: int) -> None:
        self.group = group
        self.peak_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, name="peak-memory", daemon=True)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self._stop.set()
        self._thread.join()
        self.peak_kb = max(self.peak_kb, _status_kb(self.group, "VmHWM"))

    def _poll(self) -> None:
        while True:
            self.peak_kb = max(self.peak_kb, group_rss_kb(self.group))
            if self._stop.wait(POLL_SECONDS):
                return

    @property
    def peak_mb(self) -> float:
        return self.peak_kb / 1024


@dataclass(frozen=True)
class WriteCheck:
    """Ticks to published, checked against the audit log and the files."""

    made: int
    logged: int  # audit entries written since the ticks began
    missing: list[str] = field(default_factory=list)  # ticked ids without an entry that took effect, or not published

    @property
    def landed(self) -> int:
        return self.made - len(self.missing)

    @property
    def all_landed(self) -> bool:
        return not self.missing and self.logged == self.made

    def describe(self) -> str:
        if self.all_landed:
            return f"all {self.made} writes landed"
        missing = ", ".join(self.missing[:5]) + (" …" if len(self.missing) > 5 else "")
        return f"{self.landed} of {self.made} writes landed, {self.logged} audit entries" + (
            f"; missing: {missing}" if missing else ""
        )


def audit_entry_count(folder: Path) -> int:
    """How many entries the folder's audit log holds now (where the next check starts)."""
    return len(load_history(folder)[0].entries)


def published_now(folder: Path, doc_id: str) -> bool:
    return read_article(read_document_bytes(folder, doc_id), doc_id)["published"] is True


def check_writes(folder: Path, since: int, ticked: list[str]) -> WriteCheck:
    """Whether each ticked id has an audit entry after position `since` that set published and took
    effect, and a file that says published now; and whether the log holds one entry per tick."""
    history, _unreadable = load_history(folder)  # an unreadable line is an entry missing: it shows below
    new = history.entries[since:]
    logged = {
        entry.id
        for position, entry in enumerate(new, since)
        if entry.field == "published" and entry.new is True and history.took_effect(position)
    }
    missing = [doc_id for doc_id in ticked if doc_id not in logged or not published_now(folder, doc_id)]
    return WriteCheck(len(ticked), len(new), missing)
