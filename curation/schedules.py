"""The schedule log's records: what an editor scheduled, and what became of it, as validated dataclasses.

A schedule is written as records, never rewritten: `created` (what to set, on
which documents, when, by whom), then at most one that ends it: `cancelled`
(by an editor, or because someone changed the published flag after it was
scheduled; with the reason) or `applied` (what each document's write did).
In a folder they are the lines of
`.curation/schedule.jsonl`; in a bucket one object each under
`<prefix>/.curation/schedule/` (curation.store). Every record read back is
validated here; anything else is skipped with a warning naming the file and
line (or the object).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import asdict, dataclass, field, replace
from enum import StrEnum
from typing import Any

from curation.audit import check_editor_name, is_utc_time, parse_json_lines
from curation.errors import EditorNameError
from curation.problems import Problem, ProblemKind
from curation.untrusted_json import loads_untrusted

SCHEDULE_ID = re.compile(r"[0-9a-f]{12}")
MAX_IDS = 100_000  # documents in one schedule
MAX_TEXT = 2_000  # characters of a reason or a message


class RecordKind(StrEnum):
    """What a record says about its schedule."""

    CREATED = "created"
    CANCELLED = "cancelled"
    APPLIED = "applied"


class DocumentOutcome(StrEnum):
    """What applying a schedule did to one document."""

    CHANGED = "changed"  # this run wrote it
    UNCHANGED = "unchanged"  # it already had that value: nothing written
    APPLIED_BEFORE = "applied before"  # an earlier run's write (its audit entry took effect)
    CANCELLED = "cancelled"  # its published flag was changed after it was scheduled
    REFUSED = "refused"  # it cannot be written (a problem document, no such document)


@dataclass(frozen=True)
class DocumentResult:
    """One document's outcome in an `applied` record."""

    id: str
    outcome: DocumentOutcome
    message: str = ""
    change: str | None = None  # the audit entry's change id, when written

    def to_json(self) -> dict[str, Any]:
        return {key: value for key, value in asdict(self).items() if value not in (None, "")}

    @classmethod
    def from_json(cls, data: object) -> DocumentResult:
        if not isinstance(data, dict):
            raise ValueError("a result is not a JSON object")
        doc_id, message, change = data.get("id"), data.get("message", ""), data.get("change")
        if not isinstance(doc_id, str) or not doc_id:
            raise ValueError("a result's `id` must be non-empty text")
        if not isinstance(message, str) or len(message) > MAX_TEXT:
            raise ValueError(f"a result's `message` must be text of at most {MAX_TEXT:,} characters")
        if change is not None and not isinstance(change, str):
            raise ValueError("a result's `change` must be text")
        try:
            outcome = DocumentOutcome(data.get("outcome"))
        except ValueError:
            raise ValueError(f"a result's `outcome` is not one of {', '.join(DocumentOutcome)}") from None
        return cls(doc_id, outcome, message, change)


@dataclass(frozen=True)
class ScheduleRecord:
    """One line of the schedule log (one object in a bucket)."""

    record: RecordKind
    schedule: str  # the schedule's id: 12 hex digits
    time: str  # UTC, when this record was written
    editor: str  # who wrote it: the scheduler, the canceller, the runner
    publish: bool | None = None  # created: the value to set
    at: str | None = None  # created: when it is due, UTC
    ids: tuple[str, ...] | None = None  # created: the documents
    reason: str | None = None  # cancelled: why
    results: tuple[DocumentResult, ...] | None = None  # applied: each document's outcome
    source: tuple[str, int | None] | None = field(default=None, compare=False)  # where it was read: file and line

    @property
    def when(self) -> dt.datetime:
        return parse_utc(self.time)

    @property
    def due(self) -> dt.datetime:
        assert self.at is not None
        return parse_utc(self.at)

    def to_json(self) -> dict[str, Any]:
        data = {key: value for key, value in asdict(self).items() if value is not None and key != "source"}
        data["record"] = str(self.record)
        if self.ids is not None:
            data["ids"] = list(self.ids)
        if self.results is not None:
            data["results"] = [result.to_json() for result in self.results]
        return data

    @classmethod
    def from_json(cls, data: object) -> ScheduleRecord:
        """Validate one decoded record; ValueError says what is wrong with it."""
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        try:
            kind = RecordKind(data.get("record"))
        except ValueError:
            raise ValueError(f"`record` is not one of {', '.join(RecordKind)}") from None
        schedule, time, editor = data.get("schedule"), data.get("time"), data.get("editor")
        if not (isinstance(schedule, str) and SCHEDULE_ID.fullmatch(schedule)):
            raise ValueError("`schedule` must be a schedule id (12 hex digits)")
        if not is_utc_time(time):
            raise ValueError("`time` must be a UTC time like 2026-01-02T03:04:05Z")
        try:
            check_editor_name(editor)
        except EditorNameError as error:
            raise ValueError(f"`editor`: {error.message}") from None
        values: dict[str, Any] = {"record": kind, "schedule": schedule, "time": time, "editor": editor}
        if kind == RecordKind.CREATED:
            values |= _created_fields(data)
        elif kind == RecordKind.APPLIED:
            results = data.get("results")
            if not isinstance(results, list) or len(results) > MAX_IDS:
                raise ValueError("`results` must be a list")
            values["results"] = tuple(DocumentResult.from_json(result) for result in results)
        else:
            reason = data.get("reason")
            if not isinstance(reason, str) or not reason or len(reason) > MAX_TEXT:
                raise ValueError(f"`reason` must be non-empty text of at most {MAX_TEXT:,} characters")
            values["reason"] = reason
        return cls(**values)


def _created_fields(data: dict[str, Any]) -> dict[str, Any]:
    publish, at, ids = data.get("publish"), data.get("at"), data.get("ids")
    if type(publish) is not bool:
        raise ValueError("`publish` must be true or false")
    if not is_utc_time(at):
        raise ValueError("`at` must be a UTC time like 2026-01-02T03:04:05Z")
    if not (isinstance(ids, list) and 0 < len(ids) <= MAX_IDS and all(isinstance(i, str) and i for i in ids)):
        raise ValueError(f"`ids` must be a list of 1 to {MAX_IDS:,} document ids")
    return {"publish": publish, "at": at, "ids": tuple(ids)}


def parse_utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def record_line(record: ScheduleRecord) -> bytes:
    """A record as one line of the log (and the body of its object in a bucket)."""
    return (json.dumps(record.to_json(), ensure_ascii=False) + "\n").encode("utf-8")


def parse_record(raw: bytes) -> ScheduleRecord:
    """One record from its bytes; ValueError (JSON, UTF-8 or shape) says what is wrong."""
    return ScheduleRecord.from_json(loads_untrusted(raw))


def parse_schedule_lines(raw: bytes, shown: str) -> tuple[list[ScheduleRecord], list[Problem]]:
    """The records of a schedule log file, oldest first, and a warning naming the file and line of each bad one."""
    return parse_json_lines(raw, shown, ScheduleRecord.from_json, "schedule record", ProblemKind.STATE,
                            lambda record, line: replace(record, source=(shown, line)))  # fmt: skip


def unreadable_record(shown: str, line: int | None, reason: str) -> Problem:
    """The warning for a record that cannot be used (in a bucket: `shown` is the object's URL)."""
    return Problem(shown, line, f"unreadable schedule record: {reason}; skipped", ProblemKind.STATE)
