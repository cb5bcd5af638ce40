"""History and undo in a bucket read only what they need: the pack of entries read before, then the new ones."""

from __future__ import annotations

import json
import time
from collections import Counter
from contextlib import contextmanager

import boto3
import pytest

from curation.audit import new_entry
from curation.cli import main
from curation.documents import sha256_of
from curation.editing.publish import load_history, published_edit
from curation.store import s3 as s3_store
from curation.store.s3 import S3Store
from curation.store.shared_state import signed
from tests.conftest import SEED_ID, SEEDS, SHARED_KEY, get_document, object_keys, put_document

SEED = (SEEDS / SEED_ID).read_bytes()
UNPUBLISHED = published_edit(SEED, False, SEED_ID).raw
PACK_KEY = ".curation/cache/audit-pack.json"
DAY_NS = 24 * 3600 * 1_000_000_000


def log_toggles(location: str, count: int, *, long_ago: bool = True) -> None:
    """`count` logged toggles of the seed document as writers leave them (a day ago, unless not `long_ago`),
    and the document as the last one left it."""
    store = S3Store(location)
    now = get_document(location, SEED_ID)
    first_ns = time.time_ns() - DAY_NS
    for number in range(count):
        after = UNPUBLISHED if now == SEED else SEED
        entry = new_entry(
            editor="bench", id=SEED_ID, field="published", old=now == SEED, new=after == SEED,
            sha_before=sha256_of(now), sha_after=sha256_of(after),
        )  # fmt: skip
        store.append_audit(entry, first_ns + number if long_ago else None)
        now = after
    put_document(location, SEED_ID, now)


@contextmanager
def counting_requests(proxy):
    """Count the S3 requests made meanwhile, by operation, and the keys listed (at the proxy, on the wire)."""
    proxy.reset()
    counts: Counter[str] = Counter()
    try:
        yield counts
    finally:
        counts.update(proxy.reset())


def a_new_process() -> None:
    """What a new process knows of the audit log: nothing (its caches of entries and packs are empty)."""
    s3_store._audit_cache.clear()
    s3_store._packs.clear()


@pytest.mark.parametrize("size", [60, 300])
def test_history_limit_1_and_undo_last_1_get_a_few_objects_whatever_the_log_size(s3_proxy, capsys, s3_seed_only, size):
    """Once a reader has read the log, a new process GETs the pack and the one document it judges, not every
    entry (before, one GET per entry: 10,000 for 10,000 entries)."""
    log_toggles(s3_seed_only, size)
    load_history(s3_seed_only)  # an earlier reader, which writes the pack
    a_new_process()
    with counting_requests(s3_proxy) as counts:
        assert main(["history", "--limit", "1", "--json", "--docs", s3_seed_only]) == 0
    (newest,) = json.loads(capsys.readouterr().out)
    assert newest["completed"] is True
    assert counts["GetObject"] == 2  # the pack, and the document to judge the newest entry
    assert (counts["ListObjectsV2"], counts["keys listed"]) == (1, 0)  # only the keys after the pack's
    a_new_process()
    with counting_requests(s3_proxy) as counts:
        assert main(["undo", "--last", "1", "--docs", s3_seed_only]) == 0
    assert counts["GetObject"] == 3  # the pack, the document to judge, the document to undo
    assert sha256_of(get_document(s3_seed_only, SEED_ID)) == newest["sha_before"]


def test_entries_added_since_the_pack_are_read_one_by_one_and_a_reader_of_many_writes_it_again(s3_proxy, s3_seed_only):
    log_toggles(s3_seed_only, 40)
    load_history(s3_seed_only)
    log_toggles(s3_seed_only, 5)
    a_new_process()
    with counting_requests(s3_proxy) as counts:
        history, problems = load_history(s3_seed_only)
    assert (len(history.entries), problems, counts["GetObject"], counts["PutObject"]) == (45, [], 6, 0)
    assert counts["keys listed"] == 5
    log_toggles(s3_seed_only, s3_store.PACK_AFTER)
    a_new_process()
    with counting_requests(s3_proxy) as counts:
        history, _ = load_history(s3_seed_only)
    assert (len(history.entries), counts["GetObject"], counts["PutObject"]) == (77, 1 + 5 + 32, 1)
    assert counts["keys listed"] == 37 + 77  # the new keys, then every key for the pack it writes
    a_new_process()
    with counting_requests(s3_proxy) as counts:
        assert len(load_history(s3_seed_only)[0].entries) == 77
    assert (counts["GetObject"], counts["keys listed"]) == (1, 0)


def test_entries_of_the_last_minutes_are_listed_by_every_reader(s3_proxy, s3_seed_only):
    """A writer may still be creating an entry named a moment ago: the pack is settled only up to keys older
    than ten minutes, and every reader lists the keys after that."""
    log_toggles(s3_seed_only, 10)
    log_toggles(s3_seed_only, 40, long_ago=False)
    load_history(s3_seed_only)
    a_new_process()
    with counting_requests(s3_proxy) as counts:
        assert len(load_history(s3_seed_only)[0].entries) == 50
    assert (counts["GetObject"], counts["keys listed"]) == (1, 40)


@pytest.mark.parametrize(
    ("pack", "reason"),
    [
        (b"{", "Expecting property name"),
        (b'{"format": 1, "listed_to": "", "entries": [{"key": 5}]}', "item 1 has no `key` and `etag`"),
        (b'{"format": 1, "listed_to": "elsewhere/x.json", "entries": []}', "`listed_to` is not a key under"),
        (b'{"format": 1, "listed_to": "KEY", "entries": []}', "`listed_to` is not one of its keys"),
        (b'{"format": 1, "listed_to": "", "entries": [{"key": "x.json", "etag": "e"}]}', "item 1 is not under"),
    ],
)
def test_an_unreadable_pack_is_a_warning_every_entry_is_still_read_and_the_pack_is_written_again(
    s3_seed_only, pack, reason
):
    """The pack is untrusted input: anything wrong in it is a warning naming it, and it is not used at all
    (signed with the hosts' key here, so its content is what is checked)."""
    log_toggles(s3_seed_only, 3)
    audit = S3Store(s3_seed_only).location.base + ".curation/audit/"
    data = pack.replace(b"KEY", f"{audit}{9:020d}-x.json".encode())
    put_document(s3_seed_only, PACK_KEY, signed(SHARED_KEY.encode(), s3_store.AUDIT_PACK, data))
    history, problems = load_history(s3_seed_only)
    assert len(history.entries) == 3 and all(history.took_effect(p) for p in range(3))
    (problem,) = problems
    assert problem.path.endswith(PACK_KEY) and reason in problem.message
    a_new_process()
    history, problems = load_history(s3_seed_only)
    assert (len(history.entries), problems) == (3, [])


def forge_pack(location: str, change) -> bytes:
    """The pack as a forger would leave it: its entries changed by `change`, its signature kept."""
    stored = get_document(location, PACK_KEY)
    header, _, data = stored.partition(b"\n")
    pack = json.loads(data)
    change(pack)
    return header + b"\n" + json.dumps(pack).encode()


def sign_with_another_key(location: str, change) -> bytes:
    data = json.loads(get_document(location, PACK_KEY).partition(b"\n")[2])
    change(data)
    return signed(b"another key, not the hosts' one, 32+ characters", s3_store.AUDIT_PACK, json.dumps(data).encode())


def forged_editor(pack: dict) -> None:
    for item in pack["entries"]:
        item["entry"]["editor"] = "mallory"


@pytest.mark.parametrize(
    ("forge", "reason"),
    [
        (lambda location: forge_pack(location, forged_editor), "signature is not the hosts'"),
        (lambda location: sign_with_another_key(location, forged_editor), "signature is not the hosts'"),
        (lambda location: get_document(location, PACK_KEY).partition(b"\n")[2], "it is not signed"),
    ],
    ids=["content changed", "another key", "unsigned"],
)
def test_a_forged_pack_is_not_used_and_history_shows_what_the_log_says(s3_seed_only, forge, reason):
    """Whoever can write under `.curation/cache/` cannot decide what History shows or undo restores."""
    log_toggles(s3_seed_only, 40)
    load_history(s3_seed_only)  # reads every entry, writes the pack
    put_document(s3_seed_only, PACK_KEY, forge(s3_seed_only))
    a_new_process()
    history, problems = load_history(s3_seed_only)
    assert len(history.entries) == 40 and {entry.editor for entry in history.entries} != {"mallory"}
    (problem,) = problems
    assert problem.path.endswith(PACK_KEY) and reason in problem.message


def test_without_the_hosts_key_no_pack_is_read_or_written(s3_seed_only, monkeypatch):
    monkeypatch.delenv("CURATION_SHARED_KEY")
    log_toggles(s3_seed_only, 40)
    assert len(load_history(s3_seed_only)[0].entries) == 40
    assert PACK_KEY not in object_keys(s3_seed_only)


def test_the_pack_is_used_only_for_entries_listed_with_the_same_etag(s3_seed_only):
    """The listing says which entries exist: a packed entry withdrawn since, or one whose object differs, is not
    taken from the pack."""
    log_toggles(s3_seed_only, 2, long_ago=False)
    store = S3Store(s3_seed_only)
    real, _ = load_history(s3_seed_only)
    listing = boto3.client("s3").list_objects_v2(
        Bucket=store.location.bucket, Prefix=store.location.base + ".curation/audit/"
    )
    keys = [(item["Key"], item["ETag"]) for item in listing["Contents"]]
    forged = new_entry(
        editor="mallory", id=SEED_ID, field="published", old=True, new=False,
        sha_before="0" * 64, sha_after="1" * 64,
    )  # fmt: skip
    pack = {
        "format": 1,
        "listed_to": "",
        "entries": [
            {"key": keys[0][0], "etag": '"not-its-etag"', "entry": forged.to_json()},
            {
                "key": store.location.base + ".curation/audit/withdrawn.json",
                "etag": keys[1][1],
                "entry": forged.to_json(),
            },
        ],
    }
    put_document(s3_seed_only, PACK_KEY, signed(SHARED_KEY.encode(), s3_store.AUDIT_PACK, json.dumps(pack).encode()))
    a_new_process()
    history, problems = load_history(s3_seed_only)
    assert (history.entries, problems) == (real.entries, [])
