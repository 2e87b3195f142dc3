"""The statistics' figures kept by what they depend on, and computed ahead.

Shared by every stats screen and by the home screen, which asks for them ahead when
the user leaves it alone (``warm``): the stats screen then finds them ready. A
module of its own because screens do not import each other.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, tzinfo
from functools import partial
from typing import TYPE_CHECKING

from dlquiz import stats as stats_core
from dlquiz import workspace as workspace_mod
from dlquiz.session import study_day
from dlquiz.stats import Stats

if TYPE_CHECKING:
    from dlquiz.tui.app import DLQuizApp

# Results by what they depend on (see ``action_refresh``), shared by every stats
# screen: reopening it with nothing new in the log shows the figures at once, and a
# screen opened while another one's computation runs waits for that one instead of
# starting a second (a closed screen's computation cannot be interrupted).
_RESULTS: dict[tuple[object, ...], Stats] = {}
_RUNNING: dict[tuple[object, ...], threading.Event] = {}
_LOCK = threading.Lock()
_KEEP = 4


def cached_result(key: tuple[object, ...]) -> Stats | None:
    with _LOCK:
        return _RESULTS.get(key)


def shared_result(key: tuple[object, ...], compute: Callable[[], Stats]) -> Stats:
    """``compute()``'s result for ``key``, computed once even when asked concurrently."""
    while True:
        with _LOCK:
            if key in _RESULTS:
                return _RESULTS[key]
            running = _RUNNING.get(key)
            mine = running is None
            if running is None:
                running = _RUNNING[key] = threading.Event()
        if not mine:
            running.wait()
            continue  # its result is cached now, or it failed and we try ourselves
        try:
            result = compute()
            with _LOCK:
                _RESULTS[key] = result
                while len(_RESULTS) > _KEEP:
                    del _RESULTS[next(iter(_RESULTS))]  # the oldest
            return result
        finally:
            with _LOCK:
                del _RUNNING[key]
            running.set()


@dataclass(frozen=True)
class Asked:
    """What the figures asked for now depend on, and the key they are kept under."""

    key: tuple[object, ...]
    now: datetime
    tz: tzinfo
    hour: int

    @classmethod
    def of(cls, app: DLQuizApp, tz: tzinfo | None) -> Asked:
        study = app.study
        now = app.clock()
        tz = tz or workspace_mod.local_tz()
        hour = study.settings.day_starts_at_hour
        try:
            log = study.log_path.stat()
            log_key: tuple[object, ...] = (str(study.log_path), log.st_size, log.st_mtime_ns)
        except OSError:
            log_key = (str(study.log_path), None)
        # The figures depend on nothing else: the log (cards and marks derive from it),
        # the deck, and the study day they are counted in.
        key = (
            id(study),  # this app's session: another one computes afresh
            *log_key,
            len(study.deck),
            study_day(now, tz, hour),
            tz,
            hour,
        )
        return cls(key, now, tz, hour)


def saving_device(app: DLQuizApp) -> str | None:
    """The device the tally is saved for (None: a read-only session writes nothing)."""
    study = app.study
    return None if study.read_only else study.device


def warm(app: DLQuizApp) -> bool:
    """Compute the figures the stats screen would show now, in a thread, unless they
    are kept or being computed already (then False). The screen, opened meanwhile,
    waits for this computation instead of starting its own (``shared_result``)."""
    asked = Asked.of(app, None)
    with _LOCK:
        if asked.key in _RESULTS or asked.key in _RUNNING:
            return False
    study = app.study
    cards, deck, home, device = dict(study.cards), study.deck, study.home, saving_device(app)

    def compute() -> Stats:
        return stats_core.compute_home(home, cards, deck, asked.now, asked.tz, asked.hour, device)

    app.run_worker(
        partial(shared_result, asked.key, compute),
        thread=True,
        group="stats-ahead",
        exclusive=True,
        exit_on_error=False,  # the screen computes (and reports) for itself
        description="statistics ahead",
    )
    return True
