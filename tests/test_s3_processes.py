"""Real processes on one bucket (a real moto server): two hosts racing (and killed at random), and a Dask LocalCluster
building the index."""

from __future__ import annotations

import json
import random
import secrets
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest

from curation.cli import main
from curation.demo import write_demo_collection
from curation.documents import sha256_of
from curation.editing.publish import load_history, set_field
from curation.loading.collection import load_collection
from curation.loading.index_build import build_index
from curation.loading.objects import build_collection
from tests.conftest import REPO, SEED_ID, SEEDS, get_document, new_prefix, put_document, upload_folder

pytestmark = pytest.mark.slow

# A dashboard host, reduced to its write: each line `VALUE SHA` on stdin is one publish with that expected sha.
HOST = """
import json, sys
from curation.errors import ConflictError
from curation.editing.publish import set_published
location, doc_id, name = sys.argv[1:4]
print("ready", flush=True)
for line in sys.stdin:
    value, sha = line.split()
    try:
        change = set_published(location, doc_id, value == "true", expected_sha=sha, editor=name)
        print(json.dumps({"status": "changed", "change": change.entry.change, "sha": change.sha_after}), flush=True)
    except ConflictError as error:
        print(json.dumps({"status": "conflict", "message": str(error)}), flush=True)
"""


def test_two_hosts_publishing_the_same_object_from_the_same_sha_one_wins(s3_seed_only):
    """Both hosts saw the same version and both write at once: exactly one wins, the other gets a conflict,
    and the audit log holds exactly the winner's change (the loser withdrew its entry). Ten rounds."""
    hosts = [
        subprocess.Popen(
            [sys.executable, "-c", HOST, s3_seed_only, SEED_ID, name],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=REPO,
        )
        for name in ("host-a", "host-b")
    ]
    try:
        for host in hosts:
            assert host.stdout.readline().strip() == "ready"
        winners = []
        value = False
        for _ in range(10):
            sha = sha256_of(get_document(s3_seed_only, SEED_ID))
            for host in hosts:  # both requests go out before either answer is read
                host.stdin.write(f"{'true' if value else 'false'} {sha}\n")
                host.stdin.flush()
            results = [json.loads(host.stdout.readline()) for host in hosts]
            assert sorted(result["status"] for result in results) == ["changed", "conflict"]
            (winner,) = [result for result in results if result["status"] == "changed"]
            assert sha256_of(get_document(s3_seed_only, SEED_ID)) == winner["sha"]
            winners.append(winner["change"])
            value = not value
    finally:
        for host in hosts:
            host.stdin.close()
            host.wait(timeout=30)
            host.stdout.close()
    history, problems = load_history(s3_seed_only)
    assert problems == []
    assert [entry.change for entry in history.entries] == winners
    assert all(done for _, done in history.newest_first())


# A host that edits the title again and again from the version it just read; every title is new, so every
# change leaves a sha of its own. It runs until it is killed.
RACER = """
import secrets, sys
from curation.documents import sha256_of
from curation.errors import ConflictError
from curation.editing.publish import set_field
from curation.store.s3 import S3Store
location, doc_id, name = sys.argv[1:4]
store = S3Store(location)
print("ready", flush=True)
while True:
    sha = sha256_of(store.read(doc_id))
    try:
        set_field(location, doc_id, "title", f"{name} {secrets.token_hex(6)}", expected_sha=sha, editor=name)
    except ConflictError:
        pass
"""


def _start_racer(location: str, name: str) -> subprocess.Popen:
    racer = subprocess.Popen(
        [sys.executable, "-c", RACER, location, SEED_ID, name], stdout=subprocess.PIPE, text=True, cwd=REPO
    )
    assert racer.stdout.readline().strip() == "ready"
    return racer


def _versions(location: str) -> list[str]:
    """The sha of every version the object has had, oldest first (the bucket is versioned)."""
    import boto3

    client = boto3.client("s3")
    bucket, _, prefix = location.removeprefix("s3://").partition("/")
    key = f"{prefix}/{SEED_ID}"
    pages = client.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=key)
    versions = [version for page in pages for version in page.get("Versions", ()) if version["Key"] == key]
    shas = [
        sha256_of(client.get_object(Bucket=bucket, Key=key, VersionId=version["VersionId"])["Body"].read())
        for version in versions
    ]
    return shas[::-1]  # S3 lists a key's versions newest first


def test_two_racing_hosts_killed_at_random_leave_a_history_that_agrees_with_the_object(s3_env):
    """Two hosts race to edit one object while one or the other is SIGKILLed at random moments, 36 times (a
    loser killed before it withdraws its entry leaves it behind). The bucket is versioned, so the object itself
    says which changes happened: History marks exactly those as done, they form one unbroken chain of shas,
    and `undo --last 2` after a later change reverts that change and the race's last winner."""
    import boto3

    bucket = f"versioned-{secrets.token_hex(4)}"
    client = boto3.client("s3")
    client.create_bucket(Bucket=bucket)
    client.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    location = f"s3://{bucket}/docs"
    put_document(location, SEED_ID, (SEEDS / SEED_ID).read_bytes())
    rng = random.Random(22)
    names = ("host-a", "host-b")
    hosts = [_start_racer(location, name) for name in names]
    try:
        for _ in range(36):
            time.sleep(rng.uniform(0.02, 0.3))
            victim = rng.randrange(2)
            hosts[victim].send_signal(signal.SIGKILL)
            hosts[victim].wait()
            hosts[victim].stdout.close()
            hosts[victim] = _start_racer(location, names[victim])
    finally:
        for host in hosts:
            host.send_signal(signal.SIGKILL)
            host.wait()
            host.stdout.close()
    versions = _versions(location)
    history, problems = load_history(location)
    assert problems == []
    judged = [(entry, history.took_effect(position)) for position, entry in enumerate(history.entries)]
    happened = set(versions[1:])  # every title is new: an entry took effect if and only if its sha is a version
    assert [done for _, done in judged] == [entry.sha_after in happened for entry, _ in judged]
    completed = [entry for entry, done in judged if done]
    assert [entry.sha_before for entry in completed] == versions[:-1]  # one chain, no breaks, no version missing
    assert [entry.sha_after for entry in completed] == versions[1:]
    assert len(completed) < len(judged), "no kill left an entry whose change did not happen"

    later = set_field(location, SEED_ID, "title", "After the race", editor="ann")
    assert main(["undo", "--last", "2", "--docs", location]) == 0
    undone = {entry.undoes for entry in load_history(location)[0].entries if entry.undoes}
    assert undone == {later.entry.change, completed[-1].change}
    assert sha256_of(get_document(location, SEED_ID)) == completed[-1].sha_before


def test_a_dask_local_cluster_builds_the_index_of_a_few_thousand_objects(s3_env, tmp_path, monkeypatch):
    """2 worker processes GET and parse partitions of keys; the frame equals a local build's, and a new host
    starts from the shared cache the build wrote."""
    distributed = pytest.importorskip("distributed")
    folder = tmp_path / "docs"
    write_demo_collection(folder, 2000, 7)
    location = new_prefix("dask")
    upload_folder(folder, location)
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:  # processes, not threads: each worker is its own Python with its own boto3 client
        report = build_index(location, scheduler=cluster.scheduler_address)
    assert (report.documents, report.problems, report.parsed) == (2000, 0, 2000)
    assert report.parsed_on == cluster.scheduler_address and report.shared_cache
    local = load_collection(folder)
    monkeypatch.setenv("CURATION_CACHE_DIR", str(tmp_path / "a-new-host"))
    started = build_collection(location)
    assert (started.cache_source, started.fetched) == ("shared", 0)
    pd.testing.assert_frame_equal(
        started.collection.frame.drop(columns="mtime_ns"), local.frame.drop(columns="mtime_ns")
    )
