"""An editor's filters through AppTest: facets that count what adding them would show, a domain facet, likely
duplicates, typed dates, and a URL that always says exactly what is applied (the table's page and layout too)."""

from __future__ import annotations

import datetime as dt

import pytest

from curation.loading.collection import load_collection
from curation.query.filters import DASHBOARD_FILTERS, Filters
from tests.conftest import write_document
from tests.table_events import TableBrowser, row, row_ids, table_data
from tests.test_app import header, no_exceptions


def url(at) -> dict[str, list[str]]:
    """The query parameters the page last wrote, each as its list of values."""
    return {name: value if isinstance(value, list) else [value] for name, value in at.query_params.items()}


def readable(markdown: str) -> str:
    """Escaped markdown as the editor reads it (backslashes and word joiners taken out)."""
    return markdown.replace("\\", "").replace("\u2060", "")


def sentence(at) -> str:
    return readable(header(at))


def shown_count(at) -> int:
    return int(header(at).split(" · ")[1].removesuffix(" shown").replace(",", ""))


def access_line(at) -> str:
    (popover,) = [block for block in at.get("popover") if block.proto.popover.label.startswith("👤")]
    return popover.proto.popover.label


def test_facet_counts_follow_the_other_filters(app, docs):
    """Under category news, the Type options count news articles only (what adding that type would show),
    while the Category options still count every category (adding one widens the view)."""
    frame = load_collection(docs).frame
    news = frame[frame["category"] == "news"]
    app.run()
    app.multiselect(key="category").select("news").run()
    type_options = app.selectbox(key="type").options
    for value, count in news["type"].value_counts().items():
        assert f"{value} ({count:,})" in type_options
    sport = int((frame["category"] == "sport").sum())
    assert f"sport ({sport:,})" in app.multiselect(key="category").options
    app.selectbox(key="type").select(news["type"].iloc[0]).run()
    assert no_exceptions(app)
    assert shown_count(app) == int((news["type"] == news["type"].iloc[0]).sum())


def test_the_domain_facet_and_a_search_for_a_domain(app, docs):
    frame = load_collection(docs).frame
    domain = frame["domain"].value_counts().index[0]
    count = int((frame["domain"] == domain).sum())
    app.run()
    app.multiselect(key="domain").select(domain).run()
    assert shown_count(app) == count and f"domain {domain}" in sentence(app)
    assert url(app)["domain"] == [domain]
    app.multiselect(key="domain").unselect(domain).run()
    app.text_input(key="search").input(domain).run()
    assert shown_count(app) == len(Filters(search=domain).apply(frame)) >= count


def test_likely_duplicates_are_marked_and_can_be_shown_alone(app, docs):
    """Two files share a webUrl: both carry the mark, and "Only likely duplicates" shows exactly them."""
    for name in ("dup_a.txt", "dup_b.txt"):
        write_document(docs, name, f"---\ntitle: Twin story {name}\nwebUrl: https://example.com/twin\n---\n")
    app.run()
    app.checkbox(key="duplicates").check().run()
    expected = Filters(duplicates_only=True, sort="publishedDateTime", descending=True).apply(
        load_collection(docs).frame
    )
    assert {"dup_a.txt", "dup_b.txt"} <= set(expected.index)
    assert set(row_ids(app)) == set(expected.index[:25]) and "likely duplicates" in sentence(app)
    assert row(app, "dup_a.txt")["duplicate"] and row(app, "dup_b.txt")["duplicate"]
    assert not any(row(app, doc_id)["duplicate"] for doc_id in set(row_ids(app)) - set(expected.index))
    assert url(app)["duplicates"] == ["true"]


def test_a_typed_date_applies_and_a_wrong_one_says_how_to_write_it(app, docs):
    app.run()
    app.text_input(key="since").input("2022-06-02").run()
    frame = load_collection(docs).frame
    since = Filters(since=dt.date(2022, 6, 2)).apply(frame)
    assert "since 2022-06-02" in sentence(app) and shown_count(app) == len(since)
    assert url(app)["since"] == ["2022-06-02"]
    app.text_input(key="until").input("2022-13-01").run()
    assert [readable(error.value) for error in app.error] == [
        "To: '2022-13-01' is not a date; write it as YYYY-MM-DD, e.g. 2024-03-31"
    ]
    assert "until" not in url(app) and shown_count(app) == len(since)  # the wrong date filters nothing


PAGES = ("curation/views/charts.py", "curation/views/gallery.py", "curation/views/problems.py",
         "curation/views/history.py")  # fmt: skip


def test_a_link_with_the_calendars_last_day_opens_every_page(app, docs):
    """`?until=9999-12-31` (with `since=0001-01-01`) is a valid filter: every page draws, sidebar included,
    and the header reads both dates as YYYY-MM-DD."""
    app.query_params["since"] = "0001-01-01"
    app.query_params["until"] = "9999-12-31"
    app.run()
    expected = Filters(since=dt.date.min, until=dt.date.max).apply(load_collection(docs).frame)
    for page in (None, *PAGES):
        if page:
            app.switch_page(page).run()
        assert no_exceptions(app), page
        assert app.text_input(key="until").value == "9999-12-31"  # the sidebar is drawn
        assert "from 0001-01-01 to 9999-12-31" in sentence(app) and shown_count(app) == len(expected)
        assert url(app) == {"since": ["0001-01-01"], "until": ["9999-12-31"]}


@pytest.mark.parametrize(("key", "typed"), [("until", "9999-12-31"), ("since", "0001-01-01"), ("until", "0001-01-01"),
                                            ("since", "9999-12-31")])  # fmt: skip
def test_a_typed_date_on_the_calendars_edge_applies(app, docs, key, typed):
    app.run()
    app.text_input(key=key).input(typed).run()
    day = dt.date.fromisoformat(typed)
    filters = Filters(since=day) if key == "since" else Filters(until=day)
    assert no_exceptions(app) and app.error == []
    assert filters.describe() in sentence(app) and typed in filters.describe()
    assert shown_count(app) == len(filters.apply(load_collection(docs).frame)) and url(app)[key] == [typed]
    app.text_input(key="search").input("a").run()  # the page still answers
    assert no_exceptions(app) and 'matching "a"' in sentence(app)


def test_a_typed_date_beyond_the_calendar_says_how_to_write_it(app):
    app.run()
    app.text_input(key="until").input("0000-12-31").run()
    assert [readable(error.value) for error in app.error] == [
        "To: '0000-12-31' is not a date; write it as YYYY-MM-DD, e.g. 2024-03-31"
    ]
    assert no_exceptions(app) and "until" not in url(app)


def test_a_link_holding_options_labels_filters_by_their_values(app, docs):
    """An old link's `category=politics (1,776)` (a label with a count that has changed since) is the value
    politics, in every facet; the URL is written back with the bare values."""
    frame = load_collection(docs).frame
    first = frame.iloc[0]
    labels = {
        "category": f"{first['category']} (1,776)", "type": f"{first['type']} (12)",
        "provider": f"{first['provider']} (3)", "domain": f"{first['domain']} (3) (0)",
        "topic": f"{first['topics'][0]} (9)",
    }  # fmt: skip
    for name, label in labels.items():
        app.query_params[name] = label
    app.run()
    expected = Filters(
        categories=(first["category"],), type=first["type"], providers=(first["provider"],),
        domains=(first["domain"],), topics=(first["topics"][0],), sort="publishedDateTime", descending=True,
    )  # fmt: skip
    assert no_exceptions(app)
    assert expected.describe() in sentence(app) and shown_count(app) == len(expected.apply(frame)) >= 1
    assert url(app) == expected.to_query(DASHBOARD_FILTERS)
    assert (
        app.multiselect(key="category").value == [first["category"]]
        and app.selectbox(key="type").value == (first["type"])
    )


def test_the_url_always_says_what_is_applied(app):
    """Every filter change rewrites the URL to exactly the applied filters; Reset empties it."""
    app.run()
    assert url(app) == {}  # the dashboard's default view needs no parameters
    app.slider(key="quality").set_range(60, 100).run()
    app.segmented_control(key="published").set_value("unpublished").run()
    app.selectbox(key="sort").select("quality").run()
    app.toggle(key="desc").set_value(False).run()
    applied = Filters(published="unpublished", min_quality=60, sort="quality")
    assert url(app) == applied.to_query(DASHBOARD_FILTERS)
    assert "unpublished · quality ≥ 60" in sentence(app)
    app.button(key="reset_filters").click().run()
    assert url(app) == {} and header(app).endswith("— all articles")


def test_a_link_opens_the_same_view_and_names_what_it_could_not_use(app, docs):
    app.query_params["published"] = "unpublished"
    app.query_params["quality"] = ["60", "abc"]
    app.query_params["rows"] = "50"
    app.query_params["page"] = "2"
    app.run()
    frame = load_collection(docs).frame
    expected = Filters(published="unpublished", sort="publishedDateTime", descending=True).apply(frame)
    assert row_ids(app) == list(expected.index[50:100])  # page 2 of 50 rows
    assert [readable(warning.value) for warning in app.warning if "link" in warning.value] == [
        "the link's quality=60&abc was ignored: give two numbers from 0 to 100, low then high"
    ]
    assert url(app) == {"published": ["unpublished"], "rows": ["50"], "page": ["2"]}  # quality dropped


def test_rows_per_page_the_page_and_the_columns_live_in_the_url(app):
    app.run()
    table = TableBrowser(app)
    table.layout(50, ["provider", "category", "date", "quality", "heat", "topics"])
    assert url(app) == {"rows": ["50"]} and len(row_ids(app)) == 50
    table.turn_to(2)
    assert url(app) == {"rows": ["50"], "page": ["2"]}
    table.layout(50, ["file", "provider", "category", "date", "quality", "heat"])
    assert url(app)["show"] == ["provider", "category", "date", "quality", "heat", "file"]  # in the table's order
    table.layout(100, ["provider", "category", "date", "quality", "heat", "file"])  # the rows: the columns stay
    assert url(app) == {"rows": ["100"], "show": ["provider", "category", "date", "quality", "heat", "file"]}
    assert [column["key"] for column in table_data(app)["columns"]] == url(app)["show"] and len(row_ids(app)) == 100
    table.layout(25, ["provider", "category", "date", "quality", "heat", "file"])  # back to the default rows
    assert url(app) == {"show": ["provider", "category", "date", "quality", "heat", "file"]}  # never show=none
    assert no_exceptions(app)
    app.switch_page("curation/views/charts.py").run()
    assert "page" not in url(app) and "rows" not in url(app)  # the table's layout means nothing on Charts


def test_who_you_are_is_one_line_below_the_filters(app):
    app.run()
    assert access_line(app) == "👤 anonymous · can edit · open to anyone"
    app.text_input(key="editor_name").input("Ann Editor").run()
    assert access_line(app) == "👤 Ann Editor · can edit · open to anyone"


def test_likely_duplicates_are_marked_in_the_gallery(app, docs):
    for name in ("dup_a.txt", "dup_b.txt"):
        write_document(docs, name, f"---\ntitle: Twin story {name}\noriginalUrl: https://example.com/twin\n---\n")
    app.query_params["search"] = "Twin story"
    app.run()
    app.switch_page("curation/views/gallery.py").run()
    titles = [element.value for element in app.markdown if element.value.startswith("**Twin story")]
    assert len(titles) == 2 and all(title.endswith(":violet-badge[likely duplicate]") for title in titles)


def test_the_gallerys_page_lives_in_the_url_and_only_on_the_gallery(app):
    app.query_params["gpage"] = "3"
    app.run()
    assert "gpage" not in url(app)  # the Articles page drops it
    app.query_params["gpage"] = "3"
    app.switch_page("curation/views/gallery.py").run()
    assert app.session_state["gallery_page"] == 3 and url(app)["gpage"] == ["3"]
    app.session_state["gallery_page"] = 1
    app.run()
    assert "gpage" not in url(app)  # the first page is the default
    assert no_exceptions(app)
