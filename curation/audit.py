"""The audit log: one JSON line per change, written before the file changes.

Ordering, safe under a kill at any instant:
1. under the document's lock, the entry (with `sha_before` and `sha_after`)
   is appended and fsynced;
2. then the file is replaced atomically.
A writer killed between the two leaves an entry whose change never
happened. Nothing needs repairing on disk for that: the log and the files
together say what happened (`AuditHistory.took_effect`). An entry took
effect unless the file it names still had `sha_before` afterwards, which
shows in the next entry for that file (it starts from `sha_before` again)
or, for the newest entry of a file, in the file itself. History marks
such an entry as not completed and undo skips it.

Each line is one write on an O_APPEND descriptor under an flock of the log,
so lines from concurrent writers never interleave. A torn last line (a
short write, a full disk) is cut off again when possible, and otherwise a
newline is written first, so the next entry starts on a line of its own.
Every line read back is validated into an AuditEntry; anything else is
skipped with a warning that names the log and the line.

In a bucket (curation.s3_store) there is no lock: the log is one object per
entry, created before the document's conditional PUT, and the same judgement
applies. Two hosts racing from one sha both write an entry; the one whose PUT
fails deletes its own, since an entry starting from the winner's sha_before
would otherwise be judged as done.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import re
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from curation.docs_folder import STATE_DIR, DocsFolder, closing, open_file, read_file
from curation.errors import UnsafePathError
from curation.problems import Problem, ProblemKind

AUDIT_LOG_ENV = "CURATION_AUDIT_LOG"
LOG_NAME = "audit.jsonl"
# The fields a change may set, and what their values must be (None: a text field was missing).
FIELD_CHECKS = {
    "published": lambda value: type(value) is bool,
    **dict.fromkeys(("title", "excerpt", "category", "type"), lambda value: value is None or isinstance(value, str)),
    "topics": lambda value: value is None or (isinstance(value, list) and all(isinstance(t, str) for t in value)),
}
_SHA256 = re.compile(r"[0-9a-f]{64}")
_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z")


@dataclass(frozen=True)
class AuditEntry:
    """One logged change to one field of one document."""

    change: str  # this change's id
    time: str  # UTC, ISO 8601 with Z
    editor: str
    id: str  # the document
    old: Any
    new: Any
    sha_before: str
    sha_after: str
    field: str = "published"
    line: int | None = None  # the 1-based file line the edit rewrote, inserted or removed
    before: str | None = None  # that line's exact text before (None: the edit inserted it)
    after: str | None = None  # its exact text after (None: the edit removed it)
    undoes: str | None = None  # the change this one reverts
    batch: str | None = None  # shared by the changes of one bulk request

    @property
    def when(self) -> dt.datetime:
        return dt.datetime.fromisoformat(self.time.replace("Z", "+00:00"))

    def to_json(self) -> dict[str, Any]:
        return {key: value for key, value in asdict(self).items() if value is not None}

    @classmethod
    def from_json(cls, data: object) -> AuditEntry:
        """Validate one decoded line; ValueError says what is wrong with it."""
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        values = {name: data.get(name) for name in _FIELD_NAMES}
        values["field"] = values["field"] or "published"
        for name in ("change", "time", "editor", "id", "sha_before", "sha_after", "field"):
            if not isinstance(values[name], str) or not values[name]:
                raise ValueError(f"`{name}` must be non-empty text")
        for name in ("before", "after", "undoes", "batch"):
            if values[name] is not None and not isinstance(values[name], str):
                raise ValueError(f"`{name}` must be text")
        check = FIELD_CHECKS.get(values["field"])
        if check is None:
            raise ValueError(f"unknown field {values['field']!r}")
        if not (check(values["old"]) and check(values["new"])):
            raise ValueError(f"`old` and `new` are not values `{values['field']}` can have")
        if not (_SHA256.fullmatch(values["sha_before"]) and _SHA256.fullmatch(values["sha_after"])):
            raise ValueError("`sha_before` and `sha_after` must be sha256 hex digests")
        if not _TIME.fullmatch(values["time"]):
            raise ValueError("`time` must be a UTC time like 2026-01-02T03:04:05Z")
        line = values["line"]
        if line is not None and not (type(line) is int and line > 0):
            raise ValueError("`line` must be a positive whole number")
        return cls(**values)


_FIELD_NAMES = tuple(AuditEntry.__dataclass_fields__)


def new_entry(**fields: Any) -> AuditEntry:
    """An entry with a fresh change id and the current UTC time."""
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return AuditEntry(change=secrets.token_hex(6), time=now, **fields)


def new_batch_id() -> str:
    return secrets.token_hex(6)


def audit_log_path(folder: Path, configured: Path | str | None = None) -> Path:
    """Where changes to this folder are logged: given, $CURATION_AUDIT_LOG, or .curation/audit.jsonl."""
    chosen = configured or os.environ.get(AUDIT_LOG_ENV)
    return Path(chosen) if chosen else folder / STATE_DIR / LOG_NAME


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
        yield lambda entry: _append_line(fd, shown, entry)


def _append_line(fd: int, shown: str, entry: AuditEntry) -> None:
    line = (json.dumps(entry.to_json(), ensure_ascii=False) + "\n").encode("utf-8")
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


def _parse_lines(raw: bytes, shown: str) -> tuple[list[AuditEntry], list[Problem]]:
    entries: list[AuditEntry] = []
    problems: list[Problem] = []
    lines = raw.split(b"\n")
    torn_at = len(lines) if lines[-1] else None  # the last line has no newline: torn
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            entry = AuditEntry.from_json(json.loads(line))
        except ValueError as error:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
            reason = "a torn last line (a write that did not finish)" if number == torn_at else str(error)
            problems.append(
                Problem(shown, number, f"unreadable audit entry: {reason}; the line was skipped", ProblemKind.AUDIT)
            )
            continue
        entries.append(entry)
    return entries, problems


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
        return _parse_lines(read_file(fd), shown)


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


@dataclass
class AuditHistory:
    """The entries of one log, with what took effect judged from the log and the files.

    `current_sha(id)` gives a document's sha256 now (None when unreadable);
    it is asked only for the newest entry of a document, and at most once.
    """

    entries: list[AuditEntry]
    current_sha: Callable[[str], str | None]
    _next_of: dict[int, AuditEntry] = field(init=False, repr=False)
    _shas: dict[str, str | None] = field(init=False, repr=False, default_factory=dict)

    def __post_init__(self) -> None:
        self._next_of = {}
        newest: dict[str, int] = {}
        for position in range(len(self.entries) - 1, -1, -1):
            entry = self.entries[position]
            if entry.id in newest:
                self._next_of[position] = self.entries[newest[entry.id]]
            newest[entry.id] = position

    def took_effect(self, position: int) -> bool:
        """Whether the change at this position of the log was really made."""
        entry = self.entries[position]
        following = self._next_of.get(position)
        if following is not None:
            return following.sha_before != entry.sha_before
        if entry.id not in self._shas:
            self._shas[entry.id] = self.current_sha(entry.id)
        return self._shas[entry.id] != entry.sha_before

    def newest_first(self) -> list[tuple[AuditEntry, bool]]:
        """(entry, took effect) from the newest entry back."""
        return [(self.entries[p], self.took_effect(p)) for p in range(len(self.entries) - 1, -1, -1)]

    def undone_changes(self) -> set[str]:
        """The changes that an undo which took effect reverted."""
        return set(self.undone_by())

    def undone_by(self) -> dict[str, AuditEntry]:
        """Each reverted change's id, with the undo (one that took effect) that reverted it last."""
        return {
            entry.undoes: entry
            for position, entry in enumerate(self.entries)
            if entry.undoes and self.took_effect(position)
        }

    def batch_positions(self, batch: str) -> list[int]:
        """The log positions of one bulk request's changes, newest first (empty for an unknown batch id)."""
        return [position for position in range(len(self.entries) - 1, -1, -1) if self.entries[position].batch == batch]

    def undoable(self) -> Iterator[AuditEntry]:
        """Changes that took effect and are not undone yet, newest first (undos themselves are not)."""
        undone = self.undone_changes()
        for position in range(len(self.entries) - 1, -1, -1):
            entry = self.entries[position]
            if not entry.undoes and entry.change not in undone and self.took_effect(position):
                yield entry
