"""Who is using this session, and whether they may edit (see curation.access for the policy)."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from typing import Any

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from curation.access import AccessPolicy, PasswordThrottle, access_policy, wait_message
from curation.audit import MAX_EDITOR_NAME, check_editor_name
from curation.errors import EditorNameError
from curation.safe_markdown import escape_markdown
from curation.views.remembered_name import DROPPED_KEY, NAME_KEY, fill_in_remembered_name

UNLOCKED_KEY = "_editing_unlocked"
UNLOCK_MESSAGE_KEY = "_unlock_message"
SESSION_TOKEN_KEY = "_session_token"


@dataclass(frozen=True)
class Identity:
    name: str  # what the audit log records
    can_edit: bool
    why_not: str = ""  # shown where write controls are disabled


def _secrets() -> dict[str, Any]:
    try:
        return {key: st.secrets[key] for key in st.secrets}
    except FileNotFoundError:  # no secrets.toml: nothing configured
        return {}


def current_policy() -> AccessPolicy:
    return access_policy(_secrets(), os.environ)


def resolve_identity() -> Identity:
    """Draw who is here as one compact line in the sidebar (its details in a popover) and return it;
    stops the page for a login."""
    policy = current_policy()
    st.sidebar.divider()
    if policy.mode == "login":
        identity = _logged_in(policy)
    elif policy.mode == "password":
        identity = _password_gate(policy)
    else:
        identity = _open_access()
    if policy.read_only:
        st.sidebar.caption("Read-only: writing is switched off (CURATION_READ_ONLY).")
        return Identity(identity.name, False, "writing is switched off (CURATION_READ_ONLY)")
    return identity


def _access_line(name: str, access: str) -> DeltaGenerator:
    """The one line: who you are and whether you can edit; it opens the details."""
    label = f"👤 {escape_markdown(name)} · {access}"
    return st.sidebar.popover(label, width="stretch", help="Who you are and what you may do")


def _current_name() -> tuple[str, str]:
    """The typed name as it is logged ("anonymous" when blank), and why it cannot be logged ("" when it can)."""
    typed = str(st.session_state.get(NAME_KEY) or "")
    if not typed.strip():
        return "anonymous", ""
    try:
        return check_editor_name(typed), ""
    except EditorNameError as error:
        return "your name", error.message


def _name_identity(name: str, problem: str, can_edit: bool, why_not: str = "") -> Identity:
    """A name that cannot be logged stops editing until it is fixed: nothing is logged under it, or instead of it."""
    if problem:
        st.sidebar.error(f"Your name: {escape_markdown(problem)}. Editing waits until it is fixed.")
        return Identity(name, False, "your name cannot be logged as typed: fix it under 👤 in the sidebar")
    return Identity(name, can_edit, why_not)


def _open_access() -> Identity:
    fill_in_remembered_name()
    name, problem = _current_name()
    with _access_line(name, "can edit · open to anyone"):
        _typed_name(name, problem)
        st.warning(
            "Anyone who can reach this dashboard can publish and unpublish. "
            "Set an editor password or a login to restrict that (README, Deploying).",
            icon="🔓",
        )
    return _name_identity(name, problem, True)


def _typed_name(name: str, problem: str) -> None:
    st.text_input(
        "Your name", key=NAME_KEY, placeholder="recorded with each change",
        help=f"Written to the audit log with every change (at most {MAX_EDITOR_NAME} characters, no control "
        "characters); this browser remembers it for its other tabs.",
    )  # fmt: skip
    if problem:
        st.error(escape_markdown(problem))
    elif name == "anonymous":
        st.caption("Changes are logged as *anonymous* until you enter a name.")
        dropped = st.session_state.get(DROPPED_KEY)
        if dropped:
            st.warning(escape_markdown(dropped))


def _logged_in(policy: AccessPolicy) -> Identity:
    if not st.user.is_logged_in:
        st.title("Curation")
        st.write("Log in to see and curate the articles.")
        st.button("Log in", key="login", on_click=st.login, type="primary")
        st.stop()
    email = str(st.user.get("email") or "")
    editor = policy.may_edit(email)
    with _access_line(email, "can edit" if editor else "read-only"):
        role = "an editor" if editor else "read-only: not on the editors list"
        st.caption(f"Signed in as **{escape_markdown(email)}** ({role})")
        st.button("Log out", key="logout", on_click=st.logout)
    return Identity(email, editor, "" if editor else f"{email} is not on the editors list")


@st.cache_resource(show_spinner=False)
def password_throttle() -> PasswordThrottle:
    """The one throttle of this server process: every session's attempts count against it."""
    return PasswordThrottle()


def _session_token() -> str:
    # A random id per browser session (kept in its session state), for the per-session delay.
    return st.session_state.setdefault(SESSION_TOKEN_KEY, secrets.token_hex(8))


NO_ADDRESS_CLIENT = "no-address"


def _client_id() -> str:
    """The client's IP address, or one shared id for every session without one.

    Streamlit gives no address for connections from localhost, which is every
    connection behind a reverse proxy on the same machine. Were each such
    session its own client, a new tab would escape the lockout; so they share
    one (fail closed: a lockout there locks every address-less session).
    """
    try:
        address = st.context.ip_address
    except Exception:  # no client context in this run
        address = None
    # Only a real address string counts (AppTest's stand-in runtime answers with a mock).
    return address if isinstance(address, str) and address else NO_ADDRESS_CLIENT


def _unlock(policy: AccessPolicy, throttle: PasswordThrottle) -> None:
    typed = st.session_state.get("editor_password", "")
    st.session_state["editor_password"] = ""  # never keep the password in the session
    result = throttle.attempt(_session_token(), _client_id(), lambda: policy.password_matches(typed))
    st.session_state[UNLOCKED_KEY] = result.status == "ok"
    if result.status == "wrong":
        st.session_state[UNLOCK_MESSAGE_KEY] = "Wrong password; editing stays locked."
    elif result.status in ("wait", "locked"):
        st.session_state[UNLOCK_MESSAGE_KEY] = wait_message(result)


def _lock() -> None:
    st.session_state[UNLOCKED_KEY] = False


def _password_gate(policy: AccessPolicy) -> Identity:
    fill_in_remembered_name()
    name, problem = _current_name()
    unlocked = bool(st.session_state.get(UNLOCKED_KEY))
    with _access_line(name, "can edit" if unlocked else "editing locked"):
        _typed_name(name, problem)
        if unlocked:
            st.caption("Editing unlocked for this session.")
            st.button("Lock editing", key="lock_editing", on_click=_lock)
        else:
            st.text_input("Editor password", type="password", key="editor_password")
            st.button("Unlock editing", key="unlock_editing", on_click=_unlock, args=(policy, password_throttle()))
    message = st.session_state.pop(UNLOCK_MESSAGE_KEY, None)
    if message:
        st.sidebar.error(message)  # outside the popover, so it shows once the popover closes
    return _name_identity(
        name,
        problem,
        unlocked,
        "" if unlocked else "editing is locked: enter the editor password under your name in the sidebar",
    )
