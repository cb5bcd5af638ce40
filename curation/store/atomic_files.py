"""Crash-safe file replacement and per-document locks, relative to folder descriptors.

A reader always sees the complete old or the complete new file: the new
bytes go to a hidden temp file in the same folder, are fsynced, and replace
the original with a rename; then the folder itself is fsynced. Every step
names the file relative to the descriptor of its folder (see curation.store.folder).

Locks are `fcntl.flock` on a sidecar file under `.curation/locks/`, never on
the document itself (a rename would swap the locked inode away). The kernel
drops the lock when its holder dies, so a killed writer never wedges a file.
We use flock directly rather than the filelock package: filelock 4 polls and
deletes lock files on release, and a deleted lock file lets two holders in.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import secrets
import stat
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from curation.errors import UnsafePathError
from curation.store.folder import STATE_DIR, DocsFolder, closing, open_file

__all__ = ["STATE_DIR", "TEMP_NAME", "document_lock", "replace_atomically", "state_lock", "sweep_orphan_temp_files"]

# `.<document name>.curation-<16 hex>.tmp`: a name a person would not choose,
# so the sweep never deletes a file of theirs.
TEMP_NAME = re.compile(r"^\.(?P<name>.+)\.curation-[0-9a-f]{16}\.tmp$")
SWEEP_AFTER_SECONDS = 60  # a live writer holds its temp file for milliseconds


def temp_name_for(name: str) -> str:
    return f".{name}.curation-{secrets.token_hex(8)}.tmp"


def lock_name(doc_id: str) -> str:
    return hashlib.sha256(doc_id.encode("utf-8")).hexdigest()[:32] + ".lock"


@contextmanager
def document_lock(docs: DocsFolder, doc_id: str, *, blocking: bool = True) -> Iterator[bool]:
    """Hold the writer lock of one document; yields False if not blocking and busy."""
    with state_lock(docs, lock_name(doc_id), blocking=blocking) as acquired:
        yield acquired


@contextmanager
def state_lock(docs: DocsFolder, name: str, *, blocking: bool = True) -> Iterator[bool]:
    """Hold the lock file `.curation/locks/NAME`; yields False if not blocking and busy."""
    with docs.state_folder("locks", create=True) as locks:
        fd = open_file(locks, name, os.O_RDWR | os.O_CREAT, f".curation/locks/{name}")
    with closing(fd):  # closing the descriptor releases the lock
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        yield True


def replace_atomically(folder_fd: int, name: str, data: bytes | memoryview, mode: int | None = None) -> os.stat_result:
    """Replace a file's bytes so that no reader or crash sees half of them; returns the new file's stat.

    The permission bits are `mode`, else the existing file's, else 0o644.
    """
    if mode is None:
        try:
            mode = stat.S_IMODE(os.stat(name, dir_fd=folder_fd, follow_symlinks=False).st_mode)
        except FileNotFoundError:
            mode = 0o644
    temp = temp_name_for(name)
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600, dir_fd=folder_fd)
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fchmod(fd, mode)
            os.fsync(fd)
            written = os.fstat(fd)
        finally:
            os.close(fd)
        # A rename replaces whatever has the name, a link included; it never follows one.
        os.rename(temp, name, src_dir_fd=folder_fd, dst_dir_fd=folder_fd)
    except BaseException:
        _unlink_quietly(folder_fd, temp)
        raise
    os.fsync(folder_fd)  # make the rename durable
    return written


def _unlink_quietly(folder_fd: int, name: str) -> None:
    with suppress(OSError):  # nothing to clean, or the folder is gone; the next load's sweep retries
        os.unlink(name, dir_fd=folder_fd)


def sweep_orphan_temp_files(folder: Path, temp_files: list[tuple[str, Path]]) -> list[Path]:
    """Delete temp files of ours whose writer is gone; returns what was removed.

    `temp_files` pairs each temp file with the id of the document it was
    written for. Only names of our exact pattern, older than a minute and
    whose document lock is free are removed: no live writer holds them.
    """
    removed: list[Path] = []
    now = time.time()
    try:
        docs = DocsFolder(folder)
    except UnsafePathError:
        return removed
    with docs:
        for doc_id, temp_path in temp_files:
            try:
                info = os.lstat(temp_path)
                if not stat.S_ISREG(info.st_mode) or now - info.st_mtime < SWEEP_AFTER_SECONDS:
                    continue
                with document_lock(docs, doc_id, blocking=False) as acquired, docs.document_folder(doc_id) as (fd, _):
                    if acquired:
                        os.unlink(temp_path.name, dir_fd=fd)
                        removed.append(temp_path)
            except (OSError, UnsafePathError):
                continue  # gone already, or a folder we may not write: nothing of ours to sweep
    return removed
