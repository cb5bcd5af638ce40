"""Crash-safe file replacement and per-document locks.

A reader always sees the complete old or the complete new file: the new
bytes go to a hidden temp file in the same folder, are fsynced, and replace
the original with os.replace; then the folder itself is fsynced.

Locks are `fcntl.flock` on a sidecar file under `.curation/locks/`, never on
the document itself (os.replace would swap the locked inode away). The kernel
drops the lock when its holder dies, so a killed writer never wedges a file.
We use flock directly rather than the filelock package: filelock 4 polls and
deletes lock files on release, and a deleted lock file lets two holders in.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

STATE_DIR = ".curation"
TEMP_SUFFIX = ".tmp"
# `.<document name>.<random>.tmp`, as tempfile.mkstemp makes it below.
TEMP_NAME = re.compile(r"^\.(?P<name>.+)\.[A-Za-z0-9_]{8}\.tmp$")


def lock_path(folder: Path, doc_id: str) -> Path:
    digest = hashlib.sha256(doc_id.encode("utf-8")).hexdigest()[:32]
    return folder / STATE_DIR / "locks" / f"{digest}.lock"


@contextmanager
def document_lock(folder: Path, doc_id: str, *, blocking: bool = True) -> Iterator[bool]:
    """Hold the writer lock of one document; yields False if not blocking and busy."""
    path = lock_path(folder, doc_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def replace_atomically(path: Path, data: bytes) -> None:
    """Replace a file's bytes so that no reader or crash sees half of them."""
    mode = stat.S_IMODE(os.stat(path).st_mode)
    fd, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TEMP_SUFFIX, dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp_name, mode)  # mkstemp makes 0600; keep the original's bits
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    fsync_folder(path.parent)


def fsync_folder(folder: Path) -> None:
    """Make a rename in this folder durable."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def sweep_orphan_temp_files(folder: Path, temp_files: list[tuple[str, Path]]) -> list[Path]:
    """Delete temp files whose writer is gone; returns what was removed.

    `temp_files` pairs each temp file with the id of the document it was
    written for. A temp file whose document lock is free has no live writer.
    """
    removed: list[Path] = []
    for doc_id, temp_path in temp_files:
        try:
            with document_lock(folder, doc_id, blocking=False) as acquired:
                if acquired:
                    temp_path.unlink(missing_ok=True)
                    removed.append(temp_path)
        except OSError:
            continue  # a read-only folder has no temp files of ours to sweep
    return removed
