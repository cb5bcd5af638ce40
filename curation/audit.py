"""The audit log: one JSON line per change, written before the file changes.

Ordering, safe under a kill at any instant:
1. under the document's lock, the entry (with `sha_before` and `sha_after`)
   is appended and fsynced;
2. then the file is replaced atomically.
A writer killed between the two leaves an entry whose change never
happened. Nothing needs repairing on disk for that: the log and the files
together say what happened (`AuditHistory.took_effect`). The entries that
took effect form a chain of shas ending at the file as it is now
(`completed_positions`); an entry off the chain did not. History marks
such an entry as not completed and undo skips it.

Each line is one write on an O_APPEND descriptor under an flock of the log,
so lines from concurrent writers never interleave. A torn last line (a
short write, a full disk) is cut off again when possible, and otherwise a
newline is written first, so the next entry starts on a line of its own.
Every line read back is validated into an AuditEntry; anything else is
skipped with a warning that names the log and the line.

In a bucket (curation.store.s3) there is no lock: the log is one object per
entry, created before the document's conditional PUT, and the same judgement
applies. Two hosts racing from one sha both write an entry; the one whose PUT
fails deletes its own, and one left behind by a host killed first is off the
chain: nothing continues from its sha_after.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import unicodedata
from bisect import bisect_left
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, TypeVar

from curation.errors import EditorNameError
from curation.problems import Problem, ProblemKind
from curation.untrusted_json import loads_untrusted

# The fields a change may set, and what their values must be (None: a text field was missing).
FIELD_CHECKS = {
    "published": lambda value: type(value) is bool,
    **dict.fromkeys(("title", "excerpt", "category", "type"), lambda value: value is None or isinstance(value, str)),
    "topics": lambda value: value is None or (isinstance(value, list) and all(isinstance(t, str) for t in value)),
}
Record = TypeVar("Record")
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
    schedule: str | None = None  # the schedule that made this change (curation.editing.schedule)
    scheduled_by: str | None = None  # the editor who scheduled it

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
        for name in ("schedule", "scheduled_by"):
            if values[name] is not None and (not isinstance(values[name], str) or not values[name]):
                raise ValueError(f"`{name}` must be non-empty text")
        check = FIELD_CHECKS.get(values["field"])
        if check is None:
            raise ValueError(f"unknown field {values['field']!r}")
        if not (check(values["old"]) and check(values["new"])):
            raise ValueError(f"`old` and `new` are not values `{values['field']}` can have")
        if not (_SHA256.fullmatch(values["sha_before"]) and _SHA256.fullmatch(values["sha_after"])):
            raise ValueError("`sha_before` and `sha_after` must be sha256 hex digests")
        if not is_utc_time(values["time"]):
            raise ValueError("`time` must be a UTC time like 2026-01-02T03:04:05Z")
        line = values["line"]
        if line is not None and not (type(line) is int and line > 0):
            raise ValueError("`line` must be a positive whole number")
        return cls(**values)


_FIELD_NAMES = tuple(AuditEntry.__dataclass_fields__)


# A time outside these years is no change's (and one near year 1 or 9999 overflows when said in another zone).
FIRST_YEAR, LAST_YEAR = 1970, 8999


def is_utc_time(text: object) -> bool:
    """Whether a logged time is UTC written as the logs write it, 2026-01-02T03:04:05(.123456)Z, and a real
    time (not 23:59:60 or month 13) from 1970 to 8999."""
    if not (isinstance(text, str) and _TIME.fullmatch(text)):
        return False
    try:
        return FIRST_YEAR <= dt.datetime.fromisoformat(text.replace("Z", "+00:00")).year <= LAST_YEAR
    except ValueError:
        return False


def utc_text(when: dt.datetime) -> str:
    """A time as the logs write it (UTC, microseconds, Z)."""
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


MAX_EDITOR_NAME = 100  # characters
# Characters that would let a name forge a log line or hide what it says: line and paragraph breaks, and
# the bidi controls that reorder what follows them on screen (U+202E shows "evil" as "live").
_HIDDEN_IN_NAMES = {"\u2028", "\u2029", "\u061c", "\u200e", "\u200f", *map(chr, range(0x202A, 0x202F)),
                    *map(chr, range(0x2066, 0x206A))}  # fmt: skip


def check_editor_name(name: object) -> str:
    """The name as it is logged (spaces around it dropped), or EditorNameError saying what is wrong.
    The one rule for the command line, the dashboard and the library."""
    if not isinstance(name, str) or not name.strip():
        raise EditorNameError("an editor's name cannot be empty")
    text = name.strip()
    for char in text:
        if unicodedata.category(char) == "Cc" or char in _HIDDEN_IN_NAMES:
            raise EditorNameError(
                f"an editor's name cannot hold the control character U+{ord(char):04X}; type the name plainly"
            )
    if len(text) > MAX_EDITOR_NAME:
        raise EditorNameError(f"an editor's name is at most {MAX_EDITOR_NAME} characters, not {len(text):,}")
    return text


def new_entry(**fields: Any) -> AuditEntry:
    """An entry with a fresh change id and the current UTC time; EditorNameError for a name that cannot be logged."""
    fields["editor"] = check_editor_name(fields.get("editor"))
    return AuditEntry(change=secrets.token_hex(6), time=utc_text(dt.datetime.now(dt.UTC)), **fields)


def new_batch_id() -> str:
    return secrets.token_hex(6)


def parse_audit_lines(raw: bytes, shown: str) -> tuple[list[AuditEntry], list[Problem]]:
    return parse_json_lines(raw, shown, AuditEntry.from_json, "audit entry", ProblemKind.AUDIT)


def parse_json_lines(
    raw: bytes,
    shown: str,
    parse: Callable[[Any], Record],
    what: str,
    kind: ProblemKind,
    located: Callable[[Record, int], Record] | None = None,
) -> tuple[list[Record], list[Problem]]:
    """Each line of a JSON-lines log through `parse`, and a warning naming the file and line of each that is
    not `what` (`parse` raises ValueError saying why). `located` gives a record its line, to name it later."""
    records: list[Record] = []
    problems: list[Problem] = []
    lines = raw.split(b"\n")
    torn_at = len(lines) if lines[-1] else None  # the last line has no newline: torn
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = parse(loads_untrusted(line))
        except ValueError as error:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
            reason = "a torn last line (a write that did not finish)" if number == torn_at else str(error)
            problems.append(Problem(shown, number, f"unreadable {what}: {reason}; the line was skipped", kind))
            continue
        records.append(record if located is None else located(record, number))
    return records, problems


def completed_positions(entries: Sequence[AuditEntry], positions: Sequence[int], current: str | None) -> set[int]:
    """Which of one document's entries (`positions`, in log order) took effect, given its sha now (None: unknown).

    The changes that took effect form a chain: each starts from the sha the one
    before it left (`sha_before` == the previous `sha_after`), and the last one
    left the document as it is now. An entry off that chain did not take effect:
    a writer killed before its write, or the loser of a race whose entry was not
    withdrawn (it starts from the same sha as the winner, and nothing continues
    from its `sha_after`). Of the chains that end at the current sha, the longest
    is the history (a leftover entry can only shorten one). Where the chain starts
    from a sha no entry left (the first change logged, or a document changed by
    something else), the entries before it are judged the same way, ending at
    that sha; entries starting from that very sha next to it lost a race to it.
    Two writers making the same edit from the same sha leave entries no one can
    tell apart: the later one is credited.
    """
    length: dict[int, int] = {}
    previous: dict[int, int | None] = {}
    longest_to: dict[str, int] = {}  # a sha -> the entry ending the longest chain so far that leaves it
    leaving: dict[str, list[int]] = {}  # a sha -> the entries that leave it, in log order
    longest_so_far: list[int] = []  # per index: the entry ending the longest chain among positions[: index + 1]
    for position in positions:
        entry = entries[position]
        before = longest_to.get(entry.sha_before)
        previous[position] = before
        length[position] = 1 + (length[before] if before is not None else 0)
        known = longest_to.get(entry.sha_after)
        if known is None or length[position] >= length[known]:
            longest_to[entry.sha_after] = position
        leaving.setdefault(entry.sha_after, []).append(position)
        best = longest_so_far[-1] if longest_so_far else position
        longest_so_far.append(position if length[position] >= length[best] else best)
    done: set[int] = set()
    count, target = len(positions), current  # judge positions[:count], whose chain ends at `target`
    while count:
        cut = positions[count - 1]
        ends = [p for p in leaving.get(target, ()) if p <= cut] if target is not None else []
        if ends:
            end = max(ends, key=lambda p: (length[p], p))
        else:
            while count and target is not None and entries[positions[count - 1]].sha_before == target:
                count -= 1  # started from `target` but nothing left it: lost the race, or killed before the write
            if not count:
                break
            end = longest_so_far[count - 1]
        start = end
        while start is not None:
            done.add(start)
            first, start = start, previous[start]
        count, target = bisect_left(positions, first), entries[first].sha_before
    return done


@dataclass
class AuditHistory:
    """The entries of one log, with what took effect judged from the log and the files.

    `current_sha(id)` gives a document's sha256 now (None when unreadable);
    it is asked only for a document whose entries are judged, and at most once.
    """

    entries: list[AuditEntry]
    current_sha: Callable[[str], str | None]
    _positions: dict[str, list[int]] = field(init=False, repr=False)
    _done: dict[str, set[int]] = field(init=False, repr=False, default_factory=dict)
    _undos: dict[str, dict[str, AuditEntry]] = field(init=False, repr=False, default_factory=dict)

    def __post_init__(self) -> None:
        self._positions = {}
        for position, entry in enumerate(self.entries):
            self._positions.setdefault(entry.id, []).append(position)

    def took_effect(self, position: int) -> bool:
        """Whether the change at this position of the log was really made (see `completed_positions`)."""
        doc_id = self.entries[position].id
        if doc_id not in self._done:
            self._done[doc_id] = completed_positions(self.entries, self._positions[doc_id], self.current_sha(doc_id))
        return position in self._done[doc_id]

    def newest_first(self, limit: int | None = None) -> list[tuple[AuditEntry, bool]]:
        """(entry, took effect) from the newest entry back; only the newest `limit` are judged."""
        newest = range(len(self.entries) - 1, -1, -1)[:limit]
        return [(self.entries[p], self.took_effect(p)) for p in newest]

    def reverted_by(self, entry: AuditEntry) -> AuditEntry | None:
        """The undo (one that took effect) that reverted this change last, or None."""
        if entry.id not in self._undos:
            self._undos[entry.id] = {
                self.entries[p].undoes: self.entries[p]  # type: ignore[misc]
                for p in self._positions.get(entry.id, ())
                if self.entries[p].undoes and self.took_effect(p)
            }
        return self._undos[entry.id].get(entry.change)

    def is_undone(self, entry: AuditEntry) -> bool:
        return self.reverted_by(entry) is not None

    def batch_positions(self, batch: str) -> list[int]:
        """The log positions of one bulk request's changes, newest first (empty for an unknown batch id)."""
        return [position for position in range(len(self.entries) - 1, -1, -1) if self.entries[position].batch == batch]

    def can_undo(self, position: int) -> bool:
        """Whether the change at this position took effect and is not undone yet (an undo itself is not undone)."""
        entry = self.entries[position]
        return not entry.undoes and self.took_effect(position) and not self.is_undone(entry)

    def undoable(self) -> Iterator[AuditEntry]:
        """Changes that took effect and are not undone yet, newest first (undos themselves are not)."""
        for position in range(len(self.entries) - 1, -1, -1):
            if self.can_undo(position):
                yield self.entries[position]
