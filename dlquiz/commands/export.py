"""``dlquiz export anki|csv|log FILE`` and ``dlquiz import csv FILE``.

Exit status: 0 done; 1 the CSV was refused (every problem is listed, nothing is
written); 2 the command could not run (a file missing or unwritable, another
dlquiz holding the data folder, broken built-in content).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from dlquiz import paths


def _file_name(text: str) -> str:
    if not text:  # '' is no file: it read as the working folder (' ' is a name)
        raise argparse.ArgumentTypeError("the file name is empty")
    return text


def add_parser(sub: Any) -> None:
    """Register ``export`` and ``import`` on the CLI's subparsers."""
    export = sub.add_parser(
        "export",
        help="write your cards or your review history to a file (Anki, CSV)",
        description="Write the cards you study, or your review history, to a file.",
    )
    what = export.add_subparsers(dest="export_what", metavar="WHAT", required=True)
    anki = what.add_parser(
        "anki",
        help="an Anki package: terms both ways, concepts, sample computed questions",
        description=(
            "Write an Anki package (.apkg). Each glossary term becomes a note with two cards "
            "(term → definition and definition → term), each concept a note, and each skill a "
            "few sample questions computed by PyTorch. Importing a newer export into Anki "
            "updates the notes instead of duplicating them."
        ),
    )
    anki.add_argument(
        "file",
        type=_file_name,
        metavar="FILE.apkg",
        help="the file to write (- for standard output)",
    )
    anki.add_argument(
        "--samples",
        type=int,
        default=3,
        metavar="N",
        help="sample questions per skill (default 3; 0 leaves skills out)",
    )
    anki.add_argument(
        "--seed", type=int, default=0, help="seed of the first sample (default 0; then +1, +2 …)"
    )
    csv_ = what.add_parser(
        "csv",
        help="terms and concepts as CSV (one row each)",
        description=(
            "Write every term and concept as a CSV row: kind, slug, term_or_question, "
            "definition_or_answer, aliases, tags, same_as, related, formula, explanation, "
            "choices. List cells are joined with ';' (a ';' inside an item is written '\\;')."
        ),
    )
    csv_.add_argument(
        "file", type=_file_name, metavar="FILE", help="the file to write (- for standard output)"
    )
    log = what.add_parser(
        "log",
        help="your whole review history as CSV",
        description="Write every review as a CSV row; undone reviews are marked undone=true.",
    )
    log.add_argument(
        "file",
        type=_file_name,
        metavar="FILE.csv",
        help="the file to write (- for standard output)",
    )

    imp = sub.add_parser(
        "import",
        help="make a deck of your own from a CSV file",
        description="Turn a CSV file into one of your decks.",
    )
    imp_what = imp.add_subparsers(dest="import_what", metavar="WHAT", required=True)
    imp_csv = imp_what.add_parser(
        "csv",
        help="a CSV in the `dlquiz export csv` format",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=_import_help(),
    )
    imp_csv.add_argument("file", type=lambda text: Path(_file_name(text)), metavar="FILE")
    imp_csv.add_argument(
        "--name", help="deck name (default: from the file name); saved as decks/NAME.toml"
    )
    imp_csv.add_argument(
        "--overwrite", action="store_true", help="replace an existing deck of that name"
    )
    imp_csv.add_argument(
        "--on-duplicate",
        choices=("skip", "update", "error"),
        default="skip",
        help="a row whose slug is already taken: skip it (default), update your own deck's "
        "entry with it (built-in entries are skipped), or refuse the whole file",
    )


def _import_help() -> str:
    import textwrap

    from dlquiz.content import MAX_TAG_LENGTH, TAGS

    indent = " " * 12  # the list continues under the first line's text
    tags = textwrap.fill(
        f"lowercase words joined by hyphens, at most {MAX_TAG_LENGTH} characters: your own, or "
        "the built-in ones (" + ", ".join(sorted(TAGS)) + ").",
        width=78,
        initial_indent=indent,
        subsequent_indent=indent,
    ).lstrip()
    return IMPORT_HELP.replace("TAG_LIST", tags)


IMPORT_HELP = """\
Turn a CSV file into one of your decks (decks/NAME.toml in your data folder).

The format is the one `dlquiz export csv` writes. What a row needs:
  columns   kind, slug, term_or_question and definition_or_answer must be in
            the header; the others (aliases, tags, same_as, related, formula,
            explanation, choices, notes, broader) are optional. No other names.
  kind      "term" or "concept".
  slug      lowercase words joined by hyphens (e.g. my-new-term), at most 80
            characters, used once in the file. A slug already in dlquiz is a
            duplicate: see --on-duplicate.
  cells     term_or_question and definition_or_answer not empty; a concept
            also needs a non-empty explanation.
  term      its definition must not contain its own name or an alias (as a
            whole word; names under 3 characters are not checked).
  concept   no aliases, same_as, formula, notes or broader.
  tags      TAG_LIST
  links     same_as, broader: slugs of terms; related: slugs of terms or
            concepts (built-in, in your decks, or in this file).
  choices   if given, the answer must be one of them, all different.
  lists     ';' between items; '\\;' for a ';' inside an item.
  text      UTF-8; a quoted cell must close its quote.

Every row is checked, together with the built-in content and your other
decks, before anything is written. If anything is wrong, nothing is written
and the problems are listed by row number (row 1 is the header), at most 20
lines and a count of the rest.
"""

MAX_PROBLEM_LINES = 20
MAX_SAMPLES = 100  # per skill; each is computed by torch, so more would take hours


def _error(message: str) -> None:
    print(f"dlquiz: {message}", file=sys.stderr)


def _check_output(path: Path, home: Path) -> str | None:
    """Why ``path`` cannot be written, or None (what it is is checked when writing)."""
    from dlquiz.devices import is_dlquiz_file

    if str(path) == "-":
        return None
    if is_dlquiz_file(home, path):
        return f"{path} is one of dlquiz's own data files; choose another file name"
    try:
        if path.is_dir():
            return f"{path} is a folder; give a file name"
        if not path.parent.is_dir():
            return f"the folder {path.parent} does not exist"
    except OSError as exc:  # e.g. a name too long: the user's input, not a bug
        return f"cannot write {path}: {exc.strerror or exc}"
    return None


def _output_path(arg: str | Path) -> Path:
    """``-`` is standard output; any other name a file (``./-`` for a file named ``-``)."""
    if str(arg) == "-":
        return Path("-")
    path = Path(arg)
    return Path.cwd() / path if str(path) == "-" else path


def _say(message: str, path: Path) -> None:
    """The summary line: on stderr when the export itself goes to stdout."""
    print(message, file=sys.stderr if str(path) == "-" else sys.stdout)


def run_export(args: argparse.Namespace, home: Path) -> int:
    from dlquiz.safe_io import OutputRefused

    path = _output_path(args.file)
    problem = _check_output(path, home)
    if problem:
        _error(problem)
        return 2
    try:
        if args.export_what == "log":
            return _export_log(path, home)
        return _export_content(args, path, home)
    except OutputRefused as exc:
        _error(f"nothing written: {exc}")
        return 2
    except OSError as exc:
        _error(f"cannot write {exc.filename or path}: {exc.strerror or exc}")
        return 2


def _export_content(args: argparse.Namespace, path: Path, home: Path) -> int:
    from dlquiz.anki_export import export_anki
    from dlquiz.content import ContentError
    from dlquiz.exports import export_csv
    from dlquiz.workspace import deck_notes, load_content

    try:
        content, skipped = load_content(home, getattr(args, "content", None))
    except ContentError as exc:
        _error("the built-in content has errors (please report this):")
        for p in exc.problems:
            print(f"  {p}", file=sys.stderr)
        return 2
    for note in deck_notes(skipped):
        print(f"dlquiz: {note}", file=sys.stderr)
    if args.export_what == "csv":
        n = export_csv(content, path)
        _say(
            f"Wrote {n} rows ({len(content.terms)} terms, "
            f"{len(content.concepts)} concepts) to {_shown(path)}",
            path,
        )
        return 0
    from dlquiz.commands.ask import MAX_SEED
    from dlquiz.questions import families

    if not 0 <= args.samples <= MAX_SAMPLES:
        _error(f"--samples must be a whole number from 0 to {MAX_SAMPLES}, not {args.samples}")
        return 2
    if not 0 <= args.seed <= MAX_SEED:
        _error(f"--seed must be a whole number from 0 to {MAX_SEED}, not {args.seed}")
        return 2
    fams = sorted(families()) if args.samples else []
    counts = export_anki(content, fams, path, samples_per_skill=args.samples, seed=args.seed)
    _say(
        f"Wrote {_shown(path)}: {counts.terms} terms (2 cards each), {counts.concepts} "
        f"concepts, {counts.samples} sample questions. In Anki: File → Import.",
        path,
    )
    return 0


def _export_log(path: Path, home: Path) -> int:
    from dlquiz.exports import export_log
    from dlquiz.store import Store, StoreError

    try:
        found = home.is_dir()
    except OSError as exc:  # before this, the message blamed the output file
        _error(f"cannot use the data folder {home}: {exc.strerror or exc}")
        return 2
    if not found:
        _error(f"no data folder at {home}: there is no review history yet")
        return 2
    try:
        store = Store(home, read_only=True).open()  # works beside a running app
    except StoreError as exc:  # AlreadyRunning included
        _error(str(exc))
        return 2
    try:
        for notice in store.notices:
            print(f"dlquiz: {notice}", file=sys.stderr)
        n, undone = export_log(store.iter_log(), path)
    finally:
        store.close()
    _say(f"Wrote {n} reviews ({undone} undone) to {_shown(path)}", path)
    return 0


def _shown(path: Path) -> str:
    return "standard output" if str(path) == "-" else str(path)


def run_import(args: argparse.Namespace, home: Path) -> int:
    from dlquiz.imports import ImportRefused, import_deck

    path: Path = args.file
    try:
        if not path.is_file():
            _error(f"{path}: no such file" if not path.exists() else f"{path} is not a file")
            return 2
    except OSError as exc:  # e.g. a name too long
        _error(f"{path}: {exc.strerror or exc}")
        return 2
    mode = getattr(args, "on_duplicate", "skip")
    try:
        result = import_deck(
            path, paths.decks_dir(home), args.name, overwrite=args.overwrite, on_duplicate=mode
        )
    except ImportRefused as exc:
        problems = exc.problems
        _error(f"{path} was not imported; nothing was written. {_count(problems, 'problem')}:")
        for problem in problems[:MAX_PROBLEM_LINES]:
            print(f"  {problem}", file=sys.stderr)
        if len(problems) > MAX_PROBLEM_LINES:
            print(f"  … and {len(problems) - MAX_PROBLEM_LINES} more", file=sys.stderr)
        return 1
    except OSError as exc:
        _error(f"cannot write the deck: {exc.strerror or exc}")
        return 2
    said = []
    if result.target is not None:
        said.append(f"Imported {_count(result.added, 'entry')} from {path} as {result.target}.")
    if result.updated:
        decks = ", ".join(str(d) for d in result.updated_decks)
        said.append(f"Updated {_count(result.updated, 'entry')} of your own in {decks}.")
    if result.skipped_own:
        said.append(
            f"Skipped {_count(result.skipped_own, 'row')} already in your decks "
            "(--on-duplicate update changes them)."
        )
    if result.skipped_builtin:
        said.append(
            f"Skipped {_count(result.skipped_builtin, 'row')} already in the built-in content "
            "(an import never changes it)."
        )
    if result.target is None and not result.updated:
        said.append("Nothing new to import; nothing was written.")
    elif result.target is not None or result.updated:
        said.append("dlquiz studies the changes from the next start.")
    print("\n".join(said))
    return 0


def _count(n: int | list[str], noun: str) -> str:
    n = n if isinstance(n, int) else len(n)
    plural = noun[:-1] + "ies" if noun.endswith("y") else noun + "s"
    return f"{n} {noun if n == 1 else plural}"
