"""End to end on S3: a real `streamlit run app.py` on an s3:// prefix of a real moto server, a real Chromium.

The fixtures and helpers are tests/test_browser.py's; only the documents live in a bucket.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest

from curation.editing.publish import load_history
from tests.browser_support import serve_dashboard
from tests.conftest import get_document, object_keys
from tests.test_browser import (
    click_published,
    expect_header,
    expect_toast,
    open_app,
    row_ids,
    settle,
    unpublished_article,
    wait_for,
)

pytestmark = pytest.mark.browser


def test_an_editor_opens_the_dashboard_on_a_bucket_and_ticks_published(s3_docs, page, tmp_path):
    """The table comes from the bucket; the tick is a conditional PUT of that object, with its audit entry."""
    doc_id, title = unpublished_article(s3_docs)
    original = get_document(s3_docs, doc_id)
    published = original.replace(b"\npublished: false\n", b"\npublished: true\n")
    with serve_dashboard(s3_docs, tmp_path / "streamlit.log", timeout=120) as url:
        open_app(page, url)
        expect_header(page, "301 articles · 301 shown · 0 problems")
        open_app(page, f"{url}/?search={quote(title)}")
        assert row_ids(page, s3_docs) == [doc_id]
        click_published(page, doc_id)
        expect_toast(page, f"Published: {title}")
        wait_for(lambda: get_document(s3_docs, doc_id) == published, "the object to say published: true")
        settle(page)
    assert len(object_keys(s3_docs, ".curation/audit/")) == 1
    (entry, done), *_ = load_history(s3_docs)[0].newest_first()
    assert (entry.id, entry.old, entry.new, done) == (doc_id, False, True, True)
