"""Problems in words: the report an editor sends to whoever fixes the files."""

from __future__ import annotations

from curation.loading.collection import load_collection
from curation.problems import problem_report
from tests.conftest import write_document


def test_problem_report_is_plain_text(tmp_path):
    write_document(tmp_path, "bad.txt", "---\ntitle: t\nheat: 101\n---\n")
    write_document(tmp_path, "a.txt", '---\ntitle: t\nwebUrl: "https://x/1"\n---\n')
    write_document(tmp_path, "b.txt", '---\ntitle: t\nwebUrl: "https://x/1"\n---\n')
    collection = load_collection(tmp_path)
    report = problem_report(tmp_path, collection.problems, collection.warnings)
    assert "  bad.txt:3: `heat` must be a whole number from 0 to 100, not 101" in report
    assert "Likely duplicates (1):\n  b.txt: likely a duplicate of a.txt" in report
