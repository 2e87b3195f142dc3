"""The review footer shows what the stock Footer would compose, in every mode.

``LineFooter`` draws the keys itself (one widget instead of one per key) from the
screen's bindings. Through every mode of a session (question, choices, answer shown,
feedback, done) its keys must be exactly those the stock Footer composes for the same
bindings, cut to the width, and its line must show each of them.
"""

from __future__ import annotations

import random
from pathlib import Path

from textual.screen import Screen
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from dlquiz.study import Study
from dlquiz.tui.app import DLQuizApp
from dlquiz.tui.screens.review import ReviewScreen
from dlquiz.tui.widgets.footer import KeySpec, LineFooter, fit_specs
from tests.conftest import Clock

NAME2 = "term/adagrad/name"


Key = tuple[str, str, str, bool, bool]


def _shown(footer: LineFooter) -> list[Key]:
    return [(k.key, k.key_display, k.description, k.disabled, k.palette) for k in footer.shown()]


def _stock(footer: LineFooter) -> list[Key]:
    """What the stock Footer composes for the screen's bindings now, cut to the width."""
    screen = footer.screen

    class Probe(Footer):  # the stock Footer, composing for this screen's bindings
        @property
        def screen(self) -> Screen[object]:
            return screen

    stock = Probe(compact=True)
    stock._bindings_ready = True  # what the stock Footer records at its first bindings
    with stock._context():  # its keys bind to its data
        keys = [w for w in stock.compose() if isinstance(w, FooterKey)]
    specs = [
        KeySpec(
            k.key,
            k.key_display,
            k.description,
            k.action,
            k._disabled,
            "",
            k.has_class("-command-palette"),
        )
        for k in keys
    ]
    return [
        (k.key, k.key_display, k.description, k.disabled, k.palette)
        for k in fit_specs(specs, footer.size.width)
    ]


async def test_the_footer_shows_what_the_stock_one_would_in_every_mode(
    home: Path, clock: Clock
) -> None:
    study = Study.open(home, with_skills=False, now=clock())
    app = DLQuizApp(study, clock=clock, rng=random.Random(0))
    rng = random.Random(3)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ReviewScreen)
        footer = screen.query_one(LineFooter)
        modes: set[str] = set()
        for step in range(24):
            if step in (2, 8) and screen.mode == "question":
                # A choice card (a term's name card), as if the user had asked for it.
                screen.next_card(app.study.deck["term/relu/name" if step == 2 else NAME2])
            await pilot.pause()
            assert _shown(footer) == _stock(footer), screen.mode
            line = str(footer.render())
            for _key, display, description, _disabled, _palette in _shown(footer):
                assert f"{display} {description}" in line, screen.mode
            modes.add(screen.mode)
            cur = screen.current
            if screen.mode == "done" or cur is None:
                break
            if screen.mode == "question":
                if cur.is_choice:
                    await pilot.press(str(rng.randint(1, len(cur.choices))))
                else:
                    await pilot.press("space")
            elif screen.mode == "feedback":
                await pilot.press(rng.choice(["enter", "1", "3"]))
            else:
                await pilot.press(str(rng.randint(1, 4)))
            if rng.random() < 0.2 and screen.mode == "question":
                await pilot.press("u")  # undo: the card before comes back
        assert {"question", "revealed", "feedback"} <= modes
        await pilot.press("q")
