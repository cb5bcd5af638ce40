"""The parse cache is correct: every case gives exactly the frame a cold load gives."""

from __future__ import annotations

import datetime as dt
import gc
import os
import threading

import numpy as np
import pandas as pd
import pytest

from curation.cli import main
from curation.demo import write_demo_collection
from curation.errors import DocsFolderError
from curation.loading import cache
from curation.loading import folder as folder_load
from curation.loading.collection import load_collection
from curation.loading.frame import COLUMNS
from curation.loading.gc_pause import cyclic_gc_paused
from curation.query.filters import Filters
from tests.conftest import serial_load_with_a_bad_file, write_document


@pytest.fixture
def folder(tmp_path, monkeypatch):
    """40 demo documents; the racy margin is off so freshly written files are cached too."""
    monkeypatch.setattr(cache, "RACY_NS", 0)
    monkeypatch.setattr(folder_load, "REWRITE_CACHE_FROM", 1)
    docs = tmp_path / "docs"
    write_demo_collection(docs, 40, seed=5)
    first = load_collection(docs)
    assert first.parsed == 40
    return docs


def assert_same_as_cold(docs):
    warm = load_collection(docs)
    cold = load_collection(docs, use_cache=False)
    pd.testing.assert_frame_equal(warm.frame, cold.frame)
    assert warm.problems == cold.problems
    assert warm.warnings == cold.warnings
    return warm


def some_document(docs, number=3):
    return sorted(docs.glob("*.txt"))[number]


def test_nothing_changed_parses_nothing(folder):
    assert assert_same_as_cold(folder).parsed == 0


def test_a_file_changed_with_the_same_size_and_a_new_mtime(folder):
    path = some_document(folder)
    text = path.read_bytes()
    flipped = text.replace(b"heat: ", b"heat: 0", 1).replace(b"quality: ", b"quality:", 1)
    assert len(flipped) == len(text) and flipped != text
    path.write_bytes(flipped)
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000_000))
    warm = assert_same_as_cold(folder)
    assert warm.parsed == 1


def test_a_file_rewritten_within_the_same_second_keeps_its_old_mtime(folder):
    """Same size, same mtime (restored): the ctime still tells the cache it changed."""
    path = some_document(folder)
    before = path.stat()
    path.write_bytes(path.read_bytes().replace(b"type: article", b"type: artikel"))  # same size
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_mtime_ns == before.st_mtime_ns and path.stat().st_size == before.st_size
    warm = assert_same_as_cold(folder)
    assert warm.parsed == 1 and warm.frame.loc[path.name, "type"] == "artikel"


def rewrite_in_place(path, *replacements):
    """Edit a document in place (same path), as an editor saving it would."""
    text = path.read_text(encoding="utf-8")
    for old, new in replacements:
        assert old in text
        text = text.replace(old, new, 1)
    path.write_text(text, encoding="utf-8")


def test_a_file_edited_in_place_gives_the_cold_frame_dtypes_included(folder):
    """Every kind of column changes (text, date, a score to none, the flag, topics): same values and dtypes."""
    path = some_document(folder)
    was_published = load_collection(folder).frame.loc[path.name, "published"]
    flag = ("published: true", "published: false") if was_published else ("published: false", "published: true")
    rewrite_in_place(
        path,
        ("title: ", 'title: "Edited title"\nold_title: '),
        ("publishedDateTime: ", "publishedDateTime: 2020-02-29T12:00:00Z\nold_date: "),
        ("quality: ", "old_quality: "),
        flag,
        ("topics:\n", "topics:\n  - Edited topic\n"),
    )
    warm = assert_same_as_cold(folder)
    assert warm.parsed == 1 and warm.frame.index.is_monotonic_increasing
    row = warm.frame.loc[path.name]
    assert (row["title"], row["published"], row["publishedDateTime"]) == (
        "Edited title",
        not was_published,
        pd.Timestamp("2020-02-29T12:00:00Z"),
    )
    assert pd.isna(row["quality"]) and "Edited topic" in row["topics"]


def test_many_files_edited_in_place_at_once(folder):
    edited = sorted(folder.glob("*.txt"))[::3]
    for number, path in enumerate(edited):
        rewrite_in_place(path, ("heat: ", f"heat: {number}\nold_heat: "))
    warm = assert_same_as_cold(folder)
    assert warm.parsed == len(edited)
    assert [warm.frame.loc[path.name, "heat"] for path in edited] == list(range(len(edited)))


def test_an_edit_an_addition_and_a_removal_in_one_load(folder):
    documents = sorted(folder.glob("*.txt"))
    rewrite_in_place(documents[5], ("heat: ", "heat: 7\nold_heat: "))
    documents[9].unlink()
    write_document(folder, documents[9].name.replace(".txt", "-b.txt"), "---\ntitle: Next door\n---\n")
    warm = assert_same_as_cold(folder)
    assert warm.parsed == 2 and len(warm.frame) == 40 and warm.frame.loc[documents[5].name, "heat"] == 7


def read_cache(folder):
    """The cache as a load reads it (or None)."""
    tables = cache.read_cache_tables(folder)
    return None if tables is None else cache.cached_parse(tables, COLUMNS)


def test_an_edit_in_place_leaves_the_cached_rows_untouched(folder):
    """The rows read from the cache may be shared: the merge sets values in a copy."""
    cached = read_cache(folder).rows
    before = cached.copy(deep=True)
    new = cached.iloc[[4]].copy()
    new["title"], new["topics"] = "changed", [["changed"]]
    valid = np.delete(np.arange(len(cached)), 4)
    merged = folder_load._merge_in_id_order(cached, valid, new)
    pd.testing.assert_frame_equal(cached, before)
    assert merged.iloc[4]["title"] == "changed" and merged.iloc[4]["topics"] == ["changed"]
    pd.testing.assert_frame_equal(merged.drop(index=new.index), before.drop(index=new.index))
    assert merged.dtypes.to_dict() == before.dtypes.to_dict()


def test_a_deleted_file_is_dropped(folder):
    removed = some_document(folder)
    removed.unlink()
    warm = assert_same_as_cold(folder)
    assert removed.name not in warm.frame.index and len(warm.frame) == 39


def test_a_renamed_file_appears_under_its_new_id(folder):
    old = some_document(folder)
    new = folder / "sub" / "renamed.md"
    new.parent.mkdir()
    old.rename(new)
    warm = assert_same_as_cold(folder)
    assert "sub/renamed.md" in warm.frame.index and old.name not in warm.frame.index


def test_a_new_file_is_parsed(folder):
    write_document(folder, "fresh.txt", "---\ntitle: Fresh\nquality: 9\n---\n")
    warm = assert_same_as_cold(folder)
    assert warm.parsed == 1 and warm.frame.loc["fresh.txt", "quality"] == 9


def test_new_files_land_in_id_order_among_the_cached_ones(folder):
    middle = sorted(path.name for path in folder.glob("*.txt"))[20][:12] + "0.txt"
    for name in ("0-first.txt", middle, "zz-last.txt"):
        write_document(folder, name, f"---\ntitle: {name}\n---\n")
    warm = assert_same_as_cold(folder)  # same rows in the same order as a cold load
    assert warm.parsed == 3 and warm.frame.index.is_monotonic_increasing


def test_a_document_turns_into_a_problem_and_back(folder):
    path = some_document(folder)
    good = path.read_bytes()
    path.write_bytes(good.replace(b"heat: ", b"heat: 9999", 1))
    broken = assert_same_as_cold(folder)
    assert path.name not in broken.frame.index
    assert [problem.path for problem in broken.problems] == [path.name]
    assert assert_same_as_cold(folder).parsed == 0  # the problem itself is cached
    path.write_bytes(good)
    healed = assert_same_as_cold(folder)
    assert path.name in healed.frame.index and healed.problems == []


def test_a_truncated_cache_is_rebuilt(folder):
    rows_file = next((folder / ".curation" / "cache").glob("rows-*.parquet"))
    rows_file.write_bytes(rows_file.read_bytes()[:100])
    assert assert_same_as_cold(folder).parsed == 40
    assert assert_same_as_cold(folder).parsed == 0  # and written again, whole


def test_a_cache_of_another_schema_is_not_trusted(folder):
    rows_file = next((folder / ".curation" / "cache").glob("rows-*.parquet"))
    pd.DataFrame({"title": ["stale"]}, index=pd.Index(["x.txt"], name="id")).to_parquet(rows_file)
    assert assert_same_as_cold(folder).parsed == 40


def test_a_cache_from_an_older_version_is_ignored(folder, monkeypatch):
    monkeypatch.setattr(cache, "CACHE_VERSION", "0-older")
    assert load_collection(folder).parsed == 40  # the current files are not that version's


def test_garbage_instead_of_a_cache_is_rebuilt(folder):
    for cache_file in (folder / ".curation" / "cache").glob("*.parquet"):
        cache_file.write_bytes(b"not parquet at all")
    assert assert_same_as_cold(folder).parsed == 40


def test_files_changed_moments_ago_are_never_cached(tmp_path):
    """With the real racy margin, a file written just now is parsed again next time."""
    write_document(tmp_path, "a.txt", "---\ntitle: A\n---\n")
    load_collection(tmp_path)
    cached = read_cache(tmp_path)
    assert cached is not None and cached.rows.empty


def test_a_folder_that_cannot_take_a_cache_still_loads(folder, monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError(30, "Read-only file system")

    monkeypatch.setattr(cache, "replace_atomically", refuse)
    write_document(folder, "fresh.txt", "---\ntitle: Fresh\n---\n")
    assert "fresh.txt" in assert_same_as_cold(folder).frame.index


def test_the_cache_can_live_outside_the_docs_folder(tmp_path, monkeypatch):
    monkeypatch.setattr(cache, "RACY_NS", 0)
    monkeypatch.setenv("CURATION_CACHE_DIR", str(tmp_path / "elsewhere"))
    docs = tmp_path / "docs"
    write_demo_collection(docs, 5, seed=1)
    load_collection(docs)
    assert load_collection(docs).parsed == 0
    assert not (docs / ".curation").exists()
    assert list((tmp_path / "elsewhere").rglob("rows-*.parquet"))


def test_parallel_parsing_gives_the_serial_result(tmp_path, monkeypatch):
    docs = tmp_path / "docs"
    serial = serial_load_with_a_bad_file(monkeypatch, docs, 60, seed=9, chunk_size=7)
    seen = []
    parallel = load_collection(docs, use_cache=False, progress=lambda done, total: seen.append((done, total)))
    pd.testing.assert_frame_equal(parallel.frame, serial.frame)
    assert parallel.problems == serial.problems and len(parallel.problems) == 1
    assert seen[-1] == (61, 61) and len(seen) == 9


def _forge(docs, change_rows=None, change_problems=None):
    """Rewrite the real cache files with a changed copy of what they hold, as anyone with write access could."""
    cache_dir = docs / ".curation" / "cache"
    rows_file, problems_file = next(cache_dir.glob("rows-*.parquet")), next(cache_dir.glob("problems-*.parquet"))
    rows, problems = pd.read_parquet(rows_file), pd.read_parquet(problems_file)
    rows["topics"] = [list(topics) for topics in rows["topics"]]
    if change_rows is not None:
        change_rows(rows).to_parquet(rows_file)
    if change_problems is not None:
        change_problems(problems, rows).to_parquet(problems_file)


def _retyped(rows, **columns):
    rows = rows.copy()
    for column, value in columns.items():
        rows[column] = value
    return rows


FORGED_ROWS = {
    "a repeated id": lambda rows: pd.concat([rows, rows.iloc[[3]]]).sort_index(),
    "ids out of order": lambda rows: rows.iloc[::-1],
    "quality as text and published as yes": lambda rows: _retyped(
        rows, quality=rows["quality"].astype(str), published="yes", title="forged"
    ),
    "a score over 100": lambda rows: _retyped(rows, quality=pd.array([500] * len(rows), dtype="Int64")),
    "a negative size": lambda rows: _retyped(rows, size=-rows["size"]),
    "a missing title": lambda rows: _retyped(rows, title=pd.Series([None] * len(rows), index=rows.index, dtype="str")),
    "dates in nanoseconds": lambda rows: _retyped(
        rows, publishedDateTime=rows["publishedDateTime"].astype("datetime64[ns, UTC]")
    ),
    "naive dates": lambda rows: _retyped(rows, publishedDateTime=rows["publishedDateTime"].dt.tz_localize(None)),
    "topics as text": lambda rows: _retyped(rows, topics="AI"),
    "a missing topics list": lambda rows: _retyped(rows, topics=[None] * len(rows)),
    "a null topic": lambda rows: _retyped(rows, topics=[[None]] * len(rows)),
    "numbers as floats": lambda rows: _retyped(rows, images=rows["images"].astype(float)),
    "an extra column": lambda rows: _retyped(rows, secured="x"),
    "ids that are numbers": lambda rows: rows.set_axis(pd.RangeIndex(len(rows), name="id")),
}


@pytest.mark.parametrize("forgery", FORGED_ROWS.values(), ids=FORGED_ROWS.keys())
def test_a_forged_cache_of_rows_is_rebuilt(folder, forgery):
    """Whoever wrote the cache, a load shows what the documents say, and the filters work on it."""
    _forge(folder, change_rows=forgery)
    warm = assert_same_as_cold(folder)
    assert warm.parsed == 40
    assert "forged" not in set(warm.frame["title"])
    assert warm.frame.dtypes.to_dict() == load_collection(folder, use_cache=False).frame.dtypes.to_dict()
    kept = Filters(min_quality=50, published="unpublished").apply(warm.frame)
    assert (kept["quality"] >= 50).all() and not kept["published"].any()
    assert assert_same_as_cold(folder).parsed == 0  # and the rebuilt cache is trusted again


@pytest.fixture
def folder_with_a_problem(folder):
    write_document(folder, "bad.txt", "---\ntitle: t\nheat: hot\n---\n")
    assert load_collection(folder).parsed == 1
    return folder


FORGED_PROBLEMS = {
    "a repeated path": lambda problems, rows: pd.concat([problems, problems]),
    "a path that is also a row": lambda problems, rows: pd.concat(
        [
            problems,
            problems.assign(
                path=rows.index[0],
                size=rows["size"].iloc[0],
                mtime_ns=rows["mtime_ns"].iloc[0],
                ctime_ns=rows["ctime_ns"].iloc[0],
            ),
        ]
    ),
    "a line as text": lambda problems, rows: problems.assign(line="3"),
    "a line 0": lambda problems, rows: problems.assign(line=pd.array([0] * len(problems), dtype="Int64")),
    "a missing message": lambda problems, rows: problems.assign(message=pd.Series([None] * len(problems), dtype="str")),
    "a negative mtime": lambda problems, rows: problems.assign(mtime_ns=-1),
    "a column missing": lambda problems, rows: problems.drop(columns="kind"),
}


@pytest.mark.parametrize("forgery", FORGED_PROBLEMS.values(), ids=FORGED_PROBLEMS.keys())
def test_a_forged_cache_of_problems_is_rebuilt(folder_with_a_problem, forgery):
    _forge(folder_with_a_problem, change_problems=forgery)
    warm = assert_same_as_cold(folder_with_a_problem)
    assert warm.parsed == 41
    assert [(p.path, p.line, p.kind) for p in warm.problems] == [("bad.txt", 3, "invalid-field")]


def test_a_problem_from_a_bug_is_not_kept_in_the_cache(folder_with_a_problem):
    """An `internal` problem is a bug of ours, not of the file: the next load tries the file again."""
    _forge(folder_with_a_problem, change_problems=lambda problems, rows: problems.assign(kind="internal"))
    warm = assert_same_as_cold(folder_with_a_problem)
    assert warm.parsed == 1 and [p.kind for p in warm.problems] == ["invalid-field"]


def test_the_extreme_dates_survive_the_cache(folder):
    """Year 1 and year 9999 in UTC load, are cached and come back from the cache unchanged."""
    write_document(folder, "first.txt", "---\ntitle: first\npublishedDateTime: 0001-01-01T00:00:00Z\n---\n")
    write_document(folder, "last.txt", "---\ntitle: last\npublishedDateTime: 9999-12-31T23:59:59.999999Z\n---\n")
    assert load_collection(folder).parsed == 2
    warm = assert_same_as_cold(folder)
    assert warm.parsed == 0
    dates = warm.frame.loc[["first.txt", "last.txt"], "publishedDateTime"]
    assert list(dates) == [pd.Timestamp("0001-01-01T00:00:00Z"), pd.Timestamp("9999-12-31T23:59:59.999999Z")]
    assert list(Filters(since=dt.date(9999, 1, 1)).apply(warm.frame).index) == ["last.txt"]


def test_a_cache_of_documents_without_topics_is_trusted(tmp_path, monkeypatch):
    """Arrow stores a column of empty lists without an item type; that is still a valid cache."""
    monkeypatch.setattr(cache, "RACY_NS", 0)
    for number in range(3):
        write_document(tmp_path, f"{number}.txt", f"---\ntitle: t{number}\n---\n")
    assert load_collection(tmp_path).parsed == 3
    warm = assert_same_as_cold(tmp_path)
    assert warm.parsed == 0 and list(warm.frame["topics"]) == [[], [], []]


@pytest.mark.parametrize("enabled_before", [True, False])
def test_a_load_pauses_the_cyclic_collector_and_leaves_it_as_it_found_it(folder, monkeypatch, enabled_before):
    """The warm load builds ~100,000 small objects at once; the collector's walks over them are skipped."""
    seen_during_scan = []
    scan = folder_load.scan_folder

    def scan_and_note(path):
        seen_during_scan.append(gc.isenabled())
        return scan(path)

    monkeypatch.setattr(folder_load, "scan_folder", scan_and_note)
    was = gc.isenabled()
    (gc.enable if enabled_before else gc.disable)()
    try:
        assert load_collection(folder).parsed == 0
        assert gc.isenabled() is enabled_before
        with pytest.raises(DocsFolderError):
            load_collection(folder / "missing")
        assert gc.isenabled() is enabled_before  # an error on the way out restores it too
    finally:
        (gc.enable if was else gc.disable)()
    assert seen_during_scan == [False]


def test_a_few_changed_files_are_parsed_at_each_load_until_the_index_command_caches_them(tmp_path, monkeypatch, capsys):
    """Below REWRITE_CACHE_FROM a load parses the changed file again rather than rewrite 100,000 cached rows;
    `curation index` ("parse new and changed documents into the cache") writes it even for one file."""
    monkeypatch.setattr(cache, "RACY_NS", 0)
    docs = tmp_path / "docs"
    write_demo_collection(docs, 40, seed=5)
    assert load_collection(docs).parsed == 40
    with some_document(docs).open("a", encoding="utf-8") as handle:
        handle.write("\nA line added to the body.\n")
    assert [load_collection(docs).parsed for _ in range(2)] == [1, 1]
    assert main(["index", "--docs", str(docs)]) == 0
    assert "parsed 1 " in capsys.readouterr().out
    assert load_collection(docs).parsed == 0
    assert_same_as_cold(docs)


def test_overlapping_pauses_in_two_threads_leave_the_collector_on():
    """Two dashboard sessions load at once: the second pause starts inside the first and ends after it."""
    first_inside, first_left, second_inside = threading.Event(), threading.Event(), threading.Event()
    seen = {}

    def first():
        with cyclic_gc_paused():
            first_inside.set()
            second_inside.wait(10)
        first_left.set()

    def second():
        first_inside.wait(10)
        with cyclic_gc_paused():
            second_inside.set()
            first_left.wait(10)
            seen["after the first left"] = gc.isenabled()

    was = gc.isenabled()
    gc.enable()
    try:
        threads = [threading.Thread(target=first), threading.Thread(target=second)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(20)
        assert seen == {"after the first left": False} and gc.isenabled()
    finally:
        (gc.enable if was else gc.disable)()
