"""Layout: footers that fit, code that scrolls instead of wrapping, a reading width,
toasts clear of the rating bar, a form's first field focused, one theme system."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from rich.syntax import Syntax
from textual.pilot import Pilot
from textual.widgets import Header, Input, Select, Static
from textual.widgets._toast import Toast

from dlquiz import practice
from dlquiz.__main__ import make_app
from dlquiz.questions import generate
from dlquiz.tui.app import DLQuizApp
from dlquiz.tui.screens.review import ReviewScreen
from dlquiz.tui.screens.settings import SettingsScreen
from dlquiz.tui.widgets.card_parts import CardHead, TitleBar
from dlquiz.tui.widgets.footer import KeySpec, LineFooter, fit_specs
from dlquiz.tui.widgets.rating_bar import RatingBar
from tests.conftest import SETTINGS_NAME, Clock
from tests.test_tui_settings import filled

WIDTHS = [60, 80, 100, 120, 160, 200]


def _app(home: Path, clock: Clock) -> DLQuizApp:
    return make_app(home, clock=clock, generator=generate, rng=random.Random(0))


def _assert_footer_fits(app: DLQuizApp, width: int, where: str) -> None:
    footer = app.screen.query_one(LineFooter)
    line = str(footer.render())
    assert len(line) == width == footer.size.width, where
    assert line.endswith("▏^p palette "), f"{where}: the palette key is not at the right"
    keys = [k for k in footer.shown() if not k.palette]
    assert keys, f"{where}: no keys at all"
    for key in keys:  # each key whole, before the palette key
        label = f"{key.key_display} {key.description}".strip()
        assert label in line[: line.rindex("▏")], f"{where}: '{label}' is cut or missing"


async def _settle(pilot: Pilot[int]) -> None:
    await pilot.pause()
    await pilot.pause()


async def _footer_fits_at_every_width(
    pilot: Pilot[int], app: DLQuizApp, first: int, where: str
) -> None:
    """Check at ``first`` (the width the screen was opened at), then at every other width
    by resizing: one screen composed once instead of once per width."""
    for width in [first, *(w for w in WIDTHS if w != first)]:
        if app.size.width != width:
            await pilot.resize_terminal(width, 24)
            await _settle(pilot)
        _assert_footer_fits(app, width, f"{where} at {width} columns")


SCREENS = [
    "home",
    "review question",
    "review answer",
    "browse",
    "stats",
    "settings",
    "quiz",
    "cram",
]


@pytest.mark.parametrize("where", SCREENS)
async def test_every_footer_fits_from_60_to_200_columns(
    home: Path, clock: Clock, where: str
) -> None:
    first = WIDTHS[SCREENS.index(where) % len(WIDTHS)]  # screens open at different widths
    app = _app(home, clock)
    async with app.run_test(size=(first, 24)) as pilot:
        await _settle(pilot)
        if where.startswith("review"):
            await pilot.press("enter")
            await _settle(pilot)
            if where == "review answer":
                await pilot.press("space")
                await _settle(pilot)
        elif where != "home":
            getattr(app, f"action_{where}")()
            await _settle(pilot)
            await app.workers.wait_for_complete()
            await _settle(pilot)
        await _footer_fits_at_every_width(pilot, app, first, where)


@pytest.mark.parametrize("where", ["browse", "stats", "settings", "quiz", "cram", "skill_map"])
async def test_every_screen_draws_its_title_bar_in_one_widget(
    home: Path, clock: Clock, where: str
) -> None:
    """As home and the review screen do: Textual's Header is four widgets, and their
    late title update cost each screen's first opening a layout pass of its own."""
    app = _app(home, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await _settle(pilot)
        getattr(app, f"action_{where}")()
        await _settle(pilot)
        screen = app.screen
        assert not screen.query(Header)
        bar = screen.query_one(TitleBar)
        assert bar.region.y == 0 and bar.size == (80, 1)
        sub_title = screen.sub_title if screen.sub_title is not None else app.sub_title
        assert f"dlquiz — {sub_title}" in str(bar.render())


async def test_footer_follows_a_resize(home: Path, clock: Clock) -> None:
    app = _app(home, clock)
    async with app.run_test(size=(200, 24)) as pilot:
        await pilot.press("enter", "space")
        await _settle(pilot)
        wide = len(app.screen.query_one(LineFooter).shown())
        await pilot.resize_terminal(60, 20)
        await _settle(pilot)
        _assert_footer_fits(app, 60, "after a resize to 60")
        narrow = len(app.screen.query_one(LineFooter).shown())
        assert narrow < wide
        await pilot.resize_terminal(200, 24)
        await _settle(pilot)
        assert len(app.screen.query_one(LineFooter).shown()) == wide


def test_fit_specs_drops_the_last_keys_and_keeps_the_palette() -> None:
    keys = [
        KeySpec(k, k, d, d, False, "") for k, d in (("a", "Alpha"), ("b", "Beta"), ("q", "Quit"))
    ]
    palette = KeySpec("ctrl+p", "^p", "palette", "palette", False, "", palette=True)
    # a Alpha=8, b Beta=7, q Quit=7 (margins included); palette 1+2+1+7=11
    assert fit_specs([*keys, palette], 33) == [*keys, palette]
    assert fit_specs([*keys, palette], 32) == [keys[0], keys[1], palette]
    assert fit_specs([*keys, palette], 19) == [keys[0], palette]
    assert fit_specs([*keys, palette], 18) == [palette]


def test_fit_specs_keeps_help_when_the_screen_keys_run_out_of_room() -> None:
    # At 60 columns the home screen's keys ran to the edge and Help, the app's key and
    # the last, was dropped first: the one key a new user needs to find the others.
    keys = [KeySpec(k, k, d, d, False, "") for k, d in (("a", "Alpha"), ("b", "Beta"))]
    help_key = KeySpec("question_mark", "?", "Help", "help", False, "")
    palette = KeySpec("ctrl+p", "^p", "palette", "palette", False, "", palette=True)
    # a Alpha=8, b Beta=7, ? Help=7, palette 11
    assert fit_specs([*keys, help_key, palette], 33) == [*keys, help_key, palette]
    assert fit_specs([*keys, help_key, palette], 32) == [keys[0], help_key, palette]
    assert fit_specs([*keys, help_key, palette], 18) == [help_key, palette]
    assert fit_specs([*keys, help_key, palette], 17) == [palette]


# The screens whose keys go to the screen (browse and settings open on a text box).
@pytest.mark.parametrize("key", ["", "enter", "s", "m"])
async def test_help_stays_in_the_footer_at_60_columns(home: Path, clock: Clock, key: str) -> None:
    app = make_app(home, clock=clock)
    async with app.run_test(size=(60, 20)) as pilot:
        await _settle(pilot)
        if key:
            await pilot.press(key)
            await _settle(pilot)
        shown = [k.description for k in app.screen.query_one(LineFooter).shown()]
        assert "Help" in shown, (type(app.screen).__name__, shown)


async def _resnet_question(
    pilot: Pilot[int], app: DLQuizApp, family: str = "resnet-block"
) -> ReviewScreen:
    plan = practice.cram(app.study.deck, f"skill:{family}", random.Random(3), app.clock())
    app.start_practice(plan)
    await pilot.pause()
    screen = app.screen
    assert isinstance(screen, ReviewScreen)
    for _ in range(3000):  # a cap: the first question may import torch, on a busy machine
        if screen.mode == "question":
            break
        await pilot.pause(0.01)
    await _settle(pilot)  # laid out
    return screen


async def test_code_scrolls_sideways_instead_of_wrapping(home: Path, clock: Clock) -> None:
    app = _app(home, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _resnet_question(pilot, app)
        assert screen.current is not None and screen.current.question is not None
        code = screen.current.question.code
        longest = max(len(line) for line in code.splitlines())
        widget = screen.query_one("#card-code", Static)
        syntax = widget.content
        assert isinstance(syntax, Syntax) and not syntax.word_wrap
        assert longest > 76  # this question's code is wider than the card at 80 columns
        assert widget.size.width >= longest  # every line whole, in one row
        assert widget.size.height == len(code.rstrip("\n").splitlines())
        card = screen.query_one("#card")
        assert card.virtual_size.width > card.size.width  # so the card scrolls sideways
        card.scroll_right(animate=False)
        await pilot.pause()
        assert card.scroll_x > 0


async def test_text_width_is_capped_on_a_wide_terminal(home: Path, clock: Clock) -> None:
    app = _app(home, clock)
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.press("enter", "space")
        await _settle(pilot)
        head = app.screen.query_one(CardHead)
        assert head.back is not None and 0 < head.size.width <= 90
        assert head.render_line(head.rule_line or 0).cell_length == head.size.width  # the rule


@pytest.mark.parametrize("size", [(60, 20), (80, 24), (120, 40)])
async def test_toasts_never_cover_the_rating_bar(
    home: Path, clock: Clock, size: tuple[int, int]
) -> None:
    app = _app(home, clock)
    async with app.run_test(size=size, notifications=True) as pilot:
        await pilot.press("enter", "space")
        await _settle(pilot)
        app.notify("A long notice " * 8, title="Your data", severity="warning")
        app.notify("Flagged.")
        await _settle(pilot)
        bar = app.screen.query_one(RatingBar)
        assert bar.display and bar.region.height > 0
        toasts = list(app.screen.query(Toast))
        assert len(toasts) == 2
        for toast in toasts:
            assert not toast.region.overlaps(bar.region)


async def test_settings_opens_on_its_first_field(home: Path, clock: Clock) -> None:
    app = _app(home, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        app.action_settings()
        await _settle(pilot)
        screen = app.screen
        assert isinstance(screen, SettingsScreen)
        assert isinstance(app.focused, Input) and app.focused.id == "f-desired_retention"


async def test_every_textual_theme_is_offered_and_the_palette_choice_is_kept(
    home: Path, clock: Clock
) -> None:
    app = _app(home, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        app.action_settings()
        await _settle(pilot)
        await filled(pilot, app.screen)  # the selects come after the first screenful
        select = app.screen.query_one("#f-theme", Select)
        offered = {value for _, value in select._options}
        assert set(app.available_themes) <= offered
        assert select.value == "textual-dark"
        app.theme = "nord"  # what the palette's Theme command does
        await _settle(pilot)
        assert json.loads((home / SETTINGS_NAME).read_text())["theme"] == "nord"
        assert app.study.settings.theme == "nord"
    again = _app(home, clock)
    async with again.run_test(size=(80, 24)):
        assert again.theme == "nord"


@pytest.mark.parametrize(
    ("saved", "shown"),
    [("light", "textual-light"), ("dark", "textual-dark"), ("no-such-theme", "textual-dark")],
)
async def test_saved_theme_names_old_and_unknown(
    home: Path, clock: Clock, saved: str, shown: str
) -> None:
    (home / SETTINGS_NAME).parent.mkdir(parents=True)
    (home / SETTINGS_NAME).write_text(json.dumps({"theme": saved}))
    app = _app(home, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        assert app.theme == shown
        app.action_settings()
        await _settle(pilot)
        screen = app.screen
        assert isinstance(screen, SettingsScreen)
        await filled(pilot, screen)
        assert screen.query_one("#f-theme", Select).value == shown
        assert not screen.edited  # showing the saved theme is not an edit


@pytest.mark.parametrize("family", ["sequential-shape", "resnet50-stage"])
async def test_the_answer_box_is_in_view_when_a_long_question_comes(
    home: Path, clock: Clock, family: str
) -> None:
    # At 60x20 a question with long code put its answer box below the card's visible
    # rows: the focus went to it before it was laid out, so nothing scrolled to it and
    # the user typed into a box they could not see.
    app = _app(home, clock)
    async with app.run_test(size=(60, 20)) as pilot:
        screen = await _resnet_question(pilot, app, family)
        assert screen.current is not None and screen.current.is_typed
        await _settle(pilot)
        box = screen.query_one("#typed", Input)
        card = screen.query_one("#card")
        assert box.has_focus
        shown = card.content_region
        assert shown.y <= box.region.y + 1 and box.region.y + 1 < shown.bottom, (
            box.region,
            shown,
        )  # the row the text is typed on
