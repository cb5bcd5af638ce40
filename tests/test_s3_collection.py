"""Load, validate and export give the same answers from a folder and from an S3 prefix (a real moto server)."""

from __future__ import annotations

import csv
import io
import json
import shutil

import pandas as pd
import pytest

from curation.cli import main
from curation.loading import objects as object_loading
from curation.loading.collection import load_collection
from curation.loading.index_build import build_index
from curation.loading.objects import build_collection, load_objects, local_cache_folder
from curation.store.s3 import S3Store
from curation.store.shared_state import signed
from tests.conftest import GOLDEN_DIR, SEED_ID, SEEDS, new_prefix, object_keys, put_document, upload_folder


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_a_prefix_loads_into_the_frame_a_folder_gives(s3_docs, docs):
    """Same ids, columns, types and values; only mtime_ns differs (an object's is its LastModified)."""
    from_bucket = load_collection(s3_docs)
    from_folder = load_collection(docs)
    assert from_bucket.location == s3_docs
    assert list(from_bucket.frame.columns) == list(from_folder.frame.columns)
    pd.testing.assert_frame_equal(
        from_bucket.frame.drop(columns="mtime_ns"), from_folder.frame.drop(columns="mtime_ns")
    )
    assert from_bucket.problems == from_folder.problems == []
    assert from_bucket.parsed == len(from_bucket.frame) == 301


@pytest.fixture(scope="module")
def golden_bucket_and_folder(tmp_path_factory, moto_endpoint):
    """The golden documents (every kind of problem) in a folder and in a bucket prefix."""
    import os

    from tests.conftest import BUCKET, aws_settings

    folder = tmp_path_factory.mktemp("golden-s3") / "documents"
    shutil.copytree(GOLDEN_DIR, folder)
    settings = aws_settings(moto_endpoint, folder.parent)
    saved = {name: os.environ.get(name) for name in settings}
    os.environ.update(settings)
    try:
        import boto3

        client = boto3.client("s3")
        if BUCKET not in {bucket["Name"] for bucket in client.list_buckets().get("Buckets", [])}:
            client.create_bucket(Bucket=BUCKET)
        location = new_prefix("golden")
        upload_folder(folder, location)
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    return location, folder


def test_every_golden_problem_is_the_same_problem_in_a_bucket(s3_env, golden_bucket_and_folder):
    location, folder = golden_bucket_and_folder
    from_bucket, from_folder = load_collection(location), load_collection(folder)
    assert [p.to_dict() for p in from_bucket.problems] == [p.to_dict() for p in from_folder.problems]
    assert len(from_bucket.problems) >= 10
    pd.testing.assert_frame_equal(
        from_bucket.frame.drop(columns="mtime_ns"), from_folder.frame.drop(columns="mtime_ns")
    )


def test_validate_reports_the_same_from_a_folder_and_a_prefix(capsys, s3_env, golden_bucket_and_folder):
    location, folder = golden_bucket_and_folder
    bucket = run(capsys, "validate", "--json", "--docs", location)
    local = run(capsys, "validate", "--json", "--docs", str(folder))
    assert bucket[0] == local[0] == 1
    assert json.loads(bucket[1]) == json.loads(local[1])


def test_validate_and_export_on_both_stores(capsys, location):
    code, out, _ = run(capsys, "validate", "--docs", str(location))
    assert (code, out) == (0, "301 documents, 0 problems\n")
    code, out, _ = run(
        capsys, "export", "--docs", str(location), "--unpublished", "--category", "news", "--sort", "quality:desc"
    )
    rows = list(csv.DictReader(io.StringIO(out.removeprefix("\ufeff"))))
    assert code == 0 and rows
    assert all(row["published"] == "false" and row["category"] == "news" for row in rows)
    qualities = [int(row["quality"]) for row in rows if row["quality"]]
    assert qualities == sorted(qualities, reverse=True)


def test_export_is_byte_for_byte_the_same_from_a_bucket(capsys, s3_docs, docs):
    _, from_bucket, _ = run(capsys, "export", "--docs", s3_docs, "--format", "json", "--has-image")
    _, from_folder, _ = run(capsys, "export", "--docs", str(docs), "--format", "json", "--has-image")
    assert from_bucket == from_folder and json.loads(from_bucket)


def test_the_docs_location_can_come_from_the_environment(capsys, monkeypatch, s3_docs):
    monkeypatch.setenv("CURATION_DOCS", s3_docs)
    code, out, _ = run(capsys, "validate")
    assert (code, out) == (0, "301 documents, 0 problems\n")


def test_a_missing_bucket_exits_2_with_its_name(capsys, s3_env):
    code, _, err = run(capsys, "validate", "--docs", "s3://no-such-bucket-here/x")
    assert code == 2 and "bucket `no-such-bucket-here` does not exist" in err


# --- the parse cache: keyed by ETag and size ---------------------------------------------------------


@pytest.fixture
def few(s3_env) -> str:
    """A fresh prefix with the seed and 19 demo documents (cache tests need few objects, not many)."""
    location = new_prefix("few")
    for path in [SEEDS / SEED_ID, *sorted(SEEDS.glob("demo_*.txt"))[:19]]:
        put_document(location, path.name, path.read_bytes())
    return location


def test_a_warm_load_fetches_nothing_and_a_changed_object_is_fetched_alone(few):
    assert build_collection(few).fetched == 20
    warm = build_collection(few)
    assert (warm.fetched, warm.cache_source, warm.list_requests) == (0, "local", 1)
    put_document(few, SEED_ID, (SEEDS / SEED_ID).read_bytes().replace(b"\npublished: true\n", b"\npublished: false\n"))
    put_document(few, "new/extra.md", b"---\ntitle: Extra\n---\n")
    changed = build_collection(few)
    assert changed.fetched == 2
    assert changed.collection.frame.loc[SEED_ID, "published"] == False  # noqa: E712 (numpy bool)
    assert "new/extra.md" in changed.collection.frame.index


def test_a_deleted_object_drops_out_and_a_fixed_one_stops_being_a_problem(few):
    put_document(few, "broken.txt", b"---\ntitle: [unclosed\n---\n")
    assert [problem.path for problem in load_collection(few).problems] == ["broken.txt"]
    put_document(few, "broken.txt", b"---\ntitle: fixed\n---\n")
    store = S3Store(few)
    store.delete_object(store.location.key(SEED_ID))
    collection = load_collection(few)
    assert collection.problems == [] and collection.parsed == 1
    assert SEED_ID not in collection.frame.index and collection.frame.loc["broken.txt", "title"] == "fixed"


@pytest.mark.parametrize("damage", [b"", b"not parquet at all", b"PAR1" + b"\0" * 64], ids=["empty", "text", "zeros"])
def test_a_damaged_cache_is_rebuilt_never_trusted(few, damage):
    first = build_collection(few)
    (first.local_cache / object_loading.ROWS_NAME).write_bytes(damage)
    again = build_collection(few)
    assert again.fetched == 20 and again.cache_source == "none"
    pd.testing.assert_frame_equal(again.collection.frame, first.collection.frame)


def test_a_cache_with_a_forged_row_type_is_not_trusted(few):
    first = build_collection(few)
    rows = pd.read_parquet(first.local_cache / object_loading.ROWS_NAME)
    rows["quality"] = rows["quality"].astype("float64")
    (first.local_cache / object_loading.ROWS_NAME).write_bytes(rows.to_parquet())
    assert build_collection(few).fetched == 20


def test_read_only_loads_write_no_cache(few, monkeypatch):
    monkeypatch.setenv("CURATION_READ_ONLY", "1")
    load = build_collection(few)
    assert load.local_cache is None and not local_cache_folder(S3Store(few)).exists()


def test_an_index_build_shares_its_cache_with_a_new_host(s3_docs, monkeypatch, tmp_path):
    """`curation index` puts the cache in the bucket; a host with an empty cache reads it instead of parsing."""
    report = build_index(s3_docs)
    assert (report.documents, report.parsed) == (301, 301)
    assert report.shared_cache and report.shared_cache.startswith(s3_docs + "/.curation/cache/")
    assert sorted(object_keys(s3_docs, ".curation/cache/")) == [
        f".curation/cache/{object_loading.PROBLEMS_NAME}", f".curation/cache/{object_loading.ROWS_NAME}",
    ]  # fmt: skip
    monkeypatch.setenv("CURATION_CACHE_DIR", str(tmp_path / "another-host"))
    put_document(s3_docs, "late.txt", b"---\ntitle: Late\n---\n")
    fresh = build_collection(s3_docs)
    assert (fresh.cache_source, fresh.fetched) == ("shared", 1)  # every ETag still checked: only the new object
    assert len(fresh.collection.frame) == 302
    assert (
        "late.txt"
        not in pd.read_parquet(io.BytesIO(S3Store(s3_docs).get_shared("cache/" + object_loading.ROWS_NAME))).index
    )


def forged_rows(location: str, doc_id: str) -> bytes:
    """The shared cache's rows with one article's title, URL and published state changed, as a forger would."""
    rows = pd.read_parquet(io.BytesIO(S3Store(location).get_shared("cache/" + object_loading.ROWS_NAME)))
    rows.loc[doc_id, ["title", "webUrl"]] = ["Forged headline", "https://evil.example/phish"]
    rows.loc[doc_id, "published"] = not rows.loc[doc_id, "published"]
    return rows.to_parquet()


@pytest.mark.parametrize("how", ["unsigned", "signature kept", "another key"])
def test_a_forged_shared_cache_is_not_used_and_a_new_host_shows_the_objects(
    capsys, s3_docs, monkeypatch, tmp_path, how
):
    """Anyone who can write under `.curation/cache/` cannot decide what a new host shows: the forged cache is
    named in a warning (also by `curation validate`), and the host reads the objects themselves."""
    build_index(s3_docs)
    truth = load_objects(s3_docs, use_cache=False).frame.loc[SEED_ID]
    data = forged_rows(s3_docs, SEED_ID)
    name = "cache/" + object_loading.ROWS_NAME
    stored = {
        "unsigned": data,
        "signature kept": S3Store(s3_docs).get_state(name).partition(b"\n")[0] + b"\n" + data,
        "another key": signed(b"not the hosts' key, but long enough to be one", name, data),
    }[how]
    put_document(s3_docs, ".curation/" + name, stored)
    monkeypatch.setenv("CURATION_CACHE_DIR", str(tmp_path / "a-new-host"))
    fresh = build_collection(s3_docs)
    assert fresh.cache_source == "none" and fresh.fetched == 301
    shown = fresh.collection.frame.loc[SEED_ID]
    assert (shown["title"], shown["webUrl"], shown["published"]) == (
        truth["title"],
        truth["webUrl"],
        truth["published"],
    )
    (warning,) = [problem for problem in fresh.collection.problems if problem.kind == "state"]
    assert warning.path.endswith(f".curation/cache/{object_loading.ROWS_NAME}") and "not used" in warning.message
    monkeypatch.setenv("CURATION_CACHE_DIR", str(tmp_path / "yet-another-host"))
    _, out, err = run(capsys, "validate", "--docs", s3_docs)
    assert f".curation/cache/{object_loading.ROWS_NAME}" in out + err and "not used" in out + err


def test_without_the_hosts_key_the_shared_cache_is_neither_written_nor_read(s3_docs, monkeypatch, tmp_path, capsys):
    build_index(s3_docs)  # with the key: a signed cache is there
    monkeypatch.delenv("CURATION_SHARED_KEY")
    monkeypatch.setenv("CURATION_CACHE_DIR", str(tmp_path / "a-host-without-the-key"))
    fresh = build_collection(s3_docs)
    assert (fresh.cache_source, fresh.fetched) == ("none", 301)
    code, out, _ = run(capsys, "index", "--docs", s3_docs)
    assert code == 0 and "wrote the shared cache" not in out


def test_the_index_command_reports_what_it_parsed(capsys, s3_docs):
    code, out, _ = run(capsys, "index", "--docs", s3_docs)
    assert code == 0 and out.startswith("301 documents, 0 problems: parsed 301 (this process), no cache used, in ")
    assert "wrote this host's cache: " in out and "wrote the shared cache: s3://" in out
    code, out, _ = run(capsys, "index", "--docs", s3_docs)
    assert code == 0 and out.startswith("301 documents, 0 problems: parsed 0 (this process), the rest from this host's")
    code, out, _ = run(capsys, "index", "--docs", s3_docs, "--json")
    report = json.loads(out)
    assert (report["parsed"], report["reused_from"]) == (0, "local")


def test_the_index_command_refuses_a_scheduler_for_a_folder(capsys, seed_only):
    with pytest.raises(SystemExit) as exit_info:
        main(["index", "--docs", str(seed_only), "--scheduler", "tcp://127.0.0.1:1"])
    assert exit_info.value.code == 2 and "--scheduler needs an s3:// location" in capsys.readouterr().err


def test_the_index_command_on_a_folder_is_a_load(capsys, seed_only):
    code, out, _ = run(capsys, "index", "--docs", str(seed_only))
    assert code == 0 and out.startswith("1 document, 0 problems: parsed 1 (this process)")


def test_both_stores_list_the_same_documents_with_a_version_tag(location):
    """The store interface's `list`: ids in order, sizes, and a version tag (an ETag, or mtime:ctime on disk)."""
    from curation.store import open_store

    listing = open_store(location).list_documents()
    frame = load_collection(location).frame
    assert listing.ids == sorted(listing.ids) == list(frame.index)
    assert listing.sizes == list(frame["size"])
    assert len(set(listing.etags)) > 1 and all(listing.etags)


def test_a_prefix_parsed_in_worker_processes_loads_as_in_this_process(s3_docs, monkeypatch):
    """Many objects go through the same pipe workers as a folder's files (no spawn pool); results in order."""
    from curation.loading import parsing, workers

    serial = load_objects(s3_docs, use_cache=False)
    monkeypatch.setattr(parsing, "PARALLEL_FROM", 10)
    monkeypatch.setattr(object_loading, "PARTITION_SIZE", 40)
    started = []
    real_start = workers._start

    def counted_start():
        started.append(real_start())
        return started[-1]

    monkeypatch.setattr(workers, "_start", counted_start)
    seen = []
    parallel = load_objects(s3_docs, use_cache=False, progress=lambda done, total: seen.append((done, total)))
    pd.testing.assert_frame_equal(parallel.frame, serial.frame)
    assert parallel.problems == serial.problems
    assert len(started) >= 2 and all(process.poll() is not None for process in started)  # stopped after
    assert seen[-1] == (301, 301) and len(seen) == 8  # one report per partition of 40
