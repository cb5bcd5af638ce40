"""A frame of articles -> CSV or JSON bytes an editor can open safely.

CSV is UTF-8 with a BOM (Excel then reads accents right), every field
quoted, and text that a spreadsheet would run as a formula neutralized with a
leading apostrophe. `secured` is never in the frame, so it is never exported.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Sequence
from typing import Any

import pandas as pd

EXPORT_COLUMNS = (
    "id", "title", "excerpt", "category", "type", "provider", "domain", "topics",
    "publishedDateTime", "quality", "heat", "published", "webUrl", "image",
)  # fmt: skip
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
TOPIC_SEPARATOR = "; "


class ExportError(ValueError):
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
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
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
    return "'" + text if text.startswith(FORMULA_STARTS) else text
