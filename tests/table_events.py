"""The Articles table in AppTest: read the data the page sent to the component, send events as its script does.

AppTest has no element for an st.components.v2 component, so this reads the
component's proto from the element tree and sends its state the way the
browser does: a WidgetState with the component's id and the state as JSON
(the queue of events, each with a sequence number), beside the other
widgets' states.
"""

from __future__ import annotations

import json
import uuid
from itertools import count
from typing import Any

from streamlit.proto.WidgetStates_pb2 import WidgetStates
from streamlit.testing.v1 import AppTest

COMPONENT_NAME = "curation.articles_table"


def _component(at: AppTest, name: str = COMPONENT_NAME) -> Any:
    found = [node.proto for node in at.get("bidi_component") if node.proto.component_name == name]
    if not found:
        raise AssertionError(f"the component {name} is not on the page")
    return found[0]


def component_data(at: AppTest, name: str = COMPONENT_NAME) -> dict[str, Any]:
    """What the page sent a component in its last run."""
    return json.loads(_component(at, name).json)


def table_data(at: AppTest) -> dict[str, Any]:
    """What the page sent the table in its last run."""
    return component_data(at)


def rows(at: AppTest) -> list[dict[str, Any]]:
    return table_data(at)["rows"]


def row_ids(at: AppTest) -> list[str]:
    return [row["id"] for row in rows(at)]


def row(at: AppTest, doc_id: str) -> dict[str, Any]:
    return next(item for item in rows(at) if item["id"] == doc_id)


class TableBrowser:
    """One browser's instance of the table (or of another component: `component`): its queue of events and
    their sequence numbers."""

    component = COMPONENT_NAME

    def __init__(self, at: AppTest, client: str | None = None) -> None:
        self.at = at
        self.client = client or uuid.uuid4().hex  # each instance of the script names itself
        self.queue: list[dict[str, Any]] = []
        self.numbers = count(1)

    def push(self, event: dict[str, Any], *, run: bool = True) -> AppTest:
        """Queue an event as the script does (the whole unanswered queue is sent), then run the page."""
        self.queue.append({**event, "seq": next(self.numbers)})
        return self.send() if run else self.at

    def send(self) -> AppTest:
        states = WidgetStates()
        component_id = _component(self.at, self.component).id
        states.widgets.extend(state for state in self.at._tree.get_widget_states().widgets if state.id != component_id)
        mine = states.widgets.add()
        mine.id = component_id
        mine.json_value = json.dumps({"events": {"client": self.client, "events": list(self.queue)}})
        self.at._run(states)
        applied = component_data(self.at, self.component)["applied"].get(self.client, 0)
        self.queue = [event for event in self.queue if event["seq"] > applied]
        return self.at

    def tick(self, doc_id: str, value: bool = True, *, sha: str | None = None, run: bool = True) -> AppTest:
        shown = row(self.at, doc_id)
        return self.push({"kind": "tick", "id": doc_id, "sha": sha or shown["sha"], "value": value}, run=run)

    def select(self, doc_ids: list[str], value: bool = True) -> AppTest:
        return self.push({"kind": "select", "ids": doc_ids, "value": value})

    def turn_to(self, page: int) -> AppTest:
        return self.push({"kind": "page", "page": page})

    def sort(self, column: str) -> AppTest:
        return self.push({"kind": "sort", "column": column})

    def open(self, doc_id: str) -> AppTest:
        return self.push({"kind": "open", "id": doc_id, "sha": row(self.at, doc_id)["sha"]})

    def layout(self, rows_per_page: int, columns: list[str]) -> AppTest:
        return self.push({"kind": "layout", "rows": rows_per_page, "columns": columns})
