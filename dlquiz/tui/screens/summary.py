"""End of a session: what was done, what was missed, and ways to study on.

Dismissed with the user's choice, which the review screen carries out:
``None`` (home), ``("more", "N")``, ``("misses",)`` or
``("custom", key, "schedule" | "cram")``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Checkbox, OptionList, Static
from textual.widgets.option_list import Option

from dlquiz.order import study_choices
from dlquiz.scheduler import RATING_NAMES
from dlquiz.session import Summary
from dlquiz.tui.markup import escape
from dlquiz.tui.reuse import StyledOnce
from dlquiz.tui.shown import Shown
from dlquiz.tui.widgets.card_parts import TitleBar
from dlquiz.tui.widgets.footer import LineFooter

if TYPE_CHECKING:
    from dlquiz.tui.app import DLQuizApp

MORE_NEW = 10

Choice = tuple[str, ...]


def _question(shown: Shown | None, card_id: str) -> str:
    """The question as it was asked (prompt and code), the answer given and the right one."""
    if shown is None:
        return escape(card_id)
    parts = [shown.front]
    question = shown.question
    if question is not None and question.code:
        code = "\n".join(f"    {line}" for line in question.code.splitlines())
        parts.append(f"[dim]{escape(code)}[/]")
    if shown.typed:
        parts.append(f"you: {escape(shown.typed)}")
    if question is not None:
        parts.append(f"answer: [b]{escape(question.expected.display())}[/]")
    elif shown.correct is not None:
        parts.append(f"answer: [b]{escape(shown.choices[shown.correct])}[/]")
    elif shown.back:  # self-graded: the answer's first paragraph (markup already escaped)
        parts.append(f"[dim]{shown.back.split(chr(10) * 2)[0]}[/]")
    return "\n".join(parts)


class SummaryScreen(StyledOnce, Screen[Choice | None]):
    """Cards, time, accuracy and misses of the session; study more, or go home."""

    DEFAULT_CSS = """
    #summary-text { height: auto; padding: 0 1; }
    #summary-actions { height: auto; max-height: 6; }
    #custom { height: auto; display: none; }
    #custom.shown { display: block; }
    #custom-choices { height: auto; max-height: 10; }
    #summary-schedule { width: 100%; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "choose('more')", "More new"),
        Binding("m", "choose('misses')", "Misses"),
        Binding("c", "choose('custom')", "Custom study"),
        Binding("s", "toggle_schedule", "Count in schedule"),
        Binding("escape", "back", "Home"),
    ]
    app: DLQuizApp

    def __init__(self, summary: Summary, asked: dict[str, Shown]) -> None:
        super().__init__()
        self.summary = summary
        self.asked = asked

    def compose(self) -> ComposeResult:
        yield TitleBar()
        with VerticalScroll(id="summary-scroll"):
            yield Static(self._text(), id="summary-text")
        yield OptionList(*self._actions(), id="summary-actions")
        with Vertical(id="custom"):
            yield Checkbox("s: count in my schedule (answers are recorded)", id="summary-schedule")
            yield OptionList(id="custom-choices")
        yield LineFooter()

    def on_mount(self) -> None:
        self.query_one("#summary-actions", OptionList).focus()

    def _text(self) -> str:
        s = self.summary
        minutes, seconds = divmod(round(s.seconds), 60)
        lines = ["[b]Session summary[/]", ""]
        lines.append(f"Cards [b]{s.cards}[/] · Time [b]{minutes}:{seconds:02d}[/]")
        if s.accuracy is not None:
            lines.append(f"Auto-graded: [b]{s.right}/{s.graded}[/] right ([b]{s.accuracy:.0%}[/])")
        if s.misses:
            lines += ["", f"[b]Missed ({len(s.misses)})[/]"]
            for review in s.misses:
                given = RATING_NAMES[review.rating]
                then = s.later.get(review.card)
                after = f", then {RATING_NAMES[then]}" if then is not None else ""
                body = _question(self.asked.get(review.card), review.card)
                lines += ["", f"• [dim]rated {given}{after}[/]", body]
        elif s.cards:
            lines += ["", "No misses."]
        return "\n".join(lines)

    def _missed(self) -> int:
        return len(self.app.study.missed_today())

    def _new_left(self) -> int:
        study = self.app.study
        return sum(1 for cid in study.deck if cid not in study.cards)

    def _actions(self) -> list[Option]:
        options = []
        if self._new_left():
            options.append(Option(f"n  Study {MORE_NEW} more new cards today", id="more"))
        missed = self._missed()
        if missed:
            options.append(
                Option(f"m  Review today's misses ({missed}; schedule unchanged)", id="misses")
            )
        options.append(Option("c  Custom study: a tag, question family or deck", id="custom"))
        options.append(Option("Esc  Home", id="home"))
        return options

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        custom = self.query_one("#custom").has_class("shown")
        if action == "toggle_schedule":
            return custom
        if action == "choose":
            if custom:
                return False
            if parameters == ("more",):
                return bool(self._new_left())
            if parameters == ("misses",):
                return bool(self._missed())
        return True

    @on(OptionList.OptionSelected, "#summary-actions")
    def _action(self, event: OptionList.OptionSelected) -> None:
        self.action_choose(event.option.id or "home")

    def action_choose(self, what: str) -> None:
        if what == "more":
            self.dismiss(("more", str(MORE_NEW)))
        elif what == "misses":
            self.dismiss(("misses",))
        elif what == "custom":
            self._open_custom()
        else:
            self.dismiss(None)

    def _open_custom(self) -> None:
        choices = self.query_one("#custom-choices", OptionList)
        if not choices.option_count:
            choices.add_options(
                Option(f"{escape(key)}  [dim]{n} cards[/]", id=key)
                for key, n in study_choices(self.app.study.deck).items()
            )
        self.query_one("#custom").add_class("shown")
        self.query_one("#summary-actions").display = False
        choices.focus()
        self.refresh_bindings()

    def action_toggle_schedule(self) -> None:
        self.query_one("#summary-schedule", Checkbox).toggle()

    @on(OptionList.OptionSelected, "#custom-choices")
    def _custom(self, event: OptionList.OptionSelected) -> None:
        if event.option.id is None:
            return
        scheduled = self.query_one("#summary-schedule", Checkbox).value
        self.dismiss(("custom", event.option.id, "schedule" if scheduled else "cram"))

    def action_back(self) -> None:
        custom = self.query_one("#custom")
        if custom.has_class("shown"):
            custom.remove_class("shown")
            actions = self.query_one("#summary-actions", OptionList)
            actions.display = True
            actions.focus()
            self.refresh_bindings()
        else:
            self.dismiss(None)
