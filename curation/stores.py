"""Where documents live: a folder or an S3 prefix, behind one small interface.

A store can:
- `list_documents()`: every document with its size, a version tag and mtime;
- `read(doc_id)`: one document's bytes;
- `writer(doc_id, audit_log)`: a context giving one document to `read()`,
  `log(entry)` (the audit entry, appended before anything changes) and
  `replace(raw)`, which writes only if the document is still the version
  read: in a folder because the writer holds the document's lock, in a
  bucket because the PUT carries `If-Match: <ETag>` (it raises
  VersionChanged otherwise);
- `read_audit(audit_log)`: the audit entries, oldest first, and warnings.

curation.publish drives every write through this, so the sha check, the
edit and its re-parse proof, the audit-first order and undo are the same
code for both. The folder's store (curation.publish.LocalStore) only wraps
the folder code (docs_folder, atomic_files, audit); S3Store lives in
curation.s3_store, and boto3 is imported only when an `s3://` location is
opened.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from curation.audit import AuditEntry
from curation.problems import Problem
from curation.s3_store import S3Store, VersionChanged, is_s3_location

if TYPE_CHECKING:
    from curation.s3_store import ObjectListing

__all__ = [
    "DocumentWrite", "S3Store", "Store", "VersionChanged",
    "default_docs_location", "is_s3_location", "open_store", "read_document_bytes",
]  # fmt: skip

Location = Path | str
DOCS_ENV = "CURATION_DOCS"
DEFAULT_DOCS = "seeds"  # the sample documents, beside app.py in a checkout


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
    def read(self, doc_id: str) -> bytes: ...
    def writer(self, doc_id: str, audit_log: Path | str | None = None) -> AbstractContextManager[DocumentWrite]: ...
    def read_audit(self, audit_log: Path | str | None = None) -> tuple[list[AuditEntry], list[Problem]]: ...


def default_docs_location(environment: Mapping[str, str] | None = None) -> Location:
    """Where the documents are when nobody says, for the command line and the dashboard alike:
    $CURATION_DOCS (a folder, or an `s3://bucket/prefix` kept as text), else seeds/ in the working folder."""
    configured = (os.environ if environment is None else environment).get(DOCS_ENV)
    if is_s3_location(configured):
        return configured
    return Path(configured or DEFAULT_DOCS)


def open_store(location: Location) -> Store:
    """The store a docs location names: `s3://bucket/prefix`, or a folder."""
    if is_s3_location(location):
        return S3Store(location)
    from curation.publish import LocalStore  # the folder's write code lives beside the edits it carries out

    return LocalStore(Path(location))


def read_document_bytes(location: Location, doc_id: str) -> bytes:
    """One document's bytes from a folder or a bucket."""
    return open_store(location).read(doc_id)
