"""The settings form's widgets, built a section at a time.

The screen (``dlquiz.tui.screens.settings``) composes the first section, the one a
first screenful shows, and mounts the others in the frames after it is shown: the
form is ~120 widgets and Textual builds, styles and lays out each (~1.5 ms apiece).
Every builder takes the settings to show, so a section mounted late shows what the
form was last set to.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import Button, Input, Label, Select, SelectionList, Static

from dlquiz.tui.settings_form import FIT_LABEL, LIST_FIELDS, PARSERS, TEXT_FIELDS, field_help, label

if TYPE_CHECKING:
    from dlquiz.settings import Settings

Choices = dict[str, tuple[tuple[str, Any], ...]]  # field -> (prompt, value) pairs offered
Section = Callable[["Settings", Choices, str, dict[str, str]], list[Widget]]

LIST_HINT = "Ticked ones are studied; Space or a click toggles."

# The form's look (the settings screen's DEFAULT_CSS): the fields these sections make.
FORM_CSS = """
    #settings-form {
        height: 1fr;
        padding: 0 1;
        scrollbar-gutter: stable;  /* the form always scrolls: one layout pass fewer */
    }
    .field {
        height: auto;
        margin-bottom: 1;
    }
    .field-row {
        layout: grid;
        grid-size: 2;
        grid-columns: 28 1fr;
        grid-rows: auto;
    }
    .field-row .field-help, .field-row .field-error {
        column-span: 2;
    }
    .field-label {
        width: 28;
        text-style: bold;
    }
    .field-row Input, .field-row Select {
        width: 1fr;
        max-width: 40;
    }
    .field-help {
        color: $text-muted;
    }
    .field-error {
        color: $text-error;
        text-style: bold;
        display: none;
    }
    .field-error.shown {
        display: block;
    }
    .field SelectionList {
        max-height: 12;
        border: round $primary-darken-2;
    }
    .field SelectionList:focus {
        border: round $primary;
    }
    .list-buttons, .fit-buttons {
        height: auto;
    }
    .list-buttons Button, .fit-buttons Button {
        margin-right: 1;
    }
    #fsrs-current {
        margin: 1 0 0 0;
    }
    #fit-status {
        color: $text-accent;
    }
    #settings-actions {
        height: auto;
        padding: 0 1;
        background: $boost;
    }
    #settings-actions Button {
        margin-right: 1;
    }
"""


def field(name: str, *widgets: Widget, row: bool = True, error: str = "") -> Vertical:
    """One field: label, widget(s), help (the field's docstring) and its error line."""
    parts: list[Widget] = [Label(label(name), classes="field-label")]
    if row:  # label and widget side by side: the field is a grid of two columns
        parts.extend(widgets)
    # else a tall widget: label and help above it
    parts.append(Static(field_help().get(name, ""), classes="field-help", markup=False))
    if name in LIST_FIELDS:
        parts.append(Static(LIST_HINT, classes="field-help"))
    if not row:
        parts.extend(widgets)
    classes = "field-error shown" if error else "field-error"
    parts.append(Static(error, id=f"err-{name}", classes=classes, markup=False))
    return Vertical(*parts, id=f"field-{name}", classes="field field-row" if row else "field")


def text_fields(names: tuple[str, ...]) -> Section:
    """The section of text fields ``names``."""

    def build(
        current: Settings, choices: Choices, theme: str, errors: dict[str, str]
    ) -> list[Widget]:
        return [
            field(
                name,
                Input(PARSERS[name][2](getattr(current, name)), id=f"f-{name}", compact=True),
                error=errors.pop(name, ""),
            )
            for name in names
        ]

    return build


def _select(name: str, options: Any, value: Any, errors: dict[str, str]) -> Vertical:
    widget = Select(options, value=value, allow_blank=False, compact=True, id=f"f-{name}")
    return field(name, widget, error=errors.pop(name, ""))


def select_fields(
    current: Settings, choices: Choices, theme: str, errors: dict[str, str]
) -> list[Widget]:
    return [
        _select(
            "day_starts_at_hour",
            [(f"{h:02d}:00", h) for h in range(24)],
            current.day_starts_at_hour,
            errors,
        ),
        _select("theme", choices["theme"], theme, errors),
        _select(
            "new_card_order",
            [
                ("Decks and topics in turn", "interleaved"),
                ("Deck by deck", "deck"),
                ("Random", "random"),
            ],
            current.new_card_order,
            errors,
        ),
        _select("bury_siblings", [("On", True), ("Off", False)], current.bury_siblings, errors),
    ]


def list_field(name: str) -> Section:
    """The section of one list of choices (ticked: studied)."""

    def build(
        current: Settings, choices: Choices, theme: str, errors: dict[str, str]
    ) -> list[Widget]:
        excluded = set(getattr(current, name))
        options = SelectionList[str](
            *[(prompt, v, v not in excluded) for prompt, v in choices[name]], id=f"f-{name}"
        )
        buttons = Horizontal(
            Button("All", id=f"all-{name}", compact=True),
            Button("None", id=f"none-{name}", compact=True),
            classes="list-buttons",
        )
        return [field(name, options, buttons, row=False, error=errors.pop(name, ""))]

    return build


def fsrs_field(
    current: Settings, choices: Choices, theme: str, errors: dict[str, str]
) -> list[Widget]:
    return [
        field(
            "fsrs_parameters",
            Static(id="fsrs-current"),
            Horizontal(
                Button(FIT_LABEL, id="fit", compact=True),
                Button("Use default parameters", id="defaults", compact=True),
                classes="fit-buttons",
            ),
            # Plain text: it says the fitting process's errors (its stderr), where "[" is
            # not markup (a "[/]" raised a MarkupError and the failure was never shown).
            Static("", id="fit-status", markup=False),
            row=False,
            error=errors.pop("fsrs_parameters", ""),
        )
    ]


# In the form's order. The first is composed with the screen; the others are mounted one
# per frame after it is shown (in a 120×40 terminal the selects show in the first screenful
# too: they arrive a frame later). The first is the smallest that starts the form: every
# widget in it is composed, styled and laid out before the screen shows at all.
FIRST_TEXT_FIELDS = 3
SECTIONS: tuple[Section, ...] = (
    text_fields(TEXT_FIELDS[:FIRST_TEXT_FIELDS]),
    text_fields(TEXT_FIELDS[FIRST_TEXT_FIELDS:]),
    select_fields,
    *(list_field(name) for name in LIST_FIELDS),
    fsrs_field,
)
