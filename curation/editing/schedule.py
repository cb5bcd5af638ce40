"""Scheduled publishing: set the published flag of documents at a given time, exactly once.

An editor schedules `publish` or `unpublish` of some documents for a time
(`--all-matching` picks them when the schedule is made, not when it runs). The
schedule log (curation.schedules, kept by the store) says what was
scheduled and what became of it. `run_due_schedules` applies every pending
schedule that is due; cron, a systemd timer and the dashboard's background
thread all call it, on as many hosts as there are, as often as they like.

Exactly once, whoever runs it and however often:
- each document is written through `set_published` (its current sha, the
  audit entry first, in a folder under the document's lock, in a bucket by a
  conditional PUT), and its audit entry carries `schedule` (this schedule's
  id) and `scheduled_by`;
- just before that write, with the bytes being written from (under the
  lock; before the PUT, which fails if they changed), the audit log is read
  again: a change of this schedule that took effect (AuditHistory's sha
  chain) means it was applied already, by a run that may have died before
  recording it, or by another host that won the race; nothing is written;
- a change of the published flag that took effect after the schedule was
  created (a manual publish, an undo) cancels it for that document, with
  the reason ("published changed by bob at … after it was scheduled");
- then `applied` (or `cancelled`, when that happened to every document) is
  recorded. A run killed before that is finished by the next run, which
  finds the audit entries and writes nothing twice. In a folder a run holds
  the schedule lock while it applies one schedule, so a cancel is either
  before it (nothing is written) or after it (too late, and said so).

A scheduled change sets only the published line of the document as it is
when it runs: other fields may have changed meanwhile, and stay.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from curation.access import READ_ONLY_ENV, is_read_only
from curation.audit import LAST_YEAR, AuditEntry, check_editor_name, completed_positions, utc_text
from curation.documents import sha256_of
from curation.editing.publish import set_published
from curation.errors import ConflictError, CurationError, ReadOnlyError, RequestError, StoreError
from curation.problems import Problem, ProblemKind
from curation.schedules import MAX_IDS, DocumentOutcome, DocumentResult, RecordKind, ScheduleRecord
from curation.store import Location, Store, open_store
from curation.store.folder import check_document_id
from curation.wording import plural

RUNNER_NAME = "scheduler"  # the editor a run logs its writes as; the entry's `scheduled_by` names who scheduled
INTERVAL_ENV = "CURATION_SCHEDULE_INTERVAL"  # seconds between a dashboard server's runs
DEFAULT_INTERVAL = 15


class ScheduleError(RequestError):
    """A schedule that cannot be made or cancelled as asked: a time without a zone or in the past, an unknown id."""


class ScheduleState(StrEnum):
    PENDING = "pending"
    APPLIED = "applied"
    CANCELLED = "cancelled"


_ENDING_ORDER = (RecordKind.APPLIED, RecordKind.CANCELLED)  # a change that happened wins


@dataclass
class Schedule:
    """One schedule: the record that created it, and the one that ended it (None while it is pending)."""

    created: ScheduleRecord
    ended: ScheduleRecord | None = None

    @property
    def id(self) -> str:
        return self.created.schedule

    @property
    def ids(self) -> tuple[str, ...]:
        return self.created.ids or ()

    @property
    def publish(self) -> bool:
        return bool(self.created.publish)

    @property
    def verb(self) -> str:
        return "publish" if self.publish else "unpublish"

    @property
    def due(self) -> dt.datetime:
        return self.created.due

    @property
    def by(self) -> str:
        return self.created.editor

    @property
    def state(self) -> ScheduleState:
        return ScheduleState.PENDING if self.ended is None else ScheduleState(self.ended.record)

    @property
    def reason(self) -> str:
        """Why it was cancelled, or what applying it did."""
        if self.ended is None:
            return ""
        if self.ended.reason:
            return self.ended.reason
        results = self.ended.results or ()
        counts = {outcome: sum(result.outcome == outcome for result in results) for outcome in DocumentOutcome}
        return ", ".join(f"{count:,} {outcome}" for outcome, count in counts.items() if count)

    def targets(self) -> str:
        """Which documents, in words: "3 articles"."""
        return plural(len(self.ids), "article")

    def to_json(self) -> dict[str, object]:
        ended = self.ended
        return {
            "schedule": self.id, "action": self.verb, "at": self.created.at, "scheduled_by": self.by,
            "created": self.created.time, "ids": list(self.ids), "state": str(self.state),
            "ended": ended.time if ended else None, "ended_by": ended.editor if ended else None,
            "reason": self.reason or None,
            "results": [result.to_json() for result in ended.results] if ended and ended.results else None,
        }  # fmt: skip


@dataclass
class RunReport:
    """What one run did: each due schedule with the record that ended it (None: left for the next run)."""

    ran: list[tuple[Schedule, ScheduleRecord | None]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def parse_due_time(text: str, now: dt.datetime | None = None) -> dt.datetime:
    """An ISO 8601 time with a zone (Z or ±hh:mm), in the future; ScheduleError says what is wrong."""
    try:
        when = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise ScheduleError(f"{text!r} is not a time: write ISO 8601, like 2026-12-05T06:00:00Z") from None
    return check_due_time(when, now)


def check_due_time(when: dt.datetime, now: dt.datetime | None = None) -> dt.datetime:
    """The time in UTC, when it has a zone and is in the future; ScheduleError otherwise."""
    if when.tzinfo is None or when.utcoffset() is None:
        raise ScheduleError(
            f"{when.isoformat()} has no time zone: add Z for UTC or an offset, like 2026-12-05T06:00:00+01:00"
        )
    now = now or now_utc()
    try:
        utc = when.astimezone(dt.UTC)
    except OverflowError:  # past the year 9999 once in UTC
        utc = dt.datetime.max.replace(tzinfo=dt.UTC)
    if utc <= now:
        raise ScheduleError(f"{utc_text(utc)} is in the past (it is {utc_text(now)} now); give a later time")
    if utc.year > LAST_YEAR:  # later years overflow when said in a zone east of UTC
        raise ScheduleError(f"{when.isoformat()} is too far ahead: give a time before the year {LAST_YEAR + 1}")
    return utc


def load_schedules(location: Location, *, open_only: bool = False) -> tuple[list[Schedule], list[Problem]]:
    """Every schedule, oldest first, and a warning for each record that cannot be used. `open_only`: in a bucket,
    skip reading the records of schedules that ended (their keys say so), which a run does not need."""
    records, problems = open_store(location).read_schedule(open_only=open_only)
    return fold_records(records, problems)


def fold_records(records: list[ScheduleRecord], problems: list[Problem]) -> tuple[list[Schedule], list[Problem]]:
    schedules: dict[str, Schedule] = {}
    endings: dict[str, list[ScheduleRecord]] = {}
    for record in records:
        if record.record == RecordKind.CREATED:
            schedules.setdefault(record.schedule, Schedule(record))  # a second `created` of one id is ignored
        else:
            endings.setdefault(record.schedule, []).append(record)
    for schedule_id, ends in endings.items():
        schedule = schedules.get(schedule_id)
        if schedule is None:
            shown, line = ends[0].source or ("the schedule log", None)
            problems.append(Problem(shown, line, f"`{ends[0].record}` record of schedule {schedule_id}, which no "
                                    "`created` record names; ignored", ProblemKind.STATE))  # fmt: skip
            continue
        # The first record of the strongest kind: a change that took effect outranks a late cancel.
        schedule.ended = min(ends, key=lambda record: _ENDING_ORDER.index(record.record))
    return list(schedules.values()), problems


def find_schedule(location: Location, schedule_id: str) -> Schedule:
    """One schedule by id; ScheduleError when there is none."""
    for schedule in load_schedules(location)[0]:
        if schedule.id == schedule_id:
            return schedule
    raise ScheduleError(f"no schedule {schedule_id} (see `curation schedule list`)")


def create_schedule(
    location: Location,
    publish: bool,
    at: dt.datetime,
    *,
    ids: list[str],
    editor: str,
    now: dt.datetime | None = None,
) -> Schedule:
    """Schedule publish (or unpublish) of these documents at `at`."""
    _check_writable(location)
    editor = check_editor_name(editor)
    due = check_due_time(at, now)
    unique = tuple(dict.fromkeys(ids))
    if not unique:
        raise ScheduleError("give at least one document id")
    if len(unique) > MAX_IDS:  # a longer record would be refused when read back
        raise ScheduleError(f"{len(unique):,} documents: a schedule holds at most {MAX_IDS:,}; make several")
    for doc_id in unique:
        check_document_id(doc_id)  # UnsafePathError: not a document id
    record = ScheduleRecord(RecordKind.CREATED, secrets.token_hex(6), utc_text(now_utc()), editor, publish=publish,
                            at=utc_text(due), ids=unique)  # fmt: skip
    open_store(location).append_schedule(record)
    return Schedule(record)


def cancel_schedule(location: Location, schedule_id: str, *, editor: str) -> Schedule:
    """Cancel a pending schedule (ScheduleError when it is not pending: applied, cancelled, unknown)."""
    _check_writable(location)
    editor = check_editor_name(editor)
    store = open_store(location)
    with store.schedule_lock():  # in a folder: never between a run's look at it and its record
        schedule = find_schedule(location, schedule_id)
        if schedule.state != ScheduleState.PENDING:
            assert schedule.ended is not None
            raise ScheduleError(
                f"schedule {schedule_id} is {schedule.state} already ({schedule.reason}, {schedule.ended.time})"
            )
        record = ScheduleRecord(RecordKind.CANCELLED, schedule_id, utc_text(now_utc()), editor,
                                reason=f"cancelled by {editor}")  # fmt: skip
        store.append_schedule(record)
    schedule.ended = record
    return schedule


def run_due_schedules(
    location: Location,
    *,
    now: dt.datetime | None = None,
    editor: str = RUNNER_NAME,
    audit_log: Path | str | None = None,
) -> RunReport:
    """Apply every pending schedule that is due (at or before `now`); safe to run anywhere, at any time, at once."""
    _check_writable(location)
    editor = check_editor_name(editor)
    now = now or now_utc()
    store = open_store(location)
    schedules, problems = load_schedules(location, open_only=True)
    report = RunReport(problems=problems)
    for schedule in schedules:
        if schedule.state != ScheduleState.PENDING or schedule.due > now:
            continue
        with store.schedule_lock():
            fresh = {item.id: item for item in load_schedules(location, open_only=True)[0]}.get(schedule.id)
            if fresh is None or fresh.state != ScheduleState.PENDING:
                continue  # ended meanwhile: by another run, or cancelled
            try:
                ended = _apply(location, store, fresh, editor, audit_log)
            except _Skipped:  # ended meanwhile by another host (a bucket has no lock): its record says how
                fresh = find_schedule(location, schedule.id)
                report.ran.append((fresh, fresh.ended))
                continue
            if ended is not None:
                store.append_schedule(ended)
                fresh.ended = ended
            report.ran.append((fresh, ended))
    return report


def _check_writable(location: Location) -> None:
    if is_read_only():
        raise ReadOnlyError(str(location), f"writing is switched off ({READ_ONLY_ENV} is set)")


class _Skipped(CurationError):
    """A document this schedule must not write: applied already, its flag changed since, or the schedule ended."""

    def __init__(self, doc_id: str, outcome: DocumentOutcome | None, message: str) -> None:
        super().__init__(doc_id, message)
        self.outcome = outcome  # None: the schedule itself ended meanwhile


def _apply(
    location: Location, store: Store, schedule: Schedule, editor: str, audit_log: Path | str | None
) -> ScheduleRecord | None:
    """Apply one schedule; the record that ends it, or None to leave it for the next run."""

    def ending(kind: RecordKind, **fields: object) -> ScheduleRecord:
        return ScheduleRecord(kind, schedule.id, utc_text(now_utc()), editor, **fields)  # type: ignore[arg-type]

    entries, _ = store.read_audit(audit_log)
    earlier = [entry.id for entry in entries if entry.schedule == schedule.id]  # a run that died before recording
    results: list[DocumentResult] = []
    unfinished = False
    for doc_id in dict.fromkeys([*schedule.ids, *earlier]):
        try:
            result = _apply_one(location, store, schedule, doc_id, editor, audit_log)
        except (ConflictError, StoreError, OSError):
            unfinished = True  # changed again and again, or the store did not answer: the next run tries again
            continue
        results.append(result)
    if unfinished:
        return None
    if results and all(result.outcome == DocumentOutcome.CANCELLED for result in results):
        first = results[0].message
        reason = first if len(results) == 1 else f"every article's published flag changed after it was scheduled " \
                                                  f"({results[0].id}: {first})"  # fmt: skip
        return ending(RecordKind.CANCELLED, reason=reason)
    return ending(RecordKind.APPLIED, results=tuple(results))


def _apply_one(
    location: Location, store: Store, schedule: Schedule, doc_id: str, editor: str, audit_log: Path | str | None
) -> DocumentResult:
    try:
        change = set_published(
            location, doc_id, schedule.publish, editor=editor, audit_log=audit_log,
            check=_must_still_apply(store, schedule, doc_id, audit_log),
            entry_fields={"schedule": schedule.id, "scheduled_by": schedule.by},
        )  # fmt: skip
    except _Skipped as skipped:
        if skipped.outcome is None:
            raise  # the schedule itself ended meanwhile
        return DocumentResult(doc_id, skipped.outcome, skipped.message)
    except (ConflictError, StoreError):
        raise  # not this document's fault: the next run tries again
    except CurationError as error:  # a problem document, no such document, a refused write: recorded
        return DocumentResult(doc_id, DocumentOutcome.REFUSED, str(error))
    if change.entry is None:
        return DocumentResult(doc_id, DocumentOutcome.UNCHANGED, f"already {schedule.verb}ed")
    return DocumentResult(doc_id, DocumentOutcome.CHANGED, change=change.entry.change)


def _must_still_apply(
    store: Store, schedule: Schedule, doc_id: str, audit_log: Path | str | None
) -> Callable[[bytes], None]:
    """The check `set_published` runs on the bytes it writes from: raises _Skipped when this schedule must not
    write them. Run under the document's lock (a folder) or before the conditional PUT (a bucket), it sees every
    change that could have been made before the write."""

    def check(raw: bytes) -> None:
        records, problems = store.read_schedule(open_only=True)
        still_open = fold_records(records, problems)[0]
        if not any(item.id == schedule.id and item.state == ScheduleState.PENDING for item in still_open):
            raise _Skipped(doc_id, None, "the schedule ended meanwhile")
        verdict = _verdict(store.read_audit(audit_log)[0], schedule, doc_id, sha256_of(raw))
        if verdict is not None:
            raise _Skipped(doc_id, *verdict)

    return check


def _verdict(
    entries: list[AuditEntry], schedule: Schedule, doc_id: str, sha_now: str
) -> tuple[DocumentOutcome, str] | None:
    """Why the schedule must not write this document (from the changes of it that took effect), or None."""
    positions = [position for position, entry in enumerate(entries) if entry.id == doc_id]
    done = completed_positions(entries, positions, sha_now) if positions else set()
    created = schedule.created.when
    for position in positions:
        entry = entries[position]
        if position in done and entry.schedule == schedule.id:
            return DocumentOutcome.APPLIED_BEFORE, f"applied at {entry.time} (change {entry.change})"
    for position in positions:
        entry = entries[position]
        if position in done and entry.field == "published" and entry.when > created:
            return DocumentOutcome.CANCELLED, f"published changed by {entry.editor} at {entry.time} after it was " \
                                              "scheduled"  # fmt: skip
    return None


def schedule_interval(environment: Mapping[str, str] | None = None) -> float:
    """Seconds between a server's runs: $CURATION_SCHEDULE_INTERVAL (a positive number; 0: the server runs none),
    else 15."""
    text = (os.environ if environment is None else environment).get(INTERVAL_ENV, "")
    try:
        value = float(text)
    except ValueError:
        return DEFAULT_INTERVAL
    return value if 0 <= value <= 3600 else DEFAULT_INTERVAL
