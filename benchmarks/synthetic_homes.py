"""Synthetic data folders for the screen benchmarks, made through the core.

A user deck of generated terms (validated by the content loader), a review log whose
states come from the real scheduler, and state.json rebuilt from that log by the store.
"""

from __future__ import annotations

import json
import random
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any


def build_home(home: Path, n_cards: int, n_reviews: int, seed: int = 7) -> dict[str, Any]:
    """A data folder with about ``n_cards`` cards and ``n_reviews`` reviews; returns facts."""
    from dlquiz import paths
    from dlquiz.cards import Kind, build_deck
    from dlquiz.exports import toml_string
    from dlquiz.history import review_record
    from dlquiz.questions import families
    from dlquiz.records import encode
    from dlquiz.scheduler import AGAIN, EASY, GOOD, HARD, CardState, Scheduler
    from dlquiz.store import LOG_NAME, SETTINGS_NAME
    from dlquiz.study import Study
    from dlquiz.workspace import load_content, skill_cards

    started = time.perf_counter()
    home.mkdir(parents=True, exist_ok=True)
    # No question families in rotation: the benchmark times the app, not torch. No
    # new cards: the session serves reviewed cards, whose kinds the log below chooses.
    settings = {
        "excluded_skills": sorted(families()),
        "new_per_day": 0,
        "max_reviews_per_day": 100_000,
    }
    (home / SETTINGS_NAME).write_text(json.dumps(settings))
    builtin, _ = load_content(home / "builtin-probe", write_cache=False)
    builtin_cards = len(build_deck(builtin, skill_cards()))
    tags = sorted({tag for term in builtin.terms.values() for tag in term.tags})
    n_terms = max(0, (n_cards - builtin_cards) // 2)  # each term: a recall and a name card
    decks = paths.decks_dir(home)
    decks.mkdir(exist_ok=True)
    with (decks / "bench.toml").open("w", encoding="utf-8") as out:
        for i in range(n_terms):
            out.write(
                f'[[term]]\nslug = "bench-{i:06d}"\nterm = {toml_string(f"Benchterm {i}")}\n'
                f"definition = {toml_string(f'Synthetic glossary entry number {i}, made to time the screens with a large deck of cards.')}\n"  # noqa: E501
                f'tags = ["{tags[i % len(tags)]}"]\n\n'
            )
    content, skipped = load_content(home)  # validates, and fills the content cache
    if skipped:
        raise RuntimeError(f"the synthetic deck was refused: {skipped[:3]}")
    deck = build_deck(content, skill_cards())
    # Recall and concept cards only: a name card's choices scan every term
    # (cards.name_choices), timed apart as ``name_card_build_ms``.
    studied = [cid for cid, spec in deck.items() if spec.kind in (Kind.RECALL, Kind.CONCEPT)]

    rng = random.Random(seed)
    scheduler = Scheduler()
    now = datetime.now(UTC)
    span = timedelta(days=180)
    states: dict[str, CardState] = {}
    ratings = [AGAIN] * 10 + [HARD] * 5 + [GOOD] * 80 + [EASY] * 5
    with (home / LOG_NAME).open("wb") as log:
        for i in range(n_reviews):
            card = studied[i % len(studied)]
            at = now - span + span * (i / max(1, n_reviews)) - timedelta(hours=1)
            rating = rng.choice(ratings)
            before = states.get(card)
            after = scheduler.outcomes(before, at)[rating].state
            states[card] = after
            record = review_record(card, rating, at, before, after, rng.randrange(800, 9000))
            log.write(encode(record))
    with Study.open(home) as study:  # rebuilds state.json from the log
        cards_with_state = len(study.cards)
    return {
        "cards": len(deck),
        "reviews": n_reviews,
        "cards_reviewed": cards_with_state,
        "build_s": round(time.perf_counter() - started, 1),
    }


class Homes:
    """Synthetic data folders, each built once per run."""

    def __init__(self, root: Path, reviews: int, quick: bool = False) -> None:
        self.root, self.reviews, self.quick = root, reviews, quick
        self.facts: dict[int, dict[str, Any]] = {}

    def get(self, cards: int) -> Path:
        home = self.root / f"cards{cards}"
        if cards not in self.facts:
            self.facts[cards] = build_home(home, cards, self.reviews)
        return home

    def fresh(self) -> Path:
        return self.root / "fresh"
