"""The audit log: one JSON line per change, appended atomically.

Each entry is written with a single os.write on an O_APPEND descriptor, so
lines from concurrent writers never interleave.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from curation.atomic_files import STATE_DIR
from curation.problems import Problem

AUDIT_LOG_ENV = "CURATION_AUDIT_LOG"


def audit_log_path(folder: Path, configured: Path | str | None = None) -> Path:
    """Where changes to this folder are logged: given, $CURATION_AUDIT_LOG, or .curation/audit.jsonl."""
    chosen = configured or os.environ.get(AUDIT_LOG_ENV)
    return Path(chosen) if chosen else folder / STATE_DIR / "audit.jsonl"


def new_entry(**fields: Any) -> dict[str, Any]:
    """An entry with a fresh change id and the current UTC time."""
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return {"change": secrets.token_hex(6), "time": now, **fields}


@contextmanager
def audit_appender(log_path: Path) -> Iterator[Callable[[dict[str, Any]], None]]:
    """Open the log first (a writer that cannot log must not write), then append entries to it."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        yield lambda entry: _write_line(fd, log_path, entry)
    finally:
        os.close(fd)


def _write_line(fd: int, log_path: Path, entry: dict[str, Any]) -> None:
    line = (json.dumps(entry, ensure_ascii=False) + "\n").encode("utf-8")
    written = os.write(fd, line)  # one write on O_APPEND: concurrent lines never interleave
    if written != len(line):
        raise OSError(f"short write to {log_path}: {written} of {len(line)} bytes")
    os.fsync(fd)


def append_entry(log_path: Path, entry: dict[str, Any]) -> None:
    """Append one entry as one line, durably."""
    with audit_appender(log_path) as append:
        append(entry)


def read_audit_log(log_path: Path) -> tuple[list[dict[str, Any]], list[Problem]]:
    """All entries, oldest first, and a problem for each unreadable line."""
    if not log_path.exists():
        return [], []
    entries: list[dict[str, Any]] = []
    problems: list[Problem] = []
    with log_path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:
                entry = json.loads(raw)
                if not isinstance(entry, dict) or not {"change", "id", "old", "new", "sha_after"} <= entry.keys():
                    raise ValueError("not an audit entry")
            except ValueError as error:
                message = f"unreadable audit entry ({error}); the line was skipped"
                problems.append(Problem(str(log_path), number, message, "audit"))
                continue
            entries.append(entry)
    return entries, problems
