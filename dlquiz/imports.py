"""A CSV in the format of ``dlquiz.csv_format`` turned into a validated user deck (TOML).

Every problem is reported with its row number; nothing is written unless the
whole deck validates against the built-in content and the user's other decks.
"""

from __future__ import annotations

import contextlib
import csv
import io
import itertools
import re
import tempfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from dlquiz import paths
from dlquiz.content import Content, Problem, deck_files, load, with_file, with_valid_entries
from dlquiz.csv_format import CSV_COLUMNS, LIST_COLUMNS, REQUIRED_COLUMNS, split_list, unquote_cell
from dlquiz.safe_io import atomic_write, folder_lock

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


# What to do with a row whose slug is already taken (as Anki asks on import).
DUPLICATE_MODES = ("skip", "update", "error")


@dataclass(frozen=True)
class ImportResult:
    """What an import did. ``target`` is None when there was nothing new to save."""

    target: Path | None
    added: int = 0
    updated: int = 0  # entries of the user's own decks replaced by their CSV rows
    updated_decks: tuple[Path, ...] = ()
    skipped_builtin: int = 0  # built-in entries are never changed by an import
    skipped_own: int = 0  # duplicates of the user's own entries left as they are ("skip")


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


def _parse_csv(path: Path) -> tuple[list[list[str]], list[int], int | None]:
    """The CSV's records, the line each starts on, and the record index (0-based) of an
    unterminated quote if there is one (the csv module silently reads such a quote to the
    end of the file as one cell)."""
    # utf-8-sig: spreadsheets often start a UTF-8 CSV with a byte-order mark.
    text = path.read_text(encoding="utf-8-sig")
    raw: list[list[str]] = []
    starts: list[int] = []
    reader = csv.reader(io.StringIO(text, newline=""))
    line = 1
    for record in reader:
        raw.append(record)
        starts.append(line)
        line = reader.line_num + 1
    unterminated = None
    try:
        for _ in csv.reader(io.StringIO(text, newline=""), strict=True):
            pass
    except csv.Error as exc:
        if "unexpected end of data" in str(exc) and raw:
            unterminated = len(raw) - 1
    return raw, starts, unterminated


def _read_rows(path: Path) -> tuple[list[_Row], list[str]]:
    """The usable data rows of a content CSV and the problems of the others.

    ImportRefused only when nothing can be read row by row: an unreadable file or a
    bad header. A row with a bad kind, too many cells or an unterminated quote is
    reported and left out, so the other rows are still checked.
    """
    try:
        raw, starts, unterminated = _parse_csv(path)
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
    unknown = list(dict.fromkeys(h for h in header if h not in CSV_COLUMNS))
    if unknown:
        problems.append(
            f"row 1 (header): unknown column(s) {_some(unknown)} (known: {', '.join(CSV_COLUMNS)})"
        )
    counts = Counter(header)  # header.count() per column was quadratic: 100k columns hung
    repeated = sorted(h for h in CSV_COLUMNS if counts[h] > 1)
    if repeated:
        problems.append(f"row 1 (header): column(s) given twice: {', '.join(repeated)}")
    if unterminated == 0:
        problems.append('row 1 (header): a quote (") is opened and never closed')
    if problems:
        raise ImportRefused(problems)
    rows: list[_Row] = []
    for number, cells in enumerate(raw[1:], start=2):
        if number - 1 == unterminated:
            problems.append(
                f"row {number} (line {starts[number - 1]}): unterminated quote: a cell opens "
                'a quote (") that is never closed, so the rest of the file would be one cell'
            )
            continue
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
    if not rows and not problems:
        raise ImportRefused([f"{path}: no terms or concepts (only a header row)"])
    return rows, problems


MAX_NAMES_SHOWN = 5
MAX_NAME_SHOWN = 40


def _some(names: list[str]) -> str:
    """The first few ``names``, quoted, and how many more: a header of thousands of
    columns is still one short problem line."""
    clipped = (n if len(n) <= MAX_NAME_SHOWN else n[: MAX_NAME_SHOWN - 1] + "…" for n in names)
    shown = ", ".join(repr(n) for n in itertools.islice(clipped, MAX_NAMES_SHOWN))
    more = len(names) - MAX_NAMES_SHOWN
    return f"{shown} and {more} more" if more > 0 else shown


def _entry_toml(kind: str, fields: dict[str, str | list[str]]) -> list[str]:
    return [f"[[{kind}]]", *(f"{key} = {_toml_value(value)}" for key, value in fields.items()), ""]


def _rows_to_toml(rows: Sequence[_Row], source: str = "") -> str:
    lines = []
    if source:
        # A file name that is not UTF-8 (surrogate escapes) is kept as escapes: UTF-8
        # cannot hold it, and the deck is written as UTF-8.
        escaped = source.encode("utf-8", "backslashreplace").decode("utf-8")
        safe = re.sub(r"[\x00-\x1f\x7f]", "?", escaped)
        lines += [f"# Imported by dlquiz from {safe}.", ""]
    for row in rows:
        lines += _entry_toml(row.kind, row.fields())
    return "\n".join(lines)


def csv_to_toml(path: Path) -> str:
    """The deck TOML a content CSV becomes (not validated; ImportRefused for an unreadable
    file, a bad header or a row that cannot be read)."""
    rows, problems = _read_rows(path)
    if problems:
        raise ImportRefused(problems)
    return _rows_to_toml(rows, source=path.name)


def _existing_decks(decks_dir: Path, base: Content, skip: Sequence[Path]) -> Content:
    """``base`` plus the entries of the user's decks that a start loads (their valid
    ones: an entry with an error is left out, as dlquiz leaves it out)."""
    if not decks_dir.is_dir():
        return base
    left_out = {p.resolve() for p in skip}
    files = [p for p in deck_files(decks_dir) if p.resolve() not in left_out]
    merged = with_valid_entries(base, files)
    merged.problems = list(base.problems)  # the decks' own problems are not this import's
    return merged


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


def _check_toml(base: Content, name: str, toml: str, rows: Sequence[_Row]) -> list[str]:
    """Every problem the deck text ``toml`` would have beside ``base``, located by row."""
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="dlquiz-import-") as tmp:
        candidate = Path(tmp) / name
        candidate.write_text(toml, encoding="utf-8")
        merged = with_file(base, candidate)
        index = _row_index(rows)
        problems += [_located(p, index) for p in merged.problems if p.fatal and p.file == candidate]
    return problems


def _repeats(rows: Sequence[_Row]) -> tuple[list[str], list[_Row]]:
    """Rows that repeat an earlier row's slug (reported with both rows), and the others."""
    first: dict[str, int] = {}
    problems: list[str] = []
    kept: list[_Row] = []
    for row in rows:
        slug = row.cells["slug"]
        if slug and slug in first:
            problems.append(f"row {row.number}: slug '{slug}' is already used on row {first[slug]}")
            continue
        if slug:
            first[slug] = row.number
        kept.append(row)
    return problems, kept


def _updated_deck(deck: Path, rows: Sequence[_Row]) -> tuple[str, list[str]]:
    """The text of the user deck ``deck`` with the entries of ``rows`` replaced."""
    import tomllib

    by_slug = {row.cells["slug"]: row for row in rows}
    try:
        data = tomllib.loads(deck.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        return "", [f"{deck}: cannot be updated ({exc})"]
    problems: list[str] = []
    lines = ["# Updated by dlquiz import (comments of the earlier version are not kept).", ""]
    for kind in ("term", "concept"):
        for entry in data.get(kind, []):
            row = by_slug.get(entry.get("slug", ""))
            if row is not None and row.kind != kind:
                problems.append(
                    f"row {row.number}: '{row.cells['slug']}' is a {kind} in {deck.name}; "
                    f"an import cannot make it a {row.kind}"
                )
            fields = row.fields() if row is not None and row.kind == kind else entry
            if not all(
                isinstance(v, str) or (isinstance(v, list) and all(isinstance(i, str) for i in v))
                for v in fields.values()
            ):
                return "", [f"{deck}: has values an import cannot rewrite; edit it by hand"]
            lines += _entry_toml(kind, fields)
    return "\n".join(lines), problems


def import_csv(
    path: Path,
    decks_dir: Path,
    name: str | None = None,
    overwrite: bool = False,
    on_duplicate: str = "error",
) -> Path:
    """``import_deck`` for callers that only need the deck's path (new entries required)."""
    result = import_deck(path, decks_dir, name, overwrite, on_duplicate)
    if result.target is None:
        raise ImportRefused(["nothing new to import: every row's slug is already in dlquiz"])
    return result.target


def import_deck(
    path: Path,
    decks_dir: Path,
    name: str | None = None,
    overwrite: bool = False,
    on_duplicate: str = "error",
) -> ImportResult:
    """Turn a content CSV into the user deck ``decks_dir/<name>.toml``.

    A row whose slug is already taken is, by ``on_duplicate``: ``skip``ped (counted),
    used to ``update`` the user's own deck entry of that slug (built-in entries are
    skipped, counted), or an ``error``. Nothing is written unless every deck written
    is valid beside the built-in content and the user's other decks; otherwise
    ImportRefused lists every problem, by row (row 1 is the header, as in a spreadsheet).
    """
    if on_duplicate not in DUPLICATE_MODES:
        raise ValueError(f"on_duplicate must be one of {DUPLICATE_MODES}")
    if name is None:
        name = re.sub(r"[^A-Za-z0-9_-]+", "-", path.stem).strip("-_") or "imported"
    name = name.removesuffix(".toml")
    if not _DECK_NAME.fullmatch(name):
        raise ImportRefused(
            [f"deck name {name!r}: use letters, digits, '-' and '_' (at most 80 characters)"]
        )
    seen = _decks_seen(decks_dir)
    result, writes = _planned(path, decks_dir, name, overwrite, on_duplicate)
    if not writes:
        return result
    # Two imports at once take turns to write, and each writes only what it checked
    # against the decks as they are: if another import wrote in between (a deck of
    # this name, slugs taken), the checks run again. The lock (on the decks folder)
    # is taken only with something to write: a refused import makes no folder.
    with folder_lock(decks_dir):
        if _decks_seen(decks_dir) != seen:
            result, writes = _planned(path, decks_dir, name, overwrite, on_duplicate)
        for deck, text in writes.items():
            atomic_write(deck, text.encode("utf-8"))
    return result


def _decks_seen(decks_dir: Path) -> list[tuple[str, int, int, int]]:
    """The user's deck files as they stand (name, inode, size, modified): what a check
    read. The inode tells a rewrite (atomic_write makes a new file) within one tick of
    the file system's clock, where size and time may both come out the same."""
    seen = []
    for deck in deck_files(decks_dir):
        with contextlib.suppress(OSError):
            st = deck.stat()
            seen.append((str(deck), st.st_ino, st.st_size, st.st_mtime_ns))
    return seen


def _planned(
    path: Path, decks_dir: Path, name: str, overwrite: bool, on_duplicate: str
) -> tuple[ImportResult, dict[Path, str]]:
    """What the import would write (deck -> text), checked; ImportRefused otherwise."""
    target = decks_dir / f"{name}.toml"
    if target.exists() and not overwrite:
        raise ImportRefused(
            [f"a deck named {name!r} already exists ({target}); choose another name or overwrite"]
        )
    rows, problems = _read_rows(path)
    repeated, rows = _repeats(rows)
    problems += repeated

    builtin_dir = paths.builtin_content_dir()
    builtin = load([builtin_dir])
    base = _existing_decks(decks_dir, builtin, [target])
    new: list[_Row] = []
    updates: dict[Path, list[_Row]] = {}
    skipped_builtin = skipped_own = 0
    for row in rows:
        origin = base.origin.get(row.cells["slug"])
        if origin is None or on_duplicate == "error":
            new.append(row)  # a clash in "error" mode is reported by the validator
        elif row.cells["slug"] in builtin.origin:
            skipped_builtin += 1
        elif on_duplicate == "skip":
            skipped_own += 1
        else:
            updates.setdefault(origin, []).append(row)

    # Each updated deck is checked beside everything but itself and the new deck.
    texts: dict[Path, str] = {}
    for deck, deck_rows in updates.items():
        text, deck_problems = _updated_deck(deck, deck_rows)
        problems += deck_problems
        if text:
            others = _existing_decks(decks_dir, builtin, [target, deck])
            problems += _check_toml(others, deck.name, text, deck_rows)
            texts[deck] = text
    toml = _rows_to_toml(new, source=path.name) if new else ""
    if new:
        after_updates = _existing_decks(decks_dir, builtin, [target, *texts])
        for deck, text in texts.items():
            after_updates = _with_text(after_updates, deck.name, text)
        problems += _check_toml(after_updates, target.name, toml, new)
    if problems:
        raise ImportRefused(sorted(problems, key=_row_of))
    writes = {**texts, target: toml} if new else texts
    result = ImportResult(
        target if new else None,
        added=len(new),
        updated=sum(len(r) for d, r in updates.items() if d in texts),
        updated_decks=tuple(texts),
        skipped_builtin=skipped_builtin,
        skipped_own=skipped_own,
    )
    return result, writes


def _with_text(base: Content, name: str, text: str) -> Content:
    with tempfile.TemporaryDirectory(prefix="dlquiz-import-") as tmp:
        candidate = Path(tmp) / name
        candidate.write_text(text, encoding="utf-8")
        return with_file(base, candidate)


def _row_of(message: str) -> int:
    """The first row number a problem message names (0 for none), to list problems in order."""
    match = re.match(r"rows? (\d+)", message)
    return int(match.group(1)) if match else 0
