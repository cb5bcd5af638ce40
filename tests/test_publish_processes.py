"""Real processes: writers killed mid-write, and many writers racing on one folder."""

from __future__ import annotations

import itertools
import json
import multiprocessing
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from curation.documents import sha256_of
from curation.editing.publish import load_history, set_published, set_published_many
from curation.errors import ConflictError, CurationError
from curation.loading.collection import load_collection
from curation.store.folder_audit import read_audit_log
from tests.conftest import SEED_ID, write_document

pytestmark = pytest.mark.slow

TOGGLE_FOREVER = """
import sys
from curation.editing.publish import load_history, set_published
folder, doc_id = sys.argv[1], sys.argv[2]
value = False
print("ready", flush=True)
while True:
    set_published(folder, doc_id, value, editor="killer-test")
    value = not value
"""


def _torn_appends_only(folder: Path, problems: list) -> bool:
    """Whether every unreadable line of the log is the start of an entry cut short. A SIGKILL can cut an append
    short (CI saw one; the kernel may stop a write between pages on a fatal signal): the fragment stays as a line
    of its own, reported and skipped, and is never glued to the next entry. Any other problem is a fault."""
    lines = (folder / ".curation" / "audit.jsonl").read_bytes().split(b"\n")
    return all(
        problem.line is not None
        and lines[problem.line - 1].startswith(b'{"change": "')
        and not lines[problem.line - 1].endswith(b"}")
        for problem in problems
    )


def _what_the_log_says(folder: Path, doc_id: str, original_sha: str) -> str:
    """The sha the file must have if every change the log records as done was done, and no other."""
    history, problems = load_history(folder)
    assert _torn_appends_only(folder, problems), problems
    done = [entry.sha_after for entry, happened in reversed(history.newest_first()) if happened]
    return done[-1] if done else original_sha


def test_a_killed_writer_leaves_the_old_or_the_new_file_and_the_log_agrees(seed_only):
    """SIGKILL at random moments, many times: the file is always whole, loads, and matches the log."""
    path = seed_only / SEED_ID
    published = path.read_bytes()
    unpublished = published.replace(b"\npublished: true\n", b"\npublished: false\n")
    original_sha = sha256_of(published)
    rng = random.Random(1234)
    seen, mismatches = set(), 0
    for _ in range(150):
        with subprocess.Popen(
            [sys.executable, "-c", TOGGLE_FOREVER, str(seed_only), SEED_ID],
            stdout=subprocess.PIPE,
            cwd=Path(__file__).resolve().parent.parent,
        ) as writer:
            assert writer.stdout.readline() == b"ready\n"
            time.sleep(rng.uniform(0.001, 0.040))
            writer.send_signal(signal.SIGKILL)
        content = path.read_bytes()
        assert content in (published, unpublished)
        seen.add(content)
        mismatches += sha256_of(content) != _what_the_log_says(seed_only, SEED_ID, original_sha)
    assert mismatches == 0
    assert seen == {published, unpublished}, "the kills never landed between two writes"
    collection = load_collection(seed_only)
    assert collection.problems == []
    assert collection.frame.loc[SEED_ID, "sha256"] == sha256_of(path.read_bytes())
    # Temp files a killed writer left are swept once they are old enough to be nobody's.
    for orphan in seed_only.glob(".*.tmp"):
        os.utime(orphan, (time.time() - 3600, time.time() - 3600))
    load_collection(seed_only)
    assert not list(seed_only.glob(".*.tmp"))
    entries, problems = read_audit_log(seed_only / ".curation" / "audit.jsonl")
    assert _torn_appends_only(seed_only, problems) and len(entries) > 150


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
        assert entry.sha_before == previous.sha_after and entry.old == previous.new
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


SWAP_FOLDERS = """
import ctypes, os, sys, time
libc = ctypes.CDLL(None, use_errno=True)
AT_FDCWD, RENAME_EXCHANGE = -100, 2
first, second, stop = (os.fsencode(arg) for arg in sys.argv[1:4])
print("ready", flush=True)
swaps, deadline = 0, time.monotonic() + 60
while not os.path.exists(stop) and time.monotonic() < deadline:
    if libc.renameat2(AT_FDCWD, first, AT_FDCWD, second, RENAME_EXCHANGE) != 0:
        raise OSError(ctypes.get_errno(), "renameat2")
    swaps += 1
    time.sleep(0.0005)
if swaps % 2:  # leave both where they started
    libc.renameat2(AT_FDCWD, first, AT_FDCWD, second, RENAME_EXCHANGE)
print(swaps, flush=True)
"""


def test_a_folder_swapped_for_a_link_during_publishes_never_leads_a_write_outside(tmp_path):
    """renameat2(RENAME_EXCHANGE) swaps a subfolder with a link to an outside folder every half millisecond."""
    docs = tmp_path / "docs"
    text = "---\ntitle: inside\npublished: false\n---\n"
    write_document(docs, "sub/a.txt", text)
    outside = tmp_path / "outside"
    write_document(outside, "a.txt", "---\ntitle: outside\npublished: false\n---\n")
    outside_before = {path.name: path.read_bytes() for path in outside.iterdir()}
    (tmp_path / "bait").symlink_to(outside, target_is_directory=True)
    stop = tmp_path / "stop"
    outcomes: list[str] = []
    with subprocess.Popen(
        [sys.executable, "-c", SWAP_FOLDERS, str(docs / "sub"), str(tmp_path / "bait"), str(stop)],
        stdout=subprocess.PIPE,
    ) as swapper:
        assert swapper.stdout.readline() == b"ready\n"
        try:
            # At least 400 publishes, and on until the race has hit the swapped link a few times
            # (how often depends on how the two processes share the cores), within a minute.
            deadline = time.monotonic() + 60
            while len(outcomes) < 400 or sum("symbolic link" in o for o in outcomes) < 5:
                if time.monotonic() > deadline:
                    break
                try:
                    set_published(docs, "sub/a.txt", len(outcomes) % 2 == 0, editor="racer")
                    outcomes.append("written")
                except CurationError as error:
                    outcomes.append("refused: " + error.message)
        finally:
            stop.touch()
        swaps = int(swapper.stdout.readline())
    assert swapper.returncode == 0 and swaps > 0
    written_outside = {path.name: path.read_bytes() for path in outside.iterdir()}
    assert written_outside == outside_before, "a write landed outside the docs folder"
    assert outcomes.count("written") > 0
    assert any("symbolic link" in outcome for outcome in outcomes), "the race never hit the swapped link"
    assert not (docs / "sub").is_symlink()
    final = (docs / "sub" / "a.txt").read_bytes()
    assert final in (text.encode(), text.replace("false", "true").encode())


UNDO_BATCH = """
import sys, time
from pathlib import Path
from curation.cli import main
folder, batch, wait_for, wanted = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
print("ready", flush=True)
sys.stdin.readline()  # both processes are told to start at the same moment
while wait_for and Path(wait_for).read_bytes().hex() != wanted:
    time.sleep(0.0005)  # the other undo's first revert: this one then reads a log the other is writing
sys.exit(main(["undo", "--batch", batch, "--docs", folder, "--editor", "racer"]))
"""


def test_two_undos_of_one_batch_at_once_each_account_for_every_change(docs):
    """Two `curation undo --batch` of the same batch at the same moment, again and again: each report gives
    every change of the batch an outcome, and together they restore every file exactly once."""
    ids = sorted(path.name for path in docs.glob("demo_*.txt"))[:24]
    root = Path(__file__).resolve().parent.parent
    for round_number in range(12):
        before = {doc_id: (docs / doc_id).read_bytes() for doc_id in ids}
        flipped = not load_collection(docs).frame.loc[ids[0], "published"]
        outcomes = set_published_many(docs, ids, flipped)
        assert {outcome.status for outcome in outcomes} <= {"changed", "unchanged"}
        batch = next(entry.batch for entry in reversed(read_audit_log(docs / ".curation" / "audit.jsonl")[0]))
        # Every other round the second undo starts when the first has reverted the newest change's file.
        newest = next(o.id for o in reversed(outcomes) if o.status == "changed")
        staggered = [str(docs / newest), before[newest].hex()] if round_number % 2 else ["", ""]
        racers = [
            subprocess.Popen(
                [sys.executable, "-c", UNDO_BATCH, str(docs), batch, *wait],
                cwd=root,
                text=True,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
            for wait in (["", ""], staggered)
        ]
        for racer in racers:
            assert racer.stdout.readline() == "ready\n"
        for racer in racers:
            racer.stdin.write("go\n")
            racer.stdin.flush()
        changed_in_batch = sum(outcome.status == "changed" for outcome in outcomes)
        reverted = []
        for racer in racers:
            out, err = racer.communicate(timeout=120)
            counts = dict(
                (status, int(count))
                for count, status in (part.split(" ") for part in err.strip().splitlines()[-1].split(", "))
            )
            assert sum(counts.values()) == changed_in_batch, err
            assert counts["refused"] == 0, err
            reverted += [line.removeprefix("reverted: ") for line in out.splitlines() if line.startswith("reverted: ")]
        assert sorted(reverted) == sorted(o.id for o in outcomes if o.status == "changed")  # each file once
        assert {doc_id: (docs / doc_id).read_bytes() for doc_id in ids} == before
