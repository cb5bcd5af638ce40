"""Articles -> CSV or JSON bytes an editor can open safely, written a chunk of rows at a time.

CSV is UTF-8 with a BOM (Excel then reads accents right), every field
quoted, and text that a spreadsheet would run as a formula neutralized with a
leading apostrophe. `secured` is never in the frame, so it is never exported.
`csv_chunks` and `json_chunks` turn chunks of rows (DataFrames indexed by id, as
`Collection.column_chunks` yields them) into the file's bytes piece by piece, so an
export of a million rows holds one chunk at a time; the pieces joined are exactly
what `frame_to_csv` and `frame_to_json` give for the whole frame.
A file is written through a temp file and a rename, so a failed export never
replaces the previous one.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
import os
import re
import secrets
from collections.abc import Iterable, Iterator, Sequence
from contextlib import suppress
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from curation.errors import RequestError
from curation.query.filters import Filters
from curation.wording import document_time_text

EXPORT_COLUMNS = (
    "id", "title", "excerpt", "category", "type", "provider", "domain", "topics",
    "publishedDateTime", "quality", "heat", "published", "webUrl", "image",
)  # fmt: skip
FRAME_CHUNK_ROWS = 20_000  # rows frame_to_csv and frame_to_json convert at once
# A cell is neutralized when it starts with a tab or a carriage return, or when its first
# character after any run of blanks is = + - @, ASCII or full-width (＝＋－＠, which some
# spreadsheets read as ASCII). Blanks are what importers trim or skip: space, tab, CR, LF,
# NBSP, zero-width space and BOM.
_FORMULA = re.compile(r"[\t\r]|[ \t\r\n\u00a0\u200b\ufeff]*[=+\-@\uff1d\uff0b\uff0d\uff20]")
_FORMULA_RE2 = (
    r"^(?:[\t\r]|[ \t\r\n\x{a0}\x{200b}\x{feff}]*[=+\-@\x{ff1d}\x{ff0b}\x{ff0d}\x{ff20}])"  # _FORMULA, in RE2
)
TOPIC_SEPARATOR = "; "
CSV_BOM = "\ufeff".encode()


class ExportError(RequestError, ValueError):
    """The export was asked for columns the articles do not have."""


def exportable_columns(columns: Iterable[str]) -> tuple[str, ...]:
    """The id and the given columns: pass `collection.columns` (or a frame's columns)."""
    return ("id", *columns)


def check_columns(available: Iterable[str], columns: Sequence[str]) -> tuple[str, ...]:
    """The columns, each once in the order asked, or an ExportError that lists the valid ones."""
    known = exportable_columns(available)
    unknown = [column for column in columns if column not in known]
    if unknown:
        raise ExportError(f"unknown column {', '.join(unknown)}; choose from {', '.join(known)}")
    return tuple(dict.fromkeys(columns))


def csv_chunks(chunks: Iterable[pd.DataFrame], columns: Sequence[str] = EXPORT_COLUMNS) -> Iterator[bytes]:
    """Spreadsheet-safe CSV, starting with the UTF-8 BOM and the header: one piece per chunk of rows."""
    columns = tuple(columns)
    yield CSV_BOM + _csv_text([columns]).encode("utf-8")
    for chunk in chunks:
        cells = [_csv_cells(chunk.index if column == "id" else chunk[column]) for column in columns]
        yield _csv_text(_rows(cells, len(chunk))).encode("utf-8")


def json_chunks(chunks: Iterable[pd.DataFrame], columns: Sequence[str] = EXPORT_COLUMNS) -> Iterator[bytes]:
    """One JSON list of objects, one per row, laid out as json.dumps(indent=1) lays out the whole list."""
    columns = tuple(columns)
    opening = "["
    for chunk in chunks:
        if not len(chunk):
            continue
        records = [dict(zip(columns, row, strict=True)) for row in _rows(_plain_columns(chunk, columns), len(chunk))]
        # dumps gives "[\n {…},\n {…}\n]": the rows between the brackets are this chunk's part of the list.
        text = json.dumps(records, ensure_ascii=False, indent=1)
        yield (opening + text[1:-2]).encode("utf-8")
        opening = ","
    yield b"[]" if opening == "[" else b"\n]"


def frame_to_json(frame: pd.DataFrame, columns: Sequence[str] = EXPORT_COLUMNS) -> bytes:
    """A JSON list of objects, one per row."""
    columns = check_columns(frame.columns, columns)
    return joined_chunks(json_chunks(_frame_chunks(frame), columns))


def frame_to_csv(frame: pd.DataFrame, columns: Sequence[str] = EXPORT_COLUMNS) -> bytes:
    """Spreadsheet-safe CSV bytes, starting with the UTF-8 BOM."""
    columns = check_columns(frame.columns, columns)
    return joined_chunks(csv_chunks(_frame_chunks(frame), columns))


def joined_chunks(chunks: Iterable[bytes]) -> bytes:
    """The pieces as one bytes, holding about the whole once (b"".join would hold the pieces and the whole).

    BytesIO grows its buffer in place and getvalue() hands that buffer over without a copy.
    """
    buffer = io.BytesIO()
    for chunk in chunks:
        buffer.write(chunk)
    return buffer.getvalue()


def _frame_chunks(frame: pd.DataFrame) -> Iterator[pd.DataFrame]:
    for start in range(0, len(frame), FRAME_CHUNK_ROWS):
        yield frame.iloc[start : start + FRAME_CHUNK_ROWS]


def _csv_text(rows: Iterable[Sequence[Any]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()


def _rows(columns: list[list[Any]], count: int) -> Iterable[tuple[Any, ...]]:
    return zip(*columns, strict=True) if columns else [()] * count


def _plain_columns(chunk: pd.DataFrame, columns: Sequence[str]) -> list[list[Any]]:
    """Each column's values as plain JSON-ready values, in the chunk's order."""
    return [_plain_values(chunk.index if column == "id" else chunk[column]) for column in columns]


def _plain_values(values: pd.Series | pd.Index) -> list[Any]:
    """What _plain gives for each value, done for the whole column where that is cheap."""
    dtype = values.dtype
    if pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_numeric_dtype(dtype) or isinstance(dtype, pd.StringDtype):
        plain = values.tolist()  # numpy and nullable numbers and bools -> Python ones; strings stay
        for position in np.flatnonzero(values.isna()):
            plain[position] = None
        return plain
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return _time_texts(values)
    return [_plain(value) for value in values.tolist()]  # topics, and whatever else a column holds


def _time_texts(values: pd.Series | pd.Index) -> list[str | None]:
    """document_time_text of each moment (None for none), for the whole column at once in Arrow: the seconds
    floored, as the Python text drops them, and every year written with four digits."""
    moments = pa.array(values.array).cast(pa.timestamp("us", tz="UTC"))
    seconds = pc.floor_temporal(moments, unit="second").cast(pa.timestamp("s", tz="UTC"))
    return pc.strftime(seconds, format="%Y-%m-%dT%H:%M:%SZ").to_pylist()


def _plain(value: Any) -> Any:
    if isinstance(value, pd.Timestamp):
        return document_time_text(value)
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, (list, tuple, np.ndarray)):  # topics: any sequence of str
        return list(value)
    if hasattr(value, "as_py"):  # an Arrow scalar, e.g. a list<string> topics value
        return _plain(value.as_py())
    if hasattr(value, "item"):  # numpy scalars -> Python numbers and bools
        return value.item()
    return value


def _csv_cells(values: pd.Series | pd.Index) -> list[str]:
    """_csv_cell of each value; a column of text at once: Arrow finds the cells a spreadsheet would run as a
    formula (_FORMULA, as RE2 writes it) and only those are changed (a third of a million rows' export time)."""
    if isinstance(values.dtype, pd.StringDtype) and not values.hasnans:
        text = pa.chunked_array([pa.array(values.array, pa.large_string())])
        cells = text.to_pylist()
        for position in np.flatnonzero(pc.match_substring_regex(text, _FORMULA_RE2).to_numpy(zero_copy_only=False)):
            cells[position] = "'" + cells[position]
        return cells
    return [_csv_cell(value) for value in _plain_values(values)]


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)  # numbers stay numbers, even negative ones
    if isinstance(value, list):
        value = TOPIC_SEPARATOR.join(str(item) for item in value)
    text = str(value)
    return "'" + text if _FORMULA.match(text) else text


def write_export(path: Path | str, data: bytes | Iterable[bytes]) -> None:
    """Write the export whole or not at all: temp file in the same folder, fsync, rename over `path`.

    `data` is the bytes or the pieces to write in order (csv_chunks, json_chunks), each written as it
    comes. On any error, in writing or in making a piece, the temp file is removed and the previous
    file at `path` stays as it was.
    """
    chunks = (data,) if isinstance(data, bytes) else data
    target = Path(path)
    temp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
    # 0o666 like open(); the umask narrows it as it would for any new file.
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o666)
    try:
        try:
            for chunk in chunks:
                view = memoryview(chunk)
                while view:
                    view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temp, target)
    except BaseException:
        with suppress(OSError):
            os.unlink(temp)
        raise
    _fsync_folder(target.parent)


def _fsync_folder(folder: Path) -> None:
    # The rename is durable only once the folder is; some file systems cannot fsync a folder.
    with suppress(OSError):
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def export_file_name(filters: Filters, extension: str, today: dt.date) -> str:
    """e.g. articles-2026-11-25-unpublished-category-news.csv"""
    return f"articles-{today:%Y-%m-%d}-{filters.slug()}.{extension}"
