"""A `curation` command run as a user runs it, in a process of its own: its wall time and its memory.

The command gets a process group of its own, so the parse workers it starts (`python -m
curation.loading.workers`, same group) are measured with it: what all of them held at once, the command's
own peak, and the workers' peaks.
"""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from curation.bench.server import PeakMemory

REPO = Path(__file__).resolve().parents[2]


class CommandFailedError(RuntimeError):
    """The measured command exited with a status it should not have: its figures would measure a failure."""


@dataclass(frozen=True)
class CommandRun:
    seconds: float  # from starting the interpreter until it exited
    peak_mb: float  # RSS of the command and its workers summed, at the 100 ms poll where it was highest
    main_peak_mb: float  # the command's own high-water mark (VmHWM), as last polled
    workers: int  # other processes of its group seen (parse workers)
    workers_peak_mb: float  # their high-water marks summed (shared pages counted once per worker)
    stderr: str

    def describe_memory(self) -> str:
        workers = f"; {self.workers} workers {self.workers_peak_mb:,.0f} MB" if self.workers else "; no workers"
        return f"{self.peak_mb:,.0f} MB at once (the command {self.main_peak_mb:,.0f} MB{workers})"


def run_curation(arguments: list[str], *, ok_codes: tuple[int, ...] = (0,)) -> CommandRun:
    """Run `python -m curation ARGUMENTS`, its output to nowhere, timed and its memory polled."""
    start = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "curation", *arguments],
        cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip
    with PeakMemory(process.pid) as memory:
        _, stderr = process.communicate()
    seconds = time.perf_counter() - start
    if process.returncode not in ok_codes:
        raise CommandFailedError(f"curation {' '.join(arguments)} exited with {process.returncode}: {stderr}")
    return CommandRun(
        seconds, memory.peak_mb, memory.leader_peak_mb, memory.others, memory.others_peak_mb, stderr
    )  # fmt: skip
