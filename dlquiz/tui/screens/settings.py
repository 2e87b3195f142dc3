"""Settings: a form over every field of ``dlquiz.settings.Settings``.

Each field shows its label, its widget and, as help, the field's docstring read
from ``dlquiz/settings.py`` (so the help never drifts from the code). Nothing is
written until Save: the values are parsed here, validated by ``Settings.replace``
(pydantic), and any error is shown under the field it concerns while the user's
input stays as typed. "Fit my parameters" runs the FSRS optimizer in its own
process (``optimize.fit_in_subprocess``), which the same button stops.

The form is ~120 widgets, costly to build: the screen composes the fields a first
screenful shows and mounts the others a section per frame after it is shown
(``dlquiz.tui.settings_sections``); ``settings_screen`` keeps it and refills it at each
opening (rebuilt only when the choices it offers change, e.g. another deck).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Button, Input, Select, SelectionList, Static
from textual.worker import get_current_worker

from dlquiz.cards import deck_tags
from dlquiz.records import encode as encode_record
from dlquiz.settings import Settings
from dlquiz.tui.confirm import ConfirmDiscard
from dlquiz.tui.reuse import KeepsStyles, kept_screen
from dlquiz.tui.settings_form import (
    FIT_LABEL,
    LABELS,
    LIST_FIELDS,
    PARSERS,
    SELECT_FIELDS,
    TEXT_FIELDS,
    _field_errors,
    label,
)
from dlquiz.tui.settings_sections import FORM_CSS, SECTIONS, Choices, Section
from dlquiz.tui.themes import theme_name
from dlquiz.tui.widgets.card_parts import TitleBar
from dlquiz.tui.widgets.footer import LineFooter

if TYPE_CHECKING:
    from dlquiz.optimize import Fit
    from dlquiz.tui.app import DLQuizApp

SCREEN_NAME = "settings"  # the name the reused screen is installed under

W = TypeVar("W", bound=Widget)


def settings_screen(app: DLQuizApp) -> SettingsScreen:
    """The settings screen to push: the one built before when it offers the same
    choices (set back to the saved settings), else a new one, kept for next time."""
    choices = offered_choices(app)
    return kept_screen(
        app,
        SCREEN_NAME,
        SettingsScreen,
        lambda: SettingsScreen(choices),
        lambda old: old.choices == choices,
    )


def _show(widget: Static, text: str) -> None:
    """``text`` in ``widget`` if not there yet (an update costs the kept form a layout)."""
    if widget.content != text:
        widget.update(text)


def offered_choices(app: DLQuizApp) -> Choices:
    """What the lists and dropdowns offer: they depend on the deck and the themes."""
    from dlquiz.questions import families  # metadata only: no torch

    deck = app.study.deck
    tags = deck_tags(deck)  # computed once per deck
    fams = families()
    ids = sorted(tags.skills or fams, key=lambda f: (fams[f].topic, f) if f in fams else ("", f))
    return {
        "theme": tuple((name, name) for name in sorted(app.available_themes)),
        "excluded_tags": tuple((f"{tag}  ({n} cards)", tag) for tag, n in tags.counts.items()),
        "excluded_skills": tuple(
            (f"{fams[f].topic} · {fams[f].title}" if f in fams else f, f) for f in ids
        ),
    }


class SettingsScreen(KeepsStyles, Screen[None]):
    """Edit, validate and save the settings; fit personal scheduler parameters."""

    DEFAULT_CSS = FORM_CSS

    # The first field takes the focus as the screen is composed. Left to Textual's default,
    # the form's scroll container would take it first, and restyle all the form's widgets
    # as it took it and again as it gave it to the field.
    AUTO_FOCUS = f"#f-{TEXT_FIELDS[0]}"
    # Nothing here depends on the width: without breakpoints, the first resize does not
    # restyle every widget of the form once more to add the app's width class.
    HORIZONTAL_BREAKPOINTS: ClassVar[list[tuple[int, str]] | None] = []  # type: ignore[misc]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", priority=True),
        Binding("escape", "cancel", "Cancel"),
    ]

    # Set before compose: set in on_mount, the header's title changed after the first
    # layout and asked for another pass over the whole form.
    SUB_TITLE = "Settings"

    app: DLQuizApp

    def __init__(self, choices: Choices | None = None) -> None:
        super().__init__()
        self._fitting = False
        self._reload = True  # set the form to the saved settings when next shown
        self.choices: Choices = choices or {}  # what the form offers (offered_choices)
        self._initial: dict[str, Any] = {}
        self._refused: dict[str, str] = {}  # field -> the text an error message is about
        # Excluded ids the lists below cannot show (a deck that failed to load,
        # a family that was renamed): kept as they are rather than silently dropped.
        self._hidden_excluded: dict[str, tuple[str, ...]] = {}
        # What the form was last set to: a section mounted late shows it. Until then its
        # fields count as holding these values (the user cannot have edited them).
        self._loaded: Settings | None = None
        self._sections_left: list[Section] = list(SECTIONS[1:])  # not mounted yet
        self._pending_errors: dict[str, str] = {}  # for fields not mounted yet
        self._found: dict[str, Widget] = {}  # widget id -> the widget (``_part``)
        self._errors_shown: set[Static] = set()  # the error lines showing a message
        self._mounting = False

    @property
    def computing(self) -> bool:
        """Sections still to be mounted: the app's ``Preparer`` lays the screen out and
        renders it again once they are in (its ``filled`` check, app._screen_makers)."""
        return bool(self._sections_left)

    @property
    def complete(self) -> bool:
        """Every field is mounted."""
        return not self._sections_left

    @property
    def settings(self) -> Settings:
        return self.app.study.settings

    # ----- building the form -------------------------------------------------------

    def compose(self) -> ComposeResult:
        current = self._loaded = self.settings
        if not self.choices:
            self.choices = offered_choices(self.app)
        yield TitleBar()
        with VerticalScroll(id="settings-form"):
            yield from SECTIONS[0](current, self.choices, self._theme(current), {})
        with Horizontal(id="settings-actions"):
            yield Button("Save", id="save", variant="primary", compact=True)
            yield Button("Cancel", id="cancel", compact=True)
        yield LineFooter()

    def on_mount(self) -> None:
        # Filled before the first frame (on_screen_resume comes after it).
        self._reload = False
        self._load(self.settings)
        self._mount_next_later()

    # Between two sections: a frame, so that what is mounted is drawn and a key pressed
    # meanwhile is handled before the next section (~20-40 ms of work) is built.
    FILL_PAUSE_S: ClassVar[float] = 0.05

    def _mount_next_later(self) -> None:
        """The next section once this frame is drawn; at once for a screen not shown
        (prepared ahead, or left already)."""
        if not self._sections_left:
            return
        if self.is_current:
            # Counted from the frame drawn, not from now: the first frame of a newly
            # opened form comes ~30-60 ms after its mount, and a pause counted from the
            # mount was over by then, the next section built straight after that frame.
            self.call_after_refresh(self.set_timer, self.FILL_PAUSE_S, self._mount_next)
        else:
            self.call_later(self._mount_next)

    async def _mount_next(self) -> None:
        if self._mounting or not self._sections_left or not self.is_attached:
            return
        self._mounting = True  # one section at a time, in order
        try:
            build = self._sections_left.pop(0)
            current = self._loaded or self.settings
            pending = list(self._pending_errors)  # the builders take those they show
            widgets = build(current, self.choices, self._theme(current), self._pending_errors)
            await self._mounted("settings-form", VerticalScroll).mount_all(widgets)
            for name in pending:
                if name not in self._pending_errors:  # built showing its message
                    self._errors_shown.update(self.query(f"#err-{name}").results(Static))
        finally:
            self._mounting = False
        self._show_parameters()
        self._mount_next_later()

    def _widget(self, name: str, kind: type[W]) -> W | None:
        """The widget editing field ``name``; None while its section is not mounted."""
        return self._part(f"f-{name}", kind)

    def _part(self, widget_id: str, kind: type[W]) -> W | None:
        """The form's widget ``widget_id``; None while its section is not mounted.

        Found once, then kept: a query goes through the whole form (~120 widgets), and
        reloading it (each reopening) asked for every field: ~15 ms of a reopening.
        """
        found = self._found.get(widget_id)
        if found is None or not found.is_attached:
            found = next(iter(self.query(f"#{widget_id}")), None)
            if found is None:
                return None
            self._found[widget_id] = found
        return found if isinstance(found, kind) else None

    def _mounted(self, widget_id: str, kind: type[W]) -> W:
        """The form's widget ``widget_id``, mounted with the form's first section."""
        found = self._part(widget_id, kind)
        if found is None:
            raise NoMatches(f"#{widget_id}")
        return found

    def reopened(self) -> None:
        """Show the saved settings when next shown (this screen is being reused)."""
        self._reload = True

    def on_screen_resume(self) -> None:
        # Also sent when a dialog over this screen closes: the form is left as it is then.
        if self._reload:
            self._reload = False
            self._load(self.settings)

    def on_screen_suspend(self) -> None:
        # Left (or covered by a dialog) before its last sections came: they are mounted
        # now, unseen, rather than when it is next opened.
        if self._sections_left:
            self.call_later(self._mount_next)
        # Left without Esc (another screen opened from the command palette): a kept
        # screen is not removed, so its fitting would go on unseen. Stop it, as Esc does.
        if self._fitting and self not in self.app.screen_stack:
            self.stop_fit()

    def _load(self, current: Settings) -> None:
        """Set every field to ``current`` (only what differs: the form is big); sections
        not mounted yet are built with it."""
        self._loaded = current
        self._clear_errors()
        for name in TEXT_FIELDS:
            box = self._widget(name, Input)
            text = PARSERS[name][2](getattr(current, name))
            if box is not None and box.value != text:
                box.value = text
        for name in SELECT_FIELDS:
            select = self._widget(name, Select)
            value = self._theme(current) if name == "theme" else getattr(current, name)
            if select is not None and select.value != value:
                select.value = value
        for name in LIST_FIELDS:
            excluded = set(getattr(current, name))
            shown = {v for _, v in self.choices[name]}
            self._hidden_excluded[name] = tuple(sorted(excluded - shown))
            options = self._widget(name, SelectionList)
            ticked = shown - excluded
            if options is not None and set(options.selected) != ticked:
                options.deselect_all()
                for value in ticked:
                    options.select(value)
        self._fitting = False  # leaving stopped any fit
        self._fit_status("")
        self._show_parameters()
        self._initial = self._initial_values(current)
        self._mounted("settings-form", VerticalScroll).scroll_home(animate=False)
        self._mounted(f"f-{TEXT_FIELDS[0]}", Input).focus()  # a form starts at its first field

    def _theme(self, settings: Settings) -> str:
        return theme_name(settings.theme, self.app.available_themes)

    def _initial_values(self, settings: Settings) -> dict[str, Any]:
        """What the widgets show for ``settings``: the baseline for "was anything edited"."""
        values: dict[str, Any] = {}
        for name in TEXT_FIELDS:
            values[name] = PARSERS[name][2](getattr(settings, name))
        for name in SELECT_FIELDS:
            values[name] = getattr(settings, name)
        values["theme"] = self._theme(settings)  # an old "dark" shows as "textual-dark"
        for name in LIST_FIELDS:  # the ticked ones among those the list offers
            excluded = set(getattr(settings, name))
            values[name] = tuple(sorted(v for _, v in self.choices[name] if v not in excluded))
        return values

    def _form_values(self) -> dict[str, Any]:
        """What each field holds; a field not mounted yet holds what it will be built with."""
        values: dict[str, Any] = {}
        for name in TEXT_FIELDS:
            box = self._widget(name, Input)
            values[name] = self._initial[name] if box is None else box.value
        for name in SELECT_FIELDS:
            select = self._widget(name, Select)
            values[name] = self._initial[name] if select is None else select.value
        for name in LIST_FIELDS:
            options = self._widget(name, SelectionList)
            values[name] = (
                self._initial[name] if options is None else tuple(sorted(options.selected))
            )
        return values

    @property
    def edited(self) -> bool:
        return self._form_values() != self._initial

    # ----- errors ------------------------------------------------------------------

    def _set_error(self, name: str, message: str) -> None:
        if message and name in TEXT_FIELDS:
            self._refused[name] = self._mounted(f"f-{name}", Input).value
        widget = self._part(f"err-{name}", Static)
        if widget is None:  # its section is not mounted yet: it is built showing it
            if message:
                self._pending_errors[name] = message
            else:
                self._pending_errors.pop(name, None)
            return
        widget.update(message)
        widget.set_class(bool(message), "shown")
        if message:
            self._errors_shown.add(widget)
        else:
            self._errors_shown.discard(widget)

    def _clear_errors(self) -> None:
        self._refused.clear()
        self._pending_errors.clear()
        # Only those showing a message: an update redraws even an empty one.
        for widget in self._errors_shown:
            widget.update("")
            widget.remove_class("shown")
        self._errors_shown.clear()

    @on(Input.Changed)
    def _input_changed(self, event: Input.Changed) -> None:
        # The message concerned the refused text; it would mislead once that is edited.
        name = (event.input.id or "").removeprefix("f-")
        if name in self._refused and event.value != self._refused[name]:
            del self._refused[name]
            self._set_error(name, "")

    # ----- save / cancel -----------------------------------------------------------

    @on(Input.Submitted)
    def _input_submitted(self) -> None:
        self.save()  # Enter in a field saves, like Ctrl+S

    def _changes(self) -> tuple[dict[str, Any], dict[str, str]]:
        """Parse the form into Settings changes; errors by field for what cannot be parsed."""
        form = self._form_values()
        changes: dict[str, Any] = {}
        errors: dict[str, str] = {}
        for name in TEXT_FIELDS:
            parse, hint, _fmt = PARSERS[name]
            try:
                changes[name] = parse(form[name])
            except ValueError:
                errors[name] = hint
        for name in SELECT_FIELDS:
            changes[name] = form[name]
        for name in LIST_FIELDS:  # the excluded: those not ticked and those not offered
            ticked = set(form[name])
            shown = [v for _, v in self.choices[name]]
            changes[name] = tuple(
                sorted({*self._hidden_excluded[name], *(v for v in shown if v not in ticked)})
            )
        return changes, errors

    def action_save(self) -> None:
        self.save()

    def save(self) -> bool:
        """Validate and save the form; True when saved."""
        self._clear_errors()
        changes, errors = self._changes()
        new: Settings | None = None
        try:  # the fields that did parse are checked too, so every problem shows at once
            new = self.settings.replace(**changes)
        except ValueError as exc:  # pydantic's ValidationError
            errors = {**_field_errors(exc), **errors}
            if not errors:  # cannot be pinned on one field: say it all
                self.notify(str(exc), title="Not saved", severity="error", timeout=15, markup=False)
                return False
        if errors:
            for name, message in errors.items():
                self._set_error(name, message)
            first = next((n for n in (*TEXT_FIELDS, *SELECT_FIELDS) if n in errors), None)
            target = None if first is None else self._widget(first, Widget)
            if target is not None:  # else not mounted yet: its section shows the message
                target.focus()
                self.query_one(f"#field-{first}").scroll_visible()
            self.notify(
                "Check: " + ", ".join(label(n) for n in LABELS if n in errors) + ".",
                title="Not saved",
                severity="error",
                markup=False,
            )
            return False
        assert new is not None  # no errors means it validated
        if not self._apply(new):
            return False  # the user was told why
        self._loaded = new
        self._initial = self._initial_values(new)
        self.notify("Saved", title="Settings", markup=False)
        return True

    def _apply(self, new: Settings) -> bool:
        """Save and use ``new``, unless it is refused (the user is told why)."""
        return self.app.apply_settings(new)

    def action_cancel(self) -> None:
        if not self.edited:
            self._leave()
            return

        def answered(discard: bool | None) -> None:
            if discard:
                self._leave()

        self.app.push_screen(ConfirmDiscard(), answered)

    def _leave(self) -> None:
        if self._fitting:
            self.workers.cancel_group(self, "fit")  # the worker then kills the process
            self.notify(
                "Fitting stopped; your parameters were not changed.", title="Settings", markup=False
            )
        self.dismiss()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        button = event.button.id or ""
        if button == "save":
            self.save()
        elif button == "cancel":
            self.action_cancel()
        elif button == "fit":
            self.start_fit()
        elif button == "defaults":
            self.use_defaults()
        elif button.startswith(("all-", "none-")):
            which, name = button.split("-", 1)
            options = self.query_one(f"#f-{name}", SelectionList)
            if which == "all":
                options.select_all()
            else:
                options.deselect_all()

    # ----- FSRS parameters ---------------------------------------------------------

    def _show_parameters(self) -> None:
        shown = self._part("fsrs-current", Static)
        if shown is None:
            return  # shown once its section is mounted
        params = self.settings.fsrs_parameters
        if params is None:
            text = "Using the default FSRS parameters (fitted to many people's reviews)."
        else:
            text = "Using your fitted parameters: " + ", ".join(f"{p:.4g}" for p in params)
        _show(shown, text)
        self._mounted("defaults", Button).disabled = params is None or self._fitting
        # While fitting, the same button stops it.
        self._mounted("fit", Button).label = "Stop fitting" if self._fitting else FIT_LABEL

    def _fit_status(self, text: str) -> None:
        if (widget := self._part("fit-status", Static)) is not None:  # once mounted
            _show(widget, text)

    def start_fit(self) -> None:
        if self._fitting:
            self.stop_fit()
            return
        self._fitting = True
        self._show_parameters()
        self._fit_status("Starting the fitting process…")
        self._fit()

    def stop_fit(self) -> None:
        """Kill the fitting process (the worker notices within 0.1 s); nothing changes."""
        if not self._fitting:
            return
        self.workers.cancel_group(self, "fit")
        self._fitting = False
        self._fit_status("Fitting stopped; your parameters were not changed.")
        self._show_parameters()

    @work(thread=True, exclusive=True, exit_on_error=False, group="fit")
    def _fit(self) -> None:
        # Fitting runs in its own process (torch, minutes of work): this thread only
        # waits for it, relays its progress, and kills it once cancelled (Stop, or
        # leaving Settings, cancels this worker).
        from dlquiz import optimize

        worker = get_current_worker()
        app = self.app  # kept: a dismissed screen no longer knows its app

        def progress(text: str) -> None:
            if not worker.is_cancelled:
                app.call_from_thread(self._fit_status, text)

        try:
            # Every device's reviews, merged, handed to the child in a file of its own.
            records = list(app.study.log())
            total = len(optimize.review_logs(records))
            with tempfile.TemporaryDirectory(prefix="dlquiz-fit-") as tmp:
                path = Path(tmp) / "reviews.jsonl"
                path.write_bytes(b"".join(encode_record(r) for r in records))
                result, n = optimize.fit_in_subprocess(
                    path,
                    progress=progress,
                    cancelled=lambda: worker.is_cancelled,
                )
        except optimize.FitCancelled:
            return
        except Exception as exc:  # shown to the user, not lost in a worker
            if not worker.is_cancelled:
                app.call_from_thread(self._fit_failed, exc)
            return
        if not worker.is_cancelled:  # the user left Settings: abandon the result
            app.call_from_thread(self._fit_done, result, optimize.too_few_message(total, n))

    def _fit_failed(self, exc: Exception) -> None:
        self._fitting = False
        self._show_parameters()
        self._fit_status(f"Fitting failed: {exc}")
        self.notify(f"Fitting failed: {exc}", title="Settings", severity="error", markup=False)

    def _fit_done(self, result: Fit | None, too_few: str) -> None:
        self._fitting = False
        if result is None:
            self._fit_status(f"Not enough reviews yet: {too_few}")
        elif not result.improved:
            self._fit_status(
                f"The default parameters already fit your {result.reviews} reviews best "
                f"(log loss {result.default_loss:.4f}); nothing changed."
            )
        elif self._apply(self.settings.replace(fsrs_parameters=tuple(result.parameters))):
            self._fit_status(
                f"Fitted to {result.reviews} reviews: log loss {result.default_loss:.4f} → "
                f"{result.loss:.4f}. Saved; the scheduler uses them now."
            )
            self.notify("Personal parameters saved", title="Settings", markup=False)
        else:
            self._fit_status("The fitted parameters were not saved; see the message.")
        self._show_parameters()

    def use_defaults(self) -> None:
        if self.settings.fsrs_parameters is None:
            return
        if self._apply(self.settings.replace(fsrs_parameters=None)):
            self._fit_status("Back to the default parameters.")
            self.notify("Default parameters restored", title="Settings", markup=False)
        self._show_parameters()
