"""Scheduled publishing: `publish --at`, `schedule list|cancel|run`, exactly once, on a folder and on an S3 prefix."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from curation.audit import AuditEntry, parse_audit_lines
from curation.editing import schedule as schedule_module
from curation.editing.publish import load_history, set_field, set_published
from curation.editing.schedule import (
    RUNNER_NAME,
    ScheduleError,
    ScheduleState,
    cancel_schedule,
    create_schedule,
    load_schedules,
    run_due_schedules,
)
from curation.live.schedule_runner import ScheduleRunner
from curation.loading.collection import load_collection
from curation.query.filters import Filters
from curation.schedules import DocumentOutcome
from tests.conftest import REPO, SEED_ID, get_document, object_keys, put_document
from tests.test_cli import run

T0 = dt.datetime(2026, 12, 5, 6, 0, tzinfo=dt.UTC)  # the schedules' due time; runs are given `now`
BEFORE, EARLIER = T0 - dt.timedelta(seconds=1), T0 - dt.timedelta(hours=1)


def published_line(location, doc_id: str = SEED_ID) -> bytes:
    return next(line for line in get_document(location, doc_id).splitlines() if line.startswith(b"published:"))


def scheduled_entries(location, schedule_id: str) -> list[AuditEntry]:
    history, _ = load_history(location)
    return [entry for entry in history.entries if entry.schedule == schedule_id]


def test_applied_once_when_due_and_not_before(location):
    """Ann schedules an unpublish for 06:00: a run at 05:59:59 writes nothing, the run at 06:00 writes the
    published line once (logged as the scheduler's, scheduled by ann), and every later run writes nothing."""
    schedule = create_schedule(location, False, T0, ids=[SEED_ID], editor="ann", now=EARLIER)
    assert published_line(location) == b"published: true"
    assert run_due_schedules(location, now=BEFORE).ran == []
    assert published_line(location) == b"published: true"

    report = run_due_schedules(location, now=T0)
    assert [(item.id, ended.record) for item, ended in report.ran] == [(schedule.id, "applied")]
    assert published_line(location) == b"published: false"
    (entry,) = scheduled_entries(location, schedule.id)
    assert (entry.editor, entry.scheduled_by, entry.id, entry.new) == ("scheduler", "ann", SEED_ID, False)
    (applied,) = load_schedules(location)[0]
    assert applied.state == ScheduleState.APPLIED
    assert [(result.outcome, result.change) for result in applied.ended.results] == [("changed", entry.change)]

    log_before = load_history(location)[0].entries
    assert run_due_schedules(location, now=T0 + dt.timedelta(hours=1)).ran == []
    assert load_history(location)[0].entries == log_before


def test_a_run_that_died_before_recording_is_finished_without_writing_again(docs):
    """The write took effect but the run was killed before it recorded `applied`: the next run finds the audit
    entry (on the sha chain) and records the schedule as applied, writing nothing."""
    schedule = create_schedule(docs, False, T0, ids=[SEED_ID], editor="ann", now=EARLIER)
    set_published(docs, SEED_ID, False, editor="scheduler", entry_fields={"schedule": schedule.id,
                                                                           "scheduled_by": "ann"})  # fmt: skip
    before = get_document(docs, SEED_ID)
    (_, ended), = run_due_schedules(docs, now=T0).ran  # fmt: skip
    assert ended.record == "applied"
    assert [result.outcome for result in ended.results] == [DocumentOutcome.APPLIED_BEFORE]
    assert len(scheduled_entries(docs, schedule.id)) == 1 and get_document(docs, SEED_ID) == before


def test_a_scheduled_change_keeps_other_fields_changed_meanwhile(docs):
    """Bob fixes the title after the schedule was made: the scheduled publish writes the published line of the
    file as it is then, and the new title stays."""
    create_schedule(docs, False, T0, ids=[SEED_ID], editor="ann", now=EARLIER)
    set_field(docs, SEED_ID, "title", "A better title", editor="bob")
    run_due_schedules(docs, now=T0)
    article = load_collection(docs).frame.loc[SEED_ID]
    assert (article["title"], bool(article["published"])) == ("A better title", False)


def test_a_later_manual_change_of_the_flag_cancels_it_with_the_reason(capsys, location):
    """Ann schedules an unpublish; Bob then unpublishes and publishes again by hand. The schedule is cancelled
    when it is due, nothing is written, and `schedule list` says why."""
    docs = str(location)
    code, out, _ = run(capsys, "unpublish", SEED_ID, "--at", "2099-01-01T06:00:00+01:00", "--docs", docs,
                       "--editor", "ann")  # fmt: skip
    assert code == 0 and out.startswith("scheduled ")
    set_published(location, SEED_ID, False, editor="bob")
    set_published(location, SEED_ID, True, editor="bob")
    before = get_document(location, SEED_ID)
    (_, ended), = run_due_schedules(location, now=dt.datetime(2099, 1, 1, 5, tzinfo=dt.UTC)).ran  # fmt: skip
    assert ended.record == "cancelled" and get_document(location, SEED_ID) == before
    code, out, _ = run(capsys, "schedule", "list", "--docs", docs)
    assert code == 0
    assert "cancelled  2099-01-01T05:00:00.000000Z  unpublish 1 article  by ann" in out
    assert "published changed by bob at " in out and "after it was scheduled" in out
    code, out, _ = run(capsys, "schedule", "list", "--json", "--docs", docs)
    (listed,) = json.loads(out)
    assert (listed["state"], listed["scheduled_by"], listed["ids"]) == ("cancelled", "ann", [SEED_ID])


def test_cancel_from_the_command_line(capsys, docs):
    """A cancelled schedule is never applied, and cannot be cancelled twice."""
    schedule = create_schedule(docs, False, T0, ids=[SEED_ID], editor="ann", now=EARLIER)
    code, out, _ = run(capsys, "schedule", "cancel", schedule.id, "--docs", str(docs), "--editor", "cleo")
    assert code == 0 and out.startswith(f"cancelled {schedule.id}")
    assert run_due_schedules(docs, now=T0).ran == []
    assert published_line(docs) == b"published: true"
    (listed,) = load_schedules(docs)[0]
    assert (listed.state, listed.reason) == ("cancelled", "cancelled by cleo")
    with pytest.raises(SystemExit) as exit_info:
        run(capsys, "schedule", "cancel", schedule.id, "--docs", str(docs))
    assert exit_info.value.code == 2 and "is cancelled already" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("at", "message"),
    [
        ("2099-12-05T06:00:00", "has no time zone: add Z for UTC"),
        ("2020-12-05T06:00:00Z", "is in the past"),
        ("tomorrow", "is not a time: write ISO 8601"),
    ],
)
def test_a_time_without_a_zone_or_in_the_past_is_a_usage_error(capsys, docs, at, message):
    with pytest.raises(SystemExit) as exit_info:
        run(capsys, "publish", SEED_ID, "--at", at, "--docs", str(docs))
    assert exit_info.value.code == 2 and message in capsys.readouterr().err
    assert load_schedules(docs)[0] == []


SPORT_UNPUBLISHED = ("--all-matching", "--category", "sport", "--unpublished")
AT, DUE = "2099-01-01T06:00:00Z", dt.datetime(2099, 1, 1, 6, tzinfo=dt.UTC)


def sport_unpublished(location) -> list[str]:
    return list(Filters(categories=("sport",), published="unpublished").apply(load_collection(location).frame).index)


def schedule_log(location) -> list[str]:
    """What the store holds under .curation/schedule* (a folder's log, a bucket's record objects)."""
    if isinstance(location, Path):
        return [path.name for path in (location / ".curation").glob("schedule*")]
    return object_keys(location, ".curation/schedule")


def test_all_matching_schedules_the_articles_matching_when_it_is_made(capsys, location, monkeypatch):
    """Ann schedules a publish of "every unpublished sport article" for 06:00: the schedule holds the articles
    matching then. A sport article added, and one Bob unpublishes, before 06:00 match too, and are left alone."""
    docs, chosen = str(location), sport_unpublished(location)
    code, out, _ = run(capsys, "publish", *SPORT_UNPUBLISHED, "--at", AT, "--yes", "--docs", docs, "--editor", "ann")
    assert code == 0 and f"publish {len(chosen)} articles at 2099-01-01T06:00:00.000000Z (by ann)" in out
    put_document(location, "zz_newcomer.txt", get_document(location, chosen[0]))  # a new unpublished sport one
    frame = load_collection(location).frame
    late = frame.index[(frame["category"] == "sport") & frame["published"]][0]
    set_published(location, late, False, editor="bob")
    newcomers = ["zz_newcomer.txt", late]
    assert set(newcomers) <= set(sport_unpublished(location)) and not set(newcomers) & set(chosen)
    untouched = [get_document(location, doc_id) for doc_id in newcomers]

    monkeypatch.setattr(schedule_module, "now_utc", lambda: DUE)  # `schedule run` at 06:00
    code, out, _ = run(capsys, "schedule", "run", "--docs", docs)
    assert code == 0 and out.startswith("applied ")
    (schedule,) = load_schedules(location)[0]
    assert [(result.id, result.outcome) for result in schedule.ended.results] == [(i, "changed") for i in chosen]
    assert sorted(entry.id for entry in scheduled_entries(location, schedule.id)) == sorted(chosen)
    assert load_collection(location).frame.loc[chosen, "published"].all()
    assert [get_document(location, doc_id) for doc_id in newcomers] == untouched
    code, out, _ = run(capsys, "schedule", "list", "--json", "--docs", docs)
    assert [listed["ids"] for listed in json.loads(out)] == [chosen]


def test_all_matching_without_yes_only_says_what_it_would_schedule(capsys, location):
    """Without --yes: the articles matching now, how many and the filters in words; nothing is recorded."""
    chosen = sport_unpublished(location)
    code, out, err = run(capsys, "publish", *SPORT_UNPUBLISHED, "--at", AT, "--docs", str(location))
    assert code == 0 and out.splitlines() == [f"would schedule publish of {doc_id}" for doc_id in chosen]
    assert (f"matching now (unpublished · category sport): {len(chosen)} articles; add --yes to schedule publish "
            "of them at 2099-01-01T06:00:00.000000Z") in err  # fmt: skip
    assert schedule_log(location) == []


@pytest.mark.parametrize("yes", [(), ("--yes",)])
def test_all_matching_with_no_match_schedules_nothing(capsys, docs, yes):
    """No article matches: a usage error (exit 2) saying so, with --yes or without, and nothing is recorded."""
    with pytest.raises(SystemExit) as exit_info:
        run(capsys, "unpublish", "--all-matching", "--category", "no-such", "--at", AT, *yes, "--docs", str(docs))
    assert exit_info.value.code == 2
    assert "no article matches the filters (category no-such); nothing was scheduled" in capsys.readouterr().err
    assert schedule_log(docs) == []


RUN = "from curation.cli import main; import sys; sys.exit(main(sys.argv[1:]))"


def test_two_schedule_runs_at_once_apply_it_once(location):
    """Two `curation schedule run` processes (two hosts' cron jobs) start together on a due schedule of 12
    articles: each article is written once, and the schedule ends applied."""
    frame = load_collection(location).frame
    ids = list(frame.index[frame["published"]][:12])
    schedule = create_schedule(location, False, T0, ids=ids, editor="ann", now=EARLIER)  # due already: T0 is past
    runs = [
        subprocess.Popen(
            [sys.executable, "-c", RUN, "schedule", "run", "--docs", str(location)],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [process.communicate(timeout=120) for process in runs]
    assert [process.returncode for process in runs] == [0, 0], outputs
    entries = scheduled_entries(location, schedule.id)
    assert sorted(entry.id for entry in entries) == sorted(ids)  # one entry per article: none written twice
    assert not load_collection(location).frame.loc[ids, "published"].any()
    (listed,) = load_schedules(location)[0]
    assert listed.state == ScheduleState.APPLIED


def test_bad_schedule_lines_are_reported_with_the_file_and_line(capsys, docs):
    schedule = create_schedule(docs, False, T0, ids=[SEED_ID], editor="ann", now=EARLIER)
    log = docs / ".curation" / "schedule.jsonl"
    good = log.read_bytes()
    bad = b'{"record": "created", "schedule": "nothex", "time": "x"}\nnot json\n'
    log.write_bytes(bad + good + b'{"record": "cancelled", "schedule": "')  # and a torn last line
    code, out, err = run(capsys, "schedule", "list", "--docs", str(docs))
    assert code == 0 and out.startswith(schedule.id)
    assert ".curation/schedule.jsonl:1: unreadable schedule record: `schedule` must be a schedule id" in err
    assert ".curation/schedule.jsonl:2: unreadable schedule record:" in err
    assert ".curation/schedule.jsonl:4: unreadable schedule record: a torn last line" in err
    assert run_due_schedules(docs, now=T0).ran[0][1].record == "applied"  # the good one still runs


def test_a_schedule_of_more_articles_than_a_record_holds_is_refused(docs):
    with pytest.raises(ScheduleError, match="a schedule holds at most 100,000"):
        create_schedule(docs, True, T0, ids=[f"{n}.txt" for n in range(100_001)], editor="ann", now=EARLIER)
    assert schedule_log(docs) == []


def test_a_schedule_naming_filters_is_skipped_as_malformed(capsys, docs):
    """A `created` record with `matching` filters instead of `ids` (never released) is refused when read."""
    record = {"record": "created", "schedule": "0123456789ab", "time": "2026-01-02T03:04:05Z", "editor": "ann",
              "publish": True, "at": AT, "matching": {"category": ["sport"]}}  # fmt: skip
    (docs / ".curation").mkdir(exist_ok=True)
    (docs / ".curation" / "schedule.jsonl").write_text(json.dumps(record) + "\n")
    code, _, err = run(capsys, "schedule", "list", "--docs", str(docs))
    assert code == 0 and ".curation/schedule.jsonl:1: unreadable schedule record: `ids` must be a list" in err
    assert run_due_schedules(docs, now=DUE).ran == []


def test_a_bad_schedule_object_in_a_bucket_is_reported_by_its_url(capsys, s3_docs):
    create_schedule(s3_docs, False, T0, ids=[SEED_ID], editor="ann", now=EARLIER)
    put_document(s3_docs, ".curation/schedule/00000000000000000001-0123456789ab-created.json", b"{}")
    code, out, err = run(capsys, "schedule", "list", "--docs", s3_docs)
    assert code == 0 and len(out.splitlines()) == 1
    assert f"{s3_docs}/.curation/schedule/00000000000000000001-0123456789ab-created.json: unreadable" in err


def test_the_server_thread_applies_a_due_schedule_and_survives_errors(docs, caplog):
    """A dashboard server's runner applies a schedule within its interval; a location that fails is logged,
    not raised, and the next tick carries on."""
    broken = ScheduleRunner(docs / "no-such-folder", interval=60)
    broken.tick()  # a missing folder: logged
    assert "applying due schedules" in caplog.text
    due = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=0.3)
    create_schedule(docs, False, due, ids=[SEED_ID], editor="ann")
    runner = ScheduleRunner(docs, interval=0.05).start()
    try:
        deadline = time.monotonic() + 30
        while published_line(docs) != b"published: false" and time.monotonic() < deadline:
            time.sleep(0.05)  # waiting for another thread's write: nothing to wait on but the file
    finally:
        runner.stop()
    assert published_line(docs) == b"published: false"
    assert load_schedules(docs)[0][0].state == ScheduleState.APPLIED


def test_cancel_and_create_refuse_in_read_only_mode(docs, monkeypatch):
    schedule = create_schedule(docs, False, T0, ids=[SEED_ID], editor="ann", now=EARLIER)
    monkeypatch.setenv("CURATION_READ_ONLY", "1")
    for attempt in (
        lambda: cancel_schedule(docs, schedule.id, editor="bob"),
        lambda: run_due_schedules(docs, now=T0),
        lambda: create_schedule(docs, True, T0, ids=[SEED_ID], editor="ann", now=EARLIER),
    ):
        with pytest.raises(Exception, match="writing is switched off"):
            attempt()


# -- the audit entry's new fields ----------------------------------------------------------------------

OLD_LINE = (
    b'{"change": "a1b2c3d4e5f6", "time": "2026-01-02T03:04:05Z", "editor": "ann", "id": "a.txt", "old": true, '
    b'"new": false, "sha_before": "' + b"0" * 64 + b'", "sha_after": "' + b"1" * 64 + b'", "field": "published"}'
)


def test_an_old_audit_line_reads_and_writes_back_byte_for_byte():
    (entry,), problems = parse_audit_lines(OLD_LINE + b"\n", "audit.jsonl")
    assert problems == [] and entry.schedule is None and entry.scheduled_by is None
    assert json.dumps(entry.to_json(), ensure_ascii=False).encode() == OLD_LINE


def test_an_audit_entry_with_a_schedule_round_trips_and_bad_values_are_refused():
    data = json.loads(OLD_LINE) | {"schedule": "0123456789ab", "scheduled_by": "ann"}
    entry = AuditEntry.from_json(data)
    assert (entry.schedule, entry.scheduled_by) == ("0123456789ab", "ann")
    assert AuditEntry.from_json(entry.to_json()) == entry
    for bad in ({"schedule": 5}, {"scheduled_by": ""}):
        with pytest.raises(ValueError, match="must be non-empty text"):
            AuditEntry.from_json(data | bad)


def test_the_runners_editor_default_is_its_own_and_every_other_command_keeps_cli():
    """`schedule run` writes as the runner; no other command's default changes with it (they share the option)."""
    from curation.cli import build_parser

    parser = build_parser()
    assert parser.parse_args(["schedule", "run"]).editor == RUNNER_NAME
    for argv in (
        ["publish", "x"],
        ["unpublish", "x"],
        ["set", "x", "category=a"],
        ["undo"],
        ["schedule", "cancel", "0" * 12],
    ):
        assert parser.parse_args(argv).editor == "cli", argv
