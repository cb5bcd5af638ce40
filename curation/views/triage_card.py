"""Triage's card as one element: a component drawn from the data of a few cards around the editor's place.

The page (triage.py) sends the current card, the two before it and the three after it, each as plain
values (id, sha, title, webUrl, image, provider, date, quality, heat, excerpt, topics, published, the
likely-duplicate mark and its twin, this session's mark), with where the editor is and this session's
counts. The script (assets/triage_card.js) handles the keys and the buttons: on `p`, `u`, `s` or `j` it
shows the next card at once from that data, its image loaded ahead, while the server applies the event.
It puts document text into the page only through textContent and attribute setters, and makes a link
only of an http(s) URL, checked here and again there.

Events name the card they were made on by id (and sha, for a write), never by position, and come in the
queue of event_queue.py, applied once each. An event of the wrong shape, or for an id not in the queue,
is dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import pandas as pd
import streamlit as st

from curation.safe_markdown import http_url
from curation.views import event_queue
from curation.views.article_table import COLUMNS
from curation.views.triage_queue import TriageProgress

COMPONENT_NAME = "curation.triage_card"
CARD_KEY = "triage_card"
APPLIED_KEY = "_triage_card_applied"  # browser instance -> the last sequence number applied
WRITES = {"publish": True, "unpublish": False}  # event kind -> the published value it writes
EVENT_KINDS = (*WRITES, "skip", "back", "edit", "undo")
EXCERPT_CHARACTERS = 1_500  # a card shows the start of a longer excerpt; the edit dialog has it whole


@dataclass(frozen=True)
class TriageEvent:
    """One key or button on the card, checked: the id is in the queue."""

    seq: int
    kind: str
    doc_id: str = ""
    sha: str = ""


def _event(raw: Mapping[str, object], seq: int, queued: Mapping[str, int]) -> TriageEvent | None:
    """A checked event, or None for one of the wrong shape (the browser is not trusted)."""
    kind = raw.get("kind")
    if kind not in EVENT_KINDS:
        return None
    if kind == "undo":  # this session's last change: nothing of the browser's is needed
        return TriageEvent(seq, kind)
    doc_id, sha = raw.get("id"), raw.get("sha", "")
    if not isinstance(doc_id, str) or doc_id not in queued or not isinstance(sha, str):
        return None
    if kind in (*WRITES, "edit") and not sha:
        return None
    return TriageEvent(seq, kind, doc_id, sha)


def new_events(state: object, queued: Mapping[str, int]) -> list[TriageEvent]:
    """The card's events not applied yet, in order, each checked against the queue's ids."""
    return event_queue.new_events(state, APPLIED_KEY, lambda raw, seq: _event(raw, seq, queued))


def twin_of(frame: pd.DataFrame, doc_id: str) -> str | None:
    """Another article with the same webUrl or originalUrl (the one that makes this a likely duplicate)."""
    row = frame.loc[doc_id]
    for column in ("webUrl", "originalUrl"):
        url = row[column]
        if isinstance(url, str) and url:
            others = frame.index[frame[column].to_numpy() == url]
            twin = next((other for other in others if other != doc_id), None)
            if twin is not None:
                return twin
    return None


def _title(frame: pd.DataFrame, doc_id: str) -> str:
    title = frame.at[doc_id, "title"]
    return title if isinstance(title, str) and title else doc_id


def card_data(frame: pd.DataFrame, duplicates: pd.Series, doc_id: str, position: int, mark: str | None) -> dict:
    """One card as the component draws it (plain values; text is never markup)."""
    if doc_id not in frame.index:  # the file went away since the queue was taken
        return {"position": position, "id": doc_id, "sha": "", "title": doc_id, "gone": True, "mark": mark}
    row = frame.loc[doc_id]
    duplicate = bool(duplicates.get(doc_id, False))
    twin = twin_of(frame, doc_id) if duplicate else None
    excerpt = row["excerpt"] if isinstance(row["excerpt"], str) else ""
    return {
        "position": position,
        "id": doc_id,
        "sha": row["sha256"],
        "title": _title(frame, doc_id),
        "url": http_url(row["webUrl"]),
        "image": http_url(row["image"]),
        "details": {key: COLUMNS[key].text(row) for key in ("provider", "date", "quality", "heat", "category")},
        "excerpt": excerpt if len(excerpt) <= EXCERPT_CHARACTERS else excerpt[:EXCERPT_CHARACTERS] + "…",
        "topics": list(row["topics"]),
        "published": bool(row["published"]),
        "duplicate": duplicate,
        "twin": None if twin is None else {"id": twin, "title": _title(frame, twin)},
        "mark": mark,
        "gone": False,
    }


def triage_data(
    progress: TriageProgress, frame: pd.DataFrame, duplicates: pd.Series, *, can_edit: bool, empty: str
) -> dict[str, Any]:
    """Everything the component draws, with the sequence numbers it may drop from its queue."""
    ids = progress.queue.ids
    cards = [
        card_data(frame, duplicates, ids[position], position, progress.marks.get(ids[position]))
        for position in progress.window()
    ]
    return {
        "queue": progress.queue.token,  # another queue: the script forgets the cards it holds
        "total": len(progress.queue),
        "at": progress.at,
        "cards": cards,
        "counts": progress.counts(),
        "canEdit": can_edit,
        "canUndo": bool(progress.written),
        "notice": progress.notice,
        "empty": empty,
        "applied": event_queue.applied_numbers(APPLIED_KEY),
    }


@cache
def _component() -> Callable[..., Any]:
    # Registered on first use, as the Articles table is (article_table._component).
    return st.components.v2.component(COMPONENT_NAME, js="triage_card.js", css="triage_card.css", isolate_styles=False)


def mount_card(data: dict[str, Any], on_events: Callable[[], None]) -> None:
    """Draw the card (at the same place on every run, so the browser keeps its DOM and the focus)."""
    _component()(key=CARD_KEY, data=data, on_events_change=on_events)


def card_state() -> object:
    """What the browser last sent: its queue of events."""
    return event_queue.component_state(CARD_KEY)
