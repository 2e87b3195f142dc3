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

import csv
import io
import itertools
import re
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from dlquiz import paths
from dlquiz.content import Concept, Content, Problem, Term, load, with_file
from dlquiz.records import Record, Review, undone_ids
from dlquiz.safe_io import atomic_write, write_output

# ----- Anki ----------------------------------------------------------------------------

# Anki identifies note types and decks by these numbers. They are fixed, never
# regenerated, so importing a newer export updates the same deck and note types
# instead of creating copies. Never change them.
ANKI_DECK_ID = 1_873_402_561
ANKI_TERM_MODEL_ID = 1_873_402_562
ANKI_CONCEPT_MODEL_ID = 1_873_402_563
ANKI_SKILL_MODEL_ID = 1_873_402_564
ANKI_DECK_NAME = "dlquiz"

_ANKI_CSS = """\
.card { font-family: sans-serif; font-size: 18px; text-align: left; line-height: 1.4; }
.heading { font-size: 24px; font-weight: bold; }
.muted { color: #888; font-size: 15px; }
.formula { font-family: monospace; margin-top: 0.8em; }
.explanation { margin-top: 0.8em; }
pre { background: rgba(127, 127, 127, 0.12); padding: 0.5em; overflow-x: auto; }
"""


class AnkiCounts(NamedTuple):
    terms: int
    concepts: int
    samples: int


def _html(text: str) -> str:
    """Plain text as HTML: escaped, line breaks kept."""
    import html

    return html.escape(text, quote=False).replace("\r\n", "\n").replace("\n", "<br>")


def _html_code(code: str) -> str:
    import html

    return f"<pre><code>{html.escape(code, quote=False)}</code></pre>" if code else ""


def _html_choices(choices: Sequence[str]) -> str:
    if not choices:
        return ""
    items = "".join(f"<li>{_html(c)}</li>" for c in choices)
    return f'<ol type="a">{items}</ol>'


def anki_tag(tag: str) -> str:
    """A tag Anki accepts: no whitespace inside."""
    return re.sub(r"\s+", "_", tag.strip())


def _models() -> tuple[Any, Any, Any]:
    import genanki

    term = genanki.Model(
        ANKI_TERM_MODEL_ID,
        "dlquiz term",
        fields=[{"name": "Term"}, {"name": "Aliases"}, {"name": "Definition"}, {"name": "Formula"}],
        templates=[
            {
                "name": "Term → definition",
                "qfmt": '<div class="heading">{{Term}}</div>'
                '{{#Aliases}}<div class="muted">also: {{Aliases}}</div>{{/Aliases}}',
                "afmt": '{{FrontSide}}<hr id="answer">{{Definition}}'
                '{{#Formula}}<div class="formula">{{Formula}}</div>{{/Formula}}',
            },
            {
                "name": "Definition → term",
                "qfmt": '<div class="muted">Which term is this?</div>{{Definition}}',
                "afmt": '{{FrontSide}}<hr id="answer"><div class="heading">{{Term}}</div>'
                '{{#Aliases}}<div class="muted">also: {{Aliases}}</div>{{/Aliases}}'
                '{{#Formula}}<div class="formula">{{Formula}}</div>{{/Formula}}',
            },
        ],
        css=_ANKI_CSS,
    )
    concept = genanki.Model(
        ANKI_CONCEPT_MODEL_ID,
        "dlquiz concept",
        fields=[
            {"name": "Question"},
            {"name": "Choices"},
            {"name": "Answer"},
            {"name": "Explanation"},
        ],
        templates=[
            {
                "name": "Question → answer",
                "qfmt": '<div class="heading">{{Question}}</div>{{Choices}}',
                "afmt": '{{FrontSide}}<hr id="answer"><b>{{Answer}}</b>'
                '<div class="explanation">{{Explanation}}</div>',
            }
        ],
        css=_ANKI_CSS,
    )
    skill = genanki.Model(
        ANKI_SKILL_MODEL_ID,
        "dlquiz skill sample",
        fields=[
            {"name": "Skill"},
            {"name": "Prompt"},
            {"name": "Code"},
            {"name": "Answer"},
            {"name": "Explanation"},
            {"name": "Proof"},
        ],
        templates=[
            {
                "name": "Question → computed answer",
                "qfmt": '<div class="muted">{{Skill}}</div>{{Prompt}}{{Code}}',
                "afmt": '{{FrontSide}}<hr id="answer"><b>{{Answer}}</b>'
                '<div class="explanation">{{Explanation}}</div>'
                '{{#Proof}}<div class="muted">Check it with PyTorch:</div>{{Proof}}{{/Proof}}',
            }
        ],
        css=_ANKI_CSS,
    )
    return term, concept, skill


def sample_seed(seed: int, index: int) -> int:
    """The seed of the ``index``-th sample of every skill (stable: same export, same notes)."""
    return seed + index


def export_anki(
    content: Content,
    families: Iterable[str],
    path: Path,
    samples_per_skill: int = 3,
    seed: int = 0,
    timestamp: float | None = None,
) -> AnkiCounts:
    """Write an Anki package of ``content`` and sample questions of ``families``.

    Every term is one note with two cards (term → definition, definition →
    term); every concept one note; every skill (family, level) gets
    ``samples_per_skill`` notes generated from the seeds ``sample_seed(seed, i)``
    (this runs torch). Note GUIDs come from slugs and (family, level, i), so
    importing a newer export into Anki updates notes instead of duplicating them.
    """
    import genanki

    from dlquiz.questions import families as all_families
    from dlquiz.questions import generate

    term_model, concept_model, skill_model = _models()
    deck = genanki.Deck(ANKI_DECK_ID, ANKI_DECK_NAME)

    for term in content.terms.values():
        deck.add_note(
            genanki.Note(
                model=term_model,
                fields=[
                    _html(term.term),
                    _html(", ".join(term.aliases)),
                    _html(term.definition),
                    _html(term.formula),
                ],
                tags=["dlquiz::term", *(anki_tag(t) for t in term.tags)],
                guid=genanki.guid_for("dlquiz", "term", term.slug),
            )
        )
    for concept in content.concepts.values():
        deck.add_note(
            genanki.Note(
                model=concept_model,
                fields=[
                    _html(concept.question),
                    _html_choices(concept.choices),
                    _html(concept.answer),
                    _html(concept.explanation),
                ],
                tags=["dlquiz::concept", *(anki_tag(t) for t in concept.tags)],
                guid=genanki.guid_for("dlquiz", "concept", concept.slug),
            )
        )
    registry = all_families()
    n_samples = 0
    for family_id in families:
        fam = registry[family_id]
        for level in sorted(fam.levels):
            for index in range(samples_per_skill):
                q = generate(family_id, level, sample_seed(seed, index))
                prompt = _html(q.prompt)
                if q.expected.kind == "choice":
                    prompt += _html_choices(q.expected.choices)
                deck.add_note(
                    genanki.Note(
                        model=skill_model,
                        fields=[
                            _html(f"{fam.title} · level {level}: {fam.levels[level]}"),
                            prompt,
                            _html_code(q.code),
                            _html(q.expected.display()),
                            _html(q.explanation),
                            _html_code(q.proof),
                        ],
                        tags=[
                            "dlquiz::skill",
                            anki_tag(fam.topic),
                            anki_tag(f"dlquiz::skill::{family_id}"),
                        ],
                        guid=genanki.guid_for("dlquiz", "skill", family_id, level, index),
                    )
                )
                n_samples += 1
    _write_package(genanki.Package(deck), path, timestamp)
    return AnkiCounts(len(content.terms), len(content.concepts), n_samples)


def _write_package(package: Any, path: Path, timestamp: float | None) -> None:
    """genanki's own writer leaves its SQLite file in /tmp and writes in place;
    this one cleans up and replaces ``path`` atomically."""
    import sqlite3
    import time
    import zipfile

    stamp = time.time() if timestamp is None else timestamp
    with tempfile.TemporaryDirectory(prefix="dlquiz-apkg-") as tmp:
        db_path = Path(tmp) / "collection.anki2"
        conn = sqlite3.connect(db_path)
        try:
            package.write_to_db(conn.cursor(), stamp, itertools.count(int(stamp * 1000)))
            conn.commit()
        finally:
            conn.close()
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
            out.write(db_path, "collection.anki2")
            out.writestr("media", "{}")
    write_output(path, buffer.getvalue())


# ----- CSV of content --------------------------------------------------------------------

CSV_COLUMNS = (
    "kind",
    "slug",
    "term_or_question",
    "definition_or_answer",
    "aliases",
    "tags",
    "same_as",
    "related",
    "formula",
    "explanation",
    "choices",
    # Added with the atomic-card glossary; last, so older files still import.
    "notes",
    "broader",
)
REQUIRED_COLUMNS = CSV_COLUMNS[:4]
LIST_COLUMNS = frozenset({"aliases", "tags", "same_as", "related", "choices", "broader"})


def join_list(items: Iterable[str]) -> str:
    """Items in one CSV cell: ``;`` between them, ``\\;`` and ``\\\\`` inside them."""
    return ";".join(item.replace("\\", "\\\\").replace(";", "\\;") for item in items)


def split_list(cell: str) -> list[str]:
    """Inverse of ``join_list``; items are stripped and empty ones dropped."""
    items: list[str] = []
    current: list[str] = []
    chars = iter(cell)
    for ch in chars:
        if ch == "\\":
            current.append(next(chars, "\\"))  # a trailing lone backslash stays itself
        elif ch == ";":
            items.append("".join(current))
            current = []
        else:
            current.append(ch)
    items.append("".join(current))
    return [item.strip() for item in items if item.strip()]


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


# A spreadsheet runs a cell that starts with one of these as a formula (CSV
# injection): such cells get a leading apostrophe, which spreadsheets read as
# "this is text" (the OWASP rule). Typed answers are text from the user too.
_FORMULA_START = frozenset("=+-@\t\r")


def neutralise_cell(value: object) -> object:
    """A text cell a spreadsheet will not run as a formula; other values unchanged.

    A text that already starts with an apostrophe followed by a formula
    character (or another apostrophe) gets one more, so ``unquote_cell`` gives
    every text back exactly.
    """
    if not isinstance(value, str) or not value:
        return value
    if value[0] in _FORMULA_START or (value[0] == "'" and value[1:2] in _FORMULA_START | {"'"}):
        return "'" + value
    return value


def unquote_cell(cell: str) -> str:
    """Inverse of ``neutralise_cell`` for a cell read back from a CSV."""
    if cell[:1] == "'" and cell[1:2] and cell[1:2] in _FORMULA_START | {"'"}:
        return cell[1:]
    return cell


def _csv_bytes(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows([neutralise_cell(cell) for cell in row] for row in rows)
    return buffer.getvalue().encode("utf-8")


def export_csv(content: Content, path: Path) -> int:
    """Write every term and concept as one CSV row each; returns the number of rows."""
    rows = [_term_row(t) for t in content.terms.values()]
    rows += [_concept_row(c) for c in content.concepts.values()]
    write_output(path, _csv_bytes(CSV_COLUMNS, ([r[c] for c in CSV_COLUMNS] for r in rows)))
    return len(rows)


# ----- TOML writing ----------------------------------------------------------------------

_TOML_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\f": "\\f",
    "\r": "\\r",
}
# What a TOML basic string may not hold literally: the quote, the backslash and
# the control characters (tab is allowed but escaped too, for readability).
_TOML_NEEDS_ESCAPE = re.compile(r'["\\\x00-\x1f\x7f]')
_SURROGATE = re.compile("[\ud800-\udfff]")


def _toml_escape_char(match: re.Match[str]) -> str:
    ch = match.group()
    return _TOML_ESCAPES.get(ch) or f"\\u{ord(ch):04X}"


def toml_string(text: str) -> str:
    """``text`` as a TOML basic string (quotes included).

    JSON's escapes are not TOML's (TOML has no ``\\/`` and ``json.dumps`` may
    emit surrogate pairs), hence this small writer.
    """
    if _SURROGATE.search(text):
        raise ValueError("text contains a lone surrogate, which TOML cannot hold")
    return '"' + _TOML_NEEDS_ESCAPE.sub(_toml_escape_char, text) + '"'


def _toml_value(value: str | list[str]) -> str:
    if isinstance(value, str):
        return toml_string(value)
    return "[" + ", ".join(toml_string(v) for v in value) + "]"


# ----- CSV import ------------------------------------------------------------------------

_TERM_FIELDS: tuple[str, ...] = (
    "slug",
    "term",
    "aliases",
    "definition",
    "notes",
    "formula",
    "tags",
    "same_as",
    "related",
    "broader",
)
_CONCEPT_FIELDS: tuple[str, ...] = (
    "slug",
    "question",
    "answer",
    "explanation",
    "choices",
    "tags",
    "related",
)
# TOML field -> CSV column, to point at the cell a problem is in.
_COLUMN_OF = {
    "term": "term_or_question",
    "question": "term_or_question",
    "definition": "definition_or_answer",
    "answer": "definition_or_answer",
}
_DECK_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,79}")


class ImportRefused(Exception):
    """The CSV cannot become a deck; ``problems`` lists every reason, with row numbers."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass
class _Row:
    number: int  # as a spreadsheet shows it: the header is row 1
    kind: str
    cells: dict[str, str]

    def fields(self) -> dict[str, str | list[str]]:
        """The entry as TOML fields: required ones always, optional ones when filled."""
        c = self.cells
        if self.kind == "term":
            values: dict[str, str | list[str]] = {
                "slug": c["slug"],
                "term": c["term_or_question"],
                "definition": c["definition_or_answer"],
            }
            order = _TERM_FIELDS
        else:
            values = {
                "slug": c["slug"],
                "question": c["term_or_question"],
                "answer": c["definition_or_answer"],
                "explanation": c.get("explanation", ""),
            }
            order = _CONCEPT_FIELDS
        for column in CSV_COLUMNS[4:]:
            cell = c.get(column, "")
            if column not in values and cell:
                values[column] = split_list(cell) if column in LIST_COLUMNS else cell
        # Known fields first in the usual order; stray ones (which the validator
        # reports, e.g. a formula on a concept) after them.
        ranked = sorted(values, key=lambda k: order.index(k) if k in order else len(order))
        return {k: values[k] for k in ranked}


def _read_rows(path: Path) -> list[_Row]:
    """The data rows of a content CSV, or ImportRefused for a file or header problem."""
    try:
        # utf-8-sig: spreadsheets often start a UTF-8 CSV with a byte-order mark.
        with path.open(encoding="utf-8-sig", newline="") as handle:
            raw = list(csv.reader(handle))
    except FileNotFoundError:
        raise ImportRefused([f"{path}: no such file"]) from None
    except IsADirectoryError:
        raise ImportRefused([f"{path}: is a folder, not a CSV file"]) from None
    except UnicodeDecodeError as exc:
        raise ImportRefused([f"{path}: not UTF-8 text ({exc.reason})"]) from None
    except csv.Error as exc:
        raise ImportRefused([f"{path}: not a readable CSV file ({exc})"]) from None
    except OSError as exc:
        raise ImportRefused([f"{path}: cannot read: {exc.strerror}"]) from None
    if not raw:
        raise ImportRefused(
            [f"{path}: empty file (expected a header row: {','.join(CSV_COLUMNS)})"]
        )
    header = [h.strip().lower() for h in raw[0]]
    problems = []
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        problems.append(f"row 1 (header): missing column(s) {', '.join(missing)}")
    unknown = [h for h in header if h not in CSV_COLUMNS]
    if unknown:
        problems.append(
            f"row 1 (header): unknown column(s) {', '.join(map(repr, unknown))} "
            f"(known: {', '.join(CSV_COLUMNS)})"
        )
    repeated = sorted({h for h in header if header.count(h) > 1 and h in CSV_COLUMNS})
    if repeated:
        problems.append(f"row 1 (header): column(s) given twice: {', '.join(repeated)}")
    if problems:
        raise ImportRefused(problems)
    rows: list[_Row] = []
    for number, cells in enumerate(raw[1:], start=2):
        if not any(cell.strip() for cell in cells):
            continue  # blank line
        if len(cells) > len(header):
            problems.append(
                f"row {number}: {len(cells)} cells but the header has {len(header)} columns"
            )
            continue
        # Spreadsheets drop empty trailing cells: a short row has empty fields.
        values = {h: "" for h in header}
        values.update(
            {h: unquote_cell(cell.strip()) for h, cell in zip(header, cells, strict=False)}
        )
        kind = values.get("kind", "").lower()
        if kind not in ("term", "concept"):
            problems.append(f"row {number}: kind must be 'term' or 'concept', not {kind!r}")
            continue
        rows.append(_Row(number, kind, values))
    if problems:
        raise ImportRefused(problems)
    if not rows:
        raise ImportRefused([f"{path}: no terms or concepts (only a header row)"])
    return rows


def _rows_to_toml(rows: Sequence[_Row], source: str = "") -> str:
    lines = []
    if source:
        safe = re.sub(r"[\x00-\x1f\x7f]", "?", source)
        lines += [f"# Imported by dlquiz from {safe}.", ""]
    for row in rows:
        lines.append(f"[[{row.kind}]]")
        lines += [f"{key} = {_toml_value(value)}" for key, value in row.fields().items()]
        lines.append("")
    return "\n".join(lines)


def csv_to_toml(path: Path) -> str:
    """The deck TOML a content CSV becomes (not validated; ImportRefused for an unreadable
    file, a bad header or an unknown kind)."""
    return _rows_to_toml(_read_rows(path), source=path.name)


def _existing_decks(decks_dir: Path, base: Content, skip: Path) -> Content:
    """``base`` plus every existing user deck that loads cleanly (as dlquiz would)."""
    if not decks_dir.is_dir():
        return base
    for path in sorted(decks_dir.rglob("*.toml")):
        if path.resolve() == skip.resolve():
            continue
        merged = with_file(base, path)
        if not any(p.fatal and p.file == path for p in merged.problems):
            base = merged
    return base


def _row_index(
    rows: Sequence[_Row],
) -> tuple[dict[tuple[str, str], list[int]], dict[str, list[int]]]:
    """Row numbers by (kind, slug) and by kind, built once: looking rows up per problem
    made thousands of problems quadratic."""
    by_slug: dict[tuple[str, str], list[int]] = {}
    by_kind: dict[str, list[int]] = {}
    for row in rows:
        by_slug.setdefault((row.kind, row.cells["slug"]), []).append(row.number)
        by_kind.setdefault(row.kind, []).append(row.number)
    return by_slug, by_kind


def _located(
    problem: Problem,
    index: tuple[dict[tuple[str, str], list[int]], dict[str, list[int]]],
) -> str:
    """A loader problem restated with the CSV row(s) and column it is about."""
    by_slug, by_kind = index
    match = re.fullmatch(r"(term|concept) (?:'(.*)'|#(\d+))", problem.entry)
    numbers: list[int] = []
    if match:
        kind, slug, position = match.groups()
        if slug is not None:
            numbers = by_slug.get((kind, slug), [])
        else:
            of_kind = by_kind.get(kind, [])
            if int(position) <= len(of_kind):
                numbers = [of_kind[int(position) - 1]]
    where = (
        ("row " if len(numbers) == 1 else "rows ") + ", ".join(map(str, numbers))
        if numbers
        else "file"
    )
    field = problem.field.split(".")[0]
    column = _COLUMN_OF.get(field, field)
    message = problem.message
    if "at least 1 character" in message:
        message = "is empty"
    label = f" ({problem.entry})" if match else ""
    return f"{where}{label}, {column}: {message}" if column else f"{where}{label}: {message}"


def _validate_rows(rows: Sequence[_Row], decks_dir: Path, target: Path, toml: str) -> list[str]:
    """Every problem the deck would have beside the built-in content and the other decks."""
    problems: list[str] = []
    first: dict[str, int] = {}
    repeated: set[str] = set()
    for row in rows:
        slug = row.cells["slug"]
        if not slug:
            continue
        if slug in first:
            problems.append(f"row {row.number}: slug '{slug}' is already used on row {first[slug]}")
            repeated.add(slug)
        else:
            first[slug] = row.number
    builtin = load([paths.builtin_content_dir()])
    base = _existing_decks(decks_dir, builtin, target)
    with tempfile.TemporaryDirectory(prefix="dlquiz-import-") as tmp:
        candidate = Path(tmp) / target.name
        candidate.write_text(toml, encoding="utf-8")
        merged = with_file(base, candidate)
        index = _row_index(rows)
        for problem in merged.problems:
            if not problem.fatal or problem.file != candidate:
                continue
            slug_match = re.fullmatch(r"(?:term|concept) '(.*)'", problem.entry)
            if (
                slug_match
                and slug_match.group(1) in repeated
                and problem.field == "slug"
                and str(candidate) in problem.message
            ):
                continue  # a repeat within the CSV: already reported above, with both rows
            problems.append(_located(problem, index))
    return sorted(problems, key=_row_of)


def _row_of(message: str) -> int:
    """The first row number a problem message names (0 for none), to list problems in order."""
    match = re.match(r"rows? (\d+)", message)
    return int(match.group(1)) if match else 0


def import_csv(
    path: Path, decks_dir: Path, name: str | None = None, overwrite: bool = False
) -> Path:
    """Turn a content CSV into the user deck ``decks_dir/<name>.toml``; returns its path.

    Nothing is written unless the deck is valid beside the built-in content and
    the user's other decks; otherwise ImportRefused lists every problem, by row
    (row 1 is the header, as in a spreadsheet).
    """
    if name is None:
        name = re.sub(r"[^A-Za-z0-9_-]+", "-", path.stem).strip("-_") or "imported"
    name = name.removesuffix(".toml")
    if not _DECK_NAME.fullmatch(name):
        raise ImportRefused(
            [f"deck name {name!r}: use letters, digits, '-' and '_' (at most 80 characters)"]
        )
    target = decks_dir / f"{name}.toml"
    if target.exists() and not overwrite:
        raise ImportRefused(
            [f"a deck named {name!r} already exists ({target}); choose another name or overwrite"]
        )
    rows = _read_rows(path)
    toml = _rows_to_toml(rows, source=path.name)
    problems = _validate_rows(rows, decks_dir, target, toml)
    if problems:
        raise ImportRefused(problems)
    decks_dir.mkdir(parents=True, exist_ok=True)
    atomic_write(target, toml.encode("utf-8"))
    return target


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
    write_output(path, _csv_bytes(LOG_COLUMNS, rows))
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
    "join_list",
    "neutralise_cell",
    "split_list",
    "toml_string",
    "unquote_cell",
]
