"""End to end on S3: a real `streamlit run app.py` on an s3:// prefix of a real moto server, a real Chromium.

The fixtures and helpers are tests/test_browser.py's; only the documents live in a bucket.
"""

from __future__ import annotations

from contextlib import ExitStack
from urllib.parse import quote

import pytest

from curation.editing.publish import load_history
from curation.loading.collection import load_collection
from curation.store import open_store
from tests.browser_support import local_page, serve_dashboard
from tests.conftest import get_document, object_keys
from tests.test_browser import (
    WAIT_MS,
    click_published,
    expect_header,
    expect_settled,
    expect_toast,
    open_app,
    published_box,
    row_ids,
    select_box,
    settle,
    table_row,
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
        assert row_ids(page) == [doc_id]
        click_published(page, doc_id)
        expect_toast(page, f"Published: {title}")
        wait_for(lambda: get_document(s3_docs, doc_id) == published, "the object to say published: true")
        settle(page)
    assert len(object_keys(s3_docs, ".curation/audit/")) == 1
    (entry, done), *_ = load_history(s3_docs)[0].newest_first()
    assert (entry.id, entry.old, entry.new, done) == (doc_id, False, True, True)


def unpublished_articles(location: str, count: int) -> list[tuple[str, str]]:
    """(id, title) of the first `count` unpublished articles with plain ASCII titles."""
    frame = load_collection(location).frame
    rows = frame[~frame["published"] & frame["title"].str.isascii()].iloc[:count]
    return list(zip(rows.index, rows["title"], strict=True))


def rerun_with_select(page, doc_id: str) -> None:
    """One interaction that keeps the view: tick (or untick) the row's Select box, and wait until the table's
    run has answered it (the toolbar counts the selection)."""
    from playwright.sync_api import expect

    box = select_box(page, doc_id)
    count = 0 if box.is_checked() else 1
    box.click()
    expect(page.get_by_role("button", name=f"Publish {count} selected", exact=True)).to_be_visible(timeout=WAIT_MS)
    settle(page)


def test_two_dashboard_servers_on_one_s3_prefix(s3_docs, page, tmp_path, monkeypatch):
    """Two `streamlit run` processes on one prefix, each with its own host cache, and an editor in each: a tick
    in A shows in B's held row at B's next click (B's server reads the audit log's tail at each rerun); a tick in B on a row drawn before A's write is a conflict naming the article, and only A's write
    is in the bucket."""
    from playwright.sync_api import expect

    (seen_id, seen_title), (stale_id, stale_title) = unpublished_articles(s3_docs, 2)
    originals = {doc_id: get_document(s3_docs, doc_id) for doc_id in (seen_id, stale_id)}
    published = {
        doc_id: raw.replace(b"\npublished: false\n", b"\npublished: true\n") for doc_id, raw in originals.items()
    }
    documents = [key for key in object_keys(s3_docs) if not key.startswith(".curation/")]
    store = open_store(s3_docs)
    with ExitStack() as servers:
        urls = []
        for name in ("a", "b"):
            monkeypatch.setenv("CURATION_CACHE_DIR", str(tmp_path / f"host-cache-{name}"))
            urls.append(servers.enter_context(serve_dashboard(s3_docs, tmp_path / f"streamlit-{name}.log")))
        url_a, url_b = urls
        page_a, page_b = page, local_page(page.context)

        # 1. A's tick reaches the bucket, and B's held row shows it at a rerun.
        open_app(page_a, f"{url_a}/?search={quote(seen_title)}")
        open_app(page_b, f"{url_b}/?search={quote(seen_title)}")
        assert row_ids(page_a) == row_ids(page_b) == [seen_id]
        expect(published_box(page_b, seen_id)).not_to_be_checked()
        click_published(page_a, seen_id)
        expect_toast(page_a, f"Published: {seen_title}")
        wait_for(lambda: get_document(s3_docs, seen_id) == published[seen_id], "the object to say published: true")
        assert store.read(seen_id) == published[seen_id]
        settle(page_a)
        # B's server follows the audit log's tail at each rerun (curation.live.objects), before its next listing:
        # B's editor's next click shows the tick.
        rerun_with_select(page_b, seen_id)
        expect(published_box(page_b, seen_id)).to_be_checked()
        assert row_ids(page_b) == [seen_id]

        # 2. B ticks a row it drew before A's tick on the same article: a conflict, and A's write stays.
        open_app(page_b, f"{url_b}/?search={quote(stale_title)}")
        open_app(page_a, f"{url_a}/?search={quote(stale_title)}")
        click_published(page_a, stale_id)
        expect_toast(page_a, f"Published: {stale_title}")
        wait_for(lambda: get_document(s3_docs, stale_id) == published[stale_id], "the object to say published: true")
        settle(page_a)
        expect(published_box(page_b, stale_id)).not_to_be_checked()  # B has not rerun since A's write
        click_published(page_b, stale_id)
        expect_toast(page_b, f"Conflict, nothing written: {stale_title}")
        expect(table_row(page_b, stale_id).get_by_role("alert")).to_contain_text(
            f"Conflict, nothing written: {stale_title}", timeout=WAIT_MS
        )
        expect_settled(published_box(page_b, stale_id), True)  # what the bucket holds
        settle(page_b)
        page_b.close()

    assert store.read(stale_id) == get_document(s3_docs, stale_id) == published[stale_id]
    assert [key for key in object_keys(s3_docs) if not key.startswith(".curation/")] == documents
    assert len(object_keys(s3_docs, ".curation/audit/")) == 2  # A's two entries; B's tick logged nothing
    history, problems = load_history(s3_docs)
    assert problems == []
    assert [(entry.id, entry.old, entry.new, done) for entry, done in history.newest_first()] == [
        (stale_id, False, True, True),
        (seen_id, False, True, True),
    ]
