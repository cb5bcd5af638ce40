"""Access control: who may edit, checked in the policy and through the dashboard (AppTest)."""

from __future__ import annotations

import ast

import pytest
from streamlit.testing.v1 import AppTest

from curation.access import access_policy
from curation.audit import read_audit_log
from tests.conftest import REPO, SEED_ID

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
    assert access_policy(secrets, environment).mode == mode


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


def write_controls(at: AppTest) -> dict[str, bool]:
    """Whether each "… all shown" bulk button is disabled (the "selected" ones also need a selection)."""
    return {button.key: button.disabled for button in at.button if button.key.endswith("_shown")}


def untick_seed(at: AppTest) -> None:
    key = at.data_editor[0].key
    at.session_state[key] = {"edited_rows": {0: {"published": False}}, "added_rows": [], "deleted_rows": []}
    at.run()


def test_a_listed_editor_edits_and_the_log_records_the_login(app, docs):
    """Ann logs in; her email, not a typed name, goes into the audit log."""
    with_login(app, "Ann@Newsroom.example").run()
    assert not app.exception
    assert not [text for text in app.text_input if text.key == "editor_name"]  # identity cannot be typed
    assert not write_controls(app)["bulk_unpublish_shown"]
    untick_seed(app)
    assert b"\npublished: false\n" in (docs / SEED_ID).read_bytes()
    (entry,) = read_audit_log(docs / ".curation" / "audit.jsonl")[0]
    assert entry["editor"] == "Ann@Newsroom.example"


def test_a_logged_in_reader_sees_everything_but_cannot_write(app, docs):
    with_login(app, "bob@newsroom.example").run()
    assert app.data_editor[0].value.index.tolist() == [SEED_ID]
    assert all(write_controls(app).values())
    assert any("bob@newsroom.example is not on the editors list" in info.value for info in app.info)
    before = (docs / SEED_ID).read_bytes()
    untick_seed(app)  # even a forged edit is refused
    assert (docs / SEED_ID).read_bytes() == before
    assert any("Nothing was written" in error.value for error in app.error)


def test_a_logged_out_visitor_sees_only_the_login(app):
    with_login(app, None).run()
    assert [button.key for button in app.button] == ["login"]
    assert not app.data_editor and not app.dataframe


def test_the_password_gate(app, docs, monkeypatch):
    monkeypatch.setenv("CURATION_PASSWORD", "correct horse")
    app.run()
    assert all(write_controls(app).values())
    app.text_input(key="editor_password").input("wrong").run()
    app.button(key="unlock_editing").click().run()
    assert any("Wrong password" in error.value for error in app.error)
    assert all(write_controls(app).values())
    app.text_input(key="editor_password").input("correct horse").run()
    app.button(key="unlock_editing").click().run()
    assert not any(write_controls(app).values())
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


def test_no_module_renders_html():
    """No st.html, no components, no unsafe_allow_html anywhere in the app's code."""
    sources = [REPO / "app.py", *sorted((REPO / "curation").rglob("*.py"))]
    assert len(sources) > 20
    assert [sink for path in sources for sink in html_sinks(path.read_text(encoding="utf-8"), path.name)] == []


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
