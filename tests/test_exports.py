"""Export to Anki / CSV, import a CSV as a deck, export the review log."""

from __future__ import annotations

import argparse
import csv
import json
import sqlite3
import tomllib
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dlquiz import paths
from dlquiz.commands.export import add_parser, run_export, run_import
from dlquiz.content import Content, load, load_builtin
from dlquiz.exports import (
    ANKI_TERM_MODEL_ID,
    CSV_COLUMNS,
    LOG_COLUMNS,
    ImportRefused,
    csv_to_toml,
    export_anki,
    export_csv,
    export_log,
    import_csv,
    join_list,
    split_list,
    toml_string,
)
from dlquiz.history import mark_record, review_record, undo_record
from dlquiz.scheduler import Scheduler
from tests.conftest import LOG_NAME, T0, OwnedStore

# A small deck with awkward text: quotes, backslashes, semicolons inside list
# items, HTML-looking text, line breaks, non-ASCII. It links to built-in terms.
SMALL_TOML = r'''
[[term]]
slug = "zq-gated-unit"
term = "Gated Unit"
aliases = ["GU; the gate", "gate \\ unit"]
definition = """A layer whose output is multiplied element-wise by a learned sigmoid mask, so the \
network decides per feature how much passes: "<b>open</b>" or shut.
A second line, with a tab\there."""
formula = "y = (xW + b) ⊙ σ(xV + c); see C:\\path"
tags = ["architecture", "nlp"]
related = ["relu", "zq-skip-wire"]

[[term]]
slug = "zq-skip-wire"
term = "Skip Wire"
definition = "A connection that carries a tensor past some layers unchanged, to be added back."
tags = ["resnet"]
same_as = []

[[term]]
slug = "zq-bare"
term = "Bare Entry"
definition = "An entry with nothing but the three required fields filled in."

[[concept]]
slug = "zq-why-gate"
question = "Why multiply by a sigmoid mask rather than add it?"
answer = "Multiplying lets the mask switch a feature off; adding only shifts it"
explanation = "A product with a value near 0 silences the feature; a sum cannot silence anything."
choices = [
    "Multiplying lets the mask switch a feature off; adding only shifts it",
    "Adding is slower; multiplying is faster",
    "They are the same; the choice is cosmetic",
]
tags = ["architecture"]
related = ["zq-gated-unit", "relu"]

[[concept]]
slug = "zq-plain"
question = "What does \"identity\" mean for a block?"
answer = "Its output equals its input."
explanation = "With zero residual the block passes x through: y = x."
'''


@pytest.fixture
def small(tmp_path: Path) -> Content:
    path = tmp_path / "small.toml"
    path.write_text(SMALL_TOML, encoding="utf-8")
    content = load([paths.builtin_content_dir(), path])
    assert content.ok, content.problems
    own = load([path])  # links to built-in terms are reported here; the entries load
    return Content(terms=own.terms, concepts=own.concepts)


def _write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


# ----- TOML and list cells ---------------------------------------------------------------


@given(st.text())
def test_toml_string_round_trips_any_text(text: str) -> None:
    assert tomllib.loads(f"x = {toml_string(text)}")["x"] == text


def test_toml_string_escapes_what_toml_requires() -> None:
    assert toml_string('a"b\\c') == '"a\\"b\\\\c"'
    assert toml_string("\x00\x7f\x1b") == '"\\u0000\\u007F\\u001B"'
    assert "\n" not in toml_string("two\nlines")


@given(st.lists(st.text()))
def test_list_cells_round_trip(items: list[str]) -> None:
    assert split_list(join_list(items)) == [i.strip() for i in items if i.strip()]


def test_split_list_reads_hand_written_cells() -> None:
    assert split_list(" a ; b;;c ") == ["a", "b", "c"]
    assert split_list(r"x\;y;z") == ["x;y", "z"]
    assert split_list("") == []


# ----- CSV export / import ---------------------------------------------------------------


def test_csv_round_trip_small_content(small: Content, tmp_path: Path, home: Path) -> None:
    out = tmp_path / "deck.csv"
    assert export_csv(small, out) == 5
    with out.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert [r[0] for r in rows[1:]] == ["term"] * 3 + ["concept"] * 2

    target = import_csv(out, paths.decks_dir(home), "mine")
    assert target == paths.decks_dir(home) / "mine.toml"
    loaded = load([paths.builtin_content_dir(), target])
    assert loaded.ok, loaded.problems
    for slug, term in small.terms.items():
        assert loaded.terms[slug] == term
    for slug, concept in small.concepts.items():
        assert loaded.concepts[slug] == concept

    # The app loads it too (through the content cache).
    from dlquiz.workspace import load_content

    content, skipped = load_content(home)
    assert not skipped
    assert content.terms["zq-gated-unit"] == small.terms["zq-gated-unit"]


def test_csv_round_trip_builtin_content(tmp_path: Path, home: Path) -> None:
    builtin = load_builtin()
    out = tmp_path / "builtin.csv"
    assert export_csv(builtin, out) == len(builtin.terms) + len(builtin.concepts)
    deck = tmp_path / "again.toml"
    deck.write_text(csv_to_toml(out), encoding="utf-8")
    again = load([deck])
    assert again.ok, again.problems
    assert again.terms == builtin.terms
    assert again.concepts == builtin.concepts

    # Importing it beside the built-in content clashes on every slug: refused whole.
    with pytest.raises(ImportRefused) as info:
        import_csv(out, paths.decks_dir(home), "copy")
    assert len(info.value.problems) == len(builtin.terms) + len(builtin.concepts)
    assert all("duplicate slug" in p for p in info.value.problems)
    assert not (paths.decks_dir(home) / "copy.toml").exists()


def test_import_refuses_invalid_rows_and_writes_nothing(tmp_path: Path, home: Path) -> None:
    header = ["kind", "slug", "term_or_question", "definition_or_answer", "tags", "explanation"]
    fine = "A perfectly good description of something."
    source = _write_csv(
        tmp_path / "bad.csv",
        [
            header,
            ["term", "zq-fine", "Fine Term", fine, "", ""],
            ["term", "zq-empty", "Empty Definition", "", "", ""],
            ["term", "relu", "ReLU again", "Clashes with the built-in entry of that slug.", "", ""],
            ["term", "zq-leak", "Leaky Name", "The Leaky Name is defined by itself.", "", ""],
            ["concept", "zq-no-why", "A question?", "An answer.", "", ""],
            ["concept", "zq-tagged", "A question?", "An answer.", "no_such_tag", "Because."],
        ],
    )
    decks = paths.decks_dir(home)
    with pytest.raises(ImportRefused) as info:
        import_csv(source, decks, "bad")
    problems = info.value.problems
    text = "\n".join(problems)
    assert [p.split(" ")[1] for p in problems] == ["3", "4", "5", "6", "7"], text  # row order
    assert "definition_or_answer: is empty" in problems[0]
    assert "duplicate slug" in problems[1]
    assert "gives away the name" in problems[2] and "Leaky Name" in problems[2]
    assert "explanation: is empty" in problems[3]
    assert "tags: a tag is lowercase words joined by hyphens" in problems[4]
    assert not decks.exists() or not any(decks.iterdir())


def test_import_reports_repeated_slugs_with_both_rows(tmp_path: Path, home: Path) -> None:
    source = _write_csv(
        tmp_path / "dup.csv",
        [
            ["kind", "slug", "term_or_question", "definition_or_answer"],
            ["term", "zq-one", "First Thing", "Something stated once."],
            ["term", "zq-one", "Second Thing", "Something stated twice."],
        ],
    )
    with pytest.raises(ImportRefused) as info:
        import_csv(source, paths.decks_dir(home), "dup")
    assert info.value.problems == ["row 3: slug 'zq-one' is already used on row 2"]


def test_import_needs_only_the_four_columns(tmp_path: Path, home: Path) -> None:
    source = _write_csv(
        tmp_path / "My Terms.csv",
        [
            ["Kind", "Slug", "Term_or_Question", "Definition_or_Answer"],
            ["term", "zq-minimal", "Minimal Term", "Something defined in few words."],
            ["", "", "", ""],  # blank lines are skipped
        ],
    )
    target = import_csv(source, paths.decks_dir(home))
    assert target.name == "My-Terms.toml"
    loaded = load([target])
    assert loaded.terms["zq-minimal"].definition == "Something defined in few words."


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        ([["kind", "slug", "term_or_question"]], "missing column(s) definition_or_answer"),
        (
            [["kind", "slug", "term_or_question", "definition_or_answer", "colour"]],
            "unknown column(s) 'colour'",
        ),
        (
            [
                ["kind", "slug", "term_or_question", "definition_or_answer"],
                ["glossary", "zq-x", "X Thing", "Something."],
            ],
            "row 2: kind must be 'term' or 'concept'",
        ),
        ([["kind", "slug", "term_or_question", "definition_or_answer"]], "only a header row"),
        ([], "empty file"),
    ],
)
def test_import_refuses_malformed_files(
    tmp_path: Path, home: Path, rows: list[list[str]], expected: str
) -> None:
    source = _write_csv(tmp_path / "x.csv", rows)
    with pytest.raises(ImportRefused) as info:
        import_csv(source, paths.decks_dir(home), "x")
    assert expected in str(info.value)


def test_import_refuses_non_utf8(tmp_path: Path, home: Path) -> None:
    source = tmp_path / "latin.csv"
    source.write_bytes(
        "kind,slug,term_or_question,definition_or_answer\nterm,a,é,x\n".encode("cp1252")
    )
    with pytest.raises(ImportRefused, match="not UTF-8"):
        import_csv(source, paths.decks_dir(home), "latin")


def test_import_does_not_overwrite_unless_asked(small: Content, tmp_path: Path, home: Path) -> None:
    out = tmp_path / "deck.csv"
    export_csv(small, out)
    decks = paths.decks_dir(home)
    first = import_csv(out, decks, "mine")
    before = first.read_bytes()
    with pytest.raises(ImportRefused, match="already exists"):
        import_csv(out, decks, "mine")
    # Overwriting is allowed, and the deck does not clash with its own old version.
    assert import_csv(out, decks, "mine", overwrite=True) == first
    assert first.read_bytes() == before
    # ... but a second deck with the same slugs clashes with the first one.
    with pytest.raises(ImportRefused, match="duplicate slug"):
        import_csv(out, decks, "other")


def test_import_refuses_bad_deck_names(tmp_path: Path, home: Path) -> None:
    source = _write_csv(tmp_path / "x.csv", [["kind", "slug", "term_or_question"]])
    for name in ("../escape", "a b", ".hidden", ""):
        with pytest.raises(ImportRefused, match="deck name"):
            import_csv(source, paths.decks_dir(home), name)


# ----- Anki ------------------------------------------------------------------------------


def _open_apkg(path: Path, into: Path) -> sqlite3.Connection:
    with zipfile.ZipFile(path) as archive:
        assert "collection.anki2" in archive.namelist()
        archive.extractall(into)
    return sqlite3.connect(into / "collection.anki2")


def test_anki_package_of_small_content(small: Content, tmp_path: Path) -> None:
    import genanki

    out = tmp_path / "small.apkg"
    counts = export_anki(small, [], out)
    assert counts == (3, 2, 0)
    db = _open_apkg(out, tmp_path / "unzipped")
    notes = db.execute("SELECT guid, mid, tags, flds FROM notes").fetchall()
    assert len(notes) == len(small.terms) + len(small.concepts)
    # Two cards per term (both directions), one per concept.
    (n_cards,) = db.execute("SELECT count(*) FROM cards").fetchone()
    assert n_cards == 2 * len(small.terms) + len(small.concepts)
    models = json.loads(db.execute("SELECT models FROM col").fetchone()[0])
    assert len(models[str(ANKI_TERM_MODEL_ID)]["tmpls"]) == 2

    by_guid = {guid: (tags.split(), flds.split("\x1f")) for guid, _mid, tags, flds in notes}
    for slug, term in small.terms.items():
        tags, _ = by_guid[genanki.guid_for("dlquiz", "term", slug)]
        assert set(term.tags) <= set(tags)
        assert "dlquiz::term" in tags
        assert all(" " not in t for t in tags)
    for slug, concept in small.concepts.items():
        tags, _ = by_guid[genanki.guid_for("dlquiz", "concept", slug)]
        assert set(concept.tags) | {"dlquiz::concept"} <= set(tags)
    # HTML in the text is escaped, line breaks become <br>.
    _, gated = by_guid[genanki.guid_for("dlquiz", "term", "zq-gated-unit")]
    assert "&lt;b&gt;open&lt;/b&gt;" in gated[2]
    assert "<br>A second line" in gated[2]
    assert "<b>" not in gated[2]


def test_anki_package_with_skill_samples(small: Content, tmp_path: Path) -> None:
    import genanki

    from dlquiz.questions import families, generate

    chosen = ["conv2d-shape", "lr-decay"]
    fams = families()
    n_skills = sum(len(fams[f].levels) for f in chosen)
    out = tmp_path / "skills.apkg"
    counts = export_anki(small, chosen, out, samples_per_skill=1, seed=5)
    assert counts.samples == n_skills
    db = _open_apkg(out, tmp_path / "unzipped")
    (n_notes,) = db.execute("SELECT count(*) FROM notes").fetchone()
    assert n_notes == len(small.terms) + len(small.concepts) + n_skills
    rows = db.execute("SELECT guid, tags, flds FROM notes WHERE tags LIKE '%dlquiz::skill %'")
    skill_notes = {guid: (tags.split(), flds.split("\x1f")) for guid, tags, flds in rows}
    assert len(skill_notes) == n_skills
    level = min(fams["conv2d-shape"].levels)
    tags, fields = skill_notes[genanki.guid_for("dlquiz", "skill", "conv2d-shape", level, 0)]
    assert fams["conv2d-shape"].topic in tags
    # The sample is the question generated with seed 5: same answer on the back.
    question = generate("conv2d-shape", level, 5)
    assert fields[3] == question.expected.display()
    assert "<pre><code>" in fields[5]  # the proof snippet


def test_anki_export_is_stable(small: Content, tmp_path: Path) -> None:
    def guids(path: Path, where: Path) -> list[str]:
        db = _open_apkg(path, where)
        return sorted(g for (g,) in db.execute("SELECT guid FROM notes"))

    export_anki(small, [], tmp_path / "a.apkg", timestamp=1)
    export_anki(small, [], tmp_path / "b.apkg", timestamp=2)
    assert guids(tmp_path / "a.apkg", tmp_path / "a") == guids(tmp_path / "b.apkg", tmp_path / "b")


# ----- review log ------------------------------------------------------------------------


def _reviews() -> list[dict[str, object]]:
    sched = Scheduler()
    first = sched.outcomes(None, T0)[3].state
    a = review_record("term/relu/recall", 3, T0, None, first, 4200, new_id=lambda: "a")
    b = review_record(
        "skill/conv2d-shape/1",
        1,
        T0 + timedelta(minutes=1),
        None,
        sched.outcomes(None, T0)[1].state,
        9000,
        extra={
            "auto": 1,
            "answer": "(8, 16, 32, 32)",
            "skill": {"family": "conv2d-shape", "level": 1, "seed": 42, "params": {}},
        },
        new_id=lambda: "b",
    )
    undo = undo_record(b, T0 + timedelta(minutes=2), new_id=lambda: "u")
    c = review_record(
        "concept/x", 4, T0 + timedelta(minutes=3), None, first, None, new_id=lambda: "c"
    )
    flag = mark_record("flag", "concept/x", T0 + timedelta(minutes=4), on=True)
    return [a, b, undo, c, flag]


def test_export_log_marks_undone_reviews(tmp_path: Path) -> None:
    out = tmp_path / "log.csv"
    assert export_log(_reviews(), out) == (3, 1)
    with out.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == list(LOG_COLUMNS)
    assert [r["id"] for r in rows] == ["a", "b", "c"]  # the undo and the flag are not rows
    assert [r["undone"] for r in rows] == ["false", "true", "false"]
    assert [r["rating_name"] for r in rows] == ["Good", "Again", "Easy"]
    b = rows[1]
    assert (b["skill_family"], b["skill_level"], b["seed"]) == ("conv2d-shape", "1", "42")
    assert (b["auto"], b["answer"], b["duration_ms"]) == ("1", "(8, 16, 32, 32)", "9000")
    assert rows[2]["duration_ms"] == ""
    assert rows[0]["time"] == "2026-03-02T12:00:00.000Z"


# ----- the commands ----------------------------------------------------------------------


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="dlquiz")
    add_parser(parser.add_subparsers(dest="command"))
    return parser.parse_args(list(argv))


def test_cli_export_csv_and_import(
    tmp_path: Path, home: Path, capsys: pytest.CaptureFixture[str], small: Content
) -> None:
    out = tmp_path / "all.csv"
    builtin = load_builtin()
    assert run_export(_args("export", "csv", str(out)), home) == 0
    assert f"Wrote {len(builtin.terms) + len(builtin.concepts)} rows" in capsys.readouterr().out
    mine = tmp_path / "mine.csv"
    export_csv(small, mine)
    assert run_import(_args("import", "csv", str(mine), "--name", "mine"), home) == 0
    assert (paths.decks_dir(home) / "mine.toml").exists()
    # Again without --overwrite: refused with a message, exit 1.
    assert run_import(_args("import", "csv", str(mine), "--name", "mine"), home) == 1
    assert "already exists" in capsys.readouterr().err
    assert run_import(_args("import", "csv", str(mine), "--name", "mine", "--overwrite"), home) == 0
    # Exporting now includes the user's deck.
    assert run_export(_args("export", "csv", str(out)), home) == 0
    assert "zq-gated-unit" in out.read_text(encoding="utf-8")


def test_cli_user_errors_have_no_traceback(
    tmp_path: Path, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_import(_args("import", "csv", str(tmp_path / "missing.csv")), home) == 2
    err = capsys.readouterr().err
    assert "no such file" in err and "Traceback" not in err
    bad = _write_csv(tmp_path / "bad.csv", [["kind", "slug"], ["term", "x"]])
    assert run_import(_args("import", "csv", str(bad)), home) == 1
    assert "missing column(s)" in capsys.readouterr().err
    assert run_export(_args("export", "csv", str(tmp_path / "no" / "dir.csv")), home) == 2
    assert "does not exist" in capsys.readouterr().err
    assert run_export(_args("export", "log", str(tmp_path / "log.csv")), home) == 2
    assert "no review history" in capsys.readouterr().err


def test_cli_export_log_works_beside_a_running_app(
    tmp_path: Path, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with OwnedStore(home) as store:  # the app is open and holds the lock
        for record in _reviews():
            store.append(record)
        assert run_export(_args("export", "log", str(tmp_path / "log.csv")), home) == 0
        assert "3 reviews (1 undone)" in capsys.readouterr().out


def test_cli_export_anki(tmp_path: Path, home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "deck.apkg"
    assert run_export(_args("export", "anki", str(out), "--samples", "0"), home) == 0
    assert "0 sample questions" in capsys.readouterr().out
    assert zipfile.is_zipfile(out)


def test_export_refuses_to_overwrite_the_review_log(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with OwnedStore(home) as store:
        for record in _reviews():
            store.append(record)
    before = (home / LOG_NAME).read_bytes()
    for what in ("log", "csv"):
        assert run_export(_args("export", what, str(home / LOG_NAME)), home) == 2
        assert "own data files" in capsys.readouterr().err
    assert (home / LOG_NAME).read_bytes() == before


def test_import_reports_short_rows_instead_of_crashing(tmp_path: Path) -> None:
    from dlquiz.exports import ImportRefused

    csv_path = tmp_path / "short.csv"
    csv_path.write_text("kind,slug,term_or_question,definition_or_answer\nterm,widget\n")
    with pytest.raises(ImportRefused) as info:
        import_csv(csv_path, tmp_path / "decks", "short")
    assert any("row 2" in p for p in info.value.problems)
    assert not (tmp_path / "decks" / "short.toml").exists()
