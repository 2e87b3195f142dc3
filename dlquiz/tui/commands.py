"""Command palette entries: every screen and action, findable by typing."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from textual.command import DiscoveryHit, Hit, Hits, Provider

if TYPE_CHECKING:
    from dlquiz.tui.app import DLQuizApp

# (title, help, app action name)
COMMANDS: list[tuple[str, str, str]] = [
    ("Study now", "Review what is due and meet new cards", "study"),
    (
        "Browse the glossary",
        "Search terms and concepts; suspend, flag, bury or reset cards",
        "browse",
    ),
    ("Cram a topic", "Go through one tag or question family; the schedule is untouched", "cram"),
    ("Timed quiz", "N fresh computed questions from chosen families, with a score", "quiz"),
    ("Statistics", "Heatmap, forecast, retention, mastery, streak", "stats"),
    (
        "Skill map",
        "Question families by level: locked, learning, known; what each skill needs",
        "skill_map",
    ),
    (
        "Settings",
        "Retention, daily limits, steps, rotation, theme, personal parameters",
        "settings",
    ),
    ("Toggle light/dark theme", "Switch the colour theme and remember it", "toggle_theme"),
    ("Help: every key", "The keys of every screen", "help"),
    ("Quit", "Everything answered is already saved", "quit"),
]


class DLQuizCommands(Provider):
    """dlquiz's own screens and actions in Textual's command palette (ctrl+p)."""

    @property
    def _app(self) -> DLQuizApp:
        return self.app  # type: ignore[return-value]  # Provider.app is typed as App

    def _runner(self, action: str) -> Callable[[], object]:
        return partial(self._app.run_action, action)

    async def discover(self) -> Hits:
        for title, help_text, action in COMMANDS:
            yield DiscoveryHit(title, self._runner(action), help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, action in COMMANDS:
            score = max(matcher.match(title), matcher.match(help_text) * 0.5)
            if score > 0:
                yield Hit(score, matcher.highlight(title), self._runner(action), help=help_text)
