"""Real processes on one bucket (a real moto server): two hosts racing, and a Dask LocalCluster building the index."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest

from curation.collection import load_collection
from curation.demo import write_demo_collection
from curation.documents import sha256_of
from curation.index_build import build_index
from curation.object_loading import build_collection
from curation.publish import load_history
from tests.conftest import REPO, SEED_ID, get_document, new_prefix, upload_folder

pytestmark = pytest.mark.slow

# A dashboard host, reduced to its write: each line `VALUE SHA` on stdin is one publish with that expected sha.
HOST = """
import json, sys
from curation.errors import ConflictError
from curation.publish import set_published
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
