"""What a hostile hand may write into the state files and logs: every reader warns, naming the file and line, and
nothing crashes, stops other work or writes a byte (found by an adversarial run against issue 25's new files)."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from curation.audit import is_utc_time
from curation.editing.publish import load_history, set_published
from curation.editing.schedule import (
    ScheduleError,
    check_due_time,
    create_schedule,
    load_schedules,
    run_due_schedules,
)
from curation.loading.collection import load_collection
from curation.query.saved_views import read_views
from curation.store.state_file import StateFileError
from tests.test_cli import run

NOW = dt.datetime(2026, 12, 5, 12, 0, tzinfo=dt.UTC)
DEEP = "[" * 100_000 + "]" * 100_000  # json.loads raises RecursionError for it


def unpublished(docs, count: int) -> list[str]:
    frame = load_collection(docs).frame
    return list(frame.index[~frame["published"]][:count])


def created_line(schedule: str, at: str, doc_id: str) -> str:
    return json.dumps({"record": "created", "schedule": schedule, "time": "2026-12-05T11:00:00.000000Z",
                       "editor": "mallory", "publish": True, "at": at, "ids": [doc_id]})  # fmt: skip


@pytest.mark.parametrize(
    "text",
    [
        "2020-12-31T23:59:60Z",
        "2026-13-01T00:00:00Z",
        "2026-02-30T00:00:00Z",
        "9999-12-31T23:59:59Z",
        "0001-01-01T00:00:00Z",
    ],
)
def test_a_time_that_is_not_real_or_would_overflow_is_not_a_logged_time(text):
    assert not is_utc_time(text)
    assert is_utc_time("2026-12-05T06:00:00Z") and is_utc_time("8999-12-31T23:59:59.5Z")


def test_a_schedule_line_with_an_impossible_time_is_skipped_and_the_due_one_after_it_applied(docs):
    """A leap second or month 13 in one line once stopped every run; now it is named and the rest run."""
    bad, good = unpublished(docs, 2)
    (docs / ".curation").mkdir(exist_ok=True)
    log = docs / ".curation" / "schedule.jsonl"
    log.write_text(created_line("a" * 12, "2020-12-31T23:59:60Z", bad) + "\n")
    create_schedule(docs, True, NOW + dt.timedelta(minutes=1), ids=[good], editor="ann", now=NOW)
    schedules, problems = load_schedules(docs)
    assert [schedule.id for schedule in schedules] != [] and all(schedule.id != "a" * 12 for schedule in schedules)
    assert [(problem.path, problem.line) for problem in problems] == [(".curation/schedule.jsonl", 1)]
    report = run_due_schedules(docs, now=NOW + dt.timedelta(minutes=2))
    assert len(report.ran) == 1 and b"\npublished: true\n" in (docs / good).read_bytes()
    assert b"\npublished: false\n" in (docs / bad).read_bytes()


def test_an_ending_record_without_its_schedule_is_named_by_file_and_line(docs):
    (docs / ".curation").mkdir(exist_ok=True)
    orphan = {"record": "applied", "schedule": "c" * 12, "time": "2026-12-05T11:00:00Z", "editor": "m", "results": []}
    (docs / ".curation" / "schedule.jsonl").write_text("\n" + json.dumps(orphan) + "\n")
    _, problems = load_schedules(docs)
    assert [(problem.path, problem.line) for problem in problems] == [(".curation/schedule.jsonl", 2)]
    assert "no `created` record names" in problems[0].message


@pytest.mark.parametrize("text", ["9999-12-31T23:59:59Z", "9999-12-31T23:00:00-12:00", "9000-01-01T00:00:00Z"])
def test_a_schedule_too_far_ahead_is_refused_with_a_message_not_an_overflow(text):
    with pytest.raises(ScheduleError, match="too far ahead"):
        check_due_time(dt.datetime.fromisoformat(text), NOW)
    assert check_due_time(dt.datetime.fromisoformat("8999-12-31T23:59:59+14:00"), NOW).year == 8999


def test_the_cli_refuses_a_time_past_9999_once_in_utc_with_a_usage_error(capsys, docs):
    (doc_id,) = unpublished(docs, 1)
    with pytest.raises(SystemExit) as exit_info:
        run(capsys, "publish", doc_id, "--at", "9999-12-31T23:00:00-12:00", "--docs", str(docs))
    assert exit_info.value.code == 2 and "too far ahead" in capsys.readouterr().err
    assert not (docs / ".curation" / "schedule.jsonl").exists()


def test_json_nested_too_deeply_is_a_named_problem_in_every_log_and_state_file(capsys, docs):
    (doc_id,) = unpublished(docs, 1)
    set_published(docs, doc_id, True, editor="ann")
    state = docs / ".curation"
    with (state / "audit.jsonl").open("a") as log:
        log.write(DEEP + "\n")
    (state / "schedule.jsonl").write_text(DEEP + "\n")
    (state / "views.json").write_text(DEEP)
    history, problems = load_history(docs)
    assert len(history.entries) == 1 and [(p.line, "nested too deeply" in p.message) for p in problems] == [(2, True)]
    _, problems = load_schedules(docs)
    assert [(p.path, p.line, "nested too deeply" in p.message) for p in problems] == [
        (".curation/schedule.jsonl", 1, True)
    ]
    with pytest.raises(StateFileError, match="nested too deeply") as raised:
        read_views(docs)
    assert "views.json" in str(raised.value)
    code, out, _ = run(capsys, "history", "--docs", str(docs))
    assert code == 0 and doc_id in out
    code, _, err = run(capsys, "schedule", "run", "--docs", str(docs))
    assert code == 0 and "schedule.jsonl:1" in err
