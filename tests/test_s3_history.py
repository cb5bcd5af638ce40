"""History and undo in a bucket read only what they need: the pack of entries read before, then the new ones."""

from __future__ import annotations

import json
from collections import Counter
from contextlib import contextmanager

import pytest

from curation import s3_store
from curation.audit import new_entry
from curation.cli import main
from curation.documents import sha256_of
from curation.publish import edit_published, load_history
from curation.s3_store import S3Store, s3_client
from tests.conftest import SEED_ID, SEEDS, get_document, put_document

SEED = (SEEDS / SEED_ID).read_bytes()
UNPUBLISHED = edit_published(SEED, False, SEED_ID)
PACK_KEY = ".curation/cache/audit-pack.json"


def log_toggles(location: str, count: int) -> None:
    """`count` logged toggles of the seed document, as writers would leave them, and the document as the last left it."""
    store = S3Store(location)
    now = get_document(location, SEED_ID)
    for _ in range(count):
        after = UNPUBLISHED if now == SEED else SEED
        store.append_audit(
            new_entry(
                editor="bench", id=SEED_ID, field="published", old=now == SEED, new=after == SEED,
                sha_before=sha256_of(now), sha_after=sha256_of(after),
            )
        )  # fmt: skip
        now = after
    put_document(location, SEED_ID, now)


@contextmanager
def counting_requests():
    """Count this process's S3 requests by operation (a boto3 event hook; the client is the one curation uses)."""
    counts: Counter[str] = Counter()

    def count(model, **_):
        counts[model.name] += 1

    events = s3_client().meta.events
    events.register("before-call.s3", count, unique_id="count-requests")
    try:
        yield counts
    finally:
        events.unregister("before-call.s3", unique_id="count-requests")


def a_new_process() -> None:
    """What a new process knows of the audit log: nothing (its cache of entries is empty)."""
    s3_store._audit_cache.clear()


@pytest.mark.parametrize("size", [60, 300])
def test_history_limit_1_and_undo_last_1_get_a_few_objects_whatever_the_log_size(capsys, s3_seed_only, size):
    """Once a reader has read the log, a new process GETs the pack and the one document it judges, not every
    entry (before, one GET per entry: 10,000 for 10,000 entries)."""
    log_toggles(s3_seed_only, size)
    load_history(s3_seed_only)  # an earlier reader, which writes the pack
    a_new_process()
    with counting_requests() as counts:
        assert main(["history", "--limit", "1", "--json", "--docs", s3_seed_only]) == 0
    (newest,) = json.loads(capsys.readouterr().out)
    assert newest["completed"] is True
    assert counts["GetObject"] == 2  # the pack, and the document to judge the newest entry
    a_new_process()
    with counting_requests() as counts:
        assert main(["undo", "--last", "1", "--docs", s3_seed_only]) == 0
    assert counts["GetObject"] == 3  # the pack, the document to judge, the document to undo
    assert sha256_of(get_document(s3_seed_only, SEED_ID)) == newest["sha_before"]


def test_entries_added_since_the_pack_are_read_one_by_one_and_a_reader_of_many_writes_it_again(s3_seed_only):
    log_toggles(s3_seed_only, 40)
    load_history(s3_seed_only)
    log_toggles(s3_seed_only, 5)
    a_new_process()
    with counting_requests() as counts:
        history, problems = load_history(s3_seed_only)
    assert (len(history.entries), problems, counts["GetObject"], counts["PutObject"]) == (45, [], 6, 0)
    log_toggles(s3_seed_only, s3_store.PACK_AFTER)
    a_new_process()
    with counting_requests() as counts:
        history, _ = load_history(s3_seed_only)
    assert (len(history.entries), counts["GetObject"], counts["PutObject"]) == (77, 1 + 5 + 32, 1)
    a_new_process()
    with counting_requests() as counts:
        assert len(load_history(s3_seed_only)[0].entries) == 77
    assert counts["GetObject"] == 1


def test_an_unreadable_pack_is_a_warning_every_entry_is_still_read_and_the_pack_is_written_again(s3_seed_only):
    log_toggles(s3_seed_only, 3)
    put_document(s3_seed_only, PACK_KEY, b'{"format": 1, "entries": [{"key": 5}]}')
    history, problems = load_history(s3_seed_only)
    assert len(history.entries) == 3 and all(history.took_effect(p) for p in range(3))
    (problem,) = problems
    assert problem.path.endswith(PACK_KEY) and "item 1 has no `key` and `etag`" in problem.message
    a_new_process()
    history, problems = load_history(s3_seed_only)
    assert (len(history.entries), problems) == (3, [])


def test_the_pack_is_used_only_for_entries_listed_with_the_same_etag(s3_seed_only):
    """The listing says which entries exist: a packed entry withdrawn since, or one whose object differs, is not
    taken from the pack."""
    log_toggles(s3_seed_only, 2)
    store = S3Store(s3_seed_only)
    real, _ = load_history(s3_seed_only)
    listing = s3_client().list_objects_v2(Bucket=store.location.bucket, Prefix=store.location.base + ".curation/audit/")
    keys = [(item["Key"], item["ETag"]) for item in listing["Contents"]]
    forged = new_entry(
        editor="mallory", id=SEED_ID, field="published", old=True, new=False,
        sha_before="0" * 64, sha_after="1" * 64,
    )  # fmt: skip
    pack = {
        "format": 1,
        "entries": [
            {"key": keys[0][0], "etag": '"not-its-etag"', "entry": forged.to_json()},
            {
                "key": store.location.base + ".curation/audit/withdrawn.json",
                "etag": keys[1][1],
                "entry": forged.to_json(),
            },
        ],
    }
    put_document(s3_seed_only, PACK_KEY, json.dumps(pack))
    a_new_process()
    history, problems = load_history(s3_seed_only)
    assert (history.entries, problems) == (real.entries, [])
