"""``dlquiz stats [--json]``: streaks, true retention, mastery, a heatmap and what is due."""

from __future__ import annotations

import argparse
import errno
import json
import sys
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any

# Imported when the command runs: every start of ``dlquiz`` builds this parser.
if TYPE_CHECKING:
    from dlquiz.stats import Mastery, Ratio, Stats


def add_parser(sub: Any) -> argparse.ArgumentParser:
    """Register ``stats`` on the CLI's subparsers (``sub`` from ``add_subparsers``)."""
    parser: argparse.ArgumentParser = sub.add_parser(
        "stats",
        help="your study statistics: streak, retention, mastery, what is due",
        description="Show your streak, true retention, mastery per topic, a heatmap of "
        "past reviews and the cards due over the next 30 days.",
    )
    parser.add_argument("--json", action="store_true", help="print every figure as JSON")
    return parser


def run(
    home: Path,
    as_json: bool,
    now: datetime | None = None,
    *,
    tz: tzinfo | None = None,
    extra_content: list[Path] | None = None,
) -> int:
    """Print the statistics of the data folder ``home``; exit status 0, or 2 if it can't open."""
    from dlquiz.content import ContentError
    from dlquiz.stats import compute
    from dlquiz.store import StoreError
    from dlquiz.study import Study
    from dlquiz.workspace import local_tz

    try:
        study = Study.open(home, extra_content, read_only=True, now=now, tz=tz)
    except ContentError as exc:
        print("dlquiz: the built-in content has errors (please report this):", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 2
    except StoreError as exc:  # AlreadyRunning included: it says what to do
        print(f"dlquiz: {exc}", file=sys.stderr)
        return 2
    try:
        for notice in study.notices:
            print(f"dlquiz: {notice}", file=sys.stderr)  # stderr keeps --json output clean
        stats = compute(
            study.log(),
            study.cards,
            study.deck,
            now or datetime.now(UTC),
            tz or local_tz(),
            study.settings.day_starts_at_hour,
        )
    finally:
        study.close()
    if as_json:
        print(json.dumps(stats.to_json(), indent=2))
    else:
        _print(stats)
    return 0


def _percent(ratio: Ratio | Mastery) -> str:
    share = ratio.share
    return "n/a" if share is None else f"{share:.0%}"


def _retention(ratio: Ratio) -> str:
    if ratio.total == 0:
        return "n/a (no reviews of learned cards yet)"
    return f"{_percent(ratio)} ({ratio.passed} of {ratio.total} recalled)"


def _days(n: int) -> str:
    return f"{n} day" if n == 1 else f"{n} days"


def _print(stats: Stats) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from dlquiz.questions import family_title
    from dlquiz.stats import HISTORY_DAYS, RECENT_DAYS, render_heatmap, sparkline

    class _Console(Console):
        def on_broken_pipe(self) -> None:
            # rich would exit with status 1 and no word; the CLI says it once (status 141)
            raise BrokenPipeError(errno.EPIPE, "Broken pipe")

    console = _Console(highlight=False)
    totals = stats.totals
    console.print(
        f"[bold]dlquiz stats[/bold] — study day {stats.today.isoformat()} "
        f"(days begin at {stats.day_starts_at_hour:02d}:00)"
    )

    summary = Table(show_header=False, box=None, padding=(0, 2))
    summary.add_column(style="bold")
    summary.add_column()
    summary.add_row("Reviews today", str(totals.reviews_today))
    summary.add_row("New cards today", str(totals.new_today))
    summary.add_row("Reviews, all time", str(totals.reviews))
    summary.add_row("Cards studied", f"{totals.cards_studied} of {totals.cards_in_deck}")
    summary.add_row("Current streak", _days(stats.current_streak))
    summary.add_row("Longest streak", _days(stats.longest_streak))
    summary.add_row(f"True retention, last {RECENT_DAYS} days", _retention(stats.retention_recent))
    summary.add_row("True retention, all time", _retention(stats.retention))
    console.print(summary)
    console.print(
        "[dim]True retention: review cards not rated Again at their first look of a day.[/dim]"
    )

    console.print()
    console.print(f"[bold]Reviews per day[/bold] (last {HISTORY_DAYS // 7} weeks)")
    console.print(Text(render_heatmap(stats.per_day, stats.today)))

    console.print()
    forecast = stats.forecast
    console.print(f"[bold]Due over the next {len(forecast)} days[/bold] (overdue counted today)")
    line = sparkline(forecast)
    console.print(Text(f"  {line}"))
    console.print(Text(f"  {'today':<{len(line) - 4}}+{len(line) - 1}d"))
    console.print(
        f"  today {forecast[0]} · tomorrow {forecast[1]} · next 7 days {sum(forecast[:7])} "
        f"· next {len(forecast)} days {sum(forecast)}"
    )

    console.print()
    console.print(_mastery_table("Mastery by topic tag", "Tag", stats.mastery_by_tag))
    started = {k: m for k, m in stats.mastery_by_family.items() if m.studied}
    if started:
        titled = {family_title(k): m for k, m in started.items()}
        console.print(_mastery_table("Mastery by skill family", "Family", titled))
    untouched = len(stats.mastery_by_family) - len(started)
    if untouched:
        console.print(f"[dim]{untouched} skill families not started yet.[/dim]")
    console.print("[dim]Mastered: stability of 21 days or more.[/dim]")

    if stats.mistakes:
        console.print()
        table = Table(title="Your most frequent mistakes", title_justify="left")
        table.add_column("Family")
        table.add_column("Mistake")
        table.add_column("Times", justify="right")
        for m in stats.mistakes:
            table.add_row(family_title(m.family), m.name, str(m.count))
        console.print(table)


def _mastery_table(title: str, label: str, groups: dict[str, Mastery]) -> Any:
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    table.add_column(label)
    for name in ("Mastered", "Studied", "In deck", "Share"):
        table.add_column(name, justify="right")
    for key, m in groups.items():
        table.add_row(key, str(m.mastered), str(m.studied), str(m.total), _percent(m))
    return table
