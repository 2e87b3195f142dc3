"""Settings' tag and skill choices come from one memoised pass; Home counts once per open."""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path

import pytest
from textual.widgets import SelectionList, Static

from dlquiz.__main__ import make_app
from dlquiz.cards import CardSpec, Kind, build_deck, deck_tags, term_card_id
from dlquiz.questions import generate
from dlquiz.scheduler import GOOD
from dlquiz.tui.app import DLQuizApp
from dlquiz.tui.screens.home import HomeScreen
from dlquiz.tui.screens.settings import SettingsScreen
from dlquiz.workspace import load_content, skill_cards
from tests.conftest import Clock
from tests.test_tui_settings import filled


def _app(home: Path, clock: Clock) -> DLQuizApp:
    return make_app(home, clock=clock, generator=generate, rng=random.Random(0))


def _spec(cid: str, kind: Kind, key: str, tags: tuple[str, ...]) -> CardSpec:
    return CardSpec(cid, kind, key, tags)


def test_deck_tags_counts_cards_per_tag_and_lists_skills() -> None:
    deck = {
        s.id: s
        for s in (
            _spec("term/a/recall", Kind.RECALL, "a", ("cnn", "vision")),
            _spec("term/a/name", Kind.NAME, "a", ("cnn", "vision")),
            _spec("concept/b", Kind.CONCEPT, "b", ("cnn", "cnn")),  # a repeat counts once
            _spec("skill/conv/1", Kind.SKILL, "conv", ("cnn",)),
            _spec("skill/norm/1", Kind.SKILL, "norm", ("normalization",)),
        )
    }
    tags = deck_tags(deck)
    # Skill topics are not offered as tags, but skill cards count under the tags offered.
    assert tags.counts == {"cnn": 4, "vision": 2}
    assert list(tags.counts) == sorted(tags.counts)
    assert tags.skills == {"conv", "norm"}


def test_deck_tags_match_a_direct_count_of_the_real_deck(home: Path) -> None:
    content, _ = load_content(home)
    deck = build_deck(content, skill_cards())
    offered = {t for s in deck.values() if s.kind is not Kind.SKILL for t in s.tags}
    direct = Counter(t for s in deck.values() for t in set(s.tags) if t in offered)
    tags = deck_tags(deck)
    assert tags.counts == dict(direct)
    assert tags.skills == {s.key for s in deck.values() if s.kind is Kind.SKILL}


def test_deck_tags_are_computed_once_per_deck(home: Path) -> None:
    content, _ = load_content(home)
    deck = build_deck(content)
    first = deck_tags(deck)
    assert deck_tags(deck) is first
    deck["skill/extra/1"] = _spec("skill/extra/1", Kind.SKILL, "extra", ("cnn",))
    grown = deck_tags(deck)  # the same deck, filled in place: counted afresh
    assert grown is not first and "extra" in grown.skills
    assert grown.counts["cnn"] == first.counts["cnn"] + 1
    other = {cid: spec for cid, spec in deck.items() if "cnn" not in spec.tags}
    assert "cnn" not in deck_tags(other).counts  # another deck: counted afresh


async def test_settings_lists_the_deck_tags_with_counts(home: Path, clock: Clock) -> None:
    app = _app(home, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = SettingsScreen()
        await app.push_screen(screen)
        await filled(pilot, screen)  # the lists come after the first screenful
        tags = screen.query_one("#f-excluded_tags", SelectionList)
        prompts = {
            tags.get_option_at_index(i).value: str(tags.get_option_at_index(i).prompt)
            for i in range(tags.option_count)
        }
        deck = app.study.deck.values()
        cnn = sum(1 for spec in deck if "cnn" in spec.tags)
        assert prompts["cnn"] == f"cnn  ({cnn} cards)"
        assert set(prompts) == {t for s in deck if s.kind is not Kind.SKILL for t in s.tags}


async def test_home_counts_once_per_open_and_started_cards_are_right(
    home: Path, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = _app(home, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        study = app.study
        relu = term_card_id("relu", Kind.RECALL)
        study.answer(relu, study.outcomes(relu, clock())[GOOD], clock())
        calls: list[object] = []
        counts = type(study).counts

        def counting(self: object, now: object) -> object:
            calls.append(now)
            return counts(self, now)  # type: ignore[arg-type]

        monkeypatch.setattr(type(study), "counts", counting)
        await app.push_screen(HomeScreen())
        await pilot.pause()
        assert len(calls) == 1
        status = str(app.screen.query_one("#home-status", Static).render())
        assert status.startswith(f"1 of {len(study.deck)} cards started")
