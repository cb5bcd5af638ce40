"""The package's layers: the library (curation/ but views/) never imports streamlit, and a one-file
publish does not pay for pandas."""

from __future__ import annotations

import ast
import json
import subprocess
import sys

from tests.conftest import REPO

LIBRARY = REPO / "curation"
VIEWS = LIBRARY / "views"
BENCH = LIBRARY / "bench"  # it drives the dashboard with AppTest (curation.bench.rerun_timing)


def streamlit_imports(source: str, name: str) -> list[str]:
    """Every import of streamlit in the source, at the top or inside a function: `name:line module`."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and not node.level:
            modules = [node.module or ""]
        elif isinstance(node, ast.Call) and _called_name(node) in ("import_module", "__import__"):
            modules = [arg.value for arg in node.args[:1] if isinstance(arg, ast.Constant)]
        else:
            continue
        found += [f"{name}:{node.lineno} {module}" for module in modules if module.split(".")[0] == "streamlit"]
    return found


def _called_name(call: ast.Call) -> str:
    return getattr(call.func, "attr", None) or getattr(call.func, "id", "")


def test_the_scan_finds_every_way_to_import_streamlit():
    sample = (
        "import streamlit as st\n"
        "import streamlit_extras, os\n"
        "def step():\n"
        "    from streamlit.testing.v1 import AppTest\n"
        "    importlib.import_module('streamlit.runtime')\n"
        "from curation import streamlit_free\n"
    )
    assert streamlit_imports(sample, "x.py") == [
        "x.py:1 streamlit",
        "x.py:4 streamlit.testing.v1",
        "x.py:5 streamlit.runtime",
    ]


def test_no_library_module_imports_streamlit():
    """Only curation/views/ (and app.py, and the benchmarks that drive it) may: caching and widgets belong to
    the dashboard."""
    library = [path for path in sorted(LIBRARY.rglob("*.py")) if not {VIEWS, BENCH} & set(path.parents)]
    assert len(library) > 20
    found = [hit for path in library for hit in streamlit_imports(path.read_text(), str(path.relative_to(REPO)))]
    assert found == []


def test_importing_the_whole_library_loads_no_streamlit():
    """Not even through another module: every library module imported in a fresh process."""
    script = (
        "import importlib, pkgutil, sys, curation\n"
        "names = [m.name for m in pkgutil.walk_packages(curation.__path__, 'curation.')]\n"
        "names = [n for n in names if not n.startswith(('curation.views', 'curation.bench'))]\n"
        "names = [n for n in names if n != 'curation.__main__']\n"
        "for name in names: importlib.import_module(name)\n"
        "print(len(names), sorted(m for m in sys.modules if m.split('.')[0] == 'streamlit'))\n"
    )
    count, loaded = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=REPO
    ).stdout.split(" ", 1)
    assert int(count) > 40 and loaded.strip() == "[]"


def test_a_one_file_publish_does_not_import_pandas():
    script = "import curation.editing.publish, sys; print('pandas' in sys.modules)"
    finished = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=REPO)
    assert finished.stdout.strip() == "False"


def test_the_bench_times_dashboard_reruns_in_a_process_of_its_own(docs):
    """`curation bench`'s dashboard step, as the bench runs it: a JSON list of one time per rerun."""
    command = [sys.executable, "-m", "curation.bench.rerun_timing", str(docs), "2"]
    finished = subprocess.run(command, capture_output=True, text=True, check=True, cwd=REPO, timeout=300)
    times = json.loads(finished.stdout.splitlines()[-1])
    assert len(times) == 2 and all(0 < seconds < 300 for seconds in times)


def test_the_server_config_keeps_its_safe_and_fast_settings():
    """XSRF protection and no error details for whoever reaches the app; and no gc.collect(2) after each
    run, which held the GIL for 25-70 ms while the run's messages waited to be sent (BENCHMARKS.md)."""
    import tomllib

    config = tomllib.loads((REPO / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["server"]["enableXsrfProtection"] is True
    assert config["client"]["showErrorDetails"] == "none"
    assert config["runner"]["postScriptGC"] is False
