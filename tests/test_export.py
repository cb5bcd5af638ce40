"""Export: CSV an editor's spreadsheet opens safely, and JSON, checked by parsing them back."""

from __future__ import annotations

import csv
import datetime as dt
import errno
import io
import json
import math
import os

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given
from hypothesis import strategies as st

from curation.cli import main
from curation.loading.collection import load_collection
from curation.query import export
from curation.query.export import (
    EXPORT_COLUMNS,
    ExportError,
    check_columns,
    csv_chunks,
    export_file_name,
    exportable_columns,
    frame_to_csv,
    frame_to_json,
    joined_chunks,
    json_chunks,
)
from curation.query.filters import Filters
from curation.wording import document_time_text
from tests.conftest import SEED_ID, write_document

HOSTILE = {
    "eq.txt": '---\ntitle: "=HYPERLINK(\\"http://evil.example\\")"\nquality: 5\n---\n',
    "plus.txt": '---\ntitle: "+1 for this"\ncategory: "-minus"\nquality: 6\n---\n',
    "at.txt": '---\ntitle: "@SUM(A1)"\nquality: 7\n---\n',
    "tab.txt": '---\ntitle: Tabbed\nexcerpt: "\\tTabbed"\ncategory: "\\rreturn"\nquality: 8\n---\n',
    "plain.txt": '---\ntitle: "Plain, with \\"quotes\\" and, commas"\nquality: 9\ntopics: [A, "B; C"]\n---\n',
}


def parse_csv(data: bytes) -> list[dict[str, str]]:
    assert data.startswith(b"\xef\xbb\xbf"), "Excel needs the BOM to read UTF-8"
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


@pytest.fixture
def hostile_frame(tmp_path):
    for name, text in HOSTILE.items():
        write_document(tmp_path, name, text)
    return load_collection(tmp_path).frame


def test_csv_has_the_default_columns_in_order(seed_only):
    data = frame_to_csv(load_collection(seed_only).frame)
    header = data.decode("utf-8-sig").splitlines()[0]
    assert header == ",".join(f'"{column}"' for column in EXPORT_COLUMNS)


def test_csv_round_trips_the_seed(seed_only):
    (row,) = parse_csv(frame_to_csv(load_collection(seed_only).frame))
    assert row["id"] == SEED_ID
    assert row["title"].startswith("Stream It Or Skip It: ‘Jung_E’")
    assert (row["quality"], row["heat"], row["published"]) == ("52", "72", "true")
    assert row["topics"] == "Facebook AI; AI"
    assert row["publishedDateTime"] == "2023-01-24T22:31:00Z"
    assert "secured" not in row


def test_every_field_is_quoted(hostile_frame):
    """Each row, parsed, written again with QUOTE_ALL gives exactly the same text: every field is quoted."""
    text = frame_to_csv(hostile_frame).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    again = io.StringIO()
    csv.writer(again, quoting=csv.QUOTE_ALL, lineterminator="\r\n").writerows(rows)
    assert again.getvalue() == text
    assert len(rows) == len(hostile_frame) + 1


def test_formulas_are_neutralized_and_numbers_are_not(hostile_frame):
    rows = {row["id"]: row for row in parse_csv(frame_to_csv(hostile_frame))}
    assert rows["eq.txt"]["title"] == '\'=HYPERLINK("http://evil.example")'
    assert rows["plus.txt"]["title"] == "'+1 for this"
    assert rows["plus.txt"]["category"] == "'-minus"
    assert rows["at.txt"]["title"] == "'@SUM(A1)"
    assert rows["tab.txt"]["excerpt"] == "'\tTabbed"
    assert rows["tab.txt"]["category"] == "'\rreturn"
    assert rows["plain.txt"]["title"] == 'Plain, with "quotes" and, commas'
    assert rows["plain.txt"]["topics"] == "A; B; C"
    assert [rows[name]["quality"] for name in ("eq.txt", "plus.txt", "at.txt")] == ["5", "6", "7"]


def test_missing_scores_are_empty_cells(tmp_path):
    write_document(tmp_path, "a.txt", "---\ntitle: no scores\n---\n")
    (row,) = parse_csv(frame_to_csv(load_collection(tmp_path).frame))
    assert (row["quality"], row["heat"], row["publishedDateTime"]) == ("", "", "")


@pytest.mark.parametrize(
    ("written", "exported"),
    [("0001-01-01T05:06:07Z", "0001-01-01T05:06:07Z"), ("9999-12-31T23:59:59Z", "9999-12-31T23:59:59Z")],
)
def test_dates_at_the_calendars_edges_export_as_written(tmp_path, written, exported):
    write_document(tmp_path, "a.txt", f"---\ntitle: old\npublishedDateTime: '{written}'\n---\n")
    frame = load_collection(tmp_path).frame
    (row,) = parse_csv(frame_to_csv(frame))
    (record,) = json.loads(frame_to_json(frame))
    assert row["publishedDateTime"] == record["publishedDateTime"] == exported


def test_csv_keeps_the_filter_and_its_order(docs):
    frame = load_collection(docs).frame
    filters = Filters(published="unpublished", min_quality=60, sort="heat", descending=True)
    shown = filters.apply(frame)
    rows = parse_csv(frame_to_csv(shown, ["id", "heat", "quality", "published"]))
    assert [row["id"] for row in rows] == list(shown.index)
    assert len(rows) > 5
    assert all(row["published"] == "false" and int(row["quality"]) >= 60 for row in rows)
    heats = [int(row["heat"]) for row in rows]
    assert heats == sorted(heats, reverse=True)


def test_json_is_a_list_of_objects_with_the_same_columns(seed_only):
    (record,) = json.loads(frame_to_json(load_collection(seed_only).frame))
    assert list(record) == list(EXPORT_COLUMNS)
    assert record["quality"] == 52 and record["published"] is True
    assert record["topics"] == ["Facebook AI", "AI"]


def test_unknown_columns_are_refused(seed_only):
    with pytest.raises(ExportError, match="unknown column secured"):
        frame_to_csv(load_collection(seed_only).frame, ["id", "secured"])


SNEAKY = {
    "space": " =1+1",
    "spaces": "   +1",
    "nbsp": "\u00a0=HYPERLINK(1)",
    "zwsp": "\u200b@SUM(A1)",
    "bom": "\ufeff-2+3",
    "mixed": " \u00a0\u200b\ufeff =1",
    "newline": "\n=1",
    "fullwidth_eq": "＝1+1",
    "fullwidth_plus": "＋1",
    "fullwidth_minus": "－1",
    "fullwidth_at": "＠SUM(A1)",
    "space_fullwidth": "\u00a0 ＝1",
}
HARMLESS = {"inner": "a = b", "space_word": "  plain", "nbsp_word": "\u00a0plain", "dash_inside": "x-1"}


@pytest.fixture
def sneaky_frame(tmp_path):
    # In the excerpt: titles are stripped on load, excerpts are kept exactly.
    for name, title in {**SNEAKY, **HARMLESS}.items():
        write_document(tmp_path, f"{name}.txt", f"---\ntitle: t\nexcerpt: {json.dumps(title)}\n---\n")
    return load_collection(tmp_path).frame


def test_formulas_behind_blanks_or_in_full_width_are_neutralized(sneaky_frame):
    """Spreadsheets skip leading blanks and read full-width ＝＋－＠; such cells get the apostrophe too."""
    rows = {row["id"].removesuffix(".txt"): row["excerpt"] for row in parse_csv(frame_to_csv(sneaky_frame))}
    assert {name: rows[name] for name in SNEAKY} == {name: "'" + title for name, title in SNEAKY.items()}
    assert {name: rows[name] for name in HARMLESS} == HARMLESS


class FailingOs:
    """The os module as export sees it, with fsync failing like a full disk (ENOSPC)."""

    def __init__(self, fail: str) -> None:
        self.fail = fail

    def __getattr__(self, name):
        real = getattr(os, name)
        if name != self.fail:
            return real

        def failing(fd, *args):
            if name == "write":
                real(fd, bytes(args[0])[: len(args[0]) // 2])  # half the bytes land, then the disk is full
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        return failing


@pytest.mark.parametrize("fail", ["write", "fsync"])
def test_a_failed_export_leaves_the_previous_file_whole(tmp_path, monkeypatch, fail):
    target = tmp_path / "articles.csv"
    target.write_bytes(b"previous export")
    monkeypatch.setattr(export, "os", FailingOs(fail))
    with pytest.raises(OSError) as error:
        export.write_export(target, b"x" * 100_000)
    assert error.value.errno == errno.ENOSPC
    assert target.read_bytes() == b"previous export"
    assert [path.name for path in tmp_path.iterdir()] == ["articles.csv"]


def test_write_export_replaces_the_file_and_keeps_the_umask(tmp_path):
    target = tmp_path / "articles.csv"
    target.write_bytes(b"old")
    export.write_export(target, b"new")
    assert target.read_bytes() == b"new"
    assert [path.name for path in tmp_path.iterdir()] == ["articles.csv"]
    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask


def test_export_file_name_carries_the_date_and_filter():
    filters = Filters(published="unpublished", categories=("news",))
    assert (
        export_file_name(filters, "csv", dt.date(2026, 11, 25)) == "articles-2026-11-25-unpublished-category-news.csv"
    )
    assert export_file_name(Filters(), "json", dt.date(2026, 1, 2)) == "articles-2026-01-02-all.json"


# --- Streaming: the pieces joined are the bytes the export gave whole before issue 26 ---------------


def whole_csv(frame: pd.DataFrame, columns=EXPORT_COLUMNS) -> bytes:
    """The CSV export as it was made before it streamed (every row's record, then one writer): the oracle."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(columns)
    for record in whole_records(frame, columns):
        writer.writerow(export._csv_cell(value) for value in record.values())
    return buffer.getvalue().encode("utf-8-sig")


def whole_json(frame: pd.DataFrame, columns=EXPORT_COLUMNS) -> bytes:
    return json.dumps(whole_records(frame, columns), ensure_ascii=False, indent=1).encode("utf-8")


def whole_records(frame: pd.DataFrame, columns) -> list[dict]:
    table = frame.reset_index()[list(columns)]
    return [
        {column: old_plain(value) for column, value in zip(columns, row, strict=True)}
        for row in table.itertuples(index=False, name=None)
    ]


def old_plain(value):
    # export._plain as it was before the export streamed: the oracle is the old code, not the new one.
    if isinstance(value, pd.Timestamp):
        return document_time_text(value)
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, (list, tuple)):
        return list(value)
    return value


def chunked(frame: pd.DataFrame, rows: int) -> list[pd.DataFrame]:
    return [frame.iloc[start : start + rows] for start in range(0, len(frame), rows)]


def made_frame(rows: list[dict]) -> pd.DataFrame:
    """A frame with the loader's column types, from rows given as plain values (None where missing)."""
    frame = pd.DataFrame(rows, columns=["id", "title", "excerpt", "category", "topics", "publishedDateTime",
                                        "quality", "heat", "published", "score"])  # fmt: skip
    for column in ("id", "title", "excerpt", "category"):
        frame[column] = frame[column].astype("str")
    frame["publishedDateTime"] = pd.to_datetime(frame["publishedDateTime"], utc=True).astype("datetime64[us, UTC]")
    frame["quality"] = frame["quality"].astype("Int64")
    frame["heat"] = frame["heat"].astype("Int64")
    frame["published"] = frame["published"].astype(bool)
    frame["score"] = frame["score"].astype(float)
    return frame.set_index("id")


HOSTILE_ROWS = [
    {"id": "eq.txt", "title": '=HYPERLINK("http://evil.example")', "excerpt": "line one\nline two\r\nthree",
     "category": "-minus", "topics": ["A", "B; C"], "publishedDateTime": "2023-01-24T22:31:00Z", "quality": 5,
     "heat": -3, "published": True, "score": 1.5},
    {"id": "quotes.txt", "title": 'Plain, with "quotes" and, commas', "excerpt": "\u00a0=1", "category": "@cat",
     "topics": (), "publishedDateTime": None, "quality": None, "heat": None, "published": False, "score": None},
    {"id": "ünïcode/日本.txt", "title": "Café ＝ naïve 🙂", "excerpt": None, "category": "\tTabbed",
     "topics": ("＠x", "=y"), "publishedDateTime": "0001-01-01T05:06:07Z", "quality": 0, "heat": 100,
     "published": True, "score": -0.0},
    {"id": "empty.txt", "title": "", "excerpt": "", "category": "+1", "topics": [], "publishedDateTime":
     "9999-12-31T23:59:59Z", "quality": 100, "heat": 0, "published": False, "score": float("nan")},
]  # fmt: skip
HOSTILE_COLUMNS = ("id", "title", "excerpt", "category", "topics", "publishedDateTime", "quality", "heat",
                   "published", "score")  # fmt: skip


@pytest.mark.parametrize(
    "rows", [HOSTILE_ROWS, HOSTILE_ROWS[:1], HOSTILE_ROWS[1:2], []], ids=["all", "one", "na", "empty"]
)
@pytest.mark.parametrize("chunk_rows", [1, 2, 3, 20_000])
def test_streamed_export_is_the_whole_export_byte_for_byte(rows, chunk_rows):
    """Formula cells, newlines, quotes, unicode, missing values and topics come out the same in chunks."""
    frame = made_frame(rows)
    pieces = chunked(frame, chunk_rows)
    assert b"".join(csv_chunks(pieces, HOSTILE_COLUMNS)) == whole_csv(frame, HOSTILE_COLUMNS)
    assert b"".join(json_chunks(pieces, HOSTILE_COLUMNS)) == whole_json(frame, HOSTILE_COLUMNS)
    assert frame_to_csv(frame, HOSTILE_COLUMNS) == whole_csv(frame, HOSTILE_COLUMNS)
    assert frame_to_json(frame, HOSTILE_COLUMNS) == whole_json(frame, HOSTILE_COLUMNS)


def test_empty_chunks_and_no_rows_still_make_whole_files():
    frame = made_frame(HOSTILE_ROWS)
    pieces = [frame.iloc[:0], frame.iloc[:2], frame.iloc[2:2], frame.iloc[2:]]
    assert b"".join(json_chunks(pieces, HOSTILE_COLUMNS)) == whole_json(frame, HOSTILE_COLUMNS)
    assert b"".join(csv_chunks(pieces, HOSTILE_COLUMNS)) == whole_csv(frame, HOSTILE_COLUMNS)
    assert b"".join(json_chunks([], ["id"])) == b"[]"
    assert b"".join(csv_chunks([], ["id", "title"])) == b'\xef\xbb\xbf"id","title"\r\n'


def test_topics_as_arrays_or_arrow_lists_export_like_lists():
    """The loader may hold topics as numpy arrays or an Arrow list column: the export is the same."""
    frame = made_frame(HOSTILE_ROWS)
    expected = (whole_csv(frame, HOSTILE_COLUMNS), whole_json(frame, HOSTILE_COLUMNS))
    as_arrays = frame.assign(topics=[np.array(list(topics), dtype=object) for topics in frame["topics"]])
    as_arrow = frame.assign(topics=pd.array([list(topics) for topics in frame["topics"]],
                                            dtype=pd.ArrowDtype(pa.list_(pa.string()))))  # fmt: skip
    for other in (as_arrays, as_arrow):
        assert (frame_to_csv(other, HOSTILE_COLUMNS), frame_to_json(other, HOSTILE_COLUMNS)) == expected


@pytest.mark.parametrize(
    "filters",
    [Filters(), Filters(published="unpublished", min_quality=60, sort="heat", descending=True),
     Filters(search="zzz-nothing-matches"), Filters(sort="publishedDateTime")],
    ids=["all", "filtered-sorted", "none", "by-date"],
)  # fmt: skip
def test_column_chunks_of_a_loaded_collection_export_as_the_whole_frame(seeds_copy, filters):
    collection = load_collection(seeds_copy)
    shown = filters.apply(collection.frame)
    positions = filters.positions(collection.frame)
    columns = tuple(exportable_columns(collection.columns))
    for fmt, stream, whole in (("csv", csv_chunks, whole_csv), ("json", json_chunks, whole_json)):
        streamed = b"".join(stream(collection.column_chunks(positions, columns, chunk_rows=7), columns))
        assert streamed == whole(shown, columns), fmt
        assert joined_chunks(stream(collection.column_chunks(positions, EXPORT_COLUMNS), EXPORT_COLUMNS)) == whole(
            shown, EXPORT_COLUMNS
        ), fmt


@pytest.mark.parametrize(
    ("flags", "filters"),
    [([], Filters()),
     (["--unpublished", "--min-quality", "60", "--sort", "heat:desc"],
      Filters(published="unpublished", min_quality=60, sort="heat", descending=True)),
     (["--category", "news", "--columns", "id,topics,title,id"], Filters(categories=("news",)))],
    ids=["all", "filtered-sorted", "columns"],
)  # fmt: skip
@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_cli_export_writes_the_file_it_wrote_before(seeds_copy, tmp_path, capsys, flags, filters, fmt):
    target = tmp_path / f"articles.{fmt}"
    assert main(["export", "--docs", str(seeds_copy), "--format", fmt, *flags, "-o", str(target)]) == 0
    columns = ("id", "topics", "title") if "--columns" in flags else EXPORT_COLUMNS
    shown = filters.apply(load_collection(seeds_copy).frame)
    assert len(shown) > 5
    assert target.read_bytes() == (whole_csv if fmt == "csv" else whole_json)(shown, columns)
    assert main(["export", "--docs", str(seeds_copy), "--format", fmt, *flags]) == 0  # standard output
    assert capsys.readouterr().out.encode("utf-8") == target.read_bytes()


def test_a_stream_that_fails_half_way_leaves_the_previous_file(tmp_path):
    target = tmp_path / "articles.csv"
    target.write_bytes(b"previous export")
    written = []

    def pieces():
        for number in range(10):
            if number == 5:
                raise RuntimeError("the parse cache went away")
            written.append(number)
            yield b"x" * 100_000

    with pytest.raises(RuntimeError, match="parse cache"):
        export.write_export(target, pieces())
    assert written == [0, 1, 2, 3, 4]  # half the file was on disk, in the temp file
    assert target.read_bytes() == b"previous export"
    assert [path.name for path in tmp_path.iterdir()] == ["articles.csv"]


def test_write_export_writes_the_pieces_in_order(tmp_path):
    target = tmp_path / "articles.json"
    export.write_export(target, iter([b"[", b"\n {}", b",\n {}", b"\n]"]))
    assert json.loads(target.read_bytes()) == [{}, {}]


def test_columns_are_checked_against_every_column_the_collection_has(seeds_copy):
    collection = load_collection(seeds_copy)
    assert check_columns(collection.columns, ["id", "sha256", "id"]) == ("id", "sha256")
    with pytest.raises(ExportError, match="unknown column secured; choose from id, title"):
        check_columns(collection.columns, ["id", "secured"])


@given(st.text(alphabet=st.sampled_from("=+-@ \t\r\n\u00a0\u200b\ufeff\uff1d\uff0b\uff0d\uff20\u3000ax1é"), max_size=6))
def test_arrows_formula_pattern_finds_the_cells_pythons_does(text):
    """The CSV export finds formula cells of a text column in Arrow (RE2); it must find exactly what _FORMULA does."""
    found = pc.match_substring_regex(pa.array([text]), export._FORMULA_RE2).to_pylist()[0]
    assert found == bool(export._FORMULA.match(text))


def test_a_date_column_is_written_as_documents_write_it_in_every_year():
    moments = [dt.datetime(1, 1, 1, 5, 6, 7, tzinfo=dt.UTC), dt.datetime(999, 12, 31, 23, 59, 59, 999999, tzinfo=dt.UTC),
               dt.datetime(1969, 12, 31, 23, 59, 59, 500000, tzinfo=dt.UTC), None,
               dt.datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=dt.UTC)]  # fmt: skip
    column = pd.Series(pd.to_datetime(moments, utc=True))
    assert export._time_texts(column) == [None if when is None else document_time_text(when) for when in moments]
