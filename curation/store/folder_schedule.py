"""A docs folder's schedule log: `.curation/schedule.jsonl`, reached without links, one record a line.

Records are appended like audit entries (one O_APPEND write under an flock
of the log, fsynced; curation.store.folder_audit). A run applying a
schedule, and a cancel, hold `.curation/locks/schedule.lock`, so on one
folder they never interleave: a cancel lands before the run looks or after
it recorded what it did.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from curation.errors import UnsafePathError
from curation.problems import Problem
from curation.schedules import ScheduleRecord, parse_schedule_lines
from curation.store.atomic_files import state_lock
from curation.store.folder import STATE_DIR, DocsFolder, closing, open_file, read_file
from curation.store.folder_audit import append_json_line

SCHEDULE_NAME = "schedule.jsonl"
SCHEDULE_SHOWN = f"{STATE_DIR}/{SCHEDULE_NAME}"
SCHEDULE_LOCK = "schedule.lock"


def append_schedule_record(folder: Path, record: ScheduleRecord) -> None:
    """Append one record to the folder's schedule log (made with `.curation/` when missing)."""
    with DocsFolder(folder) as docs:
        with docs.state_folder(create=True) as state:
            fd = open_file(state, SCHEDULE_NAME, os.O_RDWR | os.O_APPEND | os.O_CREAT, SCHEDULE_SHOWN)
        with closing(fd):
            append_json_line(fd, SCHEDULE_SHOWN, record.to_json())


def read_schedule_records(folder: Path) -> tuple[list[ScheduleRecord], list[Problem]]:
    """Every record of the folder's schedule log, oldest first, and a warning for each unreadable line."""
    with DocsFolder(folder) as docs:
        try:
            with docs.state_folder() as state:
                fd = open_file(state, SCHEDULE_NAME, os.O_RDONLY, SCHEDULE_SHOWN)
        except UnsafePathError as error:
            if error.message == "does not exist":  # no .curation/ or no schedule yet
                return [], []
            raise
        with closing(fd):
            return parse_schedule_lines(read_file(fd), SCHEDULE_SHOWN)


@contextmanager
def schedule_lock(folder: Path) -> Iterator[None]:
    """Hold the folder's schedule lock (a run applying one schedule, or a cancel)."""
    with DocsFolder(folder) as docs, state_lock(docs, SCHEDULE_LOCK):
        yield
