"""A server's scheduler: a background thread that applies due schedules every few seconds.

One per docs location and server process (the dashboard starts it from a
cached resource). It calls the same `run_due_schedules` as `curation
schedule run`, so it writes nothing twice, whatever else runs at the same
time; an error is logged and the thread carries on at the next tick.
"""

from __future__ import annotations

import logging
import threading

from curation.access import is_read_only
from curation.editing.schedule import RUNNER_NAME, run_due_schedules, schedule_interval
from curation.store import Location

log = logging.getLogger(__name__)


class ScheduleRunner:
    """Runs `run_due_schedules(location)` every `interval` seconds on a daemon thread until stopped."""

    def __init__(self, location: Location, interval: float | None = None, editor: str = RUNNER_NAME) -> None:
        self.location, self.editor = location, editor
        self.interval = schedule_interval() if interval is None else interval
        self.runs = 0  # completed ticks
        self._warned: set[str] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"curation-schedule {location}", daemon=True)

    def start(self) -> ScheduleRunner:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def tick(self) -> None:
        """One run; never raises (a server must keep applying schedules after a bad moment)."""
        if is_read_only():
            return  # a read-only server applies nothing; a writer elsewhere does
        try:
            report = run_due_schedules(self.location, editor=self.editor)
        except Exception:  # any failure: logged, and tried again at the next tick
            log.exception("applying due schedules in %s failed; trying again in %s s", self.location, self.interval)
            return
        for problem in report.problems:
            if str(problem) not in self._warned:  # once: the same bad line is read again at every tick
                self._warned.add(str(problem))
                log.warning("%s", problem)
        for schedule, ended in report.ran:
            state = ended.record if ended is not None else "left for the next run"
            log.info("schedule %s (%s %s): %s", schedule.id, schedule.verb, schedule.targets(), state)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.tick()
            self.runs += 1
