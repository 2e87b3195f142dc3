"""The review footer, relabelled in place, shows what the stock Footer would compose.

To show the next card in one layout pass, ``KeyFooter`` relabels the keys it has instead
of removing and mounting them all, and on the review screen hides the keys it no longer
needs instead of removing them. Through every mode of a session (question, choices,
answer shown, feedback, done) the keys on screen must be exactly those the stock
Footer composes for the same bindings (cut to the width), and no key is ever removed.
"""

from __future__ import annotations

import random
from pathlib import Path

from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from dlquiz.study import Study
from dlquiz.tui.app import DLQuizApp
from dlquiz.tui.screens.review import ReviewScreen
from dlquiz.tui.widgets.footer import KeyFooter, fit_keys
from tests.conftest import Clock

NAME2 = "term/adagrad/name"


def _shown(footer: KeyFooter) -> list[tuple[str, str, str, bool, bool]]:
    return [
        (k.key, k.key_display, k.description, k._disabled, k.has_class("-command-palette"))
        for k in footer.query(FooterKey)
        if k.display
    ]


def _stock(footer: KeyFooter) -> list[tuple[str, str, str, bool, bool]]:
    """What the stock Footer composes for the screen's bindings now, cut to the width."""
    with footer._context():  # the stock keys bind to the footer's data
        keys = [w for w in Footer.compose(footer) if isinstance(w, FooterKey)]
    fitted = fit_keys(list(keys), footer.screen.size.width, compact=True)
    return [
        (k.key, k.key_display, k.description, k._disabled, k.has_class("-command-palette"))
        for k in fitted
        if isinstance(k, FooterKey)
    ]


async def test_the_relabelled_footer_equals_a_fresh_one_in_every_mode(
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
        footer = screen.query_one(KeyFooter)
        seen: set[FooterKey] = set()
        modes: set[str] = set()
        for step in range(24):
            if step in (2, 8) and screen.mode == "question":
                # A choice card (a term's name card), as if the user had asked for it.
                screen.next_card(app.study.deck["term/relu/name" if step == 2 else NAME2])
            await pilot.pause()
            assert _shown(footer) == _stock(footer), screen.mode
            seen.update(footer.query(FooterKey))
            assert all(k.is_attached for k in seen), "a key was removed"
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
