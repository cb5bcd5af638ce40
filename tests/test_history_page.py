"""History an editor can read: each change whole, one article's history, and filters for article and editor."""

from __future__ import annotations

import json

from curation.audit import AuditEntry
from curation.editing.history_text import (
    EditorClock,
    HistoryFilter,
    HistoryRow,
    HistoryWords,
    change_lines,
    change_summary,
    history_rows,
)
from curation.editing.publish import change_topics, set_field, set_published, set_published_many
from curation.loading.collection import load_collection
from curation.safe_markdown import escape_markdown
from tests.test_history import entry, log_of, open_history, publish_three, unpublished_ids

# --- the words ----------------------------------------------------------------------------------------


def test_a_topic_change_says_what_was_added_and_removed_first():
    added = entry("c1", field="topics", old=["technology"], new=["technology", "ai"])
    assert change_summary(added) == 'topics: + "ai"'
    both = entry("c2", field="topics", old=["a", "b"], new=["b", "c"])
    assert change_summary(both) == 'topics: + "c", − "a"'
    reordered = entry("c3", field="topics", old=["a", "b"], new=["b", "a"])
    assert change_summary(reordered) == 'topics: ["a", "b"] → ["b", "a"]'
    assert change_summary(entry("c4")) == "unpublished → published"


def test_a_change_is_drawn_whole_as_the_lines_it_rewrote(docs):
    """A block excerpt replaced by a quoted one: every old line is there, and the new one, nothing cut."""
    doc_id = "block.txt"
    (docs / doc_id).write_text("---\ntitle: T\nexcerpt: |\n  one\n  two\npublished: false\n---\nBody\n")
    set_field(docs, doc_id, "excerpt", "new one\nnew two")
    change_topics(docs, doc_id, add=["ai"])
    excerpt, topics = log_of(docs)
    assert change_lines(excerpt) == '@@ line 3 @@\n-excerpt: |\n-  one\n-  two\n+excerpt: "new one\\nnew two"'
    assert change_lines(topics) == "@@ line 5 @@\n+topics: [ai]"  # a line inserted: nothing removed


def test_an_entry_logged_without_its_lines_says_its_values():
    old = entry("c1", field="title", old="Old", new="New")
    assert change_lines(old) == '-title: "Old"\n+title: "New"'


def test_the_change_comes_first_in_a_label():
    words = HistoryWords(load_history_of([entry("c1")]), {"a.txt": "A title"}, EditorClock(entry("n").when))
    assert words.change_label(entry("c1")).startswith("unpublished → published · A title · Ann · ")


def load_history_of(entries: list[AuditEntry]):
    from curation.audit import AuditHistory

    return AuditHistory(entries, lambda doc_id: None)


# --- the filter ---------------------------------------------------------------------------------------


def test_the_filter_keeps_the_changes_of_some_articles_by_some_editors():
    entries = [
        entry("c1", "a.txt", editor="Ann"),
        entry("c2", "b.txt", editor="Bob"),
        entry("c3", "a.txt", editor="Bob"),
    ]
    assert HistoryFilter().positions(entries) == [0, 1, 2]
    assert HistoryFilter(frozenset(["a.txt"])).positions(entries) == [0, 2]
    assert HistoryFilter(None, frozenset(["Bob"])).positions(entries) == [1, 2]
    assert HistoryFilter(frozenset(["a.txt"]), frozenset(["Bob"])).positions(entries) == [2]
    assert HistoryFilter(frozenset()).positions(entries) == []


def test_one_article_of_a_bulk_action_is_a_row_of_its_own():
    entries = [entry("c1", "a.txt", batch="b1"), entry("c2", "b.txt", batch="b1"), entry("c3", "a.txt")]
    assert history_rows(entries) == [HistoryRow((2,)), HistoryRow((1, 0), "b1")]
    kept = HistoryFilter(frozenset(["a.txt"])).positions(entries)
    assert history_rows(entries, positions=kept) == [HistoryRow((2,)), HistoryRow((0,))]


# --- the page (AppTest) -------------------------------------------------------------------------------


def shown_changes(app) -> list[str]:
    table = next(frame.value for frame in app.dataframe if "undo of" in frame.value)
    return list(table["change"])


def said(app) -> str:
    return next(text.value for text in app.markdown if " change" in text.value and " of " in text.value)


def test_history_lists_the_changes_of_the_articles_the_filters_show(app, docs):
    """The header says "N shown — category sport": the list holds the sport article's change, not the other one;
    switched off, every change."""
    frame = load_collection(docs).frame
    sport = frame.index[(frame["category"] == "sport") & ~frame["published"]][0]
    other = frame.index[(frame["category"] != "sport") & ~frame["published"]][0]
    set_published(docs, other, True, editor="Ann")
    set_published(docs, sport, True, editor="Bob")
    app.query_params["category"] = "sport"
    app.run()
    open_history(app)
    assert shown_changes(app) == ["unpublished → published"]
    assert said(app).startswith("The changes of the ") and "category sport" in said(app)
    assert said(app).endswith(": **1 change** of 2.")
    app.toggle(key="history_follow_filters").set_value(False).run()
    assert shown_changes(app) == ["unpublished → published"] * 2
    assert said(app).startswith("The changes of every article")


def test_an_article_link_opens_its_history_and_an_editor_narrows_it(app, docs):
    ids, _, _ = publish_three(docs)  # Ann, one bulk action
    set_field(docs, ids[0], "category", "obituaries", editor="Bob")
    set_published(docs, ids[1], False, editor="Bob")
    app.query_params["article"] = ids[0]  # the link of the article's dialog: History, opened on one article
    app.switch_page("curation/views/history.py").run()
    title = load_collection(docs).frame.loc[ids[0], "title"]
    assert shown_changes(app)[0].startswith("category: ") and len(shown_changes(app)) == 2  # its own two only
    assert said(app).startswith(escape_markdown(f"The history of {title} ({ids[0]})"))
    assert app.selectbox(key="history_article").value == ids[0]
    assert title in app.selectbox(key="history_article").format_func(ids[0])
    app.multiselect(key="history_editors").set_value(["Ann"]).run()
    assert shown_changes(app) == ["unpublished → published"]
    assert app.query_params["editor"] == "Ann" and app.query_params["article"] == ids[0]
    app.selectbox(key="history_article").set_value(None).run()
    assert shown_changes(app) == ["Published 3 articles"]  # Ann's, every article: the bulk action is one row again
    assert "article" not in app.query_params


def test_the_chosen_change_is_drawn_whole_and_a_topic_added_is_not_cut(app, docs):
    doc_id = unpublished_ids(docs, 1)[0]
    before = load_collection(docs).frame.loc[doc_id, "topics"]
    change_topics(docs, doc_id, add=["a topic added at the end of a long list"])
    app.run()
    open_history(app)
    assert shown_changes(app) == ['topics: + "a topic added at the end of a long list"']
    (code,) = [code.value for code in app.code]
    lines = code.splitlines()
    assert lines[0].startswith("@@ line ") and lines[-1] == "+  - a topic added at the end of a long list"
    assert all(f"-  - {topic}" in lines and f"+  - {topic}" in lines for topic in before)
    assert app.button(key="undo_entry").label == "Undo this change" and not app.button(key="undo_entry").disabled


def test_a_bulk_actions_files_show_each_change_whole(app, docs):
    ids = unpublished_ids(docs, 2)
    set_published_many(docs, ids, True, editor="Ann")
    app.run()
    open_history(app)
    codes = [code.value for code in app.code]
    # One per file in the bulk action's expander, and the newest of them once more as the one change chosen.
    assert sum("+published: true" in code for code in codes) == 3


def test_undo_the_last_change_listed_undoes_what_is_listed_not_a_newer_one(app, docs):
    frame = load_collection(docs).frame
    sport = frame.index[(frame["category"] == "sport") & ~frame["published"]][0]
    other = frame.index[(frame["category"] != "sport") & ~frame["published"]][0]
    set_published(docs, sport, True, editor="Ann")
    set_published(docs, other, True, editor="Ann")  # newer, and not shown under category sport
    other_bytes = (docs / other).read_bytes()
    app.query_params["category"] = "sport"
    app.run()
    open_history(app)
    assert app.button(key="undo_last").label == "Undo the last change listed"
    app.button(key="undo_last").click().run()
    assert b"\npublished: false\n" in (docs / sport).read_bytes()
    assert (docs / other).read_bytes() == other_bytes
    assert log_of(docs)[-1].undoes == log_of(docs)[0].change


def test_the_articles_dialog_links_to_its_history(app, docs):
    from tests.table_events import TableBrowser

    doc_id = unpublished_ids(docs, 1)[0]
    app.query_params["search"] = load_collection(docs).frame.loc[doc_id, "title"]
    app.run()
    TableBrowser(app).open(doc_id)
    links = [link.proto for link in app.get("page_link")]
    assert any(
        (link.label, link.page, link.query_string) == ("History of this article", "history", f"article={doc_id}")
        for link in links
    ), links


# --- the CLI ------------------------------------------------------------------------------------------


def test_cli_history_lists_one_articles_changes_by_one_editor(capsys, docs):
    from tests.test_cli import run

    ids, _, _ = publish_three(docs)  # Ann
    set_published(docs, ids[0], False, editor="Bob")
    set_field(docs, ids[1], "category", "obituaries", editor="Bob")
    code, out, _ = run(capsys, "history", "--docs", str(docs), "--article", ids[0])
    assert code == 0 and [line.split("  ")[3] for line in out.splitlines()] == [ids[0], ids[0]]
    code, out, _ = run(capsys, "history", "--docs", str(docs), "--by", "Bob", "--limit", "1")
    assert code == 0 and len(out.splitlines()) == 1 and "category: " in out and ids[1] in out
    code, out, _ = run(capsys, "history", "--docs", str(docs), "--article", ids[0], "--by", "Ann", "--json")
    assert code == 0 and [(item["id"], item["editor"], item["completed"]) for item in json.loads(out)] == [
        (ids[0], "Ann", True)
    ]


def test_a_bulk_action_partly_shown_is_offered_whole_and_undone_whole(app, docs):
    """Two sport and two other articles published in one request, History filtered to sport: the bulk action's
    choice, files and button count all four, and say two are not in the list; its undo reverts all four."""
    frame = load_collection(docs).frame
    unpublished = frame[~frame["published"]]
    sport = list(unpublished.index[unpublished["category"] == "sport"][:2])
    others = list(unpublished.index[unpublished["category"] != "sport"][:2])
    before = {doc_id: (docs / doc_id).read_bytes() for doc_id in sport + others}
    set_published_many(docs, sport + others, True, editor="Ann")
    app.query_params["category"] = "sport"
    app.run()
    open_history(app)
    choice = app.selectbox(key="batch_choice")
    assert choice.format_func(choice.value).startswith("Published 4 articles")
    assert any("2 changes of this action are not in the list above" in caption.value for caption in app.caption)
    assert "Reverts its 4 changes" in app.button(key="undo_batch").help
    app.button(key="undo_batch").click().run()
    assert {doc_id: (docs / doc_id).read_bytes() for doc_id in before} == before
