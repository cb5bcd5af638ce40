"""The Articles table's component: events applied once each, rows as data, and a script that cannot render markup."""

from __future__ import annotations

import ast
import re
import tomllib

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hs
from streamlit.testing.v1 import AppTest

from curation.loading.collection import load_collection
from curation.views import article_table, event_queue
from curation.views.article_table import COLUMNS, EVENT_KINDS, PAGE_SIZES, new_events, row_data
from tests.conftest import REPO, examples

ASSETS = REPO / "curation" / "views" / "assets"
SHOWN = ("a.txt", "b.txt", "c.txt")
SORTABLE = ("title", "quality")


@pytest.fixture
def session(monkeypatch):
    """A stand-in for st.session_state (new_events keeps its sequence numbers there)."""
    state: dict = {}
    monkeypatch.setattr(article_table.st, "session_state", state)
    return state


def tick(seq: int, doc_id: str = "a.txt", value: bool = True) -> dict:
    return {"seq": seq, "kind": "tick", "id": doc_id, "sha": "s" * 64, "value": value}


def queue(events: list, client: str = "one") -> dict:
    return {"client": client, "events": events}


def applied(state: object) -> list[tuple[int, str]]:
    return [(event.seq, event.kind) for event in new_events(state, SHOWN, SORTABLE)]


def test_each_event_is_applied_once_however_often_the_queue_comes(session):
    """The browser sends its whole unanswered queue with every new event: only the new ones are returned."""
    assert applied(queue([tick(1)])) == [(1, "tick")]
    assert applied(queue([tick(1), tick(2, "b.txt")])) == [(2, "tick")]
    assert applied(queue([tick(1), tick(2, "b.txt")])) == []  # sent again (a rerun for another reason)
    assert applied(queue([tick(3, "c.txt"), {"seq": 4, "kind": "page", "page": 2}])) == [(3, "tick"), (4, "page")]


def test_two_browser_instances_are_counted_apart(session):
    assert applied(queue([tick(1)], "one")) == [(1, "tick")]
    assert applied(queue([tick(1)], "two")) == [(1, "tick")]  # another tab: its own numbers
    assert applied(queue([tick(1), tick(2)], "one")) == [(2, "tick")]


def test_numbers_at_or_below_the_last_applied_are_dropped(session):
    assert applied(queue([tick(5)])) == [(5, "tick")]
    assert applied(queue([tick(3), tick(5), tick(6), tick(6)])) == [(6, "tick")]


def test_numbers_out_of_order_apply_only_what_is_past_the_last(session):
    """The script numbers its events in order; a queue out of order (forged, or two queues mixed) cannot make
    an event apply twice or go back: a number below one just applied is dropped."""
    assert applied(queue([tick(2), tick(1), tick(3, "b.txt"), tick(3, "c.txt")])) == [(2, "tick"), (3, "tick")]
    assert applied(queue([tick(1), tick(2), tick(3)])) == []
    assert session[article_table.APPLIED_KEY] == {"one": 3}


def test_the_page_answers_with_the_last_number_applied(session):
    """The data sent back names each browser instance's last applied number: what its queue may drop."""
    new_events(queue([tick(1), tick(2)], "one"), SHOWN, SORTABLE)
    new_events(queue([tick(7)], "two"), SHOWN, SORTABLE)
    data = article_table.table_data(
        [], (), sort="title", descending=False, page=1, pages=1, page_size=25, can_edit=True, summary_top="",
        summary="", empty="",
    )  # fmt: skip
    assert data["applied"] == {"one": 2, "two": 7}


@pytest.mark.parametrize(
    "event",
    [
        None,
        "tick",
        [],
        {"kind": "tick", "id": "a.txt", "sha": "s", "value": True},  # no number
        {"seq": "1", "kind": "tick", "id": "a.txt", "sha": "s", "value": True},
        {"seq": True, "kind": "tick", "id": "a.txt", "sha": "s", "value": True},  # a bool is not a number
        {"seq": 1, "kind": "delete", "id": "a.txt"},
        {"seq": 1, "kind": "tick", "id": "elsewhere.txt", "sha": "s", "value": True},  # not on the page
        {"seq": 1, "kind": "tick", "id": ["a.txt"], "sha": "s", "value": True},
        {"seq": 1, "kind": "tick", "id": "a.txt", "sha": None, "value": True},
        {"seq": 1, "kind": "tick", "id": "a.txt", "sha": "s", "value": 1},
        {"seq": 1, "kind": "select", "ids": ["a.txt", "../etc/passwd"], "value": True},
        {"seq": 1, "kind": "select", "ids": "a.txt", "value": True},
        {"seq": 1, "kind": "page", "page": "2"},
        {"seq": 1, "kind": "page", "page": True},
        {"seq": 1, "kind": "sort", "column": "secured"},
        {"seq": 1, "kind": "layout", "rows": 1_000_000, "columns": []},
        {"seq": 1, "kind": "layout", "rows": 25, "columns": ["secured"]},
        {"seq": 1, "kind": "layout", "rows": True, "columns": []},
        {"seq": 1, "kind": "open", "id": "elsewhere.txt", "sha": "s"},
        {"seq": 1, "kind": "sort", "column": ["title"]},
        {"seq": 1, "kind": "select", "ids": [["a.txt"]], "value": True},
    ],
)
def test_an_event_of_the_wrong_shape_is_dropped(session, event):
    """What the browser sends is untrusted: a malformed event is left out, never raises, and the good one
    after it still counts."""
    assert applied(queue([event, {"seq": 2, "kind": "page", "page": 3}])) == [(2, "page")]


@pytest.mark.parametrize(
    "state",
    [None, "x", [], {"client": 1, "events": []}, {"client": "one", "events": "x"}, {"client": "x" * 65, "events": []}],
)
def test_a_state_of_the_wrong_shape_applies_nothing(session, state):
    assert applied(state) == []


def test_an_oversized_queue_is_read_only_up_to_its_limit(session):
    events = [{"seq": number, "kind": "page", "page": 1} for number in range(1, 5_000)]
    assert len(applied(queue(events))) == event_queue.MAX_EVENTS


_JSON = hs.recursive(
    hs.none() | hs.booleans() | hs.integers() | hs.floats() | hs.text(max_size=8)
    | hs.sampled_from([*SHOWN, *EVENT_KINDS, "seq", "kind", "id", "ids", "sha", "value", "page", "rows", "columns"]),
    lambda children: hs.lists(children, max_size=4) | hs.dictionaries(hs.text(max_size=8), children, max_size=4),
    max_leaves=12,
)  # fmt: skip
_EVENTISH = hs.fixed_dictionaries(
    {"seq": hs.integers(-2, 2**64) | _JSON, "kind": hs.sampled_from(EVENT_KINDS) | _JSON},
    optional={key: _JSON | hs.sampled_from([*SHOWN, 25, True]) | hs.lists(hs.sampled_from(SHOWN))
              for key in ("id", "ids", "sha", "value", "page", "rows", "columns", "column")},
)  # fmt: skip


@settings(max_examples=examples(1), suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(events=hs.lists(_EVENTISH | _JSON, max_size=6), client=hs.text(max_size=70) | _JSON)
def test_whatever_the_browser_sends_never_raises_and_yields_only_checked_events(session, events, client):
    session.clear()
    fresh = new_events({"client": client, "events": events}, SHOWN, SORTABLE)
    numbers = [event.seq for event in fresh]
    assert numbers == sorted(set(numbers))  # each number once, in order
    for event in fresh:
        assert event.kind in EVENT_KINDS and type(event.seq) is int and type(event.value) is bool
        assert set(event.ids) <= set(SHOWN) and (event.kind != "sort" or event.column in SORTABLE)
        assert event.kind != "layout" or (event.page in PAGE_SIZES and set(event.columns) <= set(COLUMNS))
    assert new_events({"client": client, "events": events}, SHOWN, SORTABLE) == []  # the same queue again


def test_the_events_carry_what_they_name(session):
    (event,) = new_events(queue([tick(1, "b.txt", False)]), SHOWN, SORTABLE)
    assert (event.ids, event.sha, event.value) == (("b.txt",), "s" * 64, False)
    (layout,) = new_events(
        queue([{"seq": 2, "kind": "layout", "rows": 50, "columns": ["heat", "file"]}]), SHOWN, SORTABLE
    )
    assert (layout.page, layout.columns) == (50, ("heat", "file"))
    assert 50 in PAGE_SIZES


@pytest.fixture
def frame(docs) -> tuple[pd.DataFrame, pd.Series]:
    collection = load_collection(docs)
    return collection.frame, collection.likely_duplicates


def test_a_row_carries_every_column_as_plain_text(frame):
    frame, duplicates = frame
    doc_id = frame.index[0]
    source = frame.loc[doc_id]
    shown = row_data(frame, duplicates, doc_id, source["sha256"], COLUMNS)
    assert shown["cells"] == {
        "provider": source["provider"] or None,
        "domain": source["domain"] or None,
        "category": source["category"] or None,
        "date": source["publishedDateTime"].date().isoformat(),
        "quality": str(int(source["quality"])),
        "heat": None if pd.isna(source["heat"]) else str(int(source["heat"])),
        "topics": ", ".join(source["topics"]) or None,
        "file": doc_id,
    }
    assert (shown["id"], shown["sha"], shown["title"]) == (doc_id, source["sha256"], source["title"])
    assert shown["changed"] is False and shown["deleted"] is False
    assert "\u2060" not in "".join(str(value) for value in shown["cells"].values()) + shown["title"]


def test_a_row_changed_since_the_view_opened_is_marked(frame):
    frame, duplicates = frame
    assert row_data(frame, duplicates, frame.index[0], "0" * 64, ())["changed"] is True


def test_a_row_whose_file_went_away_is_marked_deleted(frame):
    frame, duplicates = frame
    gone = row_data(frame, duplicates, "gone.txt", "0" * 64, COLUMNS, error="why")
    assert (gone["deleted"], gone["url"], gone["cells"], gone["error"]) == (True, None, {}, "why")


def test_only_an_http_url_is_sent_as_a_link(frame):
    frame, duplicates = frame
    doc_id = frame.index[0]
    for url, sent in [
        ("javascript:alert(1)", None),
        ("data:text/html,x", None),
        ("https://ok.example/a b", None),
        ("https://ok.example/a", "https://ok.example/a"),
    ]:
        frame.loc[doc_id, "webUrl"] = url
        assert row_data(frame, duplicates, doc_id, "", ())["url"] == sent


# --- the script ---------------------------------------------------------------------------------------------

# Ways a script can turn text into markup or code. The table's script writes text with textContent and
# attributes with setAttribute/properties, and adds listeners with addEventListener: none of these.
_SINKS = {
    "innerHTML": re.compile(r"\binnerHTML\b"),
    "outerHTML": re.compile(r"\bouterHTML\b"),
    "insertAdjacentHTML": re.compile(r"\binsertAdjacentHTML\b"),
    "setHTML": re.compile(r"\bsetHTML(Unsafe)?\b"),
    "document.write": re.compile(r"\bdocument\s*\.\s*write(ln)?\b"),
    "eval": re.compile(r"\beval\s*\("),
    "new Function": re.compile(r"\bnew\s+Function\b|\bFunction\s*\("),
    "string timer": re.compile(r"\bset(Timeout|Interval)\s*\(\s*['\"`]"),
    "import()": re.compile(r"\bimport\s*\("),
    "on… attribute": re.compile(r"setAttribute(NS\s*\([^,]*,|\s*\()\s*['\"`]on", re.IGNORECASE),
    "on… property": re.compile(r"\.on[a-z]+\s*=(?!=)|\[\s*['\"`]on[a-z]+['\"`]\s*\]\s*=(?!=)"),
    "on…= in markup": re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.IGNORECASE),
    "javascript: URL": re.compile(r"javascript\s*:", re.IGNORECASE),
    "srcdoc": re.compile(r"\bsrcdoc\b"),
    "createContextualFragment": re.compile(r"\bcreateContextualFragment\b"),
    "parseFromString": re.compile(r"\bparseFromString\b"),
    "script element": re.compile(r"['\"`](script|iframe|object|embed)['\"`]", re.IGNORECASE),
}


def script_sinks(source: str) -> list[str]:
    """The sinks in a script, by name (comments included: a sink is not written about, either)."""
    return sorted(name for name, pattern in _SINKS.items() if pattern.search(source))


def component_scripts() -> dict[str, str]:
    """Every script the dashboard's components run: the files in assets/, and the fixed scripts the smaller
    components keep as module constants (`js=` of their registration)."""
    scripts = {path.name: path.read_text(encoding="utf-8") for path in sorted(ASSETS.glob("*.js"))}
    for module in sorted((REPO / "curation" / "views").glob("*.py")):
        tree = ast.parse(module.read_text(encoding="utf-8"))
        constants = {
            target.id: node.value.value
            for node in tree.body
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
            for target in node.targets
            if isinstance(target, ast.Name)
        }
        for node in ast.walk(tree):
            if isinstance(node, ast.keyword) and node.arg == "js" and isinstance(node.value, ast.Name):
                scripts[f"{module.name}:{node.value.id}"] = constants[node.value.id]
    return scripts


def test_the_components_scripts_write_text_never_markup():
    scripts = component_scripts()
    assert "articles_table.js" in scripts
    assert {"image_fallback.py:_PLACEHOLDER_JS", "remembered_name.py:_REMEMBER_NAME_JS"} <= set(scripts)
    assert {name: script_sinks(source) for name, source in scripts.items()} == {name: [] for name in scripts}
    shared = scripts["component_events.js"]  # imported by each component's script
    assert "textContent" in shared and "function httpUrl" in shared  # text as text; links checked again here
    assert "from './component_events.js'" in scripts["articles_table.js"]


@pytest.mark.parametrize(
    ("sample", "sink"),
    [
        ("cell.innerHTML = row.title;", "innerHTML"),
        ("cell.outerHTML = x;", "outerHTML"),
        ("cell.insertAdjacentHTML('beforeend', x);", "insertAdjacentHTML"),
        ("cell.setHTMLUnsafe(x);", "setHTML"),
        ("document.write(x);", "document.write"),
        ("document . writeln(x);", "document.write"),
        ("eval(code);", "eval"),
        ("window.eval (code);", "eval"),
        ("const run = new Function('return 1');", "new Function"),
        ("const run = Function(code)();", "new Function"),
        ("setTimeout('alert(1)', 10);", "string timer"),
        ("setInterval(`go()`, 10);", "string timer"),
        ("import(url).then(run);", "import()"),
        ("link.setAttribute('onclick', x);", "on… attribute"),
        ('link.setAttribute("ONMOUSEOVER", x);', "on… attribute"),
        ("link.setAttributeNS(null, 'onclick', x);", "on… attribute"),
        ("link.onclick = () => go();", "on… property"),
        ("image.onerror=go;", "on… property"),
        ("link['onclick'] = go;", "on… property"),
        ("const html = '<img src=x onerror=alert(1)>';", "on…= in markup"),
        ('const html = `<a href="#" onClick = "go()">`;', "on…= in markup"),
        ("link.href = 'javascript:void(0)';", "javascript: URL"),
        ("link.href = 'JavaScript :void(0)';", "javascript: URL"),
        ("frame.srcdoc = x;", "srcdoc"),
        ("range.createContextualFragment(x);", "createContextualFragment"),
        ("new DOMParser().parseFromString(x, 'text/html');", "parseFromString"),
        ("const tag = document.createElement('script');", "script element"),
        ('const frame = element("iframe");', "script element"),
    ],
)
def test_the_scan_would_catch_each_sink(sample, sink):
    assert script_sinks(f"export default function () {{ {sample} }}") == [sink]


@pytest.mark.parametrize(
    "sample",
    [
        "cell.textContent = row.title;",
        "link.setAttribute('aria-label', 'Published: ' + row.title);",
        "box.addEventListener('click', () => this.tick(index, box.checked), { once: true });",
        "this.onKey = (event) => this.key(event);",
        "if (a.once === b.online) go();",
        "const label = 'Select all on this page';",
    ],
)
def test_the_scan_lets_text_and_listeners_through(sample):
    """What the table's script does instead is not a sink (the scan does not fail on everything)."""
    assert script_sinks(f"export default function () {{ {sample} }}") == []


@pytest.mark.parametrize(("module", "name"), [("article_table", "articles_table"), ("triage_card", "triage_card")])
def test_the_components_run_fixed_files_shipped_in_the_package(module, name):
    """The component is registered with file names in its asset_dir (never code built at run time), and
    those files are declared to Streamlit and shipped as package data."""
    tree = ast.parse((REPO / "curation" / "views" / f"{module}.py").read_text(encoding="utf-8"))
    (register,) = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "component"
    ]
    files = {keyword.arg: keyword.value.value for keyword in register.keywords if keyword.arg in ("js", "css")}
    assert files == {"js": f"{name}.js", "css": f"{name}.css"}
    assert all((ASSETS / name).is_file() for name in files.values())
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    declared = {entry["name"]: entry["asset_dir"] for entry in project["tool"]["streamlit"]["component"]["components"]}
    assert declared[name] == "views/assets"
    assert {"views/assets/*.js", "views/assets/*.css"} <= set(project["tool"]["setuptools"]["package-data"]["curation"])


def test_the_app_mounts_the_table_from_its_files(docs, monkeypatch):
    """In a run of the app, Streamlit finds the component's files through the package's manifest."""
    monkeypatch.setenv("CURATION_DOCS", str(docs))
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=60).run()
    assert not at.exception
    (table,) = [node.proto for node in at.get("bidi_component") if node.proto.component_name.endswith("articles_table")]
    assert (table.js_source_path, table.css_source_path) == ("articles_table.js", "articles_table.css")
    assert not table.js_content  # served from the file, not sent as a string
