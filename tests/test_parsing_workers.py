"""Cold-load workers: fresh interpreters that import only the parser, with a fallback when one fails."""

from __future__ import annotations

import io
import os
import pickle
import subprocess
import sys

import pandas as pd

from curation.loading import folder as folder_load
from curation.loading import parsing
from curation.loading import workers as parse_workers
from curation.loading.collection import load_collection
from curation.store.base import DocumentFile
from tests.conftest import serial_load_with_a_bad_file, write_document


def test_a_worker_imports_neither_pandas_nor_the_parents_main():
    """Starting a worker costs an interpreter and the parser, not the CLI's or the dashboard's imports."""
    probe = "import sys, curation.loading.workers; print(sorted({'pandas', 'pyarrow', 'streamlit'} & set(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_a_worker_answers_each_chunk_with_its_parse(tmp_path):
    path = write_document(tmp_path, "a.txt", "---\ntitle: A\nquality: 7\n---\n")
    stat = path.stat()
    chunk = [DocumentFile("a.txt", str(path), stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)]
    source, sink = io.BytesIO(pickle.dumps((parsing.parse_files, chunk)) * 2), io.BytesIO()
    parse_workers.serve(source, sink)
    sink.seek(0)
    first, second = pickle.load(sink), pickle.load(sink)
    assert first == second == parsing.parse_files(chunk)
    assert first[0]["quality"] == [7]


def test_a_worker_that_dies_leaves_the_load_to_this_process(tmp_path, monkeypatch):
    """A worker that exits before answering costs speed, never a file."""
    docs = tmp_path / "docs"
    serial = serial_load_with_a_bad_file(monkeypatch, docs, 30, seed=3, chunk_size=4)
    started = []

    def start_a_worker_that_exits():
        process = subprocess.Popen([sys.executable, "-c", "pass"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        started.append(process)
        return process

    monkeypatch.setattr(parse_workers, "_start", start_a_worker_that_exits)
    fallback = load_collection(docs, use_cache=False)
    pd.testing.assert_frame_equal(fallback.frame, serial.frame)
    assert fallback.problems == serial.problems and len(fallback.problems) == 1
    assert started and all(process.poll() is not None for process in started)  # none left running


def test_a_worker_that_dies_after_some_chunks_leaves_the_rest_to_this_process(tmp_path, monkeypatch):
    """Chunks a worker finished before another failed are kept, and taken once: the rest are parsed here, and the
    frame has each file once (the joined Arrow rows take each chunk as it arrives)."""
    docs = tmp_path / "docs"
    serial = serial_load_with_a_bad_file(monkeypatch, docs, 30, seed=5, chunk_size=4)
    answer_once = (
        "import pickle, sys\n"
        "task, chunk = pickle.load(sys.stdin.buffer)\n"
        "pickle.dump(task(chunk), sys.stdout.buffer, protocol=pickle.HIGHEST_PROTOCOL)\n"
        "sys.stdout.buffer.flush()\n"
    )

    def start_a_worker_that_answers_once():
        return subprocess.Popen(
            [sys.executable, "-c", answer_once], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": parse_workers._PACKAGE_ROOT},
        )  # fmt: skip

    monkeypatch.setattr(parse_workers, "_start", start_a_worker_that_answers_once)
    taken: list[int] = []
    original = parse_workers.run_chunks

    def counting(task, chunks, progress=None, each=None):
        def note(result):
            taken.append(1)
            return each(result) if each is not None else result

        return original(task, chunks, progress, note)

    monkeypatch.setattr(folder_load, "run_chunks", counting)
    fallback = load_collection(docs, use_cache=False)
    pd.testing.assert_frame_equal(fallback.frame, serial.frame)
    assert fallback.problems == serial.problems
    assert len(taken) == -(-31 // 4)  # 31 files in chunks of 4: each result taken once, whoever parsed it
