"""A docs folder -> a DataFrame of articles, plus problems and warnings.

The frame is indexed by `id`, the file's path relative to the folder with
`/` separators. Every file that looks like a document ends up either as a row
or as a Problem; nothing is dropped silently.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from curation.atomic_files import TEMP_NAME, sweep_orphan_temp_files
from curation.documents import DOCUMENT_SUFFIXES, MAX_DOCUMENT_BYTES, read_article
from curation.errors import DocsFolderError, DocumentError

TEXT_COLUMNS = (
    "title", "excerpt", "category", "type", "provider", "domain", "image",
    "webUrl", "originalUrl", "ampWebUrl", "cdnAmpWebUrl", "sha256",
)  # fmt: skip
COLUMNS = (
    "title", "excerpt", "category", "type", "publishedDateTime", "quality", "heat",
    "published", "provider", "domain", "topics", "image", "images", "related",
    "webUrl", "originalUrl", "ampWebUrl", "cdnAmpWebUrl", "sha256", "mtime_ns", "size",
)  # fmt: skip

ProgressCallback = Callable[[int, int], None]
NOT_FOLLOWED = "is a symbolic link; links are never followed, copy the file in instead"
NOT_REGULAR = "is not a regular file; replace it with a plain text file"


@dataclass(frozen=True)
class Problem:
    """A file that could not be loaded, or a warning about one that was."""

    path: str
    line: int | None
    message: str
    kind: str

    def __str__(self) -> str:
        location = f"{self.path}:{self.line}" if self.line else self.path
        return f"{location}: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "line": self.line, "message": self.message, "kind": self.kind}

    @classmethod
    def from_error(cls, error: DocumentError) -> Problem:
        return cls(error.path, error.line, error.message, error.kind)


@dataclass(frozen=True)
class DocumentFile:
    """A candidate document found by the scan, with the stat taken then."""

    id: str
    path: Path
    size: int
    mtime_ns: int
    ctime_ns: int


@dataclass
class Collection:
    """Everything the loader found in one docs folder."""

    folder: Path
    frame: pd.DataFrame
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)


def is_document_name(name: str) -> bool:
    """Whether the loader treats a file of this name as an article document."""
    return not name.startswith(".") and name.lower().endswith(DOCUMENT_SUFFIXES)


def check_docs_folder(folder: Path) -> Path:
    """The folder as given, or a DocsFolderError saying what is wrong."""
    if not folder.exists():
        raise DocsFolderError(str(folder), "docs folder does not exist; pass --docs DIR")
    if not folder.is_dir():
        raise DocsFolderError(str(folder), "docs path is not a folder; pass --docs DIR")
    return folder


@dataclass
class FolderScan:
    """What one walk of the docs folder found."""

    files: list[DocumentFile] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    temp_files: list[tuple[str, Path]] = field(default_factory=list)  # (document id, temp file)


def scan_folder(folder: Path) -> FolderScan:
    """Every document file below the folder; links and odd files become problems."""
    scan = FolderScan()
    files, problems = scan.files, scan.problems
    pending = [(folder, "")]
    while pending:
        directory, prefix = pending.pop()
        try:
            entries = sorted(os.scandir(directory), key=lambda entry: entry.name)
        except OSError as error:
            problems.append(Problem(prefix or ".", None, f"cannot list folder: {error.strerror}", "unreadable"))
            continue
        for entry in entries:
            rel = prefix + entry.name
            if entry.name.startswith("."):
                # hidden, including the app's own .curation/ state; a temp file a
                # killed writer left behind is remembered so it can be swept.
                temp = TEMP_NAME.match(entry.name)
                if temp and is_document_name(temp["name"]) and entry.is_file(follow_symlinks=False):
                    scan.temp_files.append((prefix + temp["name"], Path(entry.path)))
                continue
            if entry.is_symlink():
                problems.append(Problem(rel, None, NOT_FOLLOWED, "not-a-file"))
            elif entry.is_dir(follow_symlinks=False):
                pending.append((Path(entry.path), rel + "/"))
            elif is_document_name(entry.name):
                info = entry.stat(follow_symlinks=False)
                if stat.S_ISREG(info.st_mode):
                    files.append(DocumentFile(rel, Path(entry.path), info.st_size, info.st_mtime_ns, info.st_ctime_ns))
                else:
                    problems.append(Problem(rel, None, NOT_REGULAR, "not-a-file"))
    files.sort(key=lambda document: document.id)
    return scan


def read_document_file(document: DocumentFile) -> dict[str, Any]:
    """Parse one scanned file into a row; raises DocumentError."""
    if document.size > MAX_DOCUMENT_BYTES:
        raise DocumentError(
            document.id,
            f"file is {document.size:,} bytes, over the 1 MiB limit for a document",
            kind="too-large",
        )
    try:
        # O_NOFOLLOW: the file may have been swapped for a link since the scan.
        fd = os.open(document.path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        with os.fdopen(fd, "rb") as handle:
            raw = handle.read(MAX_DOCUMENT_BYTES + 1)
    except OSError as error:
        raise DocumentError(document.id, f"cannot read file: {error.strerror}", kind="unreadable") from None
    row = read_article(raw, document.id)
    row.update(id=document.id, mtime_ns=document.mtime_ns, size=len(raw))
    return row


def parse_files(
    documents: Iterable[DocumentFile], progress: ProgressCallback | None = None, total: int = 0
) -> tuple[list[dict[str, Any]], list[Problem]]:
    """Read and parse files in order; each becomes a row or a problem."""
    rows: list[dict[str, Any]] = []
    problems: list[Problem] = []
    for done, document in enumerate(documents, start=1):
        try:
            rows.append(read_document_file(document))
        except DocumentError as error:
            problems.append(Problem.from_error(error))
        if progress is not None and done % 500 == 0:
            progress(done, total)
    return rows, problems


def frame_from_rows(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Rows -> the typed frame, indexed by id (stable dtypes even when empty)."""
    frame = pd.DataFrame.from_records(rows, columns=["id", *COLUMNS])
    frame = frame.astype({column: "str" for column in TEXT_COLUMNS})
    frame["publishedDateTime"] = pd.to_datetime(frame["publishedDateTime"], utc=True).astype("datetime64[us, UTC]")
    frame = frame.astype(
        {"quality": "Int64", "heat": "Int64", "published": "bool", "images": "int64",
         "related": "int64", "mtime_ns": "int64", "size": "int64", "topics": "object"}
    )  # fmt: skip
    return frame.set_index("id").sort_index()


def find_duplicates(frame: pd.DataFrame) -> list[Problem]:
    """Warnings for documents that share a webUrl or an originalUrl."""
    warnings: list[Problem] = []
    reported: set[str] = set()
    for column in ("webUrl", "originalUrl"):
        urls = frame[column]
        shared = urls[(urls != "") & urls.duplicated(keep=False)]
        for url, ids in shared.groupby(shared, sort=True).groups.items():
            first, *others = sorted(ids)
            for other in others:
                if other not in reported:
                    reported.add(other)
                    message = f"likely a duplicate of {first}: same {column} {url}"
                    warnings.append(Problem(other, None, message, "duplicate"))
    return warnings


def folder_fingerprint(folder: Path | str) -> str:
    """A cheap digest of every document's name, size and times: it changes when any file does."""
    scan = scan_folder(check_docs_folder(Path(folder)))
    digest = hashlib.sha1(usedforsecurity=False)
    for document in scan.files:
        digest.update(f"{document.id}\0{document.size}\0{document.mtime_ns}\0{document.ctime_ns}\n".encode())
    for problem in scan.problems:
        digest.update(f"{problem.path}\0{problem.kind}\n".encode())
    return digest.hexdigest()


def load_collection(folder: Path | str, progress: ProgressCallback | None = None) -> Collection:
    """Load every document below the folder into a Collection."""
    folder = check_docs_folder(Path(folder))
    scan = scan_folder(folder)
    sweep_orphan_temp_files(folder, scan.temp_files)
    rows, parse_problems = parse_files(scan.files, progress, len(scan.files))
    frame = frame_from_rows(rows)
    all_problems = sorted(scan.problems + parse_problems, key=lambda problem: problem.path)
    return Collection(folder, frame, all_problems, find_duplicates(frame))
