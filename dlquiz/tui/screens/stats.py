"""Statistics with pictures: a review heatmap, the due forecast, retention, streaks, mastery.

The figures come from ``dlquiz.stats.compute_home`` (the figures of ``dlquiz stats``),
run in a thread worker because it reads the whole review log the first time: the
screen shows "Computing…" meanwhile and stays responsive. Later it reads only what
was appended, and the home screen may have had them computed ahead (``stats_ahead``).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, Vertical, VerticalScroll
from textual.reactive import reactive
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Static
from textual.worker import Worker, WorkerState, get_current_worker

from dlquiz import stats as stats_core
from dlquiz import stats_log
from dlquiz.cards import CardSpec
from dlquiz.questions import families, family_title
from dlquiz.scheduler import CardState
from dlquiz.session import study_day
from dlquiz.stats import HISTORY_DAYS, MASTERY_DAYS, RECENT_DAYS, Ratio, Stats
from dlquiz.tui.markup import escape
from dlquiz.tui.reuse import KeepsStyles, kept_screen
from dlquiz.tui.stats_ahead import Asked, cached_result, saving_device, shared_result
from dlquiz.tui.widgets.card_parts import TitleBar
from dlquiz.tui.widgets.footer import LineFooter
from dlquiz.tui.widgets.stats_widgets import ForecastChart, Heatmap, MasteryTable

if TYPE_CHECKING:
    from dlquiz.tui.app import DLQuizApp

COMPUTING = "Computing statistics…"
SCREEN_NAME = "stats"  # the name the kept screen is installed under
NO_RETENTION = "no reviews of learned cards yet"


def _days(n: int) -> str:
    return f"{n} day" if n == 1 else f"{n} days"


def _percent(ratio: Ratio) -> str:
    return "n/a" if ratio.share is None else f"{ratio.share:.0%}"


def _tile(value: str, label: str, detail: str) -> str:
    """A tile's markup: big value, what it is, a muted detail line."""
    return f"[b $accent]{value}[/]\n{label}\n[$text-muted]{detail}[/]"


def held_due(
    stats: Stats,
    suspended: set[str],
    cards: Mapping[str, CardState],
    deck: Mapping[str, CardSpec],
    tz: tzinfo,
    hour: int,
) -> int:
    """Suspended deck cards the forecast counts. It counts every deck card, suspended
    ones too (as `dlquiz stats` does); the screen says how many will not come up."""
    return sum(
        1
        for card_id in suspended
        if card_id in deck
        and card_id in cards
        and (study_day(cards[card_id].due_at, tz, hour) - stats.today).days < len(stats.forecast)
    )


def stats_screen(app: DLQuizApp) -> StatsScreen:
    """The statistics screen to push: the one shown before (kept, with its figures,
    refreshed as it opens: at once when nothing new is in the log), else a new one."""
    return kept_screen(app, SCREEN_NAME, StatsScreen, StatsScreen, lambda old: old.tz is None)


class StatsScreen(KeepsStyles, Screen[None]):
    """How your studying is going, computed off the UI thread."""

    DEFAULT_CSS = """
    StatsScreen #stats {
        padding: 0 1;
        /* The scrollbar from the start: the figures, taller than the screen, are laid
           out at the width they keep, not again once it comes in. */
        overflow-y: scroll;
    }
    StatsScreen #stats-status {
        color: $text-muted;
        margin-bottom: 1;
    }
    StatsScreen #stats-body {
        height: auto;
    }
    StatsScreen #stats-tiles {
        grid-size: 4;
        grid-gutter: 0 1;
        grid-rows: auto;
        height: auto;
    }
    StatsScreen .tile {
        height: 100%;
        min-height: 5;
        padding: 0 0 0 1;
        border: round $primary;
    }
    StatsScreen .section {
        text-style: bold;
        margin-top: 1;
    }
    StatsScreen .note {
        color: $text-muted;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back"),
        Binding("r", "refresh", "Refresh"),
    ]

    app: DLQuizApp

    computing: reactive[bool] = reactive(False, bindings=True)

    def __init__(self, tz: tzinfo | None = None) -> None:
        """``tz``: the timezone study days are counted in (default: the local one)."""
        super().__init__()
        self.tz = tz
        self.stats: Stats | None = None
        self._painted = threading.Event()
        self._reopen = False  # shown again (kept by stats_screen): refresh as it shows
        self._shown: tuple[object, ...] = ()  # what the figures on screen were made from

    def compose(self) -> ComposeResult:
        # Only what is shown while computing: the figures' widgets are mounted with
        # the first result, so the screen opens as fast as an empty one.
        yield TitleBar()
        with VerticalScroll(id="stats"):
            yield Static(COMPUTING, id="stats-status")
            yield Vertical(id="stats-body")
        yield LineFooter()

    @staticmethod
    def _body() -> list[Widget]:
        """The widgets the figures go into (empty until ``_show`` fills them)."""
        return [
            Grid(
                *(
                    Static(id=f"tile-{name}", classes="tile")
                    for name in ("today", "streak", "retention", "cards")
                ),
                id="stats-tiles",
            ),
            Static(id="retention", classes="note"),
            Static(f"Reviews per day · last {HISTORY_DAYS // 7} weeks", classes="section"),
            Heatmap(id="heatmap"),
            Static(id="heatmap-summary", classes="note"),
            Static(id="forecast-title", classes="section"),
            ForecastChart(id="forecast"),
            Static(id="forecast-counts"),
            Static("Mastery by topic tag", classes="section"),
            MasteryTable("Tag", id="mastery-tags"),
            Static("Mastery by skill family", classes="section"),
            MasteryTable("Family", id="mastery-families"),
            Static(id="families-note", classes="note"),
            Static(id="mistakes", classes="note"),
            Static(
                f"Mastered: stability of {MASTERY_DAYS:.0f} days or more (the card would "
                "still be recalled 9 times in 10 after three weeks). Share: mastered among "
                "studied cards. Click a column header to sort.",
                classes="note",
            ),
        ]

    def on_mount(self) -> None:
        self.query_one("#stats-body").display = False  # nothing to show before the first result
        # The computation's thread competes for the GIL: it starts now (so that it
        # exists for whoever waits on it) but computes once the first frame is drawn
        # (see on_screen_resume).
        self.action_refresh()

    def reopened(self) -> None:
        self._reopen = True
        self._painted.clear()

    def on_screen_resume(self) -> None:
        # Asked here, not in on_mount: callbacks after a refresh belong to the screen on
        # top, which during on_mount is still the one below. Not straight after the
        # first frame: the computation then held up the frames that follow it.
        self.call_after_refresh(self._painted.set)
        if self._reopen:
            self._reopen = False
            self.action_refresh()

    # ----- actions ------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "refresh" and self.computing:
            return None  # shown greyed out: a computation is already under way
        return True

    def action_back(self) -> None:
        self.dismiss()

    def action_refresh(self) -> None:
        """Start a computation with a snapshot of the current state."""
        app = self.app
        study = app.study
        self.computing = True
        suspended = {card_id for card_id, marks in study.marks.items() if marks.suspended}
        asked = Asked.of(app, self.tz)
        now, tz, hour = asked.now, asked.tz, asked.hour
        cached = cached_result(asked.key)
        if cached is not None:  # shown at once, without a thread (e.g. reopened)
            self.workers.cancel_group(self, "stats")
            held = held_due(cached, suspended, study.cards, study.deck, tz, hour)
            self.call_next(self._show, cached, now.astimezone(tz), held)
            return
        self.query_one("#stats-status", Static).update(COMPUTING)
        self._compute(
            app,
            asked.key,
            dict(study.cards),  # a copy: reviews elsewhere must not change it mid-computation
            suspended,
            app.study.deck,
            now,
            tz,
            hour,
        )

    # ----- the worker ---------------------------------------------------------------

    # A description of its own: Textual's default is the repr of every argument (the
    # card states and the deck: half a second at 100k cards, on the UI thread).
    @work(thread=True, exclusive=True, exit_on_error=False, group="stats", description="statistics")
    def _compute(
        self,
        app: DLQuizApp,
        key: tuple[object, ...],
        cards: dict[str, CardState],
        suspended: set[str],
        deck: dict[str, CardSpec],
        now: datetime,
        tz: tzinfo,
        hour: int,
    ) -> None:
        # ``app`` is passed in: a screen closed meanwhile no longer knows its app.
        if cached_result(key) is None:
            self._painted.wait(1.0)
        device = saving_device(app)

        def compute() -> Stats:
            # The whole log the first time ever (off the UI thread), then only what was
            # appended since: the tally of the rest is kept, and saved for the next run.
            # The tally's file is saved once the figures are on screen (_save_tally).
            return stats_core.compute_home(
                app.study.home, cards, deck, now, tz, hour, device, save_later=True
            )

        stats = shared_result(key, compute)
        held = held_due(stats, suspended, cards, deck, tz, hour)
        if stats.mistakes or any(m.studied for m in stats.mastery_by_family.values()):
            families()  # the family titles the figures show, loaded here (~20 ms)
        if not get_current_worker().is_cancelled:
            # _show is async (it mounts the figures' widgets first); Textual awaits it,
            # but its signature cannot infer a coroutine's result type.
            app.call_from_thread(self._show, stats, now.astimezone(tz), held)  # type: ignore[arg-type]
        if self.stats is not stats:
            # Not shown (the screen closed, or a newer computation took over): what
            # would have been saved once they were, and the log's records, go now.
            stats_log.save_kept()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "stats" or event.state != WorkerState.ERROR:
            return
        self.computing = False
        error = event.worker.error
        self.query_one("#stats-status", Static).update(
            f"[$error]Could not compute the statistics: "
            f"{escape(f'{type(error).__name__}: {error}')}[/]\n"
            "Press r to try again."
        )

    # ----- showing the result -------------------------------------------------------

    async def _show(self, stats: Stats, now: datetime, suspended_due: int = 0) -> None:
        if not self.is_attached:
            return  # the screen was closed while computing
        shown = (stats, f"{now:%H:%M}", suspended_due)
        if shown == self._shown:  # reopened, nothing new: the figures are as they were
            self.computing = False
            return
        self._shown = shown
        body = self.query_one("#stats-body")
        if not body.children:
            await body.mount_all(self._body())
            if not self.is_attached:
                return
        # One layout and one paint for all of it, not one per widget filled.
        with self.app.batch_update():
            self._fill(stats, now, suspended_due)
        self.call_after_refresh(self._save_tally)

    @work(thread=True, exit_on_error=False, group="stats-save", description="saving the tally")
    def _save_tally(self) -> None:
        stats_log.save_kept()  # nothing if there is nothing new to save

    def _fill(self, stats: Stats, now: datetime, suspended_due: int) -> None:
        self.stats = stats
        self.computing = False
        self.query_one("#stats-status", Static).update(
            f"Study day {stats.today:%a} {stats.today.day} {stats.today:%b %Y} · days begin at "
            f"{stats.day_starts_at_hour:02d}:00 · as of {now:%H:%M}"
        )
        self._show_summary(stats)
        self.query_one(Heatmap).show(stats.per_day, stats.today)
        active = [n for n in stats.per_day.values() if n]
        self.query_one("#heatmap-summary", Static).update(
            f"{sum(active)} reviews on {_days(len(active))} in the last {HISTORY_DAYS // 7} weeks"
            if active
            else "No reviews in this period yet: every answered card adds to the map."
        )
        self._show_forecast(stats, suspended_due)
        self.query_one("#mastery-tags", MasteryTable).show(stats.mastery_by_tag)
        started = {k: m for k, m in stats.mastery_by_family.items() if m.studied}
        by_family = self.query_one("#mastery-families", MasteryTable)
        by_family.show({family_title(k): m for k, m in started.items()})
        by_family.display = bool(started)
        untouched = len(stats.mastery_by_family) - len(started)
        self.query_one("#families-note", Static).update(
            "No skill family started yet."
            if not started
            else f"{untouched} more skill families not started yet."
            if untouched
            else ""
        )
        mistakes = self.query_one("#mistakes", Static)
        mistakes.update(
            "Your most frequent mistakes: "
            # Named in the review log (another device's, another version's): shown as written.
            + "; ".join(
                f"{escape(m.name)} ({escape(family_title(m.family))}) ×{m.count}"
                for m in stats.mistakes
            )
            if stats.mistakes
            else ""
        )
        mistakes.display = bool(stats.mistakes)
        self.query_one("#stats-body").display = True

    def _show_summary(self, stats: Stats) -> None:
        totals = stats.totals
        self.query_one("#tile-today", Static).update(
            _tile(
                str(totals.reviews_today),
                "review today" if totals.reviews_today == 1 else "reviews today",
                f"{totals.reviews} all time",
            )
        )
        self.query_one("#tile-streak", Static).update(
            _tile(
                _days(stats.current_streak),
                "streak",
                f"longest {_days(stats.longest_streak)}",
            )
        )
        recent, overall = stats.retention_recent, stats.retention
        # Tiles are narrow at 80 columns: the full reason for an n/a is on the line below.
        detail = "no data yet" if overall.total == 0 else f"all time {_percent(overall)}"
        self.query_one("#tile-retention", Static).update(
            _tile(_percent(recent), f"retention {RECENT_DAYS}d", detail)
        )
        self.query_one("#tile-cards", Static).update(
            _tile(
                f"{totals.cards_studied}/{totals.cards_in_deck}",
                "cards studied",
                f"{totals.new_today} new today",
            )
        )
        quiet = (
            NO_RETENTION
            if overall.total == 0
            else f"no learned card came up in the last {RECENT_DAYS} days"
        )
        self.query_one("#retention", Static).update(
            f"True retention, last {RECENT_DAYS} days: {self._ratio(recent, quiet)} · "
            f"all time: {self._ratio(overall, NO_RETENTION)}. It counts learned cards not "
            "rated Again at their first look of a study day."
        )

    @staticmethod
    def _ratio(ratio: Ratio, why_none: str) -> str:
        if ratio.total == 0:
            return f"n/a ({why_none})"
        return f"{_percent(ratio)} ({ratio.passed} of {ratio.total} recalled)"

    def _show_forecast(self, stats: Stats, suspended_due: int) -> None:
        forecast = stats.forecast
        days = len(forecast)
        self.query_one("#forecast-title", Static).update(
            f"Due over the next {days} days · overdue cards count today"
        )
        self.query_one(ForecastChart).show(forecast)
        counts = (
            f"today [b]{forecast[0]}[/] · tomorrow [b]{forecast[1]}[/] · "
            f"next 7 days [b]{sum(forecast[:7])}[/] · next {days} days [b]{sum(forecast)}[/]"
        )
        if suspended_due:
            verb = "is" if suspended_due == 1 else "are"
            counts += (
                f"\n[$text-muted]{suspended_due} of these {verb} suspended and will not come "
                "up until you unsuspend them.[/]"
            )
        if not any(forecast):
            counts += f"\n[$text-muted]Nothing studied is due in the next {days} days.[/]"
        self.query_one("#forecast-counts", Static).update(counts)
