"""Assembling a user's world: user decks, missing decks, damaged records of today."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

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


def test_read_only_commands_read_the_apps_content_cache(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    Study.open(home, with_skills=False).close()  # the app filled this device's cache

    def parse_again(*_: object) -> None:
        raise AssertionError("the content was parsed again instead of read from the cache")

    monkeypatch.setattr("dlquiz.workspace._load_content", parse_again)
    with Study.open(home, with_skills=False, read_only=True) as reader:
        assert "relu" in reader.content.terms


MIXED_DECK = """
[[term]]
slug = "zq-kept"
term = "Kept Entry"
definition = "A well-formed entry, with a tag of the user's own."
tags = ["my-topic"]

[[term]]
slug = "zq-empty"
term = "Empty"
definition = ""

[[term]]
slug = "zq-leaky"
term = "Leaky Name"
definition = "The Leaky Name gives itself away."

[[term]]
slug = "zq-points-at-leaky"
term = "Pointer"
definition = "Links to an entry that is left out."
related = ["zq-leaky"]

[[term]]
slug = "zq-points-at-pointer"
term = "Second Pointer"
definition = "Links to an entry left out because of its link."
same_as = ["zq-points-at-pointer-target"]
broader = ["zq-points-at-leaky"]

[[term]]
slug = "zq-points-at-pointer-target"
term = "Third"
definition = "Well-formed, and linked from an entry that is left out."
"""


def test_an_entry_with_an_error_is_left_out_not_the_whole_deck(home: Path) -> None:
    # One typo in a new entry used to take every card of the deck out of the day's
    # study. Now only that entry goes, with the entries whose links need it.
    decks = paths.decks_dir(home)
    decks.mkdir(parents=True)
    (decks / "mine.toml").write_text(MIXED_DECK)
    with Study.open(home, with_skills=False) as study:
        terms = study.content.terms
        assert "zq-kept" in terms and "zq-points-at-pointer-target" in terms
        left_out = {"zq-empty", "zq-leaky", "zq-points-at-leaky", "zq-points-at-pointer"}
        assert not left_out & set(terms)
        assert "term/zq-kept/recall" in study.deck
        assert "my-topic" in study.deck["term/zq-kept/recall"].tags  # crammable by its tag
        [note] = [n for n in study.notices if "mine.toml" in n]
        assert "4 entries" in note and "left out" in note and "dlquiz check" in note
        problems = {p.entry for p in study.content_problems}
        assert {f"term '{slug}'" for slug in left_out} <= problems


def test_a_deck_that_is_not_toml_is_skipped_whole(home: Path) -> None:
    decks = paths.decks_dir(home)
    decks.mkdir(parents=True)
    (decks / "broken.toml").write_text("[[term]\nslug = ")
    with Study.open(home, with_skills=False) as study:
        [note] = [n for n in study.notices if "broken.toml" in n]
        assert "not loaded" in note
