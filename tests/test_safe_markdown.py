"""Document text is data, never markup: only http(s) links and images, and escaped text in every page."""

from __future__ import annotations

import json
import re

import pytest
from streamlit.testing.v1 import AppTest

from curation.safe_markdown import escape_markdown, http_url, markdown_link
from tests.conftest import REPO, write_document


@pytest.mark.parametrize(
    ("url", "safe"),
    [
        ("https://decider.com/a.jpg?quality=75&strip=all", True),
        ("http://example.com/", True),
        ("HTTPS://EXAMPLE.COM/x", True),
        ("javascript:alert(1)", False),
        (" javascript:alert(1)", False),
        ("JaVaScRiPt:alert(1)", False),
        ("data:image/png;base64,AAAA", False),
        ("vbscript:msgbox", False),
        ("//evil.example/x", False),
        ("https://", False),
        ("https://exa mple.com", False),
        ("https://example.com/\nx", False),
        ("ftp://example.com/file", False),
        ("", False),
        (None, False),
        (42, False),
    ],
)
def test_only_http_urls_are_allowed(url, safe):
    assert (http_url(url) is not None) is safe


def test_markdown_is_escaped_and_links_only_for_http():
    assert escape_markdown("**bold** [x](y) <b>") == "\\*\\*bold\\*\\* \\[x\\]\\(y\\) \\<b\\>"
    assert markdown_link("Title", "javascript:alert(1)") == "Title"
    assert markdown_link("A (b)", "https://x.example/a(b)") == "[A \\(b\\)](https://x.example/a%28b%29)"


WJ = "\u2060"  # WORD JOINER: invisible, and not a character any Streamlit link or icon pattern accepts


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("www.evil.example", f"www{WJ}\\.evil\\.example"),
        ("WWW.Evil.example", f"WWW{WJ}\\.Evil\\.example"),
        ("see https://evil.example/x", f"see https\\:{WJ}//evil\\.example/x"),
        ("ann@evil.example", f"ann@{WJ}evil\\.example"),
        (":material/warning:", f"\\:{WJ}material/warning\\:"),
        (":smile: :+1: :-1:", f"\\:{WJ}smile\\: \\:{WJ}\\+1\\: \\:{WJ}\\-1\\:"),
        (":smile::wink:", f"\\:{WJ}smile\\:\\:{WJ}wink\\:"),
        (":streamlit:", f"\\:{WJ}streamlit\\:"),
        (":red[alarm]", f"\\:{WJ}red\\[alarm\\]"),
        ("[x](https:/evil.example)", f"\\[x\\]\\(https\\:{WJ}/evil\\.example\\)"),
        ("&#58;smile&#58; &amp;", "\\&\\#58;smile\\&\\#58; \\&amp;"),
        ("one\r\ntwo\rthree\nfour", "one two three four"),
        ("$x$ ~~y~~ <b>", "\\$x\\$ \\~\\~y\\~\\~ \\<b\\>"),
        ("Plain title, 2024", "Plain title, 2024"),
        # Where no pattern could start, nothing invisible is added: a copied title is the title.
        ("Analysis: the vote, explained", "Analysis\\: the vote, explained"),
        ("Meet @ noon:", "Meet @ noon\\:"),
    ],
)
def test_escape_markdown_output_is_pinned(text, escaped):
    assert escape_markdown(text) == escaped


_ASCII_PUNCTUATION_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")


def streamlit_would_decorate(markdown: str) -> list[str]:
    """What Streamlit 1.67's markdown would turn into a link, an icon or an emoji (a model of its renderer).

    Backslash escapes stop the markdown parser, but remark-gfm's autolink literals, remark-emoji and
    Streamlit's icon plugins run afterwards on the unescaped text; their patterns are copied from
    streamlit/static (StreamlitMarkdown, remark-emoji).
    """
    found = []
    if re.search(r"(?<!\\)\[[^\]]*(?<!\\)\]\(", markdown):
        found.append("link")
    if re.search(r"(?<!\\):[a-z][a-z0-9-]*\[", markdown):
        found.append("directive")
    # Streamlit rewrites `:material/` in the source; then character references (an unescaped `&`) and
    # backslash escapes are resolved into the text the plugins see.
    text = markdown.replace(":material/", ":material_")
    text = re.sub(r"(?<!\\)&#(\d+);", lambda match: chr(int(match.group(1))), text)
    text = _ASCII_PUNCTUATION_ESCAPE.sub(r"\1", text)
    patterns = {
        "autolink": r"(?i)(https?://|www(?=\.))[-.\w]+",
        "email": r"[-.\w+]+@[-\w]+(?:\.[-\w]+)+",
        "icon": r":material_\w+:",
        "logo": r":streamlit:",
        "emoji": r":\+1:|:-1:|:[\w-]+:",
    }
    found += [name for name, pattern in patterns.items() if re.search(pattern, text, re.ASCII)]
    return found


HOSTILE_TEXTS = [
    "www.evil.example",
    "read https://evil.example/x now",
    "mail ann@evil.example",
    ":material/warning: and :smile:",
    ":streamlit:",
    ":red[alarm]",
    "[x](https:/evil.example)",
    "http&#58;//evil.example &#58;smile&#58;",
    ":smile::wink: :+1: :-1: a@-b.example",
]


@pytest.mark.parametrize("text", HOSTILE_TEXTS)
def test_escaped_text_renders_as_text(text):
    """Each sample would become a link, icon or emoji raw (the model is not vacuous), and none does escaped."""
    assert streamlit_would_decorate(text)
    assert streamlit_would_decorate(escape_markdown(text)) == []


def test_markdown_link_links_only_the_given_url():
    link = markdown_link("www.evil.example :smile:", "https://news.example/a")
    assert link == f"[www{WJ}\\.evil\\.example \\:{WJ}smile\\:](https://news.example/a)"
    assert streamlit_would_decorate(link.replace("(https://news.example/a)", "")) == []


HOSTILE_TITLE = (
    "Read www.evil.example or https://evil.example :material/warning: ann@evil.example [x](https:/evil.example)"
)


@pytest.fixture
def hostile_gallery(docs, monkeypatch):
    write_document(
        docs,
        "hostile.txt",
        f'---\ntitle: {json.dumps(HOSTILE_TITLE)}\nwebUrl: "https://news.example/real"\n'
        'provider:\n  name: ":material/verified: www.evil.example"\ntopics: [":smile:", "bob@evil.example"]\n---\n',
    )
    monkeypatch.setenv("CURATION_DOCS", str(docs))
    monkeypatch.delenv("CURATION_READ_ONLY", raising=False)
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=60)
    at.query_params["search"] = "evil.example"  # "evil" alone also finds the demo articles about Seville
    at.run()
    return at.switch_page("curation/views/gallery.py").run()


def test_the_gallery_links_only_the_articles_own_url(hostile_gallery):
    """A hostile title, provider and topics show as text; the title links to the article's URL and nowhere else."""
    at = hostile_gallery
    assert not at.exception
    (card_title,) = [element.value for element in at.markdown if "material" in element.value]
    assert card_title == (
        f"**[Read www{WJ}\\.evil\\.example or https\\:{WJ}//evil\\.example \\:{WJ}material/warning\\: "
        f"ann@{WJ}evil\\.example \\[x\\]\\(https\\:{WJ}/evil\\.example\\)](https://news.example/real)**"
    )
    assert streamlit_would_decorate(card_title.replace("](https://news.example/real)", "]")) == []
    captions = [element.value for element in at.caption if "evil" in element.value or "smile" in element.value]
    assert len(captions) == 2
    assert all(streamlit_would_decorate(caption) == [] for caption in captions)


def test_the_header_shows_a_hostile_search_as_text(docs, monkeypatch):
    """A shared link's search text is shown in every page's header, never as a link."""
    monkeypatch.setenv("CURATION_DOCS", str(docs))
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=60)
    at.query_params["search"] = "[x](https://evil.example) :material/home:"
    at.run()
    header = at.markdown[0].value
    assert header.endswith(f'— matching "\\[x\\]\\(https\\:{WJ}//evil\\.example\\) \\:{WJ}material/home\\:"')
    assert streamlit_would_decorate(header) == []
