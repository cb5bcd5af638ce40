"""The dashboard's view of an S3 prefix: a listing off the request path notices changes; our own writes do not reload."""

from __future__ import annotations

import pytest

from curation.documents import sha256_of
from curation.live.objects import LiveObjects
from curation.store import open_store
from tests.conftest import SEED_ID, SEEDS, get_document, put_document

SEED = (SEEDS / SEED_ID).read_bytes()


@pytest.fixture
def live(s3_seed_only):
    """The shared collection of the seed's prefix, closed after the test."""
    live = LiveObjects(s3_seed_only, list_every=3600)  # the watcher thread stays asleep: the test looks itself
    yield live
    live.close()


def test_another_hosts_change_is_noticed_by_a_listing_and_loaded_on_the_next_run(live, s3_seed_only):
    first = live.current()
    assert first.location == s3_seed_only
    assert open_store(first.location).address(SEED_ID) == f"{s3_seed_only}/{SEED_ID}"  # shown as the File
    assert live.check_once() is False and live.current() is first
    put_document(s3_seed_only, SEED_ID, SEED.replace(b"\npublished: true\n", b"\npublished: false\n"))
    put_document(s3_seed_only, "new.txt", b"---\ntitle: New\n---\n")
    assert live.check_once() is True
    second = live.current()
    assert second is not first and live.reloads == 2 and second.parsed == 2
    assert not second.frame.loc[SEED_ID, "published"] and "new.txt" in second.frame.index


def test_our_own_write_is_swapped_in_without_a_reload(live, s3_seed_only):
    first = live.current()
    (outcome,) = live.write_published([SEED_ID], False, expected_shas={SEED_ID: sha256_of(SEED)}, editor="ann")
    assert outcome.status == "changed"
    after = live.current()
    assert not after.frame.loc[SEED_ID, "published"]
    assert after.frame.loc[SEED_ID, "sha256"] == sha256_of(get_document(s3_seed_only, SEED_ID))
    assert live.check_once() is False and live.reloads == 1  # the new ETag is known as ours
    assert first.frame.loc[SEED_ID, "published"]  # the old version was never changed in place


def test_a_conflict_reloads_what_is_in_the_bucket(live, s3_seed_only):
    live.current()
    theirs = SEED.replace(b"\npublished: true\n", b"\npublished: false\n")
    put_document(s3_seed_only, SEED_ID, theirs)
    (outcome,) = live.write_published([SEED_ID], False, expected_shas={SEED_ID: sha256_of(SEED)})
    assert outcome.status == "conflict"
    assert live.current().frame.loc[SEED_ID, "sha256"] == sha256_of(theirs) and live.reloads == 2


def test_a_field_edit_through_the_shared_collection_is_swapped_in(live, s3_seed_only):
    from curation.editing.publish import set_field

    live.current()
    (outcome,) = live.write(
        [SEED_ID], lambda doc_id, **options: set_field(s3_seed_only, doc_id, "category", "politics", **options)
    )
    assert outcome.status == "changed"
    assert live.current().frame.loc[SEED_ID, "category"] == "politics"
    assert live.check_once() is False and live.reloads == 1


def test_another_servers_edit_shows_at_the_next_run_without_a_listing(live, s3_seed_only, s3_proxy, monkeypatch):
    """Server B learns of A's write from the audit log's tail (one LIST of the new entries), not the 5 s listing:
    the row is read and swapped in, nothing else reloads, and B's own writes cost no second look."""
    from curation.editing.publish import set_field
    from curation.live import objects

    monkeypatch.setattr(objects, "FOLLOW_EVERY_SECONDS", 0.0)
    other = LiveObjects(s3_seed_only, list_every=3600)
    try:
        mine = live.current()
        other.current()
        (outcome,) = other.write_published([SEED_ID], False, editor="ann")
        assert outcome.status == "changed"
        retitle = lambda doc_id, **options: set_field(s3_seed_only, doc_id, "title", "Retitled by ann", **options)  # noqa: E731
        other.write([SEED_ID], retitle, editor="ann")
        s3_proxy.reset()
        seen = live.current()
        requests = s3_proxy.reset()
        assert not seen.frame.loc[SEED_ID, "published"] and seen.frame.loc[SEED_ID, "title"] == "Retitled by ann"
        assert seen.frame.loc[SEED_ID, "sha256"] == sha256_of(get_document(s3_seed_only, SEED_ID))
        assert mine.frame.loc[SEED_ID, "published"] and live.reloads == 1  # swapped in; no reload
        assert (requests["ListObjectsV2"], requests["GetObject"]) == (1, 3)  # the tail, two entries, the document
        assert live.check_once() is False  # its ETag is known: the listing agrees
        s3_proxy.reset()
        assert live.current() is seen and s3_proxy.reset()["GetObject"] == 0  # nothing new: the tail is empty
    finally:
        other.close()
