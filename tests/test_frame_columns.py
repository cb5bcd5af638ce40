"""Every column holds the same values however the frame was built and however it was written to since.

Issue 26 changed how columns are held: topics in one Arrow list column instead of a Python list per row,
parsed chunks joined as Arrow record batches, and a write copying only the pieces of a column it touches.
These tests compare every column, value by value, with what a fresh parse of the files on disk gives.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pandas.arrays import ArrowExtensionArray

from curation.documents import read_article
from curation.editing.publish import change_topics, set_field
from curation.live.folder import LiveCollection
from curation.loading import cache, parsing
from curation.loading.collection import load_collection
from curation.loading.folder import BASELINE_STATS, scanned_rows, stats_frame
from curation.loading.frame import COLUMNS
from curation.query.facets import Selection
from curation.query.filters import Filters
from curation.store.local import scan_folder


def fresh(docs: Path) -> pd.DataFrame:
    """The frame as a load that parses every file gives it (no cache read, none written)."""
    return load_collection(docs, use_cache=False).frame


def test_a_warm_load_holds_what_a_cold_one_parsed_in_every_column(docs, monkeypatch):
    monkeypatch.setattr(cache, "RACY_NS", 0)  # freshly copied files may be cached too
    cold = load_collection(docs)  # parses every file, writes the cache
    warm = load_collection(docs)  # reads it back
    assert cold.parsed > 0 and warm.parsed == 0
    pd.testing.assert_frame_equal(warm.frame, cold.frame)
    assert list(warm.frame.columns) == list(COLUMNS)


def test_each_topics_cell_is_the_documents_list_of_text(docs):
    frame = load_collection(docs).frame
    for doc_id in frame.index[:40]:
        cell = frame.loc[doc_id, "topics"]
        assert isinstance(cell, list) and all(isinstance(topic, str) for topic in cell)
        assert cell == read_article((docs / doc_id).read_bytes(), doc_id)["topics"]


def test_after_edits_every_column_is_what_the_files_hold(docs):
    """Publishes, a title and topics written through the live collection: the version it swaps in equals a
    fresh parse of the folder in every column and row; the version before is untouched."""
    live = LiveCollection(docs, background=False, watch=False)
    before = live.current()
    kept = before.frame.copy(deep=True)
    ids = list(before.frame.index)
    live.write_published([ids[0], ids[5], ids[-1]], True, editor="ann")
    live.write_published([ids[7]], False, editor="ann")
    live.write([ids[2]], functools.partial(set_field, docs, field="title", value="A new title"), editor="ann")
    live.write([ids[9]], functools.partial(change_topics, docs, add=["Added"], remove=[]), editor="ann")
    after = live.current()
    assert live.reloads == 1  # every write was swapped in, none reloaded
    pd.testing.assert_frame_equal(after.frame, fresh(docs))
    pd.testing.assert_frame_equal(before.frame, kept)
    assert after.frame.loc[ids[9], "topics"][-1] == "Added" and after.frame.loc[ids[2], "title"] == "A new title"


def test_every_arrow_column_stays_one_chunk_after_loads_and_writes(docs, monkeypatch):
    """Arrow's take from a column of several chunks joins them first (7-9 ms a column at 1,000,000 rows, for a
    page of rows): a cold load's batches, a warm load's row groups and every write leave each column one chunk."""
    monkeypatch.setattr(cache, "RACY_NS", 0)
    monkeypatch.setattr(cache, "ROW_GROUP_ROWS", 7)  # the cache in many row groups
    monkeypatch.setattr(parsing, "CHUNK_SIZE", 5)  # the parse in many batches
    cold = load_collection(docs)
    warm = load_collection(docs)
    assert warm.parsed == 0
    written = warm.with_rows_updated({warm.frame.index[3]: {"sha256": "0" * 64, "topics": ["a"], "published": True}})
    for version in (cold, warm, written):
        for column in version.frame.columns:
            held = version.frame[column].array
            if isinstance(held, ArrowExtensionArray):
                assert held.__arrow_array__().num_chunks == 1, column
        assert version.frame.index.array.__arrow_array__().num_chunks == 1
    pd.testing.assert_frame_equal(cold.frame, warm.frame)


@pytest.mark.parametrize("sort", ["publishedDateTime", "quality", "title", "published", "provider"])
def test_a_versions_kept_sort_order_gives_the_rows_a_fresh_sort_gives(docs, sort):
    """The dashboard sorts every row once per version and keeps the matching ones; after a write that leaves
    the sort column alone the order is carried over. Either way: the rows, in the order, a fresh sort gives."""
    collection = load_collection(docs)
    first = collection.frame.index[0]
    updated = collection.with_rows_updated({first: {"published": True, "sha256": "0" * 64}})
    for version in (collection, updated):
        for descending in (False, True):
            for filters in (Filters(sort=sort, descending=descending),
                            Filters(sort=sort, descending=descending, published="unpublished", min_quality=30)):  # fmt: skip
                fresh_order = Selection(filters, version.frame, version.facets).positions()
                kept_order = Selection(filters, version.frame, version.facets, version.sort_order).positions()
                np.testing.assert_array_equal(kept_order, fresh_order)
    assert (sort, True) in updated.sort_orders or sort == "published"  # carried over, or dropped: it changed


def test_a_loads_baseline_holds_the_stats_a_full_scan_gives_for_the_documents_that_are_not_rows(docs):
    """A live collection compares later scans with the load's baseline; the load finds the documents that are
    not rows among its problem paths instead of looking up every id: the same frame as the full lookup."""
    (docs / "broken.txt").write_text("---\ntitle: Broken\nquality: 500\n---\n")
    (docs / "also-broken.txt").write_text("---\n: not yaml [\n---\n")
    collection = load_collection(docs, baseline=True)
    stats = stats_frame(scan_folder(docs))[BASELINE_STATS]
    expected = stats[~scanned_rows(stats.index, collection.frame)].sort_index()
    assert list(expected.index) == ["also-broken.txt", "broken.txt"]
    pd.testing.assert_frame_equal(collection.baseline.not_rows, expected)
