"""The review loop: show a card, take an answer, record it, move on.

Modes (``mode`` reactive; the hint line names the keys that apply, the footer the
card's own keys, the same from card to card):

loading   a skill card's question is being generated (torch, in another process)
question  the card's front. Self-graded cards: Space reveals. Choice cards:
          1–4 (or arrows + Enter) pick. Skill cards: type the answer, Enter.
revealed  the back is shown; 1–4 rate, with each rating's next interval;
          Space/Enter rate Good.
feedback  an auto-graded card was answered; its explanation stays up.
          Enter/Space accepts the grade, 1–4 overrides it.
failed    the question could not be generated; Enter skips the card.
done      nothing is due; say when to come back (a: learn ahead); Enter: summary.

``u`` undoes the session's last action (answer, bury, suspend, flag) in every
mode; Ctrl+Z does the same while an answer box has the focus.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.css.query import QueryType
from textual.reactive import Reactive, reactive
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Input, Static

from dlquiz.cards import CardSpec, Kind
from dlquiz.practice import Practice
from dlquiz.scheduler import AGAIN, EASY, GOOD, HARD
from dlquiz.study import SaveError
from dlquiz.tui import shown as shown_mod
from dlquiz.tui.markup import escape
from dlquiz.tui.reuse import StyledOnce
from dlquiz.tui.review_answers import SkillAnswers, SkillHelp, highlighted
from dlquiz.tui.review_choices import LETTERS, ChoiceKeys
from dlquiz.tui.review_session import (
    SessionKeys,
    card_label,
    done_texts,
    marks_note,
    practice_answered,
    progress_line,
)
from dlquiz.tui.shown import Shown
from dlquiz.tui.widgets.card_parts import PARTS, Card, CardHead, Text, TitleProgressBar
from dlquiz.tui.widgets.choice_list import ChoiceList, Choices
from dlquiz.tui.widgets.footer import LineFooter
from dlquiz.tui.widgets.rating_bar import RatingBar

if TYPE_CHECKING:
    from dlquiz.tui.app import DLQuizApp


class ReviewScreen(StyledOnce, SkillAnswers, ChoiceKeys, SessionKeys, Screen[None]):
    """One card at a time until the day's work is done."""

    # The footer shows the card's own keys (undo, bury, suspend, flag, info, home): the
    # same from one card to the next, so showing a card never relabels, re-measures and
    # redraws the footer. The keys of the moment (Space, 1–4, Enter, p, a, Ctrl+R) are
    # said by the hint line above it, which changes with every card anyway.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "reveal", "Show answer", show=False),
        Binding("enter,space", "accept", "Next", priority=True, key_display="⏎", show=False),
        Binding("enter,space", "good", "Good", priority=True, key_display="⏎", show=False),
        Binding("pageup", "scroll_card('page_up')", "Scroll up", show=False),
        Binding("pagedown", "scroll_card('page_down')", "Scroll down", show=False),
        *[Binding(str(n), f"choose({n})", "Pick", show=False) for n in range(1, 5)],
        # The choices are labelled a)–d): the letters pick too.
        *[
            Binding(letter, f"choose({n})", "Pick", show=False)
            for n, letter in enumerate("abcd", 1)
        ],
        *[Binding(str(n), f"rate({n})", "Rate", show=False) for n in range(1, 5)],
        # A choice card's options (never focused): Up, Down, Enter.
        Binding("up", "move_choice(-1)", "Previous choice", show=False),
        Binding("down", "move_choice(1)", "Next choice", show=False),
        Binding("enter", "pick_choice", "Pick", show=False),
        Binding("ctrl+r", "give_up", "Show answer", priority=True, show=False),
        Binding("p", "proof", "Prove it", show=False),
        Binding("u", "undo", "Undo"),
        Binding("ctrl+z", "undo_typing", "Undo", show=False),
        Binding("minus", "bury", "Bury", key_display="-"),
        Binding("x", "suspend", "Suspend"),
        Binding("f", "flag", "Flag"),
        Binding("f", "unflag", "Unflag"),
        Binding("i", "card_info", "Info"),
        Binding("a", "learn_ahead", "Learn ahead", show=False),
        Binding("escape", "home", "Home"),
        Binding("m", "app.skill_map", "Skill map", show=False),
    ]

    # Not repainted itself (repaint=False): the screen draws nothing from the mode, and
    # a repaint of the screen redraws every line of it once more after each card.
    mode: reactive[str] = reactive("question", bindings=True, repaint=False)
    # Nor on a focus change (choices focused on each choice card): the focused widget's
    # and the one it leaves get their new styles, nothing else on screen changes.
    focused: Reactive[Widget | None] = Reactive(None, repaint=False)
    app: DLQuizApp

    # Nothing takes the focus by itself: each card says what has it (its answer box,
    # its choices, or nothing, so that keys reach the screen). Auto focus gave the card
    # the focus on the first card only, and each change restyled the whole card.
    AUTO_FOCUS = ""

    def __init__(self, practice: Practice | None = None) -> None:
        """With ``practice`` (cram or quiz), answers change nothing on disk."""
        super().__init__()
        self.current: Shown | None = None
        self.practice = practice
        self._asked: dict[str, Shown] = {}  # card id -> as last shown (the summary's misses)
        self._skill_help = SkillHelp(None)
        self._retry = False  # a failed question is worth another try (the worker failed)
        self._undone: tuple[str, int] | None = None  # (card, seed) of an answer just undone
        self._answered_seeds: dict[str, int] = {}  # skill card -> numbers of its last answer
        self._parts: dict[str, Widget] = {}  # the card parts mounted so far (``part``)
        self._bar: RatingBar
        self._title: TitleProgressBar

    def compose(self) -> ComposeResult:
        # The parts only some cards show (code, choices, an answer box, the feedback on
        # an answer, a proof) are mounted when a card first needs them (``part``): every
        # widget on the screen costs each keypress a little, even hidden.
        yield TitleProgressBar()  # the Header's look, and the progress line under it
        with Card(id="card"):
            yield CardHead(id="card-head")  # the kind of card, its front, then its back
        yield Text(id="hint")
        yield RatingBar(id="ratings")
        yield LineFooter()

    def on_mount(self) -> None:
        # The composed parts, looked up once: a query per part per key costs more.
        for part_id in ("card", "card-head", "hint"):
            self._parts[part_id] = self.query_one(f"#{part_id}")
        self._bar = self.query_one(RatingBar)
        self._title = self.query_one(TitleProgressBar)
        if self.practice is not None:
            # The clock on the progress line: a quiz's countdown (and its end when time
            # is up), or the time a cram has taken so far.
            self.set_interval(1, self._tick)
        self.next_card()

    def _tick(self) -> None:
        plan = self.practice
        if plan is None or plan.finished or self.mode == "done":
            return
        now = self.app.clock()
        if plan.timed_out(now):
            self.commit_pending()  # an answer already graded on screen still counts
            plan.stop(now, early=False)
            self.mode = "done"
            self.app.finish_quiz(plan)
        else:
            self._update_progress()

    # ----- bindings -----------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        mode = self.mode
        cur = self.current
        choice_card = cur is not None and cur.is_choice
        typed_card = cur is not None and cur.is_typed
        if action == "reveal":
            return mode == "question" and not choice_card and not typed_card
        if action == "accept":
            # A focused rating bar takes Enter itself: never grade over the user's pick.
            return mode in ("feedback", "done", "failed") and not isinstance(
                self.focused, RatingBar
            )
        if action in ("choose", "move_choice", "pick_choice"):
            return mode == "question" and choice_card
        if action == "rate":
            return mode in ("revealed", "feedback")
        if action == "good":
            return mode == "revealed" and not isinstance(self.focused, RatingBar)
        if action == "give_up":
            return mode == "question" and typed_card
        if action == "proof":
            return mode == "feedback" and cur is not None and cur.question is not None
        if action in ("bury", "suspend", "flag", "unflag", "card_info"):
            # Not while typing an answer: those keys go into the answer box.
            on_card = (
                cur is not None
                and (self.practice is None or action == "card_info")
                and (mode in ("revealed", "feedback") or (mode == "question" and not typed_card))
            )
            if action in ("flag", "unflag") and cur is not None:
                flagged = self.app.study.marks_of(cur.spec.id).flagged
                return on_card and flagged == (action == "unflag")
            return on_card
        if action in ("undo", "undo_typing"):
            if self.practice is not None:
                return False
            if not self.app.study.can_undo and mode != "feedback":  # feedback: the answer shown
                # Shown dimmed (None), not hidden: the footer keeps its keys in place at
                # the first answer instead of shifting them all.
                return None if action == "undo" else False
            # ``u`` types into an open answer box; Ctrl+Z undoes there instead.
            return action == "undo_typing" or not (mode == "question" and typed_card)
        if action == "learn_ahead":
            return (
                mode == "done"
                and self.practice is None
                and self.app.study.next_learning_due() is not None
            )
        return True

    def focus_previous(self, selector: str | type[QueryType] = "*") -> Widget | None:
        widget = super().focus_previous(selector)
        if isinstance(widget, RatingBar):
            widget.cursor = EASY  # in from after it: on its last rating, as Shift+Tab was
            widget.refresh()
        return widget

    # ----- showing cards ------------------------------------------------------------

    def next_card(self, spec: CardSpec | None = None) -> None:
        """Show the next card (or ``spec``: a card the user asked for, e.g. learning ahead)."""
        self._next_card(spec)
        self._report_layout()

    def _report_layout(self) -> None:
        """Tell the screen now of every part that changed, not at each part's next idle:
        a part that reports after the screen's next layout costs a layout of its own."""
        parts = self._parts
        for part in (parts["card"], parts["hint"], self._bar, self._title):
            for widget in part.walk_children(Widget, with_self=True):
                widget._check_refresh()

    def _next_card(self, spec: CardSpec | None) -> None:
        app = self.app
        now = app.clock()
        if spec is None:
            spec = (
                self.practice.next_card(now)
                if self.practice
                else app.study.next_card(now, skills_ready=app.questions_ready)
            )
        self._update_progress()
        if spec is None:
            self.current = None
            self._show_done(now)
            return
        state = app.study.cards.get(spec.id)
        outcomes = shown_mod.Outcomes(partial(app.study.outcomes, spec.id, now))
        self.current = shown_mod.build(
            spec, app.study.content, outcomes, now, state.reps if state else 0
        )
        if spec.kind is Kind.SKILL:
            undone, self._undone = self._undone, None
            seed = undone[1] if undone is not None and undone[0] == spec.id else None
            self.current.seed = app.rng.randrange(2**32) if seed is None else seed
            self._show_loading()
            self._generate(spec.id, spec.key, spec.level, self.current.seed)
        else:
            self._show_question()
        self._asked[spec.id] = self.current

    def _marks_note(self) -> str:
        if self.current is None or self.practice is not None:
            return ""
        return marks_note(self.app.study, self.current.spec.id, self.app.clock())

    def _refresh_marks(self) -> None:
        if self.current is not None and self.mode != "loading":
            head = self._card_head()
            head.show(self._label(), head.front, head.back, head.fill, head.choices)
        self.refresh_bindings()

    def _label(self) -> str:
        assert self.current is not None
        return card_label(self.app.study, self.current.spec) + self._marks_note()

    def part(self, part_id: str) -> Widget:
        """The card part ``part_id`` ("card-code", "choices", "typed", "card-back",
        "card-proof"), mounted (hidden) in its place in the card the first time a card
        needs it."""
        widget = self._parts.get(part_id)
        if widget is None:
            widget = self._parts[part_id] = PARTS[part_id]()
            widget.display = False  # as the parts are between cards: each card shows its own
            card = self._parts["card"]
            after = list(PARTS)[list(PARTS).index(part_id) + 1 :]
            later = [self._parts[p] for p in after if p in self._parts]
            card.mount(widget, before=later[0] if later else None)
        return widget

    def _head(
        self, kind: str, front: str, alone: bool = True, choices: Choices | None = None
    ) -> None:
        """The card's kind over its front (markup each), and ``choices`` under it;
        ``alone``: nothing else (code, a ChoiceList, an answer box) is on the card."""
        self._card_head().show(kind, front, fill=alone, choices=choices)

    def _card_head(self) -> CardHead:
        head = self._parts["card-head"]
        assert isinstance(head, CardHead)
        return head

    def _text(self, part_id: str) -> Text:
        text = self._parts[part_id]
        assert isinstance(text, Text)
        return text

    def _reset_widgets(self) -> None:
        card = self._parts["card"]
        assert isinstance(card, Card)
        if card.scroll_offset:
            # Each card starts at its top (a long answer was scrolled into view), even a
            # long next card; scrolled now, in the same layout pass as the new text.
            card.scroll_home(animate=False, immediate=True)
        if card.show_vertical_scrollbar:
            # A long answer needed the scrollbar; the next card's front most likely not.
            # Hidden now, the layout pass that shows the next card finds it so and is the
            # only one; left to that pass, its going would ask for a second pass (if the
            # next card does need it, that pass shows it again).
            card.show_vertical_scrollbar = False
            card.vertical_scrollbar.display = False
        # Only what the last card showed: an update asks for a layout even when unchanged.
        for part_id in ("card-back", "card-code", "card-proof"):
            widget = self._parts.get(part_id)
            if widget is not None and widget.display:
                widget.display = False  # its text is replaced before it is shown again
        if (choices := self._parts.get("choices")) is not None:
            choices.display = False
        if isinstance(typed := self._parts.get("typed"), Input):
            typed.display = False
            typed.value = ""
        # Hidden, its row kept: the card keeps its size from question to answer and back,
        # so a change of card lays out and redraws the card, not the screen around it.
        self._bar.set_shown(False)

    def _show_loading(self) -> None:
        assert self.current is not None
        self._reset_widgets()
        self._head(self._label(), self.current.front, alone=False)  # an answer box comes
        ready = self.app.questions_ready
        self._hint("Generating the question…" if ready else "Loading PyTorch (first time only)…")
        self.mode = "loading"

    def _show_question(self) -> None:
        assert self.current is not None
        cur = self.current
        self._reset_widgets()
        has_code = cur.question is not None and bool(cur.question.code)
        labels = [f"{LETTERS[i]}) {text}" for i, text in enumerate(cur.choices)]
        # Options right under the front are drawn by the card's head: a change between
        # such a card and a flashcard then lays nothing out. Under code, by a ChoiceList.
        in_head = Choices(labels) if labels and not has_code else None
        alone = not (has_code or cur.is_typed)
        self._head(self._label(), cur.front, alone=alone, choices=in_head)
        if cur.question is not None and cur.question.code:
            code = self.part("card-code")
            assert isinstance(code, Static)
            code.update(highlighted(cur.question.code))
            code.display = True
        if labels:
            if in_head is None:
                choices = self._choice_list()
                choices.set_choices(labels)
                choices.display = True
            self.set_focus(None)  # keys reach the screen: digits, letters, ↑↓ and Enter
            self._hint("Pick with 1–4, or ↑↓ and Enter.")
        elif cur.is_typed:
            typed = self.part("typed")
            assert isinstance(typed, Input)
            typed.display = True
            typed.disabled = False
            self.set_focus(typed)
            # Scrolled to once laid out: focused before that, it is not scrolled into view,
            # and below a long question (at 60x20) the user typed into a box out of sight.
            self.call_after_refresh(typed.scroll_visible, animate=False)
            hint = " h (in the empty box): a hint." if cur.question and cur.question.hints else ""
            self._hint(f"Type your answer and press Enter.{hint} Ctrl+R shows the answer.")
        else:
            self.set_focus(None)
            self._hint("Think of the answer, then Space: Show answer.")
        self._enter("question")
        if self.practice is not None:
            self.practice.begin(self.app.clock())  # a quiz's clock starts at its first question

    def _enter(self, mode: str) -> None:
        """Set ``mode``, and the keys with it: a new mode refreshes them itself (a second
        refresh would compute the footer's keys once more); the same mode may have other
        keys on the next card (a flag, a choice card)."""
        if self.mode == mode:
            self.refresh_bindings()
        else:
            self.mode = mode

    def _reveal_back(self, feedback: str | None = None) -> None:
        """Show the card's back: under its front (a card graded by the user), or with the
        ``feedback`` on an answer, under the choices or the answer box."""
        assert self.current is not None
        head = self._card_head()
        if feedback is None or head.choices is not None:
            # Under the front, or under options the head draws: by the head.
            text = self.current.back if feedback is None else feedback + self.current.back
            head.show(head.kind, head.front, text, head.fill, head.choices)
            # Once laid out, bring the answer's first lines into view (small terminals).
            self.call_after_refresh(head.scroll_to_back)
        else:
            back = self.part("card-back")
            assert isinstance(back, Text)
            back.update(feedback + self.current.back)
            back.display = True
            self.call_after_refresh(back.scroll_visible, top=True, animate=False)
        bar = self._bar
        if self.practice is None:
            bar.show(self.current.outcomes, self.current.suggested)
        else:
            again = "see again" if not self.practice.is_quiz else "missed"
            bar.show_labels(
                {AGAIN: again, HARD: "hard", GOOD: "got it", EASY: "easy"}, self.current.suggested
            )
        bar.set_shown(True)

    def _show_done(self, now: datetime) -> None:
        self._reset_widgets()
        if self.practice is not None:
            self._show_practice_done(now)
            return
        title, msg, hint = done_texts(self.app.study, now)
        self._head(title, msg)
        self._hint(hint)
        self._enter("done")

    def _show_practice_done(self, now: datetime) -> None:
        practice = self.practice
        assert practice is not None
        if practice.is_quiz:
            self.mode = "done"
            self.app.finish_quiz(practice)  # score and misses in full on their own screen
            return
        minutes, seconds = divmod(round(practice.elapsed(now)), 60)
        lines = [
            f"Crammed {practice.asked} answers in {minutes}:{seconds:02d}. "
            "Your schedule is unchanged."
        ]
        self._head(escape(practice.title), "\n".join(lines))
        self._hint("Enter: back home. Practice does not change your schedule.")
        self.mode = "done"

    def _hint(self, text: str) -> None:
        self._text("hint").put(f"[dim]{escape(text)}[/]")

    def _update_progress(self) -> None:
        if self.practice is not None:
            p = self.practice
            score = f"   Score [b $success]{p.right}/{p.graded}[/]" if p.is_quiz else ""
            left = f"   Left [b $warning]{p.remaining}[/]" if p.time_limit is None else ""
            line: str | Content = (
                f"{escape(p.title)}{left}{score}   {p.clock_text(self.app.clock())}"
            )
        else:
            line = progress_line(self.app.study, self.app.clock())
        self._title.show_progress(line)

    # ----- skill questions (generated off the UI thread) ----------------------------

    @work(thread=True, exclusive=True, group="question", exit_on_error=False)
    def _generate(self, card_id: str, family: str, level: int, seed: int) -> None:
        try:
            question = self.app.generate_question(family, level, seed)
        except Exception as exc:  # shown to the user; nothing recorded
            self.app.call_from_thread(self._generation_failed, card_id, exc)
            return
        self.app.call_from_thread(self._question_ready, card_id, question)

    @on(Input.Submitted, "#typed")
    def _typed(self, event: Input.Submitted) -> None:
        self.grade_typed(event)

    @on(Input.Changed, "#typed")
    def _hint_key(self, event: Input.Changed) -> None:
        self.hint_key(event)

    # ----- actions ------------------------------------------------------------------

    def action_reveal(self) -> None:
        if self.mode != "question" or self.current is None:
            return
        self._reveal_back()
        self._hint("How well did you recall it? 1 Again · 2 Hard · 3 or Space Good · 4 Easy")
        self.set_focus(None)
        self.mode = "revealed"
        self._report_layout()

    @on(ChoiceList.Picked)
    def _picked(self, event: ChoiceList.Picked) -> None:
        self.action_choose(event.index + 1)

    def action_rate(self, rating: int) -> None:
        if self.mode not in ("revealed", "feedback") or self.current is None:
            return
        self._commit(rating)

    @on(RatingBar.Rated)
    def _rated(self, event: RatingBar.Rated) -> None:
        self.action_rate(event.rating)

    def action_good(self) -> None:
        """Space or Enter once the answer is shown: Good, as in Anki."""
        if self.mode == "revealed" and self.current is not None:
            self._commit(GOOD)

    def action_accept(self) -> None:
        if self.mode == "done":
            if self.practice is None:
                self._show_summary()
            else:
                self.action_home()
        elif self.mode == "failed" and self.current is not None:
            cur = self.current
            if self._retry and cur.seed is not None:
                self._show_loading()
                self._generate(cur.spec.id, cur.spec.key, cur.spec.level, cur.seed)
                return
            self.app.study.skip(cur.spec.id)
            self.next_card()
        elif self.mode == "feedback" and self.current is not None:
            self._commit(self.current.suggested or AGAIN)

    def commit_pending(self) -> None:
        """Record an auto-graded answer still on screen (the user is leaving)."""
        if self.mode == "feedback" and self.current is not None:
            self._commit(self.current.suggested or AGAIN, advance=False)

    def _commit(self, rating: int, advance: bool = True) -> None:
        cur = self.current
        assert cur is not None
        app = self.app
        now = app.clock()
        if self.practice is not None:
            practice_answered(self.practice, cur, rating)
            self.current = None
            if advance:
                self.next_card()
            return
        duration = int((now - cur.shown_at).total_seconds() * 1000)
        try:
            result = app.study.answer(
                cur.spec.id, cur.outcomes[rating], now, duration, self._extra(cur)
            )
        except SaveError as exc:
            app.report(exc)
            return
        app.report(result)
        if cur.seed is not None:
            self._answered_seeds[cur.spec.id] = cur.seed  # what an undo brings back
        self.current = None
        if advance:
            self.next_card()

    def _mark_current(self, kind: str, message: str, **fields: object) -> bool:
        cur = self.current
        if self.practice is not None or cur is None:
            return False
        if self.mode not in ("question", "revealed", "feedback"):
            return False
        card_id = cur.spec.id
        leaving = kind in ("bury", "suspend")
        if leaving and self.mode == "feedback":
            self._commit(cur.suggested or AGAIN, advance=False)  # the answer still counts
        if not self.app.apply_mark(kind, card_id, **fields):
            return False
        self.app.notify(message, timeout=4, markup=False)
        return True

    def action_bury(self) -> None:
        """Hide this card until tomorrow; nothing about its schedule changes."""
        if self._mark_current("bury", "Buried until tomorrow."):
            self.next_card()

    def action_suspend(self) -> None:
        """Take this card out of rotation until unsuspended from Browse."""
        if self._mark_current("suspend", "Suspended. Unsuspend it from Browse.", on=True):
            self.next_card()

    def action_scroll_card(self, direction: str) -> None:
        card = self.query_one("#card", VerticalScroll)
        if direction == "page_up":
            card.scroll_page_up()
        else:
            card.scroll_page_down()

    def action_home(self) -> None:
        if self.practice is not None and self.practice.is_quiz and not self.practice.finished:
            self.app.confirm_stop_quiz(self.practice)  # asks, then shows the score so far
            return
        self.commit_pending()
        if self.practice is None:
            self.app.study.end_focus()  # custom study ends when its screen is left
        self.dismiss()
