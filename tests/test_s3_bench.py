"""`curation bench --docs s3://…` runs end to end against the moto server and cleans up; it never asserts on times."""

from __future__ import annotations

import json

import pytest

from curation.cli import main
from tests.conftest import new_prefix, object_keys

STEPS = [
    "setup: PUT every object",
    "list the prefix",
    "floor: GET every object",
    "cold load, local processes",
    "warm load (nothing changed)",
    "load after one changed object",
    "one toggle",
    "setup: log the changes",
    "history --limit 1, 120 entries, first reader",
    "history --limit 1, 120 entries",
    "undo --last 1, 120 entries",
    "setup: start a LocalCluster",
    "cold index build, Dask",
    "new host, from the shared cache",
]


@pytest.mark.slow
def test_the_s3_bench_reports_every_step_and_deletes_its_objects(capsys, s3_env):
    location = new_prefix("bench")
    assert main(["bench", "--docs", location, "--n", "120", "--runs", "1", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [row["step"] for row in report["results"]] == STEPS
    assert all(row["median"] is not None and row["median"] > 0 for row in report["results"])
    assert report["documents"] == 120 and report["local_cache_bytes"] > 0 and report["shared_cache_bytes"] > 0
    assert object_keys(location) == []


def test_the_bench_takes_only_an_s3_prefix_as_docs(capsys, tmp_path):
    with pytest.raises(SystemExit) as exit_info:
        main(["bench", "--docs", str(tmp_path), "--n", "100"])
    assert exit_info.value.code == 2 and "--docs takes an s3:// prefix" in capsys.readouterr().err
