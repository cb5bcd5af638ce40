"""Triage's page logic (AppTest): keys from the card's script, applied once each, by id and sha."""

from __future__ import annotations

from typing import Any

import pytest

from curation.editing.publish import set_field
from curation.query.filters import DASHBOARD_FILTERS, Filters
from curation.store.folder_audit import read_audit_log
from tests.conftest import SEED_ID
from tests.table_events import TableBrowser, component_data
from tests.test_app import no_exceptions

CARD = "curation.triage_card"
UNPUBLISHED, PUBLISHED = b"\npublished: false\n", b"\npublished: true\n"


class TriageBrowser(TableBrowser):
    """One browser's instance of the card: presses a key on the card it shows (the server's current one)."""

    component = CARD

    def press(self, kind: str, *, sha: str | None = None, run: bool = True) -> Any:
        card = current_card(self.at, -1 if kind == "back" else 0)  # back names the card it goes back to
        event = {"kind": kind} if kind == "undo" else {"kind": kind, "id": card["id"], "sha": sha or card["sha"]}
        return self.push(event, run=run)


def data(at) -> dict[str, Any]:
    return component_data(at, CARD)


def current_card(at, offset: int = 0) -> dict[str, Any]:
    shown = data(at)
    return next(card for card in shown["cards"] if card["position"] == shown["at"] + offset)


def open_triage(app, **parameters: str):
    for name, value in parameters.items():
        app.query_params[name] = value
    app.switch_page("curation/views/triage.py")
    return app.run()


def queue_of(docs, filters: Filters) -> list[str]:
    from curation.loading.collection import load_collection

    return list(filters.apply(load_collection(docs).frame).index)


@pytest.fixture
def unpublished(docs):
    """The unpublished view's queue, in the dashboard's order."""
    from dataclasses import replace

    return queue_of(docs, replace(DASHBOARD_FILTERS, published="unpublished"))


def test_publish_skip_back_unpublish_and_undo_write_exactly_the_cards_shown(app, docs, unpublished):
    """An editor publishes the first card, skips the second, publishes the third, goes back to it,
    unpublishes it and undoes that: two files changed (their published line only), four audit entries,
    the counts and the URL follow, and each write names the article in a toast."""
    before = {path.name: path.read_bytes() for path in docs.glob("*.txt")}
    open_triage(app, published="unpublished")
    assert data(app)["total"] == len(unpublished) and current_card(app)["id"] == unpublished[0]
    card = TriageBrowser(app)
    card.press("publish")
    assert current_card(app)["id"] == unpublished[1] and app.query_params["card"] == unpublished[1]
    assert any(toast.value.startswith("Published: ") for toast in app.toast)
    card.press("skip")
    card.press("publish")
    card.press("back")
    assert current_card(app)["id"] == unpublished[2] and current_card(app)["published"]
    card.press("unpublish")
    assert data(app)["counts"] == {"published": 1, "unpublished": 1, "skipped": 1}
    card.press("undo")
    assert no_exceptions(app)
    assert current_card(app)["id"] == unpublished[2] and app.query_params["card"] == unpublished[2]
    assert data(app)["counts"] == {"published": 2, "unpublished": 0, "skipped": 1}
    after = {path.name: path.read_bytes() for path in docs.glob("*.txt")}
    assert {name for name in after if after[name] != before[name]} == {unpublished[0], unpublished[2]}
    for name in (unpublished[0], unpublished[2]):
        assert after[name] == before[name].replace(UNPUBLISHED, PUBLISHED)
    entries, _ = read_audit_log(docs / ".curation" / "audit.jsonl")
    assert [(entry.id, entry.new) for entry in entries] == [
        (unpublished[0], True), (unpublished[2], True), (unpublished[2], False), (unpublished[2], True),
    ]  # fmt: skip
    assert entries[-1].undoes == entries[-2].change  # undone through the audit log, as History undoes


def test_keys_queued_faster_than_the_page_answers_each_write_once(app, docs, unpublished):
    """Three keys reach the server in one message (the script showed each next card at once): each card is
    written once, the editor lands after the third, and the same queue again writes nothing."""
    open_triage(app, published="unpublished")
    card = TriageBrowser(app)
    shown = data(app)["cards"]
    for position in range(3):
        card.push({"kind": "publish", "id": shown[position]["id"], "sha": shown[position]["sha"]}, run=False)
    card.send()
    queued = list(card.queue)
    card.queue = [{"seq": 1, "kind": "unpublish", "id": shown[0]["id"], "sha": shown[0]["sha"]}, *queued]
    card.send()  # an old message again, as after a reconnect: already applied, so dropped
    entries, _ = read_audit_log(docs / ".curation" / "audit.jsonl")
    assert [entry.id for entry in entries] == unpublished[:3]
    assert current_card(app)["id"] == unpublished[3]
    assert data(app)["applied"][card.client] == 3


def test_a_conflict_names_the_article_writes_nothing_and_stays_on_its_card(app, docs, unpublished):
    """Another editor changed the card's file after it was drawn: nothing is written, the card stays with
    what is on disk now, and the notice and a toast name it."""
    open_triage(app, published="unpublished")
    shown = current_card(app)
    set_field(docs, shown["id"], "title", "Retitled elsewhere", editor="bob")
    changed = (docs / shown["id"]).read_bytes()
    TriageBrowser(app).press("publish", sha=shown["sha"])
    assert (docs / shown["id"]).read_bytes() == changed
    assert current_card(app)["id"] == shown["id"] and current_card(app)["sha"] != shown["sha"]
    assert data(app)["notice"].startswith(f"Conflict, nothing written: {shown['title']} ({shown['id']})")
    assert any("Conflict" in toast.value for toast in app.toast)


def test_a_shared_link_opens_its_card_and_an_unknown_one_the_first_with_a_note(app, docs, unpublished):
    open_triage(app, published="unpublished", card=unpublished[5])
    assert current_card(app)["id"] == unpublished[5] and data(app)["notice"] == ""
    app.switch_page("curation/views/articles.py").run()
    assert "card" not in app.query_params  # the card means nothing on another page


def test_a_link_to_a_card_not_in_the_queue_opens_the_first(app, docs, unpublished):
    open_triage(app, published="unpublished", card=SEED_ID)  # the seed is published
    assert current_card(app)["id"] == unpublished[0] and SEED_ID in data(app)["notice"]
    assert app.query_params["card"] == unpublished[0]


def test_a_key_on_an_article_outside_the_queue_is_dropped(app, docs, unpublished):
    """A forged or stale event for an id the queue does not hold writes nothing."""
    open_triage(app, published="unpublished")
    before = (docs / SEED_ID).read_bytes()
    TriageBrowser(app).push({"kind": "unpublish", "id": SEED_ID, "sha": "0" * 64})
    assert (docs / SEED_ID).read_bytes() == before and not (docs / ".curation" / "audit.jsonl").exists()
    assert current_card(app)["id"] == unpublished[0]


def test_e_opens_the_same_dialog_as_the_table(app, unpublished):
    open_triage(app, published="unpublished")
    TriageBrowser(app).press("edit")
    assert no_exceptions(app)
    assert app.text_input(key="edit_title").value == current_card(app)["title"]


def test_z_undoes_a_title_saved_in_the_dialog_this_page_opened(app, docs, unpublished):
    """`e`, a new title saved, then `z`: the title is back, byte for byte, through one undo entry."""
    open_triage(app, published="unpublished")
    doc_id = current_card(app)["id"]
    before = (docs / doc_id).read_bytes()
    TriageBrowser(app).press("edit")
    app.text_input(key="edit_title").set_value("A title typed on Triage")
    app.button(key=next(button.key for button in app.button if button.label == "Save")).click().run()
    assert b'\ntitle: "A title typed on Triage"\n' in (docs / doc_id).read_bytes()
    TriageBrowser(app).press("undo")
    assert (docs / doc_id).read_bytes() == before
    entries, _ = read_audit_log(docs / ".curation" / "audit.jsonl")
    assert [(entry.field, entry.undoes == entries[0].change) for entry in entries] == [
        ("title", False),
        ("title", True),
    ]
    assert current_card(app)["id"] == doc_id and data(app)["counts"]["published"] == 0


def test_undo_with_nothing_written_says_so(app):
    open_triage(app)
    TriageBrowser(app).press("undo")
    assert any("Nothing to undo" in toast.value for toast in app.toast)


def test_past_the_last_card_the_queue_is_done(app, docs):
    """A search with one match: after skipping it the editor is past the end, and the URL has no card."""
    open_triage(app, search="Jung_E")
    assert data(app)["total"] == 1
    TriageBrowser(app).press("skip")
    assert data(app)["at"] == 1 and "card" not in app.query_params


def test_another_filter_keeps_the_card_when_it_is_still_in_the_queue(app):
    """The editor narrows the filter on their third card: the queue is taken again, they stay on that card,
    and the session's counts stay."""
    open_triage(app)
    card = TriageBrowser(app)
    card.press("skip")
    card.press("skip")
    shown = current_card(app)
    app.segmented_control(key="published").set_value("published" if shown["published"] else "unpublished").run()
    assert current_card(app)["id"] == shown["id"] and data(app)["total"] < 301
    assert data(app)["counts"] == {"published": 0, "unpublished": 0, "skipped": 2}
