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


def _status_figures_kb(pid: int, names: tuple[str, ...]) -> dict[str, int]:
    """`/proc/<pid>/status` figures in kB, each 0 when missing (a process that ended meanwhile, or a zombie)."""
    figures = dict.fromkeys(names, 0)
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                name = line.split(":", 1)[0]
                if name in figures:
                    figures[name] = int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):  # processes come and go between listing and reading
        pass
    return figures


def _status_kb(pid: int, name: str) -> int:
    """A `/proc/<pid>/status` figure in kB; 0 when the process has ended meanwhile."""
    return _status_figures_kb(pid, (name,))[name]


def _process_group(pid: str) -> int | None:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            # pid (command) state ppid pgrp …; the command may hold spaces and parentheses.
            return int(stat.read().rsplit(")", 1)[1].split()[2])
    except (FileNotFoundError, ProcessLookupError):
        return None


def group_pids(group: int) -> list[int]:
    """Every process of a process group now (the server and its parse workers, or a command and its workers)."""
    return [int(pid) for pid in os.listdir("/proc") if pid.isdigit() and _process_group(pid) == group]


def group_rss_kb(group: int) -> int:
    """VmRSS summed over every process of a process group (the server and its parse workers)."""
    return sum(_status_kb(pid, "VmRSS") for pid in group_pids(group))


class PeakMemory:
    """The highest RSS of a process group while the block runs, polled every 100 ms in a thread: summed over
    its processes (what they held at once), and each process's own high-water mark (VmHWM) as last seen.

    On leaving, the leader's own VmHWM counts too (a peak between two polls), if it still runs; a process that
    ended counts with its VmHWM at the last poll before it ended.
    """

    def __init__(self, group: int) -> None:
        self.group = group
        self.peak_kb = 0
        self.process_peaks_kb: dict[int, int] = {}  # VmHWM by pid, the leader's included
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
        self._note_high_water(self.group, _status_kb(self.group, "VmHWM"))
        self.peak_kb = max(self.peak_kb, self.process_peaks_kb.get(self.group, 0))

    def _note_high_water(self, pid: int, kb: int) -> None:
        self.process_peaks_kb[pid] = max(self.process_peaks_kb.get(pid, 0), kb)

    def _poll(self) -> None:
        while True:
            resident = 0
            for pid in group_pids(self.group):
                figures = _status_figures_kb(pid, ("VmRSS", "VmHWM"))
                resident += figures["VmRSS"]
                self._note_high_water(pid, figures["VmHWM"])
            self.peak_kb = max(self.peak_kb, resident)
            if self._stop.wait(POLL_SECONDS):
                return

    @property
    def peak_mb(self) -> float:
        return self.peak_kb / 1024

    @property
    def leader_peak_mb(self) -> float:
        return self.process_peaks_kb.get(self.group, 0) / 1024

    @property
    def others(self) -> int:
        """How many other processes the group had at some poll (parse workers)."""
        return len(self.process_peaks_kb.keys() - {self.group})

    @property
    def others_peak_mb(self) -> float:
        """The other processes' high-water marks, summed (an upper bound on what they held at once: shared
        pages count once per process)."""
        return sum(kb for pid, kb in self.process_peaks_kb.items() if pid != self.group) / 1024


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
