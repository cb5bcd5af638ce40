"""Scanned files or listed objects -> parsed rows or problem records, one chunk at a time.

This module imports neither pandas nor pyarrow, so a spawned worker starts in
a fraction of a second.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from curation.documents import MAX_DOCUMENT_BYTES, read_article, too_large
from curation.errors import DocumentError
from curation.problems import Problem, ProblemKind
from curation.store.base import DocumentFile
from curation.store.s3 import S3Location, S3Store, StoredObject

PARALLEL_FROM = 5000  # below this many files to parse, starting workers costs more than it saves
CHUNK_SIZE = 1000

ProgressCallback = Callable[[int, int], None]
ROW_FIELDS = (
    "id", "title", "excerpt", "category", "type", "publishedDateTime", "quality", "heat",
    "published", "provider", "domain", "topics", "image", "images", "related",
    "webUrl", "originalUrl", "ampWebUrl", "cdnAmpWebUrl", "sha256", "mtime_ns", "size", "ctime_ns",
)  # fmt: skip
TEXT_COLUMNS = (
    "title", "excerpt", "category", "type", "provider", "domain", "image",
    "webUrl", "originalUrl", "ampWebUrl", "cdnAmpWebUrl", "sha256",
)  # fmt: skip
# The pandas dtype of every field but the id in the collection's frame, and so
# in the parse cache, which is checked against this before it is trusted. Topics
# are lists here; the frame holds them as one Arrow list column (cache.ROW_DTYPES).
ROW_TYPES = {
    **dict.fromkeys(TEXT_COLUMNS, "str"),
    "publishedDateTime": "datetime64[us, UTC]", "quality": "Int64", "heat": "Int64", "published": "bool",
    "images": "int64", "related": "int64", "mtime_ns": "int64", "size": "int64", "topics": "object",
    "ctime_ns": "int64",
}  # fmt: skip
STAT_FIELDS = ("size", "mtime_ns", "ctime_ns")
PROBLEM_TYPES = {"path": "str", "line": "Int64", "message": "str", "kind": "str", **dict.fromkeys(STAT_FIELDS, "int64")}
# Parsed rows travel as columns, one list per field: cheaper to pickle from a
# worker and to turn into a DataFrame than one dict per document.
Columns = dict[str, list[Any]]


def empty_columns() -> Columns:
    return {name: [] for name in ROW_FIELDS}


def read_document_file(document: DocumentFile) -> dict[str, Any]:
    """Parse one scanned file into a row; raises DocumentError (or, on a bug, anything)."""
    if document.size > MAX_DOCUMENT_BYTES:
        raise too_large(document.id, document.size)
    try:
        # O_NOFOLLOW: the file may have been swapped for a link since the scan.
        fd = os.open(document.path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        try:
            # Size the read from the file itself: read(1 MiB) would allocate 1 MiB for every
            # 3 KB document, a fifth of the parse time. One byte more tells a file that grew.
            raw = _read_up_to(fd, min(os.fstat(fd).st_size, MAX_DOCUMENT_BYTES) + 1)
        finally:
            os.close(fd)
    except OSError as error:
        raise DocumentError(document.id, f"cannot read file: {error.strerror}", kind=ProblemKind.UNREADABLE) from None
    row = read_article(raw, document.id)
    row.update(id=document.id, mtime_ns=document.mtime_ns, size=document.size, ctime_ns=document.ctime_ns)
    return row


def _read_up_to(fd: int, limit: int) -> bytes:
    """At most `limit` bytes from the descriptor, fewer only at the end of the file (no file object needed)."""
    raw = os.read(fd, limit)
    while len(raw) < limit:
        more = os.read(fd, limit - len(raw))
        if not more:
            break
        raw += more
    return raw


def problem_for(document: DocumentFile, error: Exception) -> Problem:
    """The problem an exception while reading one file stands for; unexpected ones are named."""
    if isinstance(error, DocumentError):
        return Problem.from_error(error)
    if isinstance(error, OSError):
        return Problem(document.id, None, f"cannot read file: {error.strerror or error}", ProblemKind.UNREADABLE)
    # Most likely a bug of ours, not of the file; naming the exception lets an editor report it.
    message = (
        f"could not be loaded because of an unexpected {type(error).__name__}: {error}; "
        "this is a bug in curation, not necessarily in the file: please report it with the file"
    )
    return Problem(document.id, None, message, ProblemKind.INTERNAL)


def parse_files(documents: Iterable[DocumentFile]) -> tuple[Columns, list[dict[str, Any]]]:
    """Read and parse files in order; each becomes a row or a problem record (with its stat)."""
    columns = empty_columns()
    problems: list[dict[str, Any]] = []
    for document in documents:
        try:
            row = read_document_file(document)
        except Exception as error:  # one file must never stop a load; KeyboardInterrupt still does
            stats = {"size": document.size, "mtime_ns": document.mtime_ns, "ctime_ns": document.ctime_ns}
            problems.append({**problem_for(document, error).to_dict(), **stats})
            continue
        for name, values in columns.items():
            values.append(row[name])
    return columns, problems


# -- objects in a bucket -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ObjectRef:
    """One listed object to fetch and parse (small and picklable: it travels to worker processes)."""

    id: str
    size: int
    etag: str
    mtime_ns: int


Partition = list[ObjectRef]
Parsed = tuple[Columns, list[dict[str, Any]]]  # columns (with `etag`) and problem records (with size and etag)
PartitionParser = Callable[[str, list[Partition], ProgressCallback | None], list[Parsed]]


@dataclass(frozen=True, slots=True)
class NotFetched:
    """Why an object's bytes are not here (picklable: fetched objects travel to worker processes)."""

    reason: str
    too_large: bool = False


Fetched = list[tuple[ObjectRef, StoredObject | NotFetched | None]]  # None: deleted since the listing


def fetch(location: str, refs: Iterable[ObjectRef]) -> Fetched:
    """GET the objects many at a time (S3Store.get_many); one over the document limit is not fetched at all."""
    refs = list(refs)
    wanted = [ref for ref in refs if ref.size <= MAX_DOCUMENT_BYTES]
    got: dict[str, StoredObject | NotFetched | None] = {}
    for doc_id, item in S3Store(location).get_many(ref.id for ref in wanted):
        got[doc_id] = NotFetched(str(item)) if isinstance(item, Exception) else item
    return [(ref, got[ref.id] if ref.id in got else NotFetched("too large", too_large=True)) for ref in refs]


def parse_fetched(location: str, fetched: Fetched) -> Parsed:
    """Parse fetched objects into a row or a problem record each (a chunk that travels to a worker process)."""
    store_location = S3Location.parse(location)
    columns: Columns = {**{name: [] for name in ROW_FIELDS}, "etag": []}
    problems: list[dict[str, Any]] = []

    def problem(found: Problem, size: int, etag: str) -> None:
        problems.append({**found.to_dict(), "size": size, "etag": etag})

    for ref, got in fetched:
        if isinstance(got, NotFetched) and got.too_large:
            problem(Problem.from_error(too_large(ref.id, ref.size, "object")), ref.size, ref.etag)
            continue
        if got is None:
            continue  # deleted since the listing: not a document any more
        if isinstance(got, NotFetched):
            message = f"cannot read the object: {got.reason}"
            problem(Problem(ref.id, None, message, ProblemKind.UNREADABLE), ref.size, ref.etag)
            continue
        try:
            row = read_article(got.raw, ref.id)
        except Exception as error:  # one object must never stop a load; KeyboardInterrupt still does
            document = DocumentFile(ref.id, store_location.url(store_location.key(ref.id)), got.size, got.mtime_ns, 0)
            problem(problem_for(document, error), got.size, got.etag)
            continue
        row.update(id=ref.id, mtime_ns=got.mtime_ns, size=got.size, ctime_ns=0, etag=got.etag)
        for name, values in columns.items():
            values.append(row[name])
    return columns, problems


def fetch_and_parse(location: str, partition: Partition) -> Parsed:
    """GET one partition's objects many at a time and parse each (the unit a Dask worker runs)."""
    return parse_fetched(location, fetch(location, partition))
