"""Take things out of dlquiz and bring decks in.

* ``export_anki``: an Anki package (.apkg) of the glossary (both directions), the
  concept cards and a few sample questions per skill, computed by torch.
* ``export_csv`` / ``import_csv``: terms and concepts as a spreadsheet-friendly CSV,
  and a CSV in that format turned into a validated user deck (TOML).
* ``export_log``: the whole review history as CSV.

CSV list cells (aliases, tags, same_as, related, choices) hold items joined by
``;``. A ``;`` inside an item is written ``\\;`` and a backslash ``\\\\``, so every
text survives a round trip (some built-in choices contain semicolons).

genanki and torch are imported inside the functions that need them.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from dlquiz.anki_export import (
    ANKI_CONCEPT_MODEL_ID,
    ANKI_DECK_ID,
    ANKI_SKILL_MODEL_ID,
    ANKI_TERM_MODEL_ID,
    AnkiCounts,
    export_anki,
)
from dlquiz.content import Concept, Content, Term
from dlquiz.csv_format import (
    CSV_COLUMNS,
    csv_bytes,
    join_list,
    neutralise_cell,
    split_list,
    unquote_cell,
)
from dlquiz.imports import ImportRefused, csv_to_toml, import_csv, import_deck, toml_string
from dlquiz.records import Record, Review, undone_ids
from dlquiz.safe_io import write_output

# ----- CSV of content --------------------------------------------------------------------


def _term_row(term: Term) -> dict[str, str]:
    return {
        "kind": "term",
        "slug": term.slug,
        "term_or_question": term.term,
        "definition_or_answer": term.definition,
        "aliases": join_list(term.aliases),
        "tags": join_list(term.tags),
        "same_as": join_list(term.same_as),
        "related": join_list(term.related),
        "formula": term.formula,
        "explanation": "",
        "choices": "",
        "notes": term.notes,
        "broader": join_list(term.broader),
    }


def _concept_row(concept: Concept) -> dict[str, str]:
    return {
        "kind": "concept",
        "slug": concept.slug,
        "term_or_question": concept.question,
        "definition_or_answer": concept.answer,
        "aliases": "",
        "tags": join_list(concept.tags),
        "same_as": "",
        "related": join_list(concept.related),
        "formula": "",
        "explanation": concept.explanation,
        "choices": join_list(concept.choices),
        "notes": "",
        "broader": "",
    }


def export_csv(content: Content, path: Path) -> int:
    """Write every term and concept as one CSV row each; returns the number of rows."""
    rows = [_term_row(t) for t in content.terms.values()]
    rows += [_concept_row(c) for c in content.concepts.values()]
    write_output(path, csv_bytes(CSV_COLUMNS, ([r[c] for c in CSV_COLUMNS] for r in rows)))
    return len(rows)


# ----- review log ------------------------------------------------------------------------

LOG_COLUMNS = (
    "time",
    "card",
    "rating",
    "rating_name",
    "duration_ms",
    "auto",
    "answer",
    "skill_family",
    "skill_level",
    "seed",
    "undone",
    "id",
)


def _cell(value: object) -> object:
    return "" if value is None else value


def export_log(records: Iterable[Record], path: Path) -> tuple[int, int]:
    """Every review as one CSV row; returns (reviews, of which undone).

    Undo records are not rows: they set ``undone`` on the review they cancel.
    Records of other types (suspend, flag, ...) are left out.
    """
    from dlquiz.scheduler import RATING_NAMES

    records = list(records)
    undone = undone_ids(records)
    rows = []
    for r in records:
        if not isinstance(r, Review):
            continue
        skill = r.skill
        rows.append(
            [
                r.time.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                r.card,
                r.rating,
                RATING_NAMES.get(r.rating, ""),
                _cell(r.duration_ms),
                _cell(r.auto),
                _cell(r.answer),
                _cell(skill.family if skill else None),
                _cell(skill.level if skill else None),
                _cell(skill.seed if skill else None),
                "true" if r.id in undone else "false",
                r.id,
            ]
        )
    write_output(path, csv_bytes(LOG_COLUMNS, rows))
    return len(rows), sum(1 for row in rows if row[10] == "true")


__all__ = [
    "ANKI_CONCEPT_MODEL_ID",
    "ANKI_DECK_ID",
    "ANKI_SKILL_MODEL_ID",
    "ANKI_TERM_MODEL_ID",
    "CSV_COLUMNS",
    "LOG_COLUMNS",
    "AnkiCounts",
    "ImportRefused",
    "csv_to_toml",
    "export_anki",
    "export_csv",
    "export_log",
    "import_csv",
    "import_deck",
    "join_list",
    "neutralise_cell",
    "split_list",
    "toml_string",
    "unquote_cell",
]
