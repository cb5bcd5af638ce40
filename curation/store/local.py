"""The store of a docs folder on this machine: a scan of its files, reads and writes from descriptors.

The scan lists every document with one lstat each (links and odd files become
problems, never followed); reads and writes open every component from the
folder's descriptor without following links (curation.store.folder), and a
write holds the document's lock (curation.store.atomic_files).
"""

from __future__ import annotations

import os
import stat
from array import array
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from curation.audit import AuditEntry
from curation.documents import DOCUMENT_SUFFIXES, MAX_DOCUMENT_BYTES, too_large
from curation.errors import CurationError, DocsFolderError, PublishRefusedError, os_reason
from curation.problems import Problem, ProblemKind
from curation.schedules import ScheduleRecord
from curation.store.atomic_files import TEMP_NAME, document_lock, replace_atomically
from curation.store.base import DocumentFile, ObjectListing
from curation.store.folder import DocsFolder, closing, is_document_name, open_document_at, read_document, read_file
from curation.store.folder_audit import audit_appender, read_folder_log
from curation.store.folder_schedule import append_schedule_record, read_schedule_records, schedule_lock

NOT_FOLLOWED = "is a symbolic link; links are never followed, copy the file in instead"
NOT_REGULAR = "is not a regular file; replace it with a plain text file"
NAME_NOT_UTF8 = "the name is not UTF-8 text (its odd bytes are shown as \\xNN); rename it to load it"


def check_docs_folder(folder: Path) -> Path:
    """The folder as given, or a DocsFolderError saying what is wrong."""
    if not folder.exists():
        raise DocsFolderError(str(folder), "docs folder does not exist")
    if not folder.is_dir():
        raise DocsFolderError(str(folder), "docs path is not a folder")
    return folder


@dataclass
class FolderScan:
    """What one walk of the docs folder found, as columns (100,000 objects cost more than the stats)."""

    root: str = ""  # the docs folder as given: a document's path is root/id (not kept per file: 1,000,000 strings)
    ids: list[str] = field(default_factory=list)
    # The stats as machine integers: a million Python ints each would be 32 MB a column.
    sizes: array[int] = field(default_factory=lambda: array("q"))
    mtimes: array[int] = field(default_factory=lambda: array("q"))
    ctimes: array[int] = field(default_factory=lambda: array("q"))
    problems: list[Problem] = field(default_factory=list)
    temp_files: list[tuple[str, Path]] = field(default_factory=list)  # (document id, temp file)
    # Each listed folder's mtime_ns (-1 when it cannot be read), taken just before it was listed: a later
    # change in it (an add, a delete, a rename) changes it, so a live collection can compare without listing.
    folder_times: list[tuple[str, int]] = field(default_factory=list)

    @property
    def files(self) -> list[DocumentFile]:
        """The scanned documents in id order."""
        return self.documents_at(range(len(self.ids)))

    def documents_at(self, positions: Iterable[int]) -> list[DocumentFile]:
        """The scanned documents at these positions (scan order), in id order."""
        ids, sizes, mtimes, ctimes, root = self.ids, self.sizes, self.mtimes, self.ctimes, self.root
        files = [DocumentFile(ids[i], os.path.join(root, ids[i]), sizes[i], mtimes[i], ctimes[i]) for i in positions]
        return sorted(files, key=lambda document: document.id)


def scan_folder(folder: Path) -> FolderScan:
    """Every document file below the folder; links and odd files become problems."""
    scan = FolderScan(root=str(folder))
    problems = scan.problems
    ids, sizes, mtimes, ctimes = scan.ids, scan.sizes, scan.mtimes, scan.ctimes
    pending = [(str(folder), "")]
    while pending:
        directory, prefix = pending.pop()
        scan.folder_times.append((directory, _mtime_ns(directory)))
        # The entries are taken one at a time: a list of 1,000,000 DirEntry objects held 700 MB at once.
        try:
            listing = os.scandir(directory)
        except OSError as error:
            problems.append(
                Problem(prefix or ".", None, f"cannot list folder: {error.strerror}", ProblemKind.UNREADABLE)
            )
            continue
        with listing:
            try:
                for entry in listing:
                    name = entry.name
                    if name.startswith("."):
                        # hidden, including the app's own .curation/ state; a temp file a
                        # killed writer left behind is remembered so it can be swept.
                        temp = TEMP_NAME.match(name)
                        if temp and is_document_name(temp["name"]) and entry.is_file(follow_symlinks=False):
                            scan.temp_files.append((prefix + temp["name"], Path(entry.path)))
                        continue
                    rel = prefix + name
                    is_document = name.lower().endswith(DOCUMENT_SUFFIXES)
                    if not (name.isascii() or _is_utf8(name)):
                        if is_document or entry.is_dir(follow_symlinks=False):
                            problems.append(Problem(_name_shown(rel), None, NAME_NOT_UTF8, ProblemKind.ENCODING))
                        continue
                    if is_document:
                        # One lstat says link, folder or file: the warm load's cost is this call per document.
                        try:
                            info = entry.stat(follow_symlinks=False)
                        except FileNotFoundError:
                            continue  # removed since the folder was listed: not a document any more
                        except OSError as error:
                            problems.append(
                                Problem(
                                    rel, None, f"cannot read file details: {error.strerror}", ProblemKind.UNREADABLE
                                )
                            )
                            continue
                        mode = info.st_mode
                        if stat.S_ISREG(mode):
                            ids.append(rel)
                            sizes.append(info.st_size)
                            mtimes.append(info.st_mtime_ns)
                            ctimes.append(info.st_ctime_ns)
                        elif stat.S_ISLNK(mode):
                            problems.append(Problem(rel, None, NOT_FOLLOWED, ProblemKind.NOT_A_FILE))
                        elif stat.S_ISDIR(mode):
                            pending.append((entry.path, rel + "/"))
                        else:
                            problems.append(Problem(rel, None, NOT_REGULAR, ProblemKind.NOT_A_FILE))
                    elif entry.is_symlink():
                        problems.append(Problem(rel, None, NOT_FOLLOWED, ProblemKind.NOT_A_FILE))
                    elif entry.is_dir(follow_symlinks=False):
                        pending.append((entry.path, rel + "/"))
            except OSError as error:  # the listing itself broke off (an I/O error): what was listed stays
                message = f"cannot list all of the folder: {error.strerror}"
                problems.append(Problem(prefix or ".", None, message, ProblemKind.UNREADABLE))
    return scan


def _mtime_ns(directory: str) -> int:
    try:
        return os.stat(directory).st_mtime_ns
    except OSError:
        return -1


def _is_utf8(name: str) -> bool:
    """Whether a name from the file system is valid UTF-8 (Python keeps other bytes as lone surrogates)."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _name_shown(rel: str) -> str:
    """A name that is not UTF-8, with its odd bytes written as \\xNN, so it can be shown and stored."""
    return os.fsencode(rel).decode("utf-8", "backslashreplace")


class LocalStore:
    """The store of a docs folder on this machine (curation.store): paths from descriptors, writes under a lock."""

    changed_where = "on disk"

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.name = str(folder)

    def list_documents(self) -> ObjectListing:
        """Every document file in id order, with `mtime_ns:ctime_ns` as its version tag."""
        scan = scan_folder(self.folder)
        found = sorted(zip(scan.ids, scan.sizes, scan.mtimes, scan.ctimes, strict=True))  # in id order, as S3 lists
        return ObjectListing(
            [doc_id for doc_id, *_ in found], [size for _, size, _, _ in found],
            [f"{mtime}:{ctime}" for _, _, mtime, ctime in found], [mtime for _, _, mtime, _ in found], scan.problems,
        )  # fmt: skip

    def check(self) -> None:
        """DocsFolderError when the folder is missing or not a folder."""
        check_docs_folder(self.folder)

    def address(self, doc_id: str) -> str:
        """Where a document is, as an editor would look it up: its path."""
        return str(self.folder / doc_id)

    def read(self, doc_id: str) -> bytes:
        return read_document(self.folder, doc_id)

    @contextmanager
    def writer(self, doc_id: str, audit_log: Path | str | None = None) -> Iterator[LocalDocument]:
        """The document under its lock, reached without links (curation.store.folder)."""
        with (
            DocsFolder(self.folder) as docs,
            document_lock(docs, doc_id),
            docs.document_folder(doc_id) as (folder_fd, name),
        ):
            yield LocalDocument(docs, folder_fd, name, doc_id, audit_log)

    def read_audit(self, audit_log: Path | str | None = None) -> tuple[list[AuditEntry], list[Problem]]:
        return read_folder_log(self.folder, audit_log)

    def append_schedule(self, record: ScheduleRecord) -> None:
        append_schedule_record(self.folder, record)

    def read_schedule(self, *, open_only: bool = False) -> tuple[list[ScheduleRecord], list[Problem]]:
        return read_schedule_records(self.folder)  # one small file: all of it

    def schedule_lock(self) -> AbstractContextManager[None]:
        return schedule_lock(self.folder)


class LocalDocument:
    """One document file, locked: read it, append the audit line, replace it atomically."""

    def __init__(self, docs: DocsFolder, folder_fd: int, name: str, doc_id: str, audit_log: Path | str | None):
        self.docs, self.folder_fd, self.name, self.doc_id, self.audit_log = docs, folder_fd, name, doc_id, audit_log
        self.size = self.mtime_ns = 0
        self.written_version: str | None = None

    def read(self) -> bytes:
        with closing(open_document_at(self.folder_fd, self.name, self.doc_id)) as fd:
            raw, info = read_file(fd, MAX_DOCUMENT_BYTES), os.fstat(fd)
        self.size, self.mtime_ns = info.st_size, info.st_mtime_ns
        if len(raw) > MAX_DOCUMENT_BYTES:
            raise too_large(self.doc_id, max(info.st_size, len(raw)))
        return raw

    def log(self, entry: AuditEntry) -> None:
        """Append the entry (fsynced) before the file changes: a change is never left without its line."""
        doc_id = self.doc_id
        try:
            with audit_appender(self.docs, self.audit_log) as append:
                try:
                    append(entry)
                except OSError as error:
                    raise PublishRefusedError(
                        doc_id, f"could not write the audit log ({os_reason(error)}); nothing was written"
                    ) from None
        except CurationError as error:
            if isinstance(error, PublishRefusedError):
                raise
            raise PublishRefusedError(doc_id, f"cannot open the audit log: {error}; nothing was written") from None
        except OSError as error:
            raise PublishRefusedError(
                doc_id, f"cannot open the audit log ({os_reason(error)}); nothing was written"
            ) from None

    def replace(self, raw: bytes) -> tuple[int, int]:
        try:
            written = replace_atomically(self.folder_fd, self.name, raw)
        except OSError as error:
            # The entry stays in the log; the file still has sha_before, so history shows it did not complete.
            raise PublishRefusedError(
                self.doc_id, f"could not write the file ({os_reason(error)}); it is unchanged"
            ) from None
        return written.st_size, written.st_mtime_ns
