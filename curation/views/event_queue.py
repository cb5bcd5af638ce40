"""The queue of events a component's script sends: each event applied once, however often the queue comes.

A component's script (assets/component_events.js) numbers each thing the editor does and sends its whole
unanswered queue, as the component's state, every time the queue grows. `new_events` returns the events
not applied yet, in order, each already marked applied (so a run interrupted half-way never applies one
twice); the component's data carries back, per browser instance, the last number applied (`applied`), and
the script drops those from its queue. Everything the browser sends is untrusted: a state or an event of
the wrong shape is dropped, never raises (a dropped event's number counts as answered, so the script stops
waiting for it); what an event must hold is the caller's `parse`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Protocol, TypeVar

import streamlit as st

MAX_EVENTS = 1_000  # more than an editor can make between two answers; a longer queue is not read
MAX_CLIENT_LENGTH = 64


class Numbered(Protocol):
    seq: int


Event = TypeVar("Event", bound=Numbered)
Parse = Callable[[Mapping[str, object], int], Event | None]  # (the raw event, its number) -> checked, or None


def new_events(state: object, applied_key: str, parse: Parse[Event]) -> list[Event]:
    """The events in the browser's queue (`{"client": ..., "events": [...]}`) not applied yet, in order, each
    checked by `parse(raw, seq)` (None drops it) and marked applied under `applied_key` before it is returned."""
    if not isinstance(state, Mapping):
        return []
    client, events = state.get("client"), state.get("events")
    if not isinstance(client, str) or not isinstance(events, list) or len(client) > MAX_CLIENT_LENGTH:
        return []
    applied: dict[str, int] = st.session_state.setdefault(applied_key, {})
    last = applied.get(client, 0)
    fresh = []
    for raw in events[:MAX_EVENTS]:
        if not isinstance(raw, Mapping):
            continue
        seq = raw.get("seq")
        if not isinstance(seq, int) or isinstance(seq, bool) or seq <= last:
            continue
        # A numbered event is answered even when it is dropped: the browser must not wait for it forever.
        last = seq
        event = parse(raw, seq)
        if event is not None:
            fresh.append(event)
    applied[client] = last
    return fresh


def applied_numbers(applied_key: str) -> dict[str, int]:
    """Per browser instance, the last number applied: what its queue may drop (sent in the component's data)."""
    return dict(st.session_state.get(applied_key, {}))


def component_state(key: str) -> object:
    """What the browser last sent to the component mounted with `key`: its queue of events."""
    state = st.session_state.get(key)
    return state.get("events") if isinstance(state, Mapping) else None
