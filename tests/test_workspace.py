"""Assembling a user's world: user decks, missing decks, damaged records of today."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from dlquiz import paths
from dlquiz.store import LOG_NAME
from dlquiz.study import Study

GOOD_DECK = """
[[term]]
slug = "user-gelu"
term = "User GELU"
aliases = ["Gaussian Error Linear Unit"]
definition = "A smooth activation, x times the standard normal CDF of x; used in Transformers."
related = ["relu"]
"""


def test_user_deck_loads_beside_builtin_and_a_broken_one_is_skipped(home: Path) -> None:
    decks = paths.decks_dir(home)
    decks.mkdir(parents=True)
    (decks / "mine.toml").write_text(GOOD_DECK)
    (decks / "broken.toml").write_text('[[term]]\nslug = "x"\nterm = "X"\n')
    workspace = Study.open(home, with_skills=False)
    try:
        assert "user-gelu" in workspace.content.terms and "relu" in workspace.content.terms
        assert "term/user-gelu/recall" in workspace.deck
        assert any("broken.toml" in n for n in workspace.notices)
    finally:
        workspace.close()


def test_missing_extra_deck_is_reported(home: Path, tmp_path: Path) -> None:
    workspace = Study.open(home, [tmp_path / "nope.toml"], with_skills=False)
    try:
        assert any("Deck not found" in n and "nope.toml" in n for n in workspace.notices)
    finally:
        workspace.close()


def test_a_damaged_record_from_today_does_not_stop_the_session(home: Path) -> None:
    home.mkdir(parents=True)
    now = datetime.now(UTC)
    bad = {"v": 1, "type": "review", "id": "x", "time": now.isoformat(), "rating": 3}
    (home / LOG_NAME).write_text(json.dumps(bad) + "\n")
    workspace = Study.open(home, with_skills=False)
    try:
        assert workspace.counts(now).reviewed_today == 0
        assert any("damaged" in n for n in workspace.notices)
    finally:
        workspace.close()


def test_read_only_open_writes_nothing(home: Path) -> None:
    workspace = Study.open(home, with_skills=False, read_only=True)
    workspace.close()
    assert not home.exists()
