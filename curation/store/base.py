"""Where documents live: a folder or an S3 prefix, behind one small interface.

A store can:
- `list_documents()`: every document with its size, a version tag and mtime;
- `address(doc_id)`: where a document is, to show (a path or an s3:// URL);
- `read(doc_id)`: one document's bytes;
- `writer(doc_id, audit_log)`: a context giving one document to `read()`,
  `log(entry)` (the audit entry, appended before anything changes) and
  `replace(raw)`, which writes only if the document is still the version
  read: in a folder because the writer holds the document's lock, in a
  bucket because the PUT carries `If-Match: <ETag>` (it raises
  VersionChanged otherwise);
- `read_audit(audit_log)`: the audit entries, oldest first, and warnings;
- `append_schedule(record)`, `read_schedule()` and `schedule_lock()`: the
  schedule log (curation.schedules; a folder's `.curation/schedule.jsonl`, a
  bucket's objects under `.curation/schedule/`) and the lock a run or a
  cancel holds (a folder's lock file; nothing in a bucket).

curation.editing.publish drives every write through this, so the sha check,
the edit and its re-parse proof, the audit-first order and undo are the same
code for both; curation.loading and curation.live load and watch through it.
The folder's store (curation.store.local) wraps the descriptor-relative file
code (curation.store.folder, atomic_files, folder_audit); S3Store lives in
curation.store.s3, and obstore is imported only when an `s3://` location is
opened.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from curation.audit import AuditEntry
from curation.problems import Problem
from curation.schedules import ScheduleRecord

Location = Path | str  # a folder, or an `s3://bucket/prefix` kept as text


class VersionChanged(Exception):
    """The object changed (or went away) between our GET and our conditional PUT; our entry is deleted."""


@dataclass(frozen=True, slots=True)
class DocumentFile:
    """A candidate document found by the scan, with the stat taken then."""

    id: str
    path: str
    size: int
    mtime_ns: int
    ctime_ns: int


@dataclass
class ObjectListing:
    """What one listing of the prefix found, as columns (one entry per document object)."""

    ids: list[str] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)
    etags: list[str] = field(default_factory=list)
    mtimes: list[int] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    requests: int = 0  # LIST requests made


class DocumentWrite(Protocol):
    """One document being written: read it, log the change, replace it if nobody changed it meanwhile."""

    size: int  # of the version read
    mtime_ns: int
    written_version: str | None  # after replace: the version tag written (a bucket's ETag; None in a folder)

    def read(self) -> bytes: ...
    def log(self, entry: AuditEntry) -> None: ...
    def replace(self, raw: bytes) -> tuple[int, int]: ...  # (size, mtime_ns) written


class Store(Protocol):
    """A docs folder or an S3 prefix."""

    name: str
    changed_where: str  # "on disk", "in the bucket": where a conflicting change happened

    def list_documents(self) -> ObjectListing: ...
    def check(self) -> None: ...  # a CurationError naming what is wrong with the location
    def address(self, doc_id: str) -> str: ...  # a path or an s3:// URL, to show
    def read(self, doc_id: str) -> bytes: ...
    def writer(self, doc_id: str, audit_log: Path | str | None = None) -> AbstractContextManager[DocumentWrite]: ...
    def read_audit(self, audit_log: Path | str | None = None) -> tuple[list[AuditEntry], list[Problem]]: ...
    def append_schedule(self, record: ScheduleRecord) -> None: ...
    def read_schedule(self, *, open_only: bool = False) -> tuple[list[ScheduleRecord], list[Problem]]: ...
    def schedule_lock(self) -> AbstractContextManager[None]: ...
