"""Parsed rows as Arrow record batches: how a chunk of parsed files travels back from a worker process.

A chunk's rows as Python lists cost the parent the unpickling of every value and then a copy into the
frame's columns; a million documents held that way peaked at 5.4 GB in the parent. As one record batch
per chunk, built in the worker (both cores), the parent receives Arrow buffers and only concatenates them
(docs/performance.md). This module imports pyarrow but not pandas, so a worker still starts quickly.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pyarrow as pa

from curation.loading.parsing import ROW_FIELDS, ROW_TYPES, Columns, parse_files
from curation.store.base import DocumentFile

# The Arrow type of each field, as the frame's dtype (parsing.ROW_TYPES) reads it back.
_ARROW_TYPES = {"str": pa.large_string(), "Int64": pa.int64(), "int64": pa.int64(), "bool": pa.bool_()}
ROW_SCHEMA = pa.schema(
    [("id", pa.large_string())]
    + [
        (
            name,
            pa.timestamp("us", tz="UTC") if name == "publishedDateTime"
            else pa.list_(pa.string()) if name == "topics"
            else _ARROW_TYPES[ROW_TYPES[name]],
        )
        for name in ROW_FIELDS[1:]
    ]
)  # fmt: skip


def rows_batch(columns: Columns) -> pa.RecordBatch:
    """Parsed columns (parsing.Columns) as one record batch of ROW_SCHEMA."""
    return pa.record_batch([pa.array(columns[field.name], field.type) for field in ROW_SCHEMA], schema=ROW_SCHEMA)


def parse_files_to_batch(documents: Iterable[DocumentFile]) -> tuple[pa.RecordBatch, list[dict[str, Any]]]:
    """parse_files, with the rows as a record batch (the task a worker process runs on a chunk)."""
    columns, problems = parse_files(documents)
    return rows_batch(columns), problems


GROUP_ROWS = 65_536  # rows of arriving batches joined at once


class RowGroups:
    """Parsed chunks' record batches, joined as they arrive into groups of about GROUP_ROWS rows.

    A batch comes from a worker's pipe in memory of Python's heap; a thousand of them, held until the last
    arrived and then joined, held a cold load's rows twice (4.6 GB at 1,000,000 documents). Joined a few at a
    time, the groups are in Arrow's memory, and the heap the batches used is reused for the next ones
    (docs/performance.md).
    """

    def __init__(self) -> None:
        self._pending: list[pa.RecordBatch] = []
        self._pending_rows = 0
        self._groups: list[pa.Table] = []

    def add(self, parsed: tuple[pa.RecordBatch, list[dict[str, Any]]]) -> list[dict[str, Any]]:
        """Take one chunk's batch; its problem records are returned (run_chunks keeps them in its place)."""
        batch, problems = parsed
        self._pending.append(batch)
        self._pending_rows += batch.num_rows
        if self._pending_rows >= GROUP_ROWS:
            self._join_pending()
        return problems

    def table(self) -> pa.Table:
        """Every row taken so far, one chunk per group; the groups are let go (the table holds them)."""
        self._join_pending()
        groups, self._groups = self._groups, []
        return pa.concat_tables(groups) if groups else ROW_SCHEMA.empty_table()

    def _join_pending(self) -> None:
        if self._pending:
            self._groups.append(pa.Table.from_batches(self._pending, schema=ROW_SCHEMA).combine_chunks())
            self._pending, self._pending_rows = [], 0
