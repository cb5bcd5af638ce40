"""The sidebar's saved views, above the filters: open one, save the current filters as one, rename, delete.

A view is opened by setting the filter widgets to its filters (the URL then
carries them and `view=NAME`, for as long as the filters are still the
view's); `/?view=NAME` on any page opens it in a fresh tab. The views file is
read once a run, and parsed again only when its version changed (a stat in a
folder, a conditional GET in a bucket): the sidebar draws on every rerun.
Saving, renaming and deleting go through curation.query.saved_views, so they
are applied to the newest file; when another editor changed the same view
meanwhile, the editor is told who and when, and may overwrite.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from curation.errors import CurationError
from curation.query.filters import Filters
from curation.query.saved_views import (
    MAX_VIEW_NAME,
    VIEW_PARAMETER,
    SavedView,
    SavedViews,
    ViewConflictError,
    check_view_name,
    delete_view,
    describe_view,
    read_views,
    rename_view,
    save_view,
    unknown_view_message,
)
from curation.safe_markdown import escape_markdown
from curation.store import Location
from curation.views.access import Identity
from curation.views.sidebar import SEEDED_KEY, URL_COMPLAINTS_KEY, widget_values
from curation.views.url_state import write_parameter

OPENED_KEY = "_view_opened"  # the name of the view whose filters are applied, while they are
NOTICE_KEY = "_view_notice"  # (kind, markdown) to show once under the views
PENDING_KEY = "_view_pending"  # a save waiting for "Overwrite", or a delete for "Delete" (Pending)
SAVE_NAME_KEY = "view_save_name"
CHOSEN_KEY = "view_chosen"
NEW_NAME_KEY = "view_new_name"


@st.cache_resource(show_spinner=False)
def _known_views() -> dict[str, SavedViews]:
    """The views file last read per location, shared by the sessions of this server (parsed once a version)."""
    return {}


def current_views(location: Location) -> tuple[SavedViews, str]:
    """The location's saved views, and why they could not be read ("" when they could)."""
    known = _known_views()
    try:
        views = read_views(location, known.get(str(location)))
    except CurationError as error:  # a views file that is not one, a link, a bucket out of reach
        return SavedViews(), str(error)
    known[str(location)] = views
    return views, ""


@dataclass(frozen=True)
class Pending:
    """What waits for the editor's choice: "overwrite" a view by `name` (`token`: the version they were shown;
    None: overwrite whatever is there), or "delete" it."""

    action: str
    name: str
    token: str | None
    message: str  # markdown


def _notice(kind: str, text: str) -> None:
    st.session_state[NOTICE_KEY] = (kind, text)


def _view_key(prefix: str, name: str) -> str:
    return f"{prefix}_{hashlib.sha256(name.encode('utf-8')).hexdigest()[:12]}"


def _complaints_text(views: SavedViews, view: SavedView, complaints: list[str]) -> str:
    return escape_markdown(f"{views.shown}: view {view.name!r}: {'; '.join(complaints)}")


def open_view(views: SavedViews, view: SavedView) -> None:
    """Button callback: apply the view's filters and sort (what cannot be used of them is named)."""
    filters, complaints = view.filters()
    st.session_state.update(widget_values(filters))
    st.session_state[OPENED_KEY] = view.name
    st.session_state.pop(PENDING_KEY, None)
    if complaints:
        _notice("warning", _complaints_text(views, view, complaints) + " (left out)")


class SavedViewsSidebar:
    """The views section of one run: opened before the filters are drawn, drawn once they are applied."""

    def __init__(self, location: Location, area: DeltaGenerator, identity: Identity) -> None:
        self.location, self.identity = location, identity
        self.views, self.problem = current_views(location)
        self.area = area.container(key="saved_views")  # above the filters, which are drawn into `area` next
        self._open_from_url()

    def _open_from_url(self) -> None:
        """On a session's first run, `?view=NAME` applies the view (filter parameters in the URL on top)."""
        if st.session_state.get(SEEDED_KEY) or not st.query_params.get_all(VIEW_PARAMETER):
            return
        name = st.query_params.get_all(VIEW_PARAMETER)[-1]
        view = self.views.get(name)
        if view is None:
            reason = self.problem or unknown_view_message(name, self.views.names())
            _notice("warning", f"The link's view could not be opened: {escape_markdown(reason)}")
            write_parameter(VIEW_PARAMETER, [])
            return
        base, complaints = view.filters()
        params = {parameter: st.query_params.get_all(parameter) for parameter in st.query_params}
        filters, url_complaints = Filters.from_query(params, base)
        st.session_state.update(widget_values(filters))
        st.session_state[URL_COMPLAINTS_KEY] = url_complaints
        st.session_state[SEEDED_KEY] = True  # the sidebar's seed_from_url: done
        st.session_state[OPENED_KEY] = view.name
        if complaints:
            _notice("warning", _complaints_text(self.views, view, complaints) + " (left out)")

    def draw(self, applied: Filters) -> None:
        """The list of views and the save, rename and delete controls; the URL's `view` follows what is applied."""
        opened = self._keep_view_in_url(applied)
        area = self.area
        heading, manage = area.columns([2, 3], vertical_alignment="center")
        heading.subheader("Views")
        with manage.popover("Save as…", icon=":material/bookmark_add:", width="stretch"):
            self._draw_save(applied)
            if self.views.views:
                self._draw_manage()
        if self.problem:
            area.warning(escape_markdown(self.problem), icon="🔖")
        for problem in self.views.problems:
            area.warning(escape_markdown(problem), icon="🔖")
        notice = st.session_state.pop(NOTICE_KEY, None)
        if notice is not None:
            kind, text = notice
            if kind in ("success", "info"):
                st.toast(text, icon="✅" if kind == "success" else "ℹ️")
            else:
                (area.error if kind == "error" else area.warning)(text)
        for view in self.views.views:
            filters, complaints = view.filters()
            area.button(
                escape_markdown(view.name), key=_view_key("open_view", view.name), on_click=open_view,
                args=(self.views, view), icon=":material/bookmark:", width="stretch",
                type="primary" if view.name == opened else "secondary",
                help=escape_markdown(f"{describe_view(filters)} · {view.saved_text()}"),
            )  # fmt: skip
            if complaints:
                area.warning(_complaints_text(self.views, view, complaints), icon="🔖")
        self._draw_pending(area, applied)

    def _keep_view_in_url(self, applied: Filters) -> str | None:
        """The opened view's name while its filters are what is applied (in the URL as `view=NAME`), else None."""
        name = st.session_state.get(OPENED_KEY)
        view = self.views.get(name) if name else None
        if view is None or view.filters()[0] != applied:
            st.session_state.pop(OPENED_KEY, None)
            name = None
        write_parameter(VIEW_PARAMETER, [name] if name else [])
        return name

    @property
    def _disabled(self) -> bool:
        return not self.identity.can_edit

    def _why_not(self) -> str | None:
        return f"Read-only: {self.identity.why_not}" if self._disabled else None

    def _draw_save(self, applied: Filters) -> None:
        st.markdown("**Save current filters as…**")  # what they are, in words, is the page's header
        st.text_input(
            "View name", key=SAVE_NAME_KEY, max_chars=MAX_VIEW_NAME, disabled=self._disabled,
            placeholder="e.g. Morning queue", help=self._why_not(),
        )  # fmt: skip
        st.button(
            "Save view", key="view_save", on_click=self.save, args=(applied,), disabled=self._disabled,
            icon=":material/save:", help=self._why_not() or escape_markdown(f"Saves {describe_view(applied)}"),
        )  # fmt: skip

    def _draw_manage(self) -> None:
        st.divider()
        st.markdown("**Rename or delete a view**")
        st.selectbox("View", self.views.names(), key=CHOSEN_KEY, disabled=self._disabled)
        st.text_input("New name", key=NEW_NAME_KEY, max_chars=MAX_VIEW_NAME, disabled=self._disabled)
        rename, delete = st.columns(2)
        rename.button("Rename", key="view_rename", on_click=self.rename, disabled=self._disabled,
                      help=self._why_not(), width="stretch")  # fmt: skip
        delete.button("Delete…", key="view_delete", on_click=self.ask_delete, disabled=self._disabled,
                      help=self._why_not(), width="stretch")  # fmt: skip

    def _draw_pending(self, area: DeltaGenerator, applied: Filters) -> None:
        pending: Pending | None = st.session_state.get(PENDING_KEY)
        if pending is None:
            return
        box = area.container(key="view_pending", border=True)
        box.warning(pending.message, icon="⚠️")
        confirm, cancel = box.columns(2)
        if pending.action == "overwrite":
            confirm.button("Overwrite", key="view_overwrite", on_click=self.save, args=(applied, pending),
                           type="primary", disabled=self._disabled, width="stretch")  # fmt: skip
        else:
            confirm.button("Delete", key="view_delete_confirm", on_click=self.delete, args=(pending,),
                           type="primary", disabled=self._disabled, width="stretch")  # fmt: skip
        cancel.button("Cancel", key="view_cancel", on_click=st.session_state.pop, args=(PENDING_KEY, None),
                      width="stretch")  # fmt: skip

    # -- callbacks (the controls are disabled for read-only users; these check again) ---------------------

    def _may_write(self) -> bool:
        if self._disabled:
            _notice("error", f"Nothing was saved: {escape_markdown(self.identity.why_not)}.")
        return not self._disabled

    def save(self, applied: Filters, pending: Pending | None = None) -> None:
        """Save the applied filters under the typed name (or the pending one's, when overwriting)."""
        st.session_state.pop(PENDING_KEY, None)
        if not self._may_write():
            return
        if pending is None:
            try:
                name = check_view_name(st.session_state.get(SAVE_NAME_KEY))
            except CurationError as error:
                _notice("error", escape_markdown(str(error)))
                return
            shown = self.views.get(name)
            if shown is not None and shown.query == SavedView.of(name, applied, self.identity.name).query:
                _notice("info", f"View {escape_markdown(name)} holds these filters already; nothing was saved.")
                return
            if shown is not None:  # the editor sees it in the list: ask before replacing it
                message = f"A view named {name} exists ({shown.saved_text()}). Overwrite it with the current filters?"
                st.session_state[PENDING_KEY] = Pending("overwrite", name, shown.token, escape_markdown(message))
                return
            seen = None
        else:
            name, seen = pending.name, pending.token
        try:
            save_view(self.location, name, applied, self.identity.name, seen=seen)
        except ViewConflictError as error:
            current = error.view
            message = f"{error.message[0].upper()}{error.message[1:]}. Overwrite it with the current filters?"
            token = current.token if current is not None else None
            st.session_state[PENDING_KEY] = Pending("overwrite", name, token, escape_markdown(message))
            return
        except CurationError as error:
            _notice("error", f"The view was not saved: {escape_markdown(str(error))}")
            return
        st.session_state[OPENED_KEY] = name
        st.session_state[SAVE_NAME_KEY] = ""
        _notice("success", f"Saved view {escape_markdown(name)}")

    def rename(self) -> None:
        old = st.session_state.get(CHOSEN_KEY)
        view = self.views.get(old) if old else None
        if view is None or not self._may_write():
            return
        try:
            renamed = rename_view(self.location, view.name, st.session_state.get(NEW_NAME_KEY) or "",
                                  self.identity.name, seen=view.token)  # fmt: skip
        except CurationError as error:
            _notice("error", f"The view was not renamed: {escape_markdown(str(error))}")
            return
        if st.session_state.get(OPENED_KEY) == view.name:
            st.session_state[OPENED_KEY] = renamed.name
        st.session_state[NEW_NAME_KEY] = ""
        st.session_state[CHOSEN_KEY] = renamed.name
        _notice("success", f"Renamed view {escape_markdown(view.name)} to {escape_markdown(renamed.name)}")

    def ask_delete(self) -> None:
        old = st.session_state.get(CHOSEN_KEY)
        view = self.views.get(old) if old else None
        if view is not None and self._may_write():
            message = f"Delete the view {view.name} ({view.saved_text()}) for everyone?"
            st.session_state[PENDING_KEY] = Pending("delete", view.name, view.token, escape_markdown(message))

    def delete(self, pending: Pending) -> None:
        st.session_state.pop(PENDING_KEY, None)
        if not self._may_write():
            return
        try:
            delete_view(self.location, pending.name, seen=pending.token)
        except CurationError as error:
            _notice("error", f"The view was not deleted: {escape_markdown(str(error))}")
            return
        st.session_state.pop(CHOSEN_KEY, None)
        _notice("success", f"Deleted view {escape_markdown(pending.name)}")
