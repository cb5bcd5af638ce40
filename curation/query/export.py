"""A frame of articles -> CSV or JSON bytes an editor can open safely.

CSV is UTF-8 with a BOM (Excel then reads accents right), every field
quoted, and text that a spreadsheet would run as a formula neutralized with a
leading apostrophe. `secured` is never in the frame, so it is never exported.
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
from collections.abc import Sequence
from contextlib import suppress
from pathlib import Path
from typing import Any

import pandas as pd

from curation.errors import RequestError
from curation.query.filters import Filters
from curation.wording import document_time_text

EXPORT_COLUMNS = (
    "id", "title", "excerpt", "category", "type", "provider", "domain", "topics",
    "publishedDateTime", "quality", "heat", "published", "webUrl", "image",
)  # fmt: skip
# A cell is neutralized when it starts with a tab or a carriage return, or when its first
# character after any run of blanks is = + - @, ASCII or full-width (＝＋－＠, which some
# spreadsheets read as ASCII). Blanks are what importers trim or skip: space, tab, CR, LF,
# NBSP, zero-width space and BOM.
_FORMULA = re.compile(r"[\t\r]|[ \t\r\n\u00a0\u200b\ufeff]*[=+\-@\uff1d\uff0b\uff0d\uff20]")
TOPIC_SEPARATOR = "; "


class ExportError(RequestError, ValueError):
    """The export was asked for columns the frame does not have."""


def exportable_columns(frame: pd.DataFrame) -> tuple[str, ...]:
    return ("id", *frame.columns)


def check_columns(frame: pd.DataFrame, columns: Sequence[str]) -> tuple[str, ...]:
    """The columns, or an ExportError that lists the valid ones."""
    known = exportable_columns(frame)
    unknown = [column for column in columns if column not in known]
    if unknown:
        raise ExportError(f"unknown column {', '.join(unknown)}; choose from {', '.join(known)}")
    return tuple(columns)


def frame_to_records(frame: pd.DataFrame, columns: Sequence[str] = EXPORT_COLUMNS) -> list[dict[str, Any]]:
    """Rows as plain JSON-ready values, in the frame's order."""
    columns = check_columns(frame, columns)
    table = frame.reset_index()[list(columns)]
    return [
        {column: _plain(value) for column, value in zip(columns, row, strict=True)}
        for row in table.itertuples(index=False, name=None)
    ]


def frame_to_json(frame: pd.DataFrame, columns: Sequence[str] = EXPORT_COLUMNS) -> bytes:
    """A JSON list of objects, one per row."""
    return json.dumps(frame_to_records(frame, columns), ensure_ascii=False, indent=1).encode("utf-8")


def frame_to_csv(frame: pd.DataFrame, columns: Sequence[str] = EXPORT_COLUMNS) -> bytes:
    """Spreadsheet-safe CSV bytes, starting with the UTF-8 BOM."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(columns)
    for record in frame_to_records(frame, columns):
        writer.writerow(_csv_cell(value) for value in record.values())
    return buffer.getvalue().encode("utf-8-sig")


def _plain(value: Any) -> Any:
    if isinstance(value, pd.Timestamp):
        return document_time_text(value)
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):  # numpy scalars -> Python numbers and bools
        return value.item()
    if isinstance(value, (list, tuple)):
        return list(value)
    return value


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


def write_export(path: Path | str, data: bytes) -> None:
    """Write the export whole or not at all: temp file in the same folder, fsync, rename over `path`.

    On any OSError the temp file is removed and the previous file at `path` stays as it was.
    """
    target = Path(path)
    temp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
    # 0o666 like open(); the umask narrows it as it would for any new file.
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o666)
    try:
        try:
            view = memoryview(data)
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
