"""The docs stay true: docs/cli.md is what the command's --help says, the README stays short, links resolve."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]


def generator():
    spec = importlib.util.spec_from_file_location("generate_cli", REPO / "docs" / "generate_cli.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_cli_page_matches_the_commands_help(monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")  # the generator sets it; restore it after
    cli = generator()
    current = cli.DOC.read_text(encoding="utf-8")
    assert cli.MARKER in current
    assert current == cli.render(current), "docs/cli.md is out of date: run `make docs`"


def test_the_cli_page_lists_every_command():
    cli = generator()
    current = cli.DOC.read_text(encoding="utf-8")
    for command in ("validate", "export", "demo", "publish", "unpublish", "set", "topics", "history", "undo", "index"):
        assert f"## curation {command}\n" in current


def test_the_readme_is_short():
    assert len((REPO / "README.md").read_bytes()) <= 10_000


def test_every_relative_link_points_at_a_file_and_every_anchor_at_a_heading():
    broken = []
    for page in PAGES:
        for target in re.findall(r"\]\(([^)\s]+)\)", page.read_text(encoding="utf-8")):
            if re.match(r"[a-z]+:", target):
                continue  # http(s), mailto: not checked here
            path, _, anchor = target.partition("#")
            linked = (page.parent / path).resolve() if path else page
            if not linked.exists():
                broken.append(f"{page.name}: {target}")
            elif anchor and linked.suffix == ".md" and anchor not in _anchors(linked):
                broken.append(f"{page.name}: {target} (no such heading)")
    assert broken == []


def _anchors(page: Path) -> set[str]:
    """GitHub's anchors for a page's headings: lower case, punctuation dropped, spaces as hyphens."""
    headings = re.findall(r"^#+ (.+)$", page.read_text(encoding="utf-8"), re.M)
    return {re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-") for heading in headings}
