"""The CSV format that dlquiz writes and reads: columns, list cells, formula-safe cells.

CSV list cells (aliases, tags, same_as, related, choices) hold items joined by
``;``. A ``;`` inside an item is written ``\\;`` and a backslash ``\\\\``, so every
text survives a round trip (some built-in choices contain semicolons).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

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


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows([neutralise_cell(cell) for cell in row] for row in rows)
    return buffer.getvalue().encode("utf-8")
