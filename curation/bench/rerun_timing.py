"""`curation bench`'s dashboard step: the server-side time of an Articles rerun, through AppTest.

The bench runs this as a program, `python -m curation.bench.rerun_timing FOLDER RUNS`, so that the
library never imports streamlit; it prints the seconds of each rerun as one JSON list. It drives the
checkout's app.py, and exits with NO_APP when there is none (an install without the project's files).
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

from streamlit.testing.v1 import AppTest

from curation.bench.library import NO_APP

APP = Path(__file__).resolve().parents[2] / "app.py"
STATES = ("unpublished", "published", "all")  # the published filter, changed before each timed rerun


def dashboard_reruns(folder: Path, runs: int) -> list[float]:
    """Seconds of each Articles rerun after a change of the published filter, on this folder."""
    os.environ["CURATION_DOCS"] = str(folder)
    app = AppTest.from_file(str(APP), default_timeout=600)
    app.run()
    times = []
    for number in range(runs):
        app.segmented_control(key="published").set_value(STATES[number % len(STATES)])
        start = time.perf_counter()
        app.run()
        times.append(time.perf_counter() - start)
    if app.exception:
        raise RuntimeError(f"the dashboard raised: {app.exception[0].value}")
    return times


def main(argv: list[str]) -> int:
    folder, runs = Path(argv[0]), int(argv[1])
    if not APP.is_file():
        print(f"no app.py at {APP}: the dashboard step needs a checkout of the project", file=sys.stderr)
        return NO_APP
    print(json.dumps(dashboard_reruns(folder, runs)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
