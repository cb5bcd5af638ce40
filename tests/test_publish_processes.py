"""Real processes: writers killed mid-write, and many writers racing on one folder."""

from __future__ import annotations

import itertools
import json
import multiprocessing
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from curation.audit import read_audit_log
from curation.collection import load_collection
from curation.documents import sha256_of
from curation.errors import ConflictError
from curation.publish import set_published
from tests.conftest import SEED_ID

pytestmark = pytest.mark.slow

TOGGLE_FOREVER = """
import sys
from curation.publish import set_published
folder, doc_id = sys.argv[1], sys.argv[2]
value = False
print("ready", flush=True)
while True:
    set_published(folder, doc_id, value, editor="killer-test")
    value = not value
"""


def test_a_killed_writer_leaves_the_old_or_the_new_file(seed_only):
    """SIGKILL at random moments, many times: the file is always whole and loads."""
    path = seed_only / SEED_ID
    published = path.read_bytes()
    unpublished = published.replace(b"\npublished: true\n", b"\npublished: false\n")
    rng = random.Random(1234)
    seen = set()
    for _ in range(40):
        with subprocess.Popen(
            [sys.executable, "-c", TOGGLE_FOREVER, str(seed_only), SEED_ID],
            stdout=subprocess.PIPE,
            cwd=Path(__file__).resolve().parent.parent,
        ) as writer:
            assert writer.stdout.readline() == b"ready\n"
            time.sleep(rng.uniform(0.001, 0.060))
            writer.send_signal(signal.SIGKILL)
        content = path.read_bytes()
        assert content in (published, unpublished)
        seen.add(content)
        collection = load_collection(seed_only)  # also sweeps what the killed writer left
        assert collection.problems == []
        assert collection.frame.loc[SEED_ID, "sha256"] == sha256_of(content)
        assert not list(seed_only.glob(".*.tmp"))
    assert seen == {published, unpublished}, "the kills never landed between two writes"
    entries, problems = read_audit_log(seed_only / ".curation" / "audit.jsonl")
    assert problems == [] and len(entries) > 40


def _race(folder: str, doc_id: str, value: bool, expected: str, barrier, results) -> None:
    barrier.wait()
    try:
        change = set_published(folder, doc_id, value, expected_sha=expected, editor="racer")
        results.put("changed" if change.changed else "unchanged")
    except ConflictError:
        results.put("conflict")


def test_racing_writers_with_the_same_sha_give_one_winner(seed_only):
    context = multiprocessing.get_context("fork")
    path = seed_only / SEED_ID
    racers = 6
    for round_number, value in enumerate((False, True, False)):
        barrier, results = context.Barrier(racers), context.Queue()
        expected = sha256_of(path.read_bytes())
        workers = [
            context.Process(target=_race, args=(str(seed_only), SEED_ID, value, expected, barrier, results))
            for _ in range(racers)
        ]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=60)
        statuses = sorted(results.get(timeout=5) for _ in range(racers))
        assert statuses == ["changed"] + ["conflict"] * (racers - 1)
        entries, _ = read_audit_log(seed_only / ".curation" / "audit.jsonl")
        assert len(entries) == round_number + 1
        assert bool(load_collection(seed_only).frame.loc[SEED_ID, "published"]) is value


def _flip_many(folder: str, doc_id: str, flips: int, barrier) -> None:
    """Optimistic concurrency: read the sha, set the opposite, retry on conflict."""
    barrier.wait()
    path = Path(folder) / doc_id
    done = 0
    while done < flips:
        raw = path.read_bytes()
        current = b"\npublished: true\n" in raw
        try:
            set_published(folder, doc_id, not current, expected_sha=sha256_of(raw), editor="flipper")
            done += 1
        except ConflictError:
            continue


def test_no_update_is_lost_under_contention(seed_only):
    context = multiprocessing.get_context("fork")
    workers_count, flips = 4, 15
    barrier = context.Barrier(workers_count)
    workers = [
        context.Process(target=_flip_many, args=(str(seed_only), SEED_ID, flips, barrier)) for _ in range(workers_count)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
        assert worker.exitcode == 0
    entries, problems = read_audit_log(seed_only / ".curation" / "audit.jsonl")
    assert problems == []
    assert len(entries) == workers_count * flips
    # Every logged change starts from the state the previous one left.
    for previous, entry in itertools.pairwise(entries):
        assert entry["sha_before"] == previous["sha_after"] and entry["old"] == previous["new"]
    final = load_collection(seed_only).frame.loc[SEED_ID, "published"]
    assert bool(final) is (workers_count * flips % 2 == 0)


def _publish_one(folder: str, doc_id: str, barrier) -> None:
    barrier.wait()
    set_published(folder, doc_id, True, editor=f"editor of {doc_id}")


def test_concurrent_writers_never_interleave_audit_lines(docs):
    frame = load_collection(docs).frame
    ids = list(frame.index[~frame["published"]][:12])
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(len(ids))
    workers = [context.Process(target=_publish_one, args=(str(docs), doc_id, barrier)) for doc_id in ids]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    lines = (docs / ".curation" / "audit.jsonl").read_text(encoding="utf-8").splitlines()
    assert sorted(json.loads(line)["id"] for line in lines) == sorted(ids)
    assert load_collection(docs).frame.loc[ids, "published"].all()
