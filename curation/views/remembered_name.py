"""The editor's name, remembered by this browser across reloads and tabs (open and password modes).

Streamlit forgets everything with the session, so a second tab logged its
changes as "anonymous". This component keeps what the editor types in the
*Your name* box in the browser's localStorage and hands it back when a new
session starts. Its code is the fixed script below and it is mounted without
data: the only value it ever reports is the name the editor typed.
"""

from __future__ import annotations

import streamlit as st

from curation.audit import check_editor_name
from curation.errors import EditorNameError

NAME_KEY = "editor_name"  # the text input's key (curation.views.access)
FILLED_KEY = "_remembered_name_filled"  # once a session: clearing the box later must stay cleared
DROPPED_KEY = "_remembered_name_dropped"  # why a remembered name was not used

_REMEMBER_NAME_JS = """
export default function (component) {
  const { setStateValue } = component;
  const storageKey = 'curation.editorName';
  const remembered = window.localStorage.getItem(storageKey);
  if (remembered) setStateValue('name', remembered);
  const onInput = (event) => {
    if (!event.target.closest || !event.target.closest('.st-key-editor_name')) return;
    const name = event.target.value.trim();
    if (name) window.localStorage.setItem(storageKey, name);
    else window.localStorage.removeItem(storageKey);
  };
  document.addEventListener('input', onInput, true);
  return () => document.removeEventListener('input', onInput, true);
}
"""

_remembered_name = st.components.v2.component("curation.remembered_name", js=_REMEMBER_NAME_JS)


def fill_in_remembered_name() -> None:
    """Mount the component (before the name box is drawn); on a new session, put the remembered name in the box."""
    result = _remembered_name(key="remembered_name", on_name_change=lambda: None)
    remembered = getattr(result, "name", None)
    if st.session_state.get(FILLED_KEY) or not isinstance(remembered, str) or not remembered.strip():
        return
    st.session_state[FILLED_KEY] = True
    if st.session_state.get(NAME_KEY):
        return
    try:
        st.session_state[NAME_KEY] = check_editor_name(remembered)
    except EditorNameError as error:  # the browser's storage is not ours to trust: never logged, said why
        st.session_state[DROPPED_KEY] = f"The name this browser remembered was not used: {error.message}."
