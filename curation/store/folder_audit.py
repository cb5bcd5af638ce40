"""A docs folder's audit log file: `.curation/audit.jsonl` (or $CURATION_AUDIT_LOG), reached without links.

One JSON line per change (curation.audit), appended under an flock of the
log and fsynced before the document changes.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from curation.audit import AuditEntry, parse_audit_lines
from curation.errors import UnsafePathError
from curation.problems import Problem
from curation.store.folder import STATE_DIR, DocsFolder, closing, open_file, read_file

AUDIT_LOG_ENV = "CURATION_AUDIT_LOG"
LOG_NAME = "audit.jsonl"


@contextmanager
def _log_folder(docs: DocsFolder, configured: Path | str | None, *, create: bool) -> Iterator[tuple[int, str, str]]:
    """(folder descriptor, file name, name to show) of the log: `.curation/` reached without links."""
    chosen = configured or os.environ.get(AUDIT_LOG_ENV)
    if not chosen:
        with docs.state_folder(create=create) as state:
            yield state, LOG_NAME, f"{STATE_DIR}/{LOG_NAME}"
        return
    path = Path(chosen)
    try:
        # A configured log's folder is the operator's choice; its last component is never a link.
        fd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError as error:
        raise UnsafePathError(str(path.parent), f"the audit log's folder cannot be opened: {error.strerror}") from None
    with closing(fd):
        yield fd, path.name, str(path)


@contextmanager
def audit_appender(docs: DocsFolder, configured: Path | str | None = None) -> Iterator[Callable[[AuditEntry], None]]:
    """Open the log first (a writer that cannot log must not write), then append entries to it."""
    with _log_folder(docs, configured, create=True) as (folder_fd, name, shown):
        fd = open_file(folder_fd, name, os.O_RDWR | os.O_APPEND | os.O_CREAT, shown)
    with closing(fd):
        yield lambda entry: append_json_line(fd, shown, entry.to_json())


def append_json_line(fd: int, shown: str, data: dict[str, Any]) -> None:
    """Append one JSON line to a log opened with O_APPEND, fsynced, under an flock of the log; a fragment this
    writer leaves is cut off again, and a torn line before never has the new one glued onto it."""
    line = (json.dumps(data, ensure_ascii=False) + "\n").encode("utf-8")
    fcntl.flock(fd, fcntl.LOCK_EX)  # the newline check and the append are one step
    try:
        size = os.fstat(fd).st_size
        if size and os.pread(fd, 1, size - 1) != b"\n":
            line = b"\n" + line  # a torn line before: never glue an entry onto it
        try:
            written = os.write(fd, line)  # one write on O_APPEND: concurrent lines never interleave
            if written != len(line):
                raise OSError(f"short write to {shown}: {written} of {len(line)} bytes")
            os.fsync(fd)
        except OSError:
            _cut_back(fd, size)
            raise
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)


def _cut_back(fd: int, size: int) -> None:
    """Remove a fragment this writer left; if even that fails, the next append starts a new line."""
    with suppress(OSError):
        os.ftruncate(fd, size)


def read_audit_log(log_path: Path) -> tuple[list[AuditEntry], list[Problem]]:
    """All entries of a log file, oldest first, and a warning for each unreadable line (no links followed)."""
    try:
        folder_fd = os.open(log_path.parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except FileNotFoundError:
        return [], []
    except OSError as error:
        raise UnsafePathError(str(log_path), f"the audit log cannot be read: {error.strerror}") from None
    with closing(folder_fd):
        return _read_at(folder_fd, log_path.name, str(log_path))


def _read_at(folder_fd: int, name: str, shown: str) -> tuple[list[AuditEntry], list[Problem]]:
    try:
        fd = open_file(folder_fd, name, os.O_RDONLY, shown)
    except UnsafePathError as error:
        if error.message == "does not exist":
            return [], []
        raise
    with closing(fd):
        return parse_audit_lines(read_file(fd), shown)


def read_folder_log(folder: Path | str, configured: Path | str | None = None) -> tuple[list[AuditEntry], list[Problem]]:
    """The entries of a docs folder's log (`.curation/` reached without links), and warnings."""
    with DocsFolder(folder) as docs:
        try:
            with _log_folder(docs, configured, create=False) as (folder_fd, name, shown):
                return _read_at(folder_fd, name, shown)
        except UnsafePathError as error:
            if error.message == "does not exist":  # no .curation/ yet: nothing logged
                return [], []
            raise
