"""`dlquiz import csv` as Anki imports: duplicates skipped or updated, every problem listed."""

from __future__ import annotations

import argparse
import csv
import re
from pathlib import Path

import pytest

from dlquiz import paths
from dlquiz.commands.export import _import_help, add_parser, run_export, run_import
from dlquiz.content import load, load_builtin
from dlquiz.exports import ImportRefused, export_csv, import_deck
from tests.test_exports import SMALL_TOML

HEADER = ["kind", "slug", "term_or_question", "definition_or_answer", "explanation"]


def _csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="dlquiz")
    add_parser(parser.add_subparsers(dest="command"))
    return parser.parse_args(list(argv))


@pytest.fixture
def mine(tmp_path: Path, home: Path) -> Path:
    """The user's own deck ``mine.toml`` (the small test deck), in the data folder."""
    deck = paths.decks_dir(home) / "mine.toml"
    deck.parent.mkdir(parents=True)
    deck.write_text(SMALL_TOML, encoding="utf-8")
    return deck


def test_exported_file_imports_back_with_duplicates_skipped_and_counted(
    tmp_path: Path, home: Path, mine: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "all.csv"
    assert run_export(_args("export", "csv", str(out)), home) == 0
    builtin = load_builtin()
    n_builtin = len(builtin.terms) + len(builtin.concepts)
    capsys.readouterr()
    assert run_import(_args("import", "csv", str(out), "--name", "again"), home) == 0
    said = capsys.readouterr().out
    assert "Skipped 5 rows already in your decks" in said
    assert f"Skipped {n_builtin} rows already in the built-in content" in said
    assert "Nothing new to import" in said
    assert not (paths.decks_dir(home) / "again.toml").exists()
    # --on-duplicate error: refused, every clash listed (capped at 20 lines on screen).
    assert run_import(_args("import", "csv", str(out), "--on-duplicate", "error"), home) == 1
    err = capsys.readouterr().err.splitlines()
    assert f"{n_builtin + 5} problems" in err[0]
    assert len(err) == 1 + 20 + 1 and err[-1] == f"  … and {n_builtin + 5 - 20} more"


def test_update_changes_own_entries_adds_new_ones_and_never_builtin(
    tmp_path: Path, home: Path, mine: Path
) -> None:
    relu = load_builtin().terms["relu"]
    source = _csv(
        tmp_path / "edit.csv",
        [
            HEADER,
            ["term", "zq-bare", "Bare Entry", "Now with a better description of itself.", ""],
            ["concept", "zq-plain", "What is an identity block?", "One that returns x.", "y = x."],
            ["term", "zq-brand-new", "Brand New", "Something nobody had written down.", ""],
            ["term", "relu", "ReLU", "An attempt to rewrite a built-in entry.", ""],
        ],
    )
    result = import_deck(source, paths.decks_dir(home), "edits", on_duplicate="update")
    assert (result.added, result.updated, result.skipped_builtin) == (1, 2, 1)
    assert result.updated_decks == (mine,) and result.target == mine.parent / "edits.toml"
    loaded = load([paths.builtin_content_dir(), mine.parent])
    assert loaded.ok, loaded.problems
    assert loaded.terms["zq-bare"].definition == "Now with a better description of itself."
    assert loaded.concepts["zq-plain"].answer == "One that returns x."
    assert loaded.terms["zq-gated-unit"].aliases == ("GU; the gate", "gate \\ unit")  # kept
    assert loaded.terms["zq-brand-new"].term == "Brand New"
    assert loaded.terms["relu"] == relu


def test_update_that_breaks_an_own_deck_writes_nothing(
    tmp_path: Path, home: Path, mine: Path
) -> None:
    before = mine.read_bytes()
    source = _csv(
        tmp_path / "edit.csv",
        [HEADER, ["term", "zq-bare", "Bare Entry", "", ""], ["concept", "zq-bare", "Q?", "A", "E"]],
    )
    with pytest.raises(ImportRefused) as info:
        import_deck(source, paths.decks_dir(home), "edits", on_duplicate="update")
    assert info.value.problems == [
        "row 2 (term 'zq-bare'), definition_or_answer: is empty",
        "row 3: slug 'zq-bare' is already used on row 2",
    ]
    assert mine.read_bytes() == before
    assert not (mine.parent / "edits.toml").exists()


def test_every_problem_is_listed_structural_ones_included(tmp_path: Path, home: Path) -> None:
    source = _csv(
        tmp_path / "bad.csv",
        [
            HEADER,
            ["glossary", "zq-a", "A Thing", "Something.", ""],
            ["term", "zq-b", "B Thing", "Something.", "", "an extra cell"],
            ["term", "zq-c", "C Thing", "", ""],
            ["concept", "zq-d", "A question?", "An answer.", ""],
            ["term", "zq-fine", "Fine Thing", "A perfectly good description.", ""],
        ],
    )
    with pytest.raises(ImportRefused) as info:
        import_deck(source, paths.decks_dir(home), "bad")
    problems = info.value.problems
    assert [p.split(" ")[1].rstrip(":") for p in problems] == ["2", "3", "4", "5"], problems
    assert "kind must be 'term' or 'concept'" in problems[0]
    assert "6 cells but the header has 5 columns" in problems[1]
    assert "definition_or_answer: is empty" in problems[2]
    assert "explanation: is empty" in problems[3]


def test_unterminated_quote_is_named_as_such(tmp_path: Path, home: Path) -> None:
    source = tmp_path / "quote.csv"
    source.write_text(
        "kind,slug,term_or_question,definition_or_answer\n"
        "term,zq-ok,Okay Thing,Something fine.\n"
        'term,zq-open,"Open Thing,Something.\n'
        "term,zq-after,After Thing,Something else.\n",
        encoding="utf-8",
    )
    with pytest.raises(ImportRefused) as info:
        import_deck(source, paths.decks_dir(home), "quote")
    assert len(info.value.problems) == 1
    assert info.value.problems[0].startswith("row 3 (line 3): unterminated quote")


def test_help_states_what_validation_requires() -> None:
    text = " ".join(_import_help().split())
    assert "kind, slug, term_or_question and definition_or_answer must be in the header" in text
    assert "a concept also needs a non-empty explanation" in text
    assert "at most 20 lines and a count of the rest" in text
    for tag in ("cnn", "transformers", "history"):
        assert re.search(rf"\b{tag}\b", text)


def test_four_columns_import_a_term_and_a_concept_needs_its_explanation(
    tmp_path: Path, home: Path
) -> None:
    four = HEADER[:4]
    term = _csv(tmp_path / "t.csv", [four, ["term", "zq-only", "Only Thing", "Something."]])
    assert import_deck(term, paths.decks_dir(home), "t").added == 1
    concept = _csv(tmp_path / "c.csv", [four, ["concept", "zq-q", "Why?", "Because."]])
    with pytest.raises(ImportRefused) as info:
        import_deck(concept, paths.decks_dir(home), "c")
    assert info.value.problems == ["row 2 (concept 'zq-q'), explanation: is empty"]


def test_round_trip_of_own_deck_through_export(tmp_path: Path, home: Path, mine: Path) -> None:
    out = tmp_path / "mine.csv"
    export_csv(load([mine]), out)
    result = import_deck(out, paths.decks_dir(home), "copy", on_duplicate="update")
    assert (result.added, result.updated, result.target) == (0, 5, None)
    assert load([paths.builtin_content_dir(), mine]).ok


def test_two_imports_at_once_never_lose_one(tmp_path: Path, home: Path) -> None:
    # Two `import csv --name same` at once both said they wrote the deck; the second
    # replaced the first. Imports now take turns (a lock on the decks folder), and the
    # second finds the first one's deck there.
    import fcntl
    import os
    import threading

    decks = paths.decks_dir(home)
    decks.mkdir(parents=True)
    second = _csv(tmp_path / "b.csv", [HEADER, ["term", "zq-second", "Second Thing", "Two.", ""]])
    held = os.open(decks, os.O_RDONLY)
    fcntl.flock(held, fcntl.LOCK_EX)  # another import is between its check and its write
    outcome: list[object] = []

    def run() -> None:
        try:
            outcome.append(import_deck(second, decks, "same"))
        except ImportRefused as exc:
            outcome.append(exc)

    racer = threading.Thread(target=run)
    racer.start()
    racer.join(timeout=1.0)
    assert racer.is_alive(), "the import did not wait for the one in progress"
    (decks / "same.toml").write_text(SMALL_TOML, encoding="utf-8")  # the other one's deck
    fcntl.flock(held, fcntl.LOCK_UN)
    os.close(held)
    racer.join(timeout=60)
    [refused] = outcome
    assert isinstance(refused, ImportRefused) and "already exists" in str(refused.problems)
    assert (decks / "same.toml").read_text(encoding="utf-8") == SMALL_TOML


def test_an_entry_of_a_deck_with_errors_elsewhere_still_counts_as_taken(
    tmp_path: Path, home: Path
) -> None:
    # A start keeps the valid entries of a deck with an error. The import checked
    # against whole clean decks only, took the slug for free, and the next start left
    # the imported entry out as a duplicate.
    decks = paths.decks_dir(home)
    decks.mkdir(parents=True)
    (decks / "old.toml").write_text(
        '[[term]]\nslug = "zq-foo-thing"\nterm = "Foo Thing"\ndefinition = "Kept."\n\n'
        '[[term]]\nslug = "zq-broken"\nterm = "Broken"\ndefinition = ""\n',
        encoding="utf-8",
    )
    row = ["term", "zq-foo-thing", "Foo Again", "Another meaning.", ""]
    source = _csv(tmp_path / "in.csv", [HEADER, row])
    with pytest.raises(ImportRefused, match="duplicate slug"):
        import_deck(source, decks, "again")
    result = import_deck(source, decks, "again", on_duplicate="skip")
    assert result.target is None and result.skipped_own == 1
