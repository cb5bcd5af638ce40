"""The S3 store against a real moto server over HTTP: listing, compare-and-swap writes, audit objects, errors."""

from __future__ import annotations

import datetime as dt
import json

import boto3
import pytest
from botocore.exceptions import ClientError

from curation.editing import publish
from curation.editing.publish import load_history, set_field, set_published, set_published_many, undo_last
from curation.errors import ConflictError, PublishRefusedError, StoreError
from curation.loading.collection import load_collection
from curation.store import s3 as s3_store
from curation.store.s3 import Failure, S3Location, S3Store, store_error
from tests.conftest import SEED_ID, SEEDS, free_port, get_document, new_prefix, object_keys, put_document

SEED = (SEEDS / SEED_ID).read_bytes()
UNPUBLISHED = SEED.replace(b"\npublished: true\n", b"\npublished: false\n")
LOCKED_BUCKET = "newsroom-locked"  # object lock can only be turned on when a bucket is made


@pytest.mark.parametrize(
    ("text", "bucket", "prefix"),
    [
        ("s3://newsroom", "newsroom", ""),
        ("s3://newsroom/", "newsroom", ""),
        ("s3://newsroom/articles", "newsroom", "articles"),
        ("s3://newsroom/desk/articles/", "newsroom", "desk/articles"),
    ],
)
def test_a_location_is_a_bucket_and_a_prefix(text, bucket, prefix):
    location = S3Location.parse(text)
    assert (location.bucket, location.prefix) == (bucket, prefix)
    assert location.key("a/b.txt") == (f"{prefix}/a/b.txt" if prefix else "a/b.txt")


@pytest.mark.parametrize("text", ["s3://", "s3:///articles", "/srv/articles"])
def test_a_location_without_a_bucket_is_refused(text):
    with pytest.raises(StoreError, match=r"bucket|not an S3 location"):
        S3Location.parse(text)


def test_listing_pages_through_the_prefix_and_skips_the_state_folder(s3_env, monkeypatch):
    """Keys on both sides of `.curation/` are listed, page by page; audit entries are never paged through."""
    location = new_prefix()
    names = ["-early.txt", "a.txt", "sub/b.md", "z.yaml", *[f"n{number:02d}.txt" for number in range(12)]]
    for name in names:
        put_document(location, name, b"---\ntitle: t\n---\n")
    for number in range(30):
        put_document(location, f".curation/audit/{number:020d}-x.json", b"{}")
    for name in (".curation0", ".hidden.txt", "sub/.hidden.md", "picture.png", "folder/"):
        put_document(location, name, b"not a document")
    monkeypatch.setattr(s3_store, "LIST_PAGE_SIZE", 5)
    listing = S3Store(location).list_documents()
    assert listing.ids == sorted(names)
    assert listing.problems == []
    # 51 keys would be 11 pages; skipping `.curation/` leaves 1 page before it and 4 after it.
    assert listing.requests <= 5


def test_a_key_that_is_not_a_document_id_is_a_problem(s3_env):
    location = new_prefix()
    put_document(location, "fine.txt", b"---\ntitle: t\n---\n")
    put_document(location, "odd//double.txt", b"---\ntitle: t\n---\n")
    collection = load_collection(location)
    assert list(collection.frame.index) == ["fine.txt"]
    [problem] = collection.problems  # obstore names the part it cannot represent: the folder `odd//`
    assert (problem.path, problem.kind) == ("odd//", "not-a-file") and "rename the object" in problem.message


def test_a_write_is_a_conditional_put_that_keeps_the_objects_headers(s3_seed_only):
    """Content type and user metadata from the ingest pipeline survive a publish."""
    location = S3Location.parse(s3_seed_only)
    client = boto3.client("s3")
    client.put_object(
        Bucket=location.bucket, Key=location.key(SEED_ID), Body=SEED,
        ContentType="text/markdown; charset=utf-8", Metadata={"source": "wire"}, CacheControl="no-cache",
    )  # fmt: skip
    change = set_published(s3_seed_only, SEED_ID, False, editor="ann")
    assert get_document(s3_seed_only, SEED_ID) == UNPUBLISHED
    head = client.head_object(Bucket=location.bucket, Key=location.key(SEED_ID))
    assert head["ContentType"] == "text/markdown; charset=utf-8"
    assert head["Metadata"] == {"source": "wire"} and head["CacheControl"] == "no-cache"
    assert change.size == len(UNPUBLISHED)


def test_a_write_keeps_the_objects_storage_class_and_encryption(s3_seed_only):
    """What a signed PUT can carry survives a publish and a field edit; the body changes only in its line."""
    location = S3Location.parse(s3_seed_only)
    client = boto3.client("s3")
    client.put_object(
        Bucket=location.bucket, Key=location.key(SEED_ID), Body=SEED, StorageClass="STANDARD_IA",
        ServerSideEncryption="AES256", ContentLanguage="en", ContentDisposition="inline",
    )  # fmt: skip
    kept = ("StorageClass", "ServerSideEncryption", "ContentLanguage", "ContentDisposition")

    def settings() -> dict:
        head = client.head_object(Bucket=location.bucket, Key=location.key(SEED_ID))
        return {name: head.get(name) for name in kept}

    before = settings()
    assert before["StorageClass"] == "STANDARD_IA" and before["ServerSideEncryption"] == "AES256"
    set_published(s3_seed_only, SEED_ID, False, editor="ann")
    assert get_document(s3_seed_only, SEED_ID) == UNPUBLISHED
    assert settings() == before
    set_field(s3_seed_only, SEED_ID, "category", "politics", editor="ann")
    assert settings() == before


def test_a_write_keeps_the_objects_kms_encryption_and_bucket_key(s3_seed_only):
    client = boto3.client("s3")
    location = S3Location.parse(s3_seed_only)
    key = location.key(SEED_ID)
    client.put_object(
        Bucket=location.bucket, Key=key, Body=SEED, ServerSideEncryption="aws:kms",
        SSEKMSKeyId="arn:aws:kms:us-east-1:123456789012:key/desk-key", BucketKeyEnabled=True,
    )  # fmt: skip
    kept = ("ServerSideEncryption", "SSEKMSKeyId", "BucketKeyEnabled")

    def settings() -> dict:
        head = client.head_object(Bucket=location.bucket, Key=key)
        return {name: head.get(name) for name in kept}

    before = settings()
    assert before["SSEKMSKeyId"].endswith("desk-key") and before["BucketKeyEnabled"] is True
    set_published(str(location), SEED_ID, False, editor="ann")
    assert client.get_object(Bucket=location.bucket, Key=key)["Body"].read() == UNPUBLISHED
    assert settings() == before


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ({"Tagging": "desk=politics&embargo=2031-01-02"}, "has tags"),
        ({"WebsiteRedirectLocation": "/moved/elsewhere"}, "has a website redirect"),
        ({"Expires": dt.datetime(2031, 1, 2, 3, 4, 5, tzinfo=dt.UTC)}, "has an Expires header"),
    ],
)
def test_a_write_that_would_strip_what_the_client_cannot_carry_is_refused_and_nothing_changes(
    s3_seed_only, settings, named
):
    """A PUT through obstore cannot carry tags, a redirect or Expires: the editor is told, nothing is written,
    no audit entry is left."""
    location = S3Location.parse(s3_seed_only)
    client = boto3.client("s3")
    client.put_object(Bucket=location.bucket, Key=location.key(SEED_ID), Body=SEED, **settings)
    entries_before = object_keys(s3_seed_only, ".curation/audit/")
    [outcome] = set_published_many(s3_seed_only, [SEED_ID], False, editor="ann")
    assert outcome.status == "refused" and named in outcome.message and "nothing was written" in outcome.message
    assert location.url(location.key(SEED_ID)) in outcome.message
    assert get_document(s3_seed_only, SEED_ID) == SEED
    assert object_keys(s3_seed_only, ".curation/audit/") == entries_before


def test_a_write_to_an_object_under_object_lock_is_refused_and_it_keeps_its_lock(s3_env):
    client = boto3.client("s3")
    if LOCKED_BUCKET not in {bucket["Name"] for bucket in client.list_buckets()["Buckets"]}:
        client.create_bucket(Bucket=LOCKED_BUCKET, ObjectLockEnabledForBucket=True)
    location = S3Location(LOCKED_BUCKET, S3Location.parse(new_prefix("seed")).prefix)
    key = location.key(SEED_ID)
    client.put_object(
        Bucket=location.bucket, Key=key, Body=SEED, ObjectLockMode="GOVERNANCE",
        ObjectLockRetainUntilDate=dt.datetime(2031, 1, 2, tzinfo=dt.UTC), ObjectLockLegalHoldStatus="ON",
    )  # fmt: skip
    [outcome] = set_published_many(str(location), [SEED_ID], False, editor="ann")
    assert outcome.status == "refused" and "object-lock retention" in outcome.message
    head = client.head_object(Bucket=location.bucket, Key=key)
    assert client.get_object(Bucket=location.bucket, Key=key)["Body"].read() == SEED
    assert (head["ObjectLockMode"], head["ObjectLockLegalHoldStatus"]) == ("GOVERNANCE", "ON")


def _racing_edit(location: str, doc_id: str, other: bytes, times: int = 1):
    """An edit that lets another host write the object first (after our GET, before our PUT), `times` times."""
    raced = []

    def make_edit(raw: bytes):
        if len(raced) < times:
            raced.append(True)
            put_document(location, doc_id, other + b"\n" * len(raced))  # another host's write, through S3 itself
        return publish.published_edit(raw, False, doc_id)

    return make_edit


def test_a_write_that_loses_the_race_is_a_conflict_and_withdraws_its_audit_entry(s3_seed_only):
    """If-Match fails with 412: nothing is written, and no entry is left for history to misjudge."""
    other = SEED.replace(b"heat: ", b"heat:  ")
    with pytest.raises(ConflictError, match="changed in the bucket since you loaded it"):
        publish._write_change(
            s3_seed_only, SEED_ID, _racing_edit(s3_seed_only, SEED_ID, other),
            expected_sha=publish.sha256_of(SEED), editor="ann", audit_log=None,
        )  # fmt: skip
    assert get_document(s3_seed_only, SEED_ID) == other + b"\n"  # the other host's version survives
    assert object_keys(s3_seed_only, ".curation/audit/") == []
    history, problems = load_history(s3_seed_only)
    assert history.entries == [] and problems == []


def test_without_an_expected_sha_a_lost_race_is_tried_again_on_the_new_version(s3_seed_only):
    """A request sets a value: after a 412 it reads the other host's version and sets it there."""
    other = SEED.replace(b"heat: ", b"heat:  ")
    change = publish._write_change(
        s3_seed_only, SEED_ID, _racing_edit(s3_seed_only, SEED_ID, other),
        expected_sha=None, editor="ann", audit_log=None,
    )  # fmt: skip
    written = get_document(s3_seed_only, SEED_ID)
    assert b"heat:  " in written and b"\npublished: false\n" in written
    assert change.sha_before == publish.sha256_of(other + b"\n")
    history, _ = load_history(s3_seed_only)
    assert [(entry.change, done) for entry, done in history.newest_first()] == [(change.entry.change, True)]


def test_a_writer_that_keeps_losing_gives_up_with_a_conflict(s3_seed_only):
    with pytest.raises(ConflictError):
        publish._write_change(
            s3_seed_only, SEED_ID, _racing_edit(s3_seed_only, SEED_ID, SEED, times=publish.WRITE_ATTEMPTS),
            expected_sha=None, editor="ann", audit_log=None,
        )  # fmt: skip
    assert object_keys(s3_seed_only, ".curation/audit/") == []


def test_a_document_deleted_before_the_put_is_a_conflict_not_a_new_object(s3_seed_only):
    location = S3Location.parse(s3_seed_only)

    def delete_then_edit(raw: bytes):
        boto3.client("s3").delete_object(Bucket=location.bucket, Key=location.key(SEED_ID))
        return publish.published_edit(raw, False, SEED_ID)

    with pytest.raises(ConflictError):
        publish._write_change(
            s3_seed_only, SEED_ID, delete_then_edit, expected_sha=publish.sha256_of(SEED), editor="ann", audit_log=None
        )
    assert object_keys(s3_seed_only) == []


def test_audit_entries_are_objects_named_in_time_order_and_never_overwritten(s3_seed_only):
    set_published(s3_seed_only, SEED_ID, False, editor="ann")
    set_published(s3_seed_only, SEED_ID, True, editor="bob")
    keys = object_keys(s3_seed_only, ".curation/audit/")
    assert len(keys) == 2 and keys == sorted(keys)
    entries = [json.loads(get_document(s3_seed_only, key)) for key in keys]
    assert [entry["editor"] for entry in entries] == ["ann", "bob"]
    assert all(key.endswith(f"-{entry['change']}.json") for key, entry in zip(keys, entries, strict=True))
    location = S3Location.parse(s3_seed_only)
    with pytest.raises(ClientError) as refused:  # what If-None-Match: * means, from the server itself
        boto3.client("s3").put_object(Bucket=location.bucket, Key=location.key(keys[0]), Body=b"{}", IfNoneMatch="*")
    assert refused.value.response["Error"]["Code"] == "PreconditionFailed"


def test_an_audit_object_that_is_not_an_entry_is_skipped_with_a_warning(s3_seed_only):
    set_published(s3_seed_only, SEED_ID, False, editor="ann")
    put_document(s3_seed_only, ".curation/audit/00000000000000000001-bad.json", b'{"id": 5}')
    history, problems = load_history(s3_seed_only)
    assert [entry.editor for entry in history.entries] == ["ann"]
    assert len(problems) == 1 and problems[0].path.endswith("-bad.json") and problems[0].kind == "audit"
    assert undo_last(s3_seed_only)[0].status == "changed"


def test_a_separate_audit_log_file_is_refused_for_a_bucket(s3_seed_only, tmp_path):
    with pytest.raises(PublishRefusedError, match="keeps its audit log in s3://"):
        set_published(s3_seed_only, SEED_ID, False, audit_log=tmp_path / "audit.jsonl")
    assert get_document(s3_seed_only, SEED_ID) == SEED


# --- errors: a missing bucket and an unreachable endpoint, for real -----------------------------------


def test_a_missing_bucket_is_a_clear_error_naming_it(s3_env):
    missing = "s3://no-such-bucket-here/articles"
    with pytest.raises(StoreError, match=r"no-such-bucket-here.*does not exist") as error:
        load_collection(missing)
    assert error.value.path.startswith("s3://no-such-bucket-here")
    with pytest.raises(StoreError, match="bucket `no-such-bucket-here` does not exist"):
        S3Store(missing).check()


def test_a_bulk_write_to_a_missing_bucket_gives_one_refusal_per_id(s3_env):
    outcomes = set_published_many("s3://no-such-bucket-here/articles", ["a.txt", "b/c.txt"], True)
    assert [(outcome.id, outcome.status) for outcome in outcomes] == [("a.txt", "refused"), ("b/c.txt", "refused")]
    assert all("s3://no-such-bucket-here/articles/" in outcome.message for outcome in outcomes)
    assert "does not exist" in outcomes[0].message


def test_an_unreachable_endpoint_is_a_clear_error_and_nothing_is_written(s3_env, s3_seed_only, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")  # nothing listens there
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    with pytest.raises(StoreError, match=r"cannot reach the S3 endpoint http://127\.0\.0\.1:\d+ while listing"):
        load_collection(s3_seed_only)
    outcomes = set_published_many(s3_seed_only, [SEED_ID], False)
    assert outcomes[0].status == "refused" and "cannot reach the S3 endpoint" in outcomes[0].message
    assert SEED_ID in outcomes[0].message
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_env)  # the real endpoint again: the object was not touched
    assert get_document(s3_seed_only, SEED_ID) == SEED


@pytest.mark.parametrize(
    ("failure", "wanted"),
    [
        (Failure(403, "AccessDenied", "m"), "access denied while reading the document (AccessDenied); check the"),
        (Failure(503, "SlowDown", "m"), "S3 is throttling requests (SlowDown) while reading the document, even after"),
        (Failure(404, "NoSuchBucket", "m"), "bucket `newsroom` does not exist"),
        (Failure(0, "", "tcp connect error"), "cannot reach the S3 endpoint"),
        (Failure(500, "InternalError", "the server broke"), "S3 answered InternalError while reading the document"),
    ],
)
def test_every_s3_failure_becomes_a_message_naming_bucket_and_key(failure, wanted):
    """Denied access and throttling cannot be provoked from moto; the translation is checked on its own."""
    translated = store_error(failure, S3Location.parse("s3://newsroom/desk"), "desk/a.txt", "reading the document")
    assert translated.path == "s3://newsroom/desk/a.txt"
    assert wanted in translated.message


def test_a_failure_is_read_from_what_obstore_says():
    said = (
        "Generic S3 error: Error performing GET http://127.0.0.1:1/b/k in 3ms - Server returned non-2xx status "
        'code: 403 Forbidden: <?xml version="1.0"?><Error><Code>AccessDenied</Code></Error>'
    )
    assert Failure.of(RuntimeError(said)) == Failure(403, "AccessDenied", said)
    assert not Failure.of(RuntimeError("error sending request: tcp connect error")).answered


def test_a_missing_obstore_says_which_extra_to_install(monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, "obstore.store", None)
    monkeypatch.setattr(s3_store, "_clients", {})
    with pytest.raises(StoreError, match=r"pip install -e '\.\[s3\]'"):
        s3_store.s3_client("newsroom")


def test_a_named_profile_is_read_through_boto3(s3_seed_only, monkeypatch, tmp_path):
    """obstore reads no ~/.aws files; AWS_PROFILE goes through boto3's credential chain when it is installed."""
    credentials = tmp_path / "credentials"
    credentials.write_text("[desk]\naws_access_key_id = testing\naws_secret_access_key = testing\n")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    monkeypatch.setenv("AWS_PROFILE", "desk")
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    assert list(load_collection(s3_seed_only).frame.index) == [SEED_ID]
    monkeypatch.setitem(__import__("sys").modules, "obstore.auth.boto3", None)  # as without boto3
    monkeypatch.setattr(s3_store, "_clients", {})
    with pytest.raises(StoreError, match="a named profile needs boto3: pip install boto3"):
        load_collection(s3_seed_only)
