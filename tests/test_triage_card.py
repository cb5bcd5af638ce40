"""Triage's card and queue: events checked and applied once, cards as plain data, progress through a queue."""

from __future__ import annotations

import pandas as pd
import pytest

from curation.loading.collection import load_collection
from curation.query.filters import likely_duplicates
from curation.views import triage_card
from curation.views.triage_card import EVENT_KINDS, card_data, new_events, triage_data, twin_of
from curation.views.triage_queue import Mark, TriageProgress, TriageQueue
from tests.conftest import REPO
from tests.test_article_table import component_scripts, script_sinks

QUEUED = {"a.txt": 0, "b.txt": 1, "c.txt": 2}
SHA = "s" * 64


@pytest.fixture
def session(monkeypatch):
    """A stand-in for st.session_state (the event queue keeps its sequence numbers there)."""
    state: dict = {}
    monkeypatch.setattr(triage_card.st, "session_state", state)
    return state


def queue(events: list, client: str = "one") -> dict:
    return {"client": client, "events": events}


def applied(state: object) -> list[tuple[int, str, str]]:
    return [(event.seq, event.kind, event.doc_id) for event in new_events(state, QUEUED)]


def test_each_key_is_applied_once_however_often_the_queue_comes(session):
    """Keys pressed faster than the server answers come in one queue, sent again with every new key: each
    is applied once, in order, and the data names the last number applied."""
    first = [{"seq": 1, "kind": "publish", "id": "a.txt", "sha": SHA}, {"seq": 2, "kind": "skip", "id": "b.txt"}]
    assert applied(queue(first)) == [(1, "publish", "a.txt"), (2, "skip", "b.txt")]
    again = [*first, {"seq": 3, "kind": "back", "id": "b.txt"}, {"seq": 4, "kind": "undo"}]
    assert applied(queue(again)) == [(3, "back", "b.txt"), (4, "undo", "")]
    assert applied(queue(again)) == []
    progress = TriageProgress(TriageQueue(("here",), tuple(QUEUED)))
    data = triage_data(progress, pd.DataFrame(), pd.Series(dtype=bool), can_edit=True, empty="")
    assert data["applied"] == {"one": 4}


@pytest.mark.parametrize(
    "event",
    [
        None,
        [],
        "publish",
        {"kind": "publish", "id": "a.txt", "sha": SHA},  # no number
        {"seq": True, "kind": "skip", "id": "a.txt"},
        {"seq": 1, "kind": "delete", "id": "a.txt"},
        {"seq": 1, "kind": "publish", "id": "elsewhere.txt", "sha": SHA},  # not in the queue
        {"seq": 1, "kind": "publish", "id": "a.txt"},  # a write names the sha the card showed
        {"seq": 1, "kind": "unpublish", "id": "a.txt", "sha": None},
        {"seq": 1, "kind": "edit", "id": "a.txt", "sha": ""},
        {"seq": 1, "kind": "skip", "id": ["a.txt"]},
        {"seq": 1, "kind": "back", "id": "../etc/passwd"},
        {"seq": 1, "kind": "skip"},
    ],
)
def test_an_event_of_the_wrong_shape_is_dropped(session, event):
    """What the browser sends is untrusted: a malformed event is left out and the good one after it counts."""
    assert applied(queue([event, {"seq": 2, "kind": "skip", "id": "c.txt"}])) == [(2, "skip", "c.txt")]


def test_a_dropped_event_is_answered_so_the_script_stops_waiting_for_it(session):
    """A key on a card of the queue before the filter changed names an id the new queue does not hold: it
    is dropped, and its number is answered all the same (the script's queue would wait for it forever)."""
    assert applied(queue([{"seq": 1, "kind": "publish", "id": "gone-from-queue.txt", "sha": SHA}])) == []
    progress = TriageProgress(TriageQueue(("here",), tuple(QUEUED)))
    data = triage_data(progress, pd.DataFrame(), pd.Series(dtype=bool), can_edit=True, empty="")
    assert data["applied"] == {"one": 1}


def test_every_kind_the_script_sends_is_known():
    script = (REPO / "curation" / "views" / "assets" / "triage_card.js").read_text(encoding="utf-8")
    for kind in EVENT_KINDS:
        assert f"'{kind}'" in script


# --- the cards --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def seeds(seeds_copy):
    frame = load_collection(seeds_copy).frame.copy()
    return frame, likely_duplicates(frame)


def test_a_card_is_plain_values_and_links_only_http(seeds):
    frame, duplicates = seeds
    doc_id = frame.index[0]
    frame.loc[doc_id, ["webUrl", "image"]] = ["javascript:alert(1)", "data:image/png;base64,x"]
    card = card_data(frame, duplicates, doc_id, 7, "skipped")
    assert (card["position"], card["id"], card["sha"], card["mark"]) == (
        7,
        doc_id,
        frame.at[doc_id, "sha256"],
        "skipped",
    )
    assert card["url"] is None and card["image"] is None
    assert set(card["details"]) == {"provider", "date", "quality", "heat", "category"}
    assert all(value is None or isinstance(value, str) for value in card["details"].values())


def test_a_likely_duplicate_names_its_twin(seeds):
    frame, _ = seeds
    first, second = frame.index[:2]
    frame.loc[second, "webUrl"] = frame.at[first, "webUrl"]
    duplicates = likely_duplicates(frame)
    card = card_data(frame, duplicates, second, 1, None)
    assert card["duplicate"] and card["twin"] == {"id": first, "title": frame.at[first, "title"]}
    assert twin_of(frame, first) == second


def test_a_card_whose_file_went_away_is_marked_gone(seeds):
    frame, duplicates = seeds
    assert card_data(frame, duplicates, "gone.txt", 3, None) == {
        "position": 3, "id": "gone.txt", "sha": "", "title": "gone.txt", "gone": True, "mark": None,
    }  # fmt: skip


def test_the_data_holds_the_cards_around_the_editor(seeds):
    """Two before the current card and three after: `k` and the next keys need no answer from the server."""
    frame, duplicates = seeds
    progress = TriageProgress(TriageQueue(("view",), tuple(frame.index[:10])), at=4)
    data = triage_data(progress, frame, duplicates, can_edit=True, empty="none")
    assert [card["position"] for card in data["cards"]] == [2, 3, 4, 5, 6, 7]
    assert (data["total"], data["at"], data["canUndo"]) == (10, 4, False)
    progress.at = 10  # past the last card
    assert [
        card["position"] for card in triage_data(progress, frame, duplicates, can_edit=True, empty="")["cards"]
    ] == [8, 9]


# --- progress through a queue ---------------------------------------------------------------------


def progress_in(*ids: str) -> TriageProgress:
    return TriageProgress(TriageQueue(("view",), ids))


def test_marks_and_counts_follow_what_the_editor_did():
    progress = progress_in("a", "b", "c")
    assert progress.mark("a", Mark.PUBLISHED) is None
    progress.mark("b", Mark.SKIPPED)
    assert progress.mark("a", Mark.SKIPPED) == Mark.PUBLISHED  # a skip keeps what was done before
    assert progress.counts() == {"published": 1, "unpublished": 0, "skipped": 1}
    progress.mark("b", Mark.UNPUBLISHED)
    assert progress.counts() == {"published": 1, "unpublished": 1, "skipped": 0}


def test_moving_through_the_queue():
    progress = progress_in("a", "b", "c")
    progress.move_after("c")
    assert progress.at == 3 and progress.current_id is None  # past the last card
    progress.move_to("b")
    assert progress.current_id == "b"
    progress.move_to("elsewhere")  # not in the queue: stays
    assert progress.current_id == "b"


def test_a_new_queue_keeps_the_card_and_the_sessions_marks():
    progress = progress_in("a", "b", "c")
    progress.move_to("b")
    progress.mark("a", Mark.PUBLISHED)
    moved = progress.with_queue(TriageQueue(("other",), ("x", "b")))
    assert (moved.current_id, moved.marks) == ("b", {"a": Mark.PUBLISHED})
    assert progress.with_queue(TriageQueue(("third",), ("x", "y"))).current_id == "x"


def test_a_linked_card_opens_or_the_first_with_a_note():
    progress = progress_in("a", "b", "c")
    progress.open_linked("c")
    assert (progress.current_id, progress.notice) == ("c", "")
    progress.open_linked("nowhere.txt")
    assert progress.current_id == "a" and "nowhere.txt" in progress.notice


def test_a_second_key_on_a_card_not_drawn_again_writes_against_our_own_version():
    progress = progress_in("a")
    progress.record_write("change-1", "a", None, ("old", "new"))
    assert progress.expected_sha("a", "old") == "new"
    assert progress.expected_sha("a", "other") == "other"  # someone else's version: theirs decides
    written = progress.written.pop()
    progress.mark("a", Mark.PUBLISHED)
    progress.take_back(written)
    assert progress.marks == {}


# --- the script -----------------------------------------------------------------------------------


def test_the_cards_script_writes_text_never_markup():
    scripts = component_scripts()
    assert script_sinks(scripts["triage_card.js"]) == []
    assert "from './component_events.js'" in scripts["triage_card.js"]
    assert "textContent" in scripts["triage_card.js"] and "httpUrl(card.url)" in scripts["triage_card.js"]
