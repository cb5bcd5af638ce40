"""Export: CSV an editor's spreadsheet opens safely, and JSON, checked by parsing them back."""

from __future__ import annotations

import csv
import datetime as dt
import errno
import io
import json
import os

import pytest

from curation.loading.collection import load_collection
from curation.query import export
from curation.query.export import EXPORT_COLUMNS, ExportError, export_file_name, frame_to_csv, frame_to_json
from curation.query.filters import Filters
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
