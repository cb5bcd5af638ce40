"""The parse cache is rewritten at the real threshold, REWRITE_CACHE_FROM, not on every new file.

(tests/test_cache.py sets the threshold to 1, so that every case there is cached.)
"""

from __future__ import annotations

from curation.demo import write_demo_collection
from curation.loading import cache
from curation.loading import folder as folder_load
from curation.loading.collection import load_collection
from curation.loading.folder import REWRITE_CACHE_FROM


def test_the_cache_is_rewritten_once_the_threshold_of_files_was_parsed(tmp_path, monkeypatch):
    """One new file short of the threshold, the cache is kept as it was, and the next load parses those files
    again; at the threshold the load rewrites it, and the next load parses nothing."""
    assert REWRITE_CACHE_FROM > 1  # the value the dashboard runs with (200), read before any test patches it
    monkeypatch.setattr(cache, "RACY_NS", 0)  # freshly written files may be cached too
    writes: list[int] = []
    write_cache = folder_load.write_cache

    def counted_write(folder, rows, problems):
        writes.append(len(rows))
        return write_cache(folder, rows, problems)

    monkeypatch.setattr(folder_load, "write_cache", counted_write)
    docs = tmp_path / "docs"
    write_demo_collection(docs / "first", 30, seed=11)
    assert load_collection(docs).parsed == 30 and writes == [30]  # no cache yet: always written

    write_demo_collection(docs / "second", REWRITE_CACHE_FROM - 1, seed=12)
    assert load_collection(docs).parsed == REWRITE_CACHE_FROM - 1
    assert load_collection(docs).parsed == REWRITE_CACHE_FROM - 1  # not cached: parsed again
    assert writes == [30]

    write_demo_collection(docs / "third", 1, seed=13)
    assert load_collection(docs).parsed == REWRITE_CACHE_FROM
    assert writes == [30, 30 + REWRITE_CACHE_FROM]
    assert load_collection(docs).parsed == 0
