"""History in an editor's words, and a bulk action undone as one request: the words, the library, the CLI, the page."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from curation.audit import AuditEntry
from curation.editing.history_text import (
    EditorClock,
    HistoryRow,
    HistoryWords,
    describe_bulk,
    editor_zone,
    history_rows,
    outcome_rows,
    undo_summary,
    utc_text,
)
from curation.editing.publish import (
    Outcome,
    load_history,
    set_field,
    set_published,
    set_published_many,
    undo_batch,
    undo_change,
)
from curation.loading.collection import load_collection
from curation.store.folder_audit import read_audit_log
from tests.test_cli import run

BERLIN = ZoneInfo("Europe/Berlin")
NOW = dt.datetime(2026, 3, 14, 12, 0, tzinfo=dt.UTC)  # 13:00 in Berlin
ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def log_of(folder: Path) -> list[AuditEntry]:
    entries, problems = read_audit_log(folder / ".curation" / "audit.jsonl")
    assert problems == []
    return entries


def unpublished_ids(folder: Path, count: int) -> list[str]:
    frame = load_collection(folder).frame
    return list(frame.index[~frame["published"]][:count])


def publish_three(folder: Path) -> tuple[list[str], dict[str, bytes], str]:
    """Ann publishes three articles in one request: (their ids, their bytes before, the batch id)."""
    ids = unpublished_ids(folder, 3)
    before = {doc_id: (folder / doc_id).read_bytes() for doc_id in ids}
    outcomes = set_published_many(folder, ids, True, editor="Ann")
    assert [outcome.status for outcome in outcomes] == ["changed"] * 3
    (batch,) = {entry.batch for entry in log_of(folder)}
    assert batch is not None
    return ids, before, batch


def entry(change: str, doc_id: str = "a.txt", *, minutes_ago: float = 0, **fields) -> AuditEntry:
    """A logged change made `minutes_ago` before NOW (the shas only need to differ)."""
    when = NOW - dt.timedelta(minutes=minutes_ago)
    values = {"id": doc_id, "editor": "Ann", "old": False, "new": True, "sha_before": "0" * 64, "sha_after": "1" * 64}
    return AuditEntry(change=change, time=when.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), **(values | fields))


# --- times in the editor's words -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "offset", "expected"),
    [
        ("Europe/Berlin", -60, "Europe/Berlin"),
        ("Not/A_Zone", -60, "UTC+01:00"),  # JavaScript's offset: minutes behind UTC
        (None, 300, "UTC-05:00"),
        ("../../etc/passwd", None, "UTC"),
        (None, None, "UTC"),  # AppTest, or a client that sends neither
        ("", 99_999, "UTC"),
    ],
)
def test_the_editor_zone_comes_from_the_browser_name_then_its_offset_then_utc(name, offset, expected):
    assert EditorClock(NOW, editor_zone(name, offset)).zone_name() == expected


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        (NOW - dt.timedelta(seconds=20), "just now"),
        (NOW + dt.timedelta(seconds=30), "just now"),  # another host's clock a little ahead
        (NOW + dt.timedelta(minutes=5), "in the future"),
        (NOW - dt.timedelta(minutes=3), "3 min ago"),
        (NOW - dt.timedelta(minutes=59, seconds=59), "59 min ago"),
        (NOW - dt.timedelta(hours=2, minutes=30), "2 h ago"),
        (dt.datetime(2026, 3, 13, 23, 30, tzinfo=dt.UTC), "12 h ago"),  # 00:30 in Berlin: today there
        (dt.datetime(2026, 3, 13, 22, 30, tzinfo=dt.UTC), "yesterday"),  # 23:30 in Berlin
        (dt.datetime(2026, 3, 11, 9, 0, tzinfo=dt.UTC), "3 days ago"),
        (dt.datetime(2026, 3, 7, 9, 0, tzinfo=dt.UTC), "1 week ago"),
        (dt.datetime(2026, 2, 20, 9, 0, tzinfo=dt.UTC), "3 weeks ago"),
        (dt.datetime(2025, 12, 1, 9, 0, tzinfo=dt.UTC), "3 months ago"),
        (dt.datetime(2023, 1, 1, 9, 0, tzinfo=dt.UTC), "3 years ago"),
    ],
)
def test_relative_times_from_a_fixed_clock_in_berlin(when, expected):
    assert EditorClock(NOW, BERLIN).ago(when) == expected


@pytest.mark.parametrize(
    ("zone", "when", "expected"),
    [
        (BERLIN, dt.datetime(2026, 3, 14, 8, 5, 12, tzinfo=dt.UTC), "14 Mar, 09:05 CET"),
        (BERLIN, dt.datetime(2026, 7, 1, 8, 5, tzinfo=dt.UTC), "1 Jul, 10:05 CEST"),  # summer time
        (BERLIN, dt.datetime(2025, 12, 31, 23, 30, tzinfo=dt.UTC), "1 Jan, 00:30 CET"),  # this year in Berlin
        (BERLIN, dt.datetime(2025, 12, 31, 22, 30, tzinfo=dt.UTC), "31 Dec 2025, 23:30 CET"),  # another year
        (dt.UTC, dt.datetime(2026, 3, 14, 8, 5, tzinfo=dt.UTC), "14 Mar, 08:05 UTC"),
        (editor_zone(None, -330), dt.datetime(2026, 3, 14, 8, 5, tzinfo=dt.UTC), "14 Mar, 13:35 UTC+05:30"),
    ],
)
def test_local_time_is_said_in_the_editor_zone(zone, when, expected):
    assert EditorClock(NOW, zone).local(when) == expected


def test_the_utc_time_keeps_the_second():
    assert utc_text(dt.datetime(2026, 3, 14, 9, 5, 12, 345, tzinfo=BERLIN)) == "2026-03-14 08:05:12 UTC"


# --- rows: a bulk action is one row ----------------------------------------------------------------


def test_the_changes_of_one_request_form_one_row_where_its_newest_change_is():
    entries = [
        entry("c1", "a.txt", batch="b1"),
        entry("c2", "x.txt"),  # another editor's tick between two lines of the batch
        entry("c3", "b.txt", batch="b1"),
        entry("c4", "c.txt", batch="b2"),  # a batch of one reads as one change
        entry("c5", "d.txt"),
    ]
    assert history_rows(entries) == [HistoryRow((4,)), HistoryRow((3,)), HistoryRow((2, 0), "b1"), HistoryRow((1,))]
    assert history_rows(entries, limit=3) == history_rows(entries)[:3]


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ([{"new": True}, {"new": True, "id": "b.txt"}], "Published 2 articles"),
        ([{"new": False, "old": True}] * 3, "Unpublished 1 article"),
        ([{"field": "title", "old": "a", "new": "b"}, {"field": "title", "old": "c", "new": "d", "id": "b.txt"}],
         "Set title of 2 articles"),
        ([{"field": "topics", "old": [], "new": ["x"]}, {"field": "topics", "old": [], "new": ["x"], "id": "b.txt"}],
         "Changed topics of 2 articles"),
        ([{"new": True}, {"field": "title", "old": "a", "new": "b", "id": "b.txt"}], "Changed 2 articles"),
        ([{"undoes": "c1"}, {"undoes": "c2", "id": "b.txt"}], "Undid 2 changes"),
    ],
)  # fmt: skip
def test_a_bulk_action_is_described_by_what_it_did(changes, expected):
    assert describe_bulk([entry(f"c{n}", **fields) for n, fields in enumerate(changes)]) == expected


def test_an_undo_summary_counts_each_outcome():
    outcomes = [Outcome("a", "changed"), Outcome("b", "conflict", "b: changed"), Outcome("c", "unchanged")]
    assert undo_summary(outcomes) == "Reverted 1 of 3 articles · 1 conflict · 0 refused · 1 undone already"
    rows = outcome_rows(outcomes, {"a": "Alpha", "b": " "})
    assert [(row["article"], row["outcome"]) for row in rows] == [
        ("Alpha", "reverted"),
        ("b", "conflict: changed since, left as it is"),  # a blank title: named by the file
        ("c", "undone already"),
    ]


# --- undo_batch --------------------------------------------------------------------------------------


def test_undo_batch_restores_every_file_byte_for_byte_as_one_new_batch(docs):
    ids, before, batch = publish_three(docs)
    outcomes = undo_batch(docs, batch, editor="Bob")
    assert [(outcome.id, outcome.status) for outcome in outcomes] == [(doc_id, "changed") for doc_id in reversed(ids)]
    assert {doc_id: (docs / doc_id).read_bytes() for doc_id in ids} == before
    published, undos = log_of(docs)[:3], log_of(docs)[3:]
    assert [undo.undoes for undo in undos] == [change.change for change in reversed(published)]
    assert {undo.editor for undo in undos} == {"Bob"}
    assert len({undo.batch for undo in undos}) == 1 and undos[0].batch not in (None, batch)


def test_a_file_changed_since_is_a_conflict_and_left_alone_the_others_are_undone(docs):
    ids, before, batch = publish_three(docs)
    set_field(docs, ids[1], "title", "A headline Cy rewrote", editor="Cy")
    theirs = (docs / ids[1]).read_bytes()
    outcomes = undo_batch(docs, batch, editor="Bob")
    assert {outcome.id: outcome.status for outcome in outcomes} == {
        ids[0]: "changed",
        ids[1]: "conflict",
        ids[2]: "changed",
    }
    assert (docs / ids[1]).read_bytes() == theirs
    assert [(docs / doc_id).read_bytes() for doc_id in (ids[0], ids[2])] == [before[ids[0]], before[ids[2]]]


def test_undoing_a_bulk_action_twice_changes_nothing_the_second_time(docs):
    ids, before, batch = publish_three(docs)
    undo_batch(docs, batch)
    lines = len(log_of(docs))
    again = undo_batch(docs, batch)
    assert [outcome.status for outcome in again] == ["unchanged"] * 3
    assert all("undone already" in outcome.message for outcome in again)
    assert len(log_of(docs)) == lines and {doc_id: (docs / doc_id).read_bytes() for doc_id in ids} == before


def test_a_change_undone_on_its_own_is_not_undone_again_with_its_batch(docs):
    ids, before, batch = publish_three(docs)
    undo_change(docs, log_of(docs)[0].change)
    outcomes = undo_batch(docs, batch)
    assert [(outcome.id, outcome.status) for outcome in outcomes] == [
        (ids[2], "changed"), (ids[1], "changed"), (ids[0], "unchanged"),
    ]  # fmt: skip
    assert {doc_id: (docs / doc_id).read_bytes() for doc_id in ids} == before


def test_an_unknown_batch_id_is_refused_and_nothing_is_written(docs):
    assert undo_batch(docs, "nope") == [Outcome("nope", "refused", "no batch nope in the audit log")]
    assert not (docs / ".curation" / "audit.jsonl").exists()


def test_the_history_says_the_undone_bulk_action_and_what_undid_it(docs):
    ids, _, batch = publish_three(docs)
    undo_batch(docs, batch, editor="Bob")
    history, _ = load_history(docs)
    titles = load_collection(docs).frame["title"]
    words = HistoryWords(history, titles, EditorClock(log_of(docs)[-1].when + dt.timedelta(minutes=2), BERLIN))
    undo_row, bulk_row = (words.row(row) for row in history_rows(history.entries))
    assert undo_row["change"] == "Undid 3 changes" and undo_row["editor"] == "Bob"
    assert undo_row["undo of"].startswith("Published 3 articles · ") and undo_row["undo of"].endswith("CET")
    assert bulk_row["change"] == "Published 3 articles" and bulk_row["when"] == "2 min ago"
    assert bulk_row["undone"] == "3 of 3, by Bob, 2 min ago"
    named = " · ".join(titles[doc_id] for doc_id in (ids[2], ids[1], ids[0]))  # every title of three, newest first
    assert bulk_row["article"] == f"3 articles: {named}" and bulk_row["log id"] == f"batch {batch}"
    assert not ISO_TIME.search(bulk_row["local time"]) and bulk_row["UTC"].endswith(" UTC")


def test_a_file_that_is_gone_is_named_by_its_id(docs):
    ids, _, _ = publish_three(docs)
    (docs / ids[0]).unlink()
    history, _ = load_history(docs)
    words = HistoryWords(history, load_collection(docs).frame["title"], EditorClock.current())
    (bulk,) = history_rows(history.entries)
    assert [cells["article"] for cells in words.file_rows(bulk)][-1] == ids[0]


# --- the command line -----------------------------------------------------------------------------------


def test_cli_undo_batch_reverts_a_bulk_publish_and_history_shows_its_batch(capsys, docs):
    ids = unpublished_ids(docs, 3)
    before = {doc_id: (docs / doc_id).read_bytes() for doc_id in ids}
    code, _, _ = run(capsys, "publish", *ids, "--docs", str(docs), "--editor", "Ann")
    assert code == 0
    code, out, _ = run(capsys, "history", "--docs", str(docs))
    batch = log_of(docs)[0].batch
    assert code == 0 and len(out.splitlines()) == 3
    assert all(line.endswith(f"unpublished -> published  (batch {batch})") for line in out.splitlines())

    code, out, err = run(capsys, "undo", "--batch", batch, "--docs", str(docs), "--editor", "Bob")
    assert (code, out.splitlines()) == (0, [f"reverted: {doc_id}" for doc_id in reversed(ids)])
    assert "3 changed, 0 unchanged, 0 conflict, 0 refused" in err
    assert {doc_id: (docs / doc_id).read_bytes() for doc_id in ids} == before

    code, out, _ = run(capsys, "undo", "--batch", batch, "--docs", str(docs))
    assert (code, out.splitlines()) == (0, [f"already so: {doc_id}" for doc_id in reversed(ids)])


def test_cli_undo_batch_with_a_conflict_exits_1_and_undoes_the_others(capsys, docs):
    ids, _, batch = publish_three(docs)
    (docs / ids[0]).write_bytes((docs / ids[0]).read_bytes() + b"A note another editor added.\n")
    code, out, err = run(capsys, "undo", "--batch", batch, "--docs", str(docs))
    assert code == 1 and out.splitlines() == [f"reverted: {ids[2]}", f"reverted: {ids[1]}"]
    assert f"conflict: {ids[0]}: changed on disk" in err


def test_cli_undo_of_an_unknown_batch_exits_1(capsys, docs):
    code, out, err = run(capsys, "undo", "--batch", "nope", "--docs", str(docs))
    assert (code, out) == (1, "") and "refused: no batch nope in the audit log" in err


@pytest.mark.parametrize("option", ["--change", "--batch"])
@pytest.mark.parametrize("value", ["", " ", "abc def", "$(rm)", "x" * 65])
def test_cli_undo_of_an_empty_or_malformed_id_is_a_usage_error_and_undoes_nothing(capsys, docs, option, value):
    doc_id = sorted(path.name for path in docs.glob("demo_*.txt"))[0]
    set_published(docs, doc_id, True)
    changed = (docs / doc_id).read_bytes()
    with pytest.raises(SystemExit) as exit_info:
        run(capsys, "undo", option, value, "--docs", str(docs))
    assert exit_info.value.code == 2 and "not a change or batch id" in capsys.readouterr().err
    assert (docs / doc_id).read_bytes() == changed


@pytest.mark.parametrize("other", [["--change", "abc"], ["--last", "2"]])
def test_cli_undo_batch_goes_alone(capsys, docs, other):
    with pytest.raises(SystemExit) as exit_info:
        run(capsys, "undo", "--batch", "abc", *other, "--docs", str(docs))
    assert exit_info.value.code == 2 and "not allowed with argument" in capsys.readouterr().err


# --- the page (AppTest) ------------------------------------------------------------------------------------


def history_table(app):
    return next(frame.value for frame in app.dataframe if "undo of" in frame.value)


def open_history(app):
    app.switch_page("curation/views/history.py").run()
    assert [exception.value for exception in app.exception] == []
    return app


def test_a_bulk_publish_is_one_history_row_and_is_undone_as_one(app, docs):
    """An editor publishes every shown sport article, finds it as one row in History, and undoes it in one go."""
    app.query_params["category"] = "sport"
    app.run()
    frame = load_collection(docs).frame
    sport = frame[frame["category"] == "sport"]
    changing = list(sport.index[~sport["published"]])
    assert len(changing) > 2
    before = {doc_id: (docs / doc_id).read_bytes() for doc_id in changing}
    app.button(key="bulk_publish_shown").click().run()
    app.button(key="bulk_confirm").click().run()
    open_history(app)

    table = history_table(app)
    assert list(table["change"]) == [f"Published {len(changing)} articles"]
    assert list(table["when"]) == ["just now"] and not ISO_TIME.search(table["local time"][0])
    assert table["local time"][0].endswith(" UTC") and table["UTC"][0].endswith(" UTC")  # AppTest has no browser zone
    assert table["article"][0].startswith(f"{len(changing)} articles: ") and table["article"][0].endswith(" · …")
    batch = log_of(docs)[0].batch
    assert app.selectbox(key="batch_choice").value == batch
    assert app.selectbox(key="batch_choice").options[0].startswith(f"Published {len(changing)} articles · anonymous · ")
    files = next(frame.value for frame in app.dataframe if len(frame.value) == len(changing) and "UTC" in frame.value)
    assert set(files["article"]) == set(frame.loc[changing, "title"])

    app.button(key="undo_batch").click().run()
    assert {doc_id: (docs / doc_id).read_bytes() for doc_id in changing} == before
    assert [success.value for success in app.success] == [f"Reverted {len(changing)} of {len(changing)} articles · 0 conflicts · 0 refused"]  # fmt: skip
    summary = next(frame.value for frame in app.dataframe if "outcome" in frame.value)
    assert list(summary["outcome"]) == ["reverted"] * len(changing)
    assert [toast.value for toast in app.toast] == [f"Reverted {len(changing)} articles"]

    table = history_table(app)
    assert list(table["change"]) == [f"Undid {len(changing)} changes", f"Published {len(changing)} articles"]
    assert table["undo of"][0].startswith(f"Published {len(changing)} articles · ")
    assert table["undone"][1] == f"{len(changing)} of {len(changing)}, by anonymous, just now"
    assert app.selectbox(key="batch_choice").value == batch  # still the one the editor chose
    assert app.button(key="undo_batch").label == "Undone already" and app.button(key="undo_batch").disabled
    undo = log_of(docs)[-1].batch
    app.selectbox(key="batch_choice").set_value(undo).run()  # an undo of a bulk action is one too, and undoable
    assert app.button(key="undo_batch").label == "Undo this bulk action" and not app.button(key="undo_batch").disabled


def test_a_bulk_undo_names_the_article_that_changed_since_and_leaves_it(app, docs):
    """Someone edited one of the published files; the undo reverts the others and says which one it left."""
    ids, before, _ = publish_three(docs)
    path = docs / ids[1]
    path.write_bytes(path.read_bytes() + b"A note another editor added.\n")
    theirs = path.read_bytes()
    app.run()
    open_history(app)
    app.button(key="undo_batch").click().run()
    assert path.read_bytes() == theirs
    assert [(docs / doc_id).read_bytes() for doc_id in (ids[0], ids[2])] == [before[ids[0]], before[ids[2]]]
    assert "Reverted 2 of 3 articles · 1 conflict · 0 refused" in [warning.value for warning in app.warning]
    summary = next(frame.value for frame in app.dataframe if "outcome" in frame.value)
    title = load_collection(docs).frame.loc[ids[1], "title"]
    conflict = summary[summary["outcome"].str.startswith("conflict")]
    assert list(conflict["article"]) == [title] and list(conflict["file"]) == [ids[1]]


def test_undone_changes_are_marked_and_undo_of_names_the_article_and_its_time(app, docs):
    ids, _, _ = publish_three(docs)
    first = log_of(docs)[0]
    undo_change(docs, first.change, editor="Bob")
    app.run()
    open_history(app)
    table = history_table(app)
    title = load_collection(docs).frame.loc[ids[0], "title"]
    assert list(table["change"]) == ["published → unpublished", "Published 3 articles"]
    assert table["undo of"][0] == f"{title} · {EditorClock(first.when).local(first.when)}"
    assert table["undone"][1] == "1 of 3, by Bob, just now"
    assert app.button(key="undo_batch").label == "Undo this bulk action"
