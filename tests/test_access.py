"""Access control: who may edit, checked in the policy and through the dashboard (AppTest)."""

from __future__ import annotations

import ast
import logging

import pytest
from streamlit.testing.v1 import AppTest

from curation.access import AccessMode, PasswordThrottle, access_policy, is_read_only
from curation.store.folder_audit import read_audit_log
from tests.conftest import REPO, SEED_ID
from tests.table_events import TableBrowser, row, row_ids, table_data

AUTH = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "test-cookie-secret",
    "client_id": "curation",
    "client_secret": "test-client-secret",
    "server_metadata_url": "https://login.example/.well-known/openid-configuration",
}


@pytest.mark.parametrize(
    ("secrets", "environment", "mode"),
    [
        ({}, {}, "open"),
        ({"curation": {"password": "pw"}}, {}, "password"),
        ({}, {"CURATION_PASSWORD": "pw"}, "password"),
        ({"auth": AUTH}, {"CURATION_PASSWORD": "pw"}, "login"),  # a login wins over a password
    ],
)
def test_the_policy_mode_follows_the_configuration(secrets, environment, mode):
    policy = access_policy(secrets, environment)
    assert policy.mode is AccessMode(mode) and policy.mode == mode and f"{policy.mode}" == mode


def test_editors_come_from_secrets_or_the_environment_in_any_case():
    from_secrets = access_policy({"auth": AUTH, "curation": {"editors": ["Ann@News.example"]}}, {})
    assert from_secrets.may_edit("ann@news.example") and not from_secrets.may_edit("bob@news.example")
    assert not from_secrets.may_edit(None) and not from_secrets.may_edit("")
    from_environment = access_policy({"auth": AUTH}, {"CURATION_EDITORS": "a@x.example, b@x.example"})
    assert from_environment.may_edit("B@x.example")


def test_password_check():
    policy = access_policy({}, {"CURATION_PASSWORD": "correct horse"})
    assert policy.password_matches("correct horse")
    assert not policy.password_matches("correct horse ") and not policy.password_matches("")
    assert not access_policy({}, {}).password_matches("")


def test_read_only_applies_in_every_mode():
    assert access_policy({"auth": AUTH}, {"CURATION_READ_ONLY": "1"}).read_only
    assert access_policy({}, {"CURATION_READ_ONLY": "true"}).read_only
    assert not access_policy({}, {"CURATION_READ_ONLY": "0"}).read_only


@pytest.fixture
def app(docs, monkeypatch):
    monkeypatch.setenv("CURATION_DOCS", str(docs))
    for variable in ("CURATION_READ_ONLY", "CURATION_PASSWORD", "CURATION_EDITORS"):
        monkeypatch.delenv(variable, raising=False)
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=60)
    at.query_params["search"] = "Jung_E"  # one row: the seed, published
    return at


def with_login(at: AppTest, email: str | None) -> AppTest:
    at.secrets["auth"] = AUTH
    at.secrets["curation"] = {"editors": ["ann@newsroom.example"]}
    at.user = {"is_logged_in": False} if email is None else {"is_logged_in": True, "email": email}
    return at


SHOWN_BULK_BUTTONS = ("bulk_publish_shown", "bulk_unpublish_shown")


def write_controls(at: AppTest) -> dict[str, bool]:
    """Whether each "… all shown" bulk button is disabled (the "selected" ones also need a selection)."""
    return {button.key: button.disabled for button in at.button if button.key.endswith("_shown")}


def assert_writing_is_off(at: AppTest) -> None:
    """Both "… all shown" buttons are disabled, and the table draws the seed's Published box disabled."""
    assert write_controls(at) == dict.fromkeys(SHOWN_BULK_BUTTONS, True)
    assert SEED_ID in row_ids(at) and table_data(at)["canEdit"] is False


def assert_writing_is_on(at: AppTest) -> None:
    assert write_controls(at) == dict.fromkeys(SHOWN_BULK_BUTTONS, False)
    assert SEED_ID in row_ids(at) and table_data(at)["canEdit"] is True


def untick_seed(at: AppTest) -> None:
    """Untick the seed's Published box in the Articles table (a forged tick when the box is disabled: a
    browser cannot untick a disabled box, a forged request can)."""
    TableBrowser(at).tick(SEED_ID, False)


def test_a_listed_editor_edits_and_the_log_records_the_login(app, docs):
    """Ann logs in; her email, not a typed name, goes into the audit log."""
    with_login(app, "Ann@Newsroom.example").run()
    assert not app.exception
    assert not [text for text in app.text_input if text.key == "editor_name"]  # identity cannot be typed
    assert not write_controls(app)["bulk_unpublish_shown"]
    untick_seed(app)
    assert b"\npublished: false\n" in (docs / SEED_ID).read_bytes()
    (entry,) = read_audit_log(docs / ".curation" / "audit.jsonl")[0]
    assert entry.editor == "Ann@Newsroom.example"


def test_a_logged_in_reader_sees_everything_but_cannot_write(app, docs):
    with_login(app, "bob@newsroom.example").run()
    assert row_ids(app) == [SEED_ID]
    assert_writing_is_off(app)
    assert any("bob@newsroom.example is not on the editors list" in info.value for info in app.info)
    before = (docs / SEED_ID).read_bytes()
    untick_seed(app)  # even a forged edit is refused, on the server
    assert (docs / SEED_ID).read_bytes() == before
    assert row(app, SEED_ID)["published"] is True


def test_a_logged_out_visitor_sees_only_the_login(app):
    with_login(app, None).run()
    assert [button.key for button in app.button] == ["login"]
    assert not app.data_editor and not app.dataframe


def test_the_password_gate(throttled_app, docs):
    app, clock = throttled_app
    assert_writing_is_off(app)
    try_password(app, "wrong")
    assert any("Wrong password" in error.value for error in app.error)
    assert_writing_is_off(app)
    clock.advance(0.5)  # the wait a first wrong password costs
    try_password(app, "correct horse")
    assert_writing_is_on(app)
    assert app.session_state["editor_password"] == ""  # not kept in the session
    untick_seed(app)
    assert b"\npublished: false\n" in (docs / SEED_ID).read_bytes()


def test_without_login_or_password_the_sidebar_says_anyone_can_edit(app):
    app.run()
    assert any("Anyone who can reach this dashboard can publish" in warning.value for warning in app.warning)


def html_sinks(source: str, name: str) -> list[str]:
    """Every place the source could render HTML: unsafe_allow_html, st.html, streamlit.components."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.keyword) and node.arg == "unsafe_allow_html":
            found.append(f"{name}:{node.value.lineno} unsafe_allow_html")
        if isinstance(node, ast.Attribute) and node.attr in ("html", "components") and _is_streamlit(node.value):
            found.append(f"{name}:{node.lineno} st.{node.attr}")
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [alias.name for alias in node.names] + [getattr(node, "module", None) or ""]
            if any("streamlit.components" in imported for imported in names):
                found.append(f"{name}:{node.lineno} imports streamlit.components")
    return found


def _is_streamlit(node: ast.AST) -> bool:
    return isinstance(node, ast.Name) and node.id in ("st", "streamlit")


# The components the dashboard mounts (st.components.v2, which runs in the page): each fixed code. The
# Articles table is given the page's rows as data and Triage's card a few cards (their scripts, which draw
# them only as text, are scanned in tests/test_article_table.py); the others are given none.
COMPONENT_MODULES = (
    "article_table.py", "triage_card.py", "remembered_name.py", "image_fallback.py", "scroll_to_cards.py",
)  # fmt: skip
COMPONENTS_WITHOUT_DATA = ("remembered_name.py", "image_fallback.py", "scroll_to_cards.py")
ASSETS = REPO / "curation" / "views" / "assets"


def test_no_module_renders_html():
    """No st.html, no unsafe_allow_html anywhere in the app's code; components only in COMPONENT_MODULES."""
    sources = [REPO / "app.py", *sorted((REPO / "curation").rglob("*.py"))]
    assert len(sources) > 20
    sinks = [sink for path in sources for sink in html_sinks(path.read_text(encoding="utf-8"), path.name)]
    assert sorted(sink.split(":")[0] + " " + sink.split(" ", 1)[1] for sink in sinks) == sorted(
        f"{module} st.components" for module in COMPONENT_MODULES
    )


def component_problems(source: str, *, given_data: bool) -> list[str]:
    """What in a component module breaks the rules: its code must be fixed (a module constant, i.e. a string in
    the source, or the name of a file shipped in curation/views/assets/; never a value built at run time),
    besides the code only a constant style switch (False lets the fixed CSS reach Streamlit's own elements),
    and it is mounted with a key and callbacks, plus `data` only when `given_data`."""
    tree = ast.parse(source)
    constants = {
        target.id
        for node in tree.body
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    calls = [node for node in ast.walk(tree) if isinstance(node, ast.Call)]
    (register,) = [call for call in calls if isinstance(call.func, ast.Attribute) and call.func.attr == "component"]
    problems = []
    for keyword in [ast.keyword("name", arg) for arg in register.args] + register.keywords:
        value, what = keyword.value, keyword.arg
        if what == "isolate_styles":
            fixed = isinstance(value, ast.Constant) and isinstance(value.value, bool)
        elif what in ("name", "js", "css", "html"):
            shipped = what != "name" and isinstance(value, ast.Constant) and (ASSETS / str(value.value)).is_file()
            fixed = shipped or (isinstance(value, ast.Name) and value.id in constants)
            fixed |= what == "name" and isinstance(value, ast.Constant)
        else:
            fixed = False
        if not fixed:
            problems.append(f"registered with {what}={ast.unparse(value)}")
    # Mounted through the name it is bound to, or the function that returns it.
    bound = {node.targets[0].id for node in tree.body if isinstance(node, ast.Assign) and node.value is register}
    returned = {
        function.name
        for function in tree.body
        if isinstance(function, ast.FunctionDef)
        and any(isinstance(node, ast.Return) and node.value is register for node in ast.walk(function))
    }
    mounts = [
        call
        for call in calls
        if (isinstance(call.func, ast.Name) and call.func.id in bound)
        or (isinstance(call.func, ast.Call) and isinstance(call.func.func, ast.Name) and call.func.func.id in returned)
    ]
    allowed = {"key", "data"} if given_data else {"key"}
    for mount in mounts or [None]:
        if mount is None or mount.args or "key" not in [keyword.arg for keyword in mount.keywords]:
            problems.append("not mounted with a key alone")
            continue
        problems += [
            f"mounted with {keyword.arg}"
            for keyword in mount.keywords
            if keyword.arg not in allowed and not (keyword.arg or "").startswith("on_")
        ]
    return problems


@pytest.mark.parametrize("module", COMPONENT_MODULES)
def test_each_component_runs_fixed_code_and_only_the_table_and_the_card_are_given_data(module):
    """Fixed code for every component; only the Articles table and Triage's card also get `data` (rows and
    cards, which their scripts draw as text). Nothing else from a document reaches a component."""
    source = (REPO / "curation" / "views" / module).read_text(encoding="utf-8")
    assert component_problems(source, given_data=module not in COMPONENTS_WITHOUT_DATA) == []
    assert set(COMPONENT_MODULES) - set(COMPONENTS_WITHOUT_DATA) == {"article_table.py", "triage_card.py"}


_GOOD = 'JS = "export default function () {}"\nc = st.components.v2.component("x", js=JS)\n'


@pytest.mark.parametrize(
    ("source", "problem"),
    [
        (_GOOD + "c(key='k', data=title)\n", "mounted with data"),
        (_GOOD + "c(title, key='k')\n", "not mounted with a key alone"),
        (_GOOD + "c(default=title, key='k')\n", "mounted with default"),
        ('c = st.components.v2.component("x", js=f"{code}")\nc(key="k")\n', "registered with js=f'{code}'"),
        ('c = st.components.v2.component("x", js="a" + b)\nc(key="k")\n', "registered with js='a' + b"),
        ('c = st.components.v2.component("x", js="missing.js")\nc(key="k")\n', "registered with js='missing.js'"),
        ('JS = "x"\nc = st.components.v2.component(name, js=JS)\nc(key="k")\n', "registered with name=name"),
        ('JS = "x"\nc = st.components.v2.component("x", js=JS, isolate_styles=flag)\nc(key="k")\n',
         "registered with isolate_styles=flag"),
        ('JS = "x"\ndef f():\n    return st.components.v2.component("x", js=JS)\nf()(key="k", data=d)\n',
         "mounted with data"),
    ],
)  # fmt: skip
def test_the_component_check_would_catch_an_offender(source, problem):
    assert component_problems(source, given_data=False) == [problem]
    assert component_problems(_GOOD + "c(key='k', data=rows, on_events_change=apply)\n", given_data=True) == []


def test_the_scan_would_catch_an_offender():
    """The check above can fail: it finds each kind of sink in a sample."""
    sample = (
        "import streamlit as st\nimport streamlit.components.v1 as c\n"
        "st.html(x)\nst.markdown(x, unsafe_allow_html=True)\nst.components.v1.html(x)\n"
    )
    assert sorted(html_sinks(sample, "sample.py")) == [
        "sample.py:2 imports streamlit.components",
        "sample.py:3 st.html",
        "sample.py:4 unsafe_allow_html",
        "sample.py:5 st.components",
    ]


@pytest.mark.parametrize(
    ("value", "read_only"),
    [
        ("y", True),
        ("enabled", True),
        ("2", True),
        ("TRUE", True),
        (" 1 ", True),
        ("1", True),
        ("yes", True),
        ("On", True),
        ("0", False),
        ("false", False),
        (" False ", False),
        ("no", False),
        ("OFF", False),
        ("", False),
        ("  ", False),
        (None, False),
    ],
)
def test_read_only_fails_closed(value, read_only):
    """Anything but empty, 0, false, no or off switches writing off: a typo must not leave the dashboard writable."""
    environment = {} if value is None else {"CURATION_READ_ONLY": value}
    assert is_read_only(environment) is read_only
    assert access_policy({}, environment).read_only is read_only


def test_an_unrecognised_read_only_value_is_logged(caplog):
    with caplog.at_level(logging.WARNING, logger="curation"):
        assert is_read_only({"CURATION_READ_ONLY": "enabled-please"})
        assert is_read_only({"CURATION_READ_ONLY": "1"})
        assert not is_read_only({"CURATION_READ_ONLY": "off"})
    messages = [record.getMessage() for record in caplog.records if record.name == "curation"]
    assert len(messages) == 1
    assert "CURATION_READ_ONLY='enabled-please'" in messages[0] and "read-only" in messages[0]


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def test_each_wrong_password_doubles_the_wait_up_to_30_seconds():
    clock = FakeClock()
    throttle = PasswordThrottle(clock=clock)
    waits = []
    for _ in range(8):
        assert throttle.attempt("s1", "203.0.113.5", lambda: False).status == "wrong"
        refused = throttle.attempt("s1", "203.0.113.5", lambda: True)  # even the right password: wait first
        assert refused.status == "wait"
        waits.append(refused.wait)
        clock.advance(refused.wait)
    assert waits == [0.5, 1, 2, 4, 8, 16, 30, 30]
    assert throttle.attempt("s1", "203.0.113.5", lambda: True).status == "ok"
    assert throttle.attempt("s1", "203.0.113.5", lambda: False).status == "wrong"  # a success starts over
    assert throttle.attempt("s1", "203.0.113.5", lambda: True).wait == 0.5


def test_the_delay_is_per_session():
    clock = FakeClock()
    throttle = PasswordThrottle(clock=clock)
    assert throttle.attempt("s1", "session:s1", lambda: False).status == "wrong"
    assert throttle.attempt("s1", "session:s1", lambda: True).status == "wait"
    assert throttle.attempt("s2", "session:s2", lambda: True).status == "ok"


def test_ten_failures_from_one_client_lock_it_out_for_15_minutes():
    """New sessions do not help: the lockout is per client, across its sessions."""
    clock = FakeClock()
    throttle = PasswordThrottle(clock=clock)
    for number in range(10):
        result = throttle.attempt(f"tab{number}", "203.0.113.5", lambda: False)  # a fresh session each time
        assert result.status == ("locked" if number == 9 else "wrong")
        clock.advance(1)
    locked = throttle.attempt("tab-new", "203.0.113.5", lambda: True)
    assert (locked.status, locked.wait) == ("locked", 15 * 60 - 1)
    assert throttle.attempt("tab-other", "198.51.100.7", lambda: True).status == "ok"  # another client is not
    clock.advance(15 * 60 - 1)
    assert throttle.attempt("tab-new", "203.0.113.5", lambda: True).status == "ok"


def test_failures_older_than_15_minutes_do_not_count():
    clock = FakeClock()
    throttle = PasswordThrottle(clock=clock)
    for number in range(9):
        assert throttle.attempt(f"tab{number}", "203.0.113.5", lambda: False).status == "wrong"
    clock.advance(15 * 60 + 1)
    assert throttle.attempt("tab-late", "203.0.113.5", lambda: False).status == "wrong"


def test_failures_are_logged_without_the_password(caplog):
    throttle = PasswordThrottle(clock=FakeClock())
    with caplog.at_level(logging.WARNING, logger="curation"):
        throttle.attempt("s1", "203.0.113.5", lambda: "hunter2" == "correct horse")
    (record,) = [record for record in caplog.records if record.name == "curation"]
    assert "wrong editor password" in record.getMessage() and "203.0.113.5" in record.getMessage()
    assert "hunter2" not in caplog.text


@pytest.fixture
def throttled_app(app, monkeypatch):
    """The dashboard with an editor password and a password throttle on a clock the test moves."""
    from curation.views import access as access_view

    monkeypatch.setenv("CURATION_PASSWORD", "correct horse")
    clock = FakeClock()
    throttle = PasswordThrottle(clock=clock)
    monkeypatch.setattr(access_view, "password_throttle", lambda: throttle)
    app.run()
    return app, clock


def try_password(at: AppTest, password: str) -> AppTest:
    at.text_input(key="editor_password").input(password).run()
    return at.button(key="unlock_editing").click().run()


def sidebar_errors(at: AppTest) -> list[str]:
    return [error.value for error in at.sidebar.error]


def test_the_password_gate_makes_a_guesser_wait(throttled_app, caplog):
    """A wrong password, then the right one at once: refused with a wait, accepted after it."""
    app, clock = throttled_app
    with caplog.at_level(logging.WARNING, logger="curation"):
        try_password(app, "wrong")
    assert sidebar_errors(app) == ["Wrong password; editing stays locked."]
    assert "wrong editor password" in caplog.text and "wrong\n" not in caplog.text
    try_password(app, "correct horse")
    assert sidebar_errors(app) == ["Too many wrong passwords: wait 1 s before the next try."]
    assert_writing_is_off(app)
    clock.advance(0.5)
    try_password(app, "correct horse")
    assert not sidebar_errors(app)
    assert_writing_is_on(app)


def test_the_password_gate_locks_a_client_out(throttled_app):
    app, clock = throttled_app
    for _ in range(9):
        try_password(app, "wrong")
        assert sidebar_errors(app) == ["Wrong password; editing stays locked."]
        clock.advance(30)
    try_password(app, "wrong")
    assert sidebar_errors(app) == ["Too many wrong passwords: editing is locked for 15 min."]
    clock.advance(60)
    try_password(app, "correct horse")
    assert sidebar_errors(app) == ["Too many wrong passwords: editing is locked for 14 min."]
    assert_writing_is_off(app)
    clock.advance(14 * 60)
    try_password(app, "correct horse")
    assert_writing_is_on(app)


def test_a_new_tab_does_not_escape_the_lockout(throttled_app, docs):
    """Ten wrong passwords lock the client out; a second session from the same (local) client is locked too."""
    app, clock = throttled_app
    for _ in range(10):
        try_password(app, "wrong")
        clock.advance(30)
    second = AppTest.from_file(str(REPO / "app.py"), default_timeout=60)
    second.query_params["search"] = "Jung_E"
    second.run()
    try_password(second, "correct horse")
    assert sidebar_errors(second) == ["Too many wrong passwords: editing is locked for 15 min."]
    assert_writing_is_off(second)
