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

from curation.documents import read_article
from curation.editing.publish import change_topics, set_field
from curation.live.folder import LiveCollection
from curation.loading import cache
from curation.loading import frame as frame_module
from curation.loading.collection import load_collection
from curation.loading.frame import COLUMNS
from curation.query.facets import Selection
from curation.query.filters import Filters


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


@pytest.mark.parametrize("piece_rows", [3, 32_768], ids=["many pieces", "one piece"])
def test_after_edits_every_column_is_what_the_files_hold(docs, monkeypatch, piece_rows):
    """Publishes, a title and topics written through the live collection: the version it swaps in equals a
    fresh parse of the folder in every column and row; the version before is untouched."""
    monkeypatch.setattr(frame_module, "PIECE_ROWS", piece_rows)
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


def test_a_version_after_a_write_shares_the_pieces_it_did_not_write(docs, monkeypatch):
    """A write copies the pieces of a column it touches, not the column (each shown version keeps its copy)."""
    monkeypatch.setattr(frame_module, "PIECE_ROWS", 10)
    collection = load_collection(docs)
    doc_id = collection.frame.index[25]
    updated = collection.with_rows_updated({doc_id: {"sha256": "0" * 64}})
    first = collection.with_rows_updated({collection.frame.index[0]: {"sha256": "1" * 64}})
    old, new = (version.frame["sha256"].array.__arrow_array__() for version in (first, updated))
    pairs = zip(old.chunks, new.chunks, strict=True)
    shared = [left.buffers()[2].address == right.buffers()[2].address for left, right in pairs]
    assert len(shared) == int(np.ceil(len(collection.frame) / 10))
    assert shared.count(False) == 2  # the piece of row 0 in one, of row 25 in the other
    assert updated.frame.loc[doc_id, "sha256"] == "0" * 64


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
