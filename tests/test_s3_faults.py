"""A server that fails or stalls some requests: they are retried, and what cannot be done is a clear problem.

The moto server sits behind tests/s3_proxy.py, which answers chosen requests
itself with a 503 (never forwarding them) or holds them until the client gives
up, so every failure here is one the server really sent over HTTP.
"""

from __future__ import annotations

import time

import pytest

from curation.editing.publish import set_published_many
from curation.errors import StoreError
from curation.loading.collection import load_collection
from curation.loading.objects import load_objects
from tests.conftest import SEED_ID, get_document, object_keys, put_document

UNPUBLISHED_LINE = b"published: false"


def test_failed_requests_are_retried_and_the_load_is_whole(s3_docs, s3_proxy):
    expected = load_objects(s3_docs, use_cache=False)
    s3_proxy.fail_next(3, 503)  # the listing, three times: RETRIES is 4
    again = load_objects(s3_docs, use_cache=False)
    assert s3_proxy.failures == []  # every injected failure was used
    assert list(again.frame.index) == list(expected.frame.index) and again.problems == expected.problems


def test_a_stalled_request_times_out_and_is_retried(s3_seed_only, s3_proxy, monkeypatch):
    monkeypatch.setenv("CURATION_S3_TIMEOUT", "1")
    s3_proxy.hang_next(1)
    started = time.monotonic()
    collection = load_collection(s3_seed_only)
    assert list(collection.frame.index) == [SEED_ID] and s3_proxy.hangs == 0
    assert time.monotonic() - started < 30  # not the 30 s default: the setting was used


def test_a_write_whose_requests_fail_once_is_retried_and_logged_once(s3_seed_only, s3_proxy):
    s3_proxy.fail_next(1, 503)  # the document's GET
    [outcome] = set_published_many(s3_seed_only, [SEED_ID], False, editor="ann")
    assert outcome.status == "changed", outcome.message
    assert UNPUBLISHED_LINE in get_document(s3_seed_only, SEED_ID)
    assert len(object_keys(s3_seed_only, ".curation/audit/")) == 1


def test_a_server_that_keeps_failing_is_a_clear_error_naming_the_object_and_nothing_is_written(
    s3_seed_only, s3_proxy, monkeypatch
):
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")
    before = get_document(s3_seed_only, SEED_ID)
    s3_proxy.fail_next(1000, 503)
    [outcome] = set_published_many(s3_seed_only, [SEED_ID], False, editor="ann")
    with pytest.raises(StoreError, match="S3 is throttling requests"):
        load_collection(s3_seed_only)
    s3_proxy.failures.clear()
    assert outcome.status == "refused" and SEED_ID in outcome.message and "throttling" in outcome.message
    assert get_document(s3_seed_only, SEED_ID) == before and object_keys(s3_seed_only, ".curation/audit/") == []


def test_an_object_that_cannot_be_read_is_a_problem_naming_it_and_the_rest_loads(s3_docs, s3_proxy, monkeypatch):
    """A GET that fails even after its retries costs that object only; the next load tries it again."""
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")
    put_document(s3_docs, "late.txt", b"---\ntitle: Late\n---\n")
    s3_proxy.fail_matching("/late.txt", 500)
    first = load_collection(s3_docs)
    assert "late.txt" not in first.frame.index and len(first.frame) > 100
    [problem] = [problem for problem in first.problems if problem.path == "late.txt"]
    assert (
        problem.kind == "unreadable" and "late.txt" in problem.message and "cannot read the object" in problem.message
    )
    s3_proxy.failing.clear()
    second = load_collection(s3_docs)  # not cached as a problem: tried again
    assert second.frame.loc["late.txt", "title"] == "Late"
    assert "late.txt" not in {problem.path for problem in second.problems}
