"""An open docs folder: every path below it is resolved from its descriptor, never through a link.

A write names a document by id (`sub/article.md`). Resolving that id by name
and then opening it by name again leaves a window in which a folder can be
swapped for a symbolic link to somewhere else. So the docs folder is opened
once, each component below it is opened from the previous folder's
descriptor with O_NOFOLLOW | O_DIRECTORY, and the read, the temp file, the
rename and the fsync all happen relative to the final folder's descriptor:
a swap after that point cannot redirect anything, because the descriptor
still names the folder that was checked.

The app's own state (`.curation/`: audit log, locks, cache) is opened the
same way; a link or a file of the wrong type there is refused with a
message, never followed.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

from curation.documents import DOCUMENT_SUFFIXES, MAX_DOCUMENT_BYTES
from curation.errors import UnsafePathError

STATE_DIR = ".curation"
_FOLDER_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
# O_NONBLOCK: opening a FIFO planted where a file belongs must not hang the writer.
_FILE_FLAGS = os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC


def is_document_name(name: str) -> bool:
    """Whether the loader treats a file of this name as an article document."""
    return not name.startswith(".") and name.lower().endswith(DOCUMENT_SUFFIXES)


def check_document_id(doc_id: str) -> list[str]:
    """The id's path components, or UnsafePathError for anything but a relative document path."""
    parts = doc_id.split("/")
    unsafe = (
        not doc_id
        or "\\" in doc_id
        or "\x00" in doc_id
        or PurePosixPath(doc_id).is_absolute()
        or any(part in ("", ".", "..") or part.startswith(".") for part in parts)
        or not is_document_name(parts[-1])
    )
    if unsafe:
        raise UnsafePathError(doc_id, "not a document id: use the path relative to the docs folder")
    return parts


def _refusal(parent: int, name: str, shown: str, error: OSError, wanted: str) -> UnsafePathError:
    """Say what stands where a folder or file was wanted."""
    try:
        mode = os.lstat(name, dir_fd=parent).st_mode
    except OSError:
        mode = 0
    if stat.S_ISLNK(mode):
        return UnsafePathError(shown, "is a symbolic link; links are never written through: remove it")
    if error.errno == errno.ENOENT:
        return UnsafePathError(shown, "does not exist")
    if error.errno == errno.ENAMETOOLONG:
        return UnsafePathError(shown, "has a name that is too long for this file system")
    if error.errno in (errno.ENOTDIR, errno.EISDIR, errno.ENXIO) or mode:
        kind = "a folder" if stat.S_ISDIR(mode) else "a file" if stat.S_ISREG(mode) else "something else"
        return UnsafePathError(shown, f"is {kind} where {wanted} belongs; move it away")
    return UnsafePathError(shown, f"cannot be opened: {error.strerror}")


def open_subfolder(parent: int, name: str, shown: str, *, create: bool = False) -> int:
    """A folder inside `parent`, never through a link; made (0o755) when `create` and missing."""
    try:
        return os.open(name, _FOLDER_FLAGS, dir_fd=parent)
    except FileNotFoundError:
        if not create:
            raise UnsafePathError(shown, "does not exist") from None
    except OSError as error:
        raise _refusal(parent, name, shown, error, "a folder") from None
    try:
        os.mkdir(name, 0o755, dir_fd=parent)
    except FileExistsError:
        pass  # made by another writer meanwhile; the open below checks what it is
    except OSError as error:
        raise UnsafePathError(shown, f"cannot be created: {error.strerror}") from None
    return open_subfolder(parent, name, shown)


def open_file(parent: int, name: str, flags: int, shown: str, mode: int = 0o644) -> int:
    """A regular file inside `parent`, never through a link; anything else is refused."""
    try:
        fd = os.open(name, flags | _FILE_FLAGS, mode, dir_fd=parent)
    except FileNotFoundError:
        raise UnsafePathError(shown, "does not exist") from None
    except OSError as error:
        raise _refusal(parent, name, shown, error, "a file") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise UnsafePathError(shown, "is not a regular file; move it away")
    return fd


def read_file(fd: int, limit: int | None = None) -> bytes:
    """All bytes of an open file (at most `limit` + 1, to tell a file over the limit)."""
    size = os.fstat(fd).st_size
    wanted = size + 1 if limit is None else min(size, limit) + 1
    chunks, total = [], 0
    while total < wanted:
        chunk = os.read(fd, wanted - total)
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    return b"".join(chunks)


@contextmanager
def closing(fd: int) -> Iterator[int]:
    """Close a descriptor when the block ends."""
    try:
        yield fd
    finally:
        os.close(fd)


class DocsFolder:
    """The docs folder, opened once; documents and state are reached from its descriptor."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        try:
            # The folder itself is what the user named; a link there is their choice.
            self.fd = os.open(self.path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        except OSError as error:
            raise UnsafePathError(str(self.path), f"the docs folder cannot be opened: {error.strerror}") from None

    def close(self) -> None:
        os.close(self.fd)

    def __enter__(self) -> DocsFolder:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @contextmanager
    def state_folder(self, *parts: str, create: bool = False) -> Iterator[int]:
        """`.curation/` or a folder inside it, e.g. state_folder("locks", create=True)."""
        names = (STATE_DIR, *parts)
        fd = os.dup(self.fd)
        try:
            for depth, name in enumerate(names, start=1):
                next_fd = open_subfolder(fd, name, "/".join(names[:depth]), create=create)
                os.close(fd)
                fd = next_fd
            yield fd
        finally:
            os.close(fd)

    @contextmanager
    def document_folder(self, doc_id: str) -> Iterator[tuple[int, str]]:
        """(descriptor of the folder that holds the document, its file name), every component checked."""
        parts = check_document_id(doc_id)
        fd = os.dup(self.fd)
        try:
            for name in parts[:-1]:
                try:
                    next_fd = open_subfolder(fd, name, doc_id)
                except UnsafePathError as error:
                    raise UnsafePathError(doc_id, _about_document(error.message)) from None
                os.close(fd)
                fd = next_fd
            yield fd, parts[-1]
        finally:
            os.close(fd)

    def read_document(self, doc_id: str) -> bytes:
        """The bytes of one document, read without following a link anywhere on its path."""
        with self.document_folder(doc_id) as (folder_fd, name):
            return read_document_at(folder_fd, name, doc_id)


def _about_document(message: str) -> str:
    return "no such document in the docs folder" if message == "does not exist" else message


def open_document_at(folder_fd: int, name: str, doc_id: str) -> int:
    """A document's descriptor from its folder's descriptor; links and non-files are refused."""
    try:
        return open_file(folder_fd, name, os.O_RDONLY, doc_id)
    except UnsafePathError as error:
        raise UnsafePathError(doc_id, _about_document(error.message)) from None


def read_document_at(folder_fd: int, name: str, doc_id: str) -> bytes:
    """A document's bytes (at most one byte over the size limit) from its folder's descriptor."""
    with closing(open_document_at(folder_fd, name, doc_id)) as fd:
        return read_file(fd, MAX_DOCUMENT_BYTES)


def read_document(folder: Path | str, doc_id: str) -> bytes:
    """The bytes of one document in a docs folder (see DocsFolder.read_document)."""
    with DocsFolder(folder) as docs:
        return docs.read_document(doc_id)
