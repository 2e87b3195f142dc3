"""``dlquiz check [PATH]``: validate content and list every problem and warning."""

from __future__ import annotations

import sys
from pathlib import Path

from dlquiz import paths
from dlquiz.content import load
from dlquiz.content_lint import lint


def run(path: Path | None, home: Path | None = None, extra: list[Path] | None = None) -> int:
    """Exit status 0 when the content is valid (warnings allowed), 1 when it has errors.

    With no ``path``: the built-in content, then the decks a start loads beside it (the
    data folder ``home``'s, and ``extra``, given with --content), whose errors the
    start's notice points at."""
    if path is not None:
        return _check(path)
    status = _check(None)
    decks = paths.decks_dir(home) if home is not None else None
    if decks is not None and decks.is_dir() and any(decks.rglob("*.toml")):
        status = max(status, _check(decks))
    for deck in extra or []:
        status = max(status, _check(deck))
    return status


def _check(path: Path | None) -> int:
    builtin = paths.builtin_content_dir()
    if path is None:
        content = load([builtin])
        problems = content.problems + lint(content)
        label = "built-in content"
    elif path.is_dir() and not any(path.rglob("*.toml")):
        print(f"{path}: no deck files (*.toml) in this folder", file=sys.stderr)
        return 1
    else:
        # A user's deck may link to built-in terms, so load it beside them and
        # report only the problems in the user's own files.
        content = load([builtin, path])
        own = path.resolve()
        # Resolved once per file, not once per problem: thousands of problems
        # share a handful of files.
        mine: dict[Path, bool] = {}

        def is_mine(file: Path) -> bool:
            if file not in mine:
                resolved = file.resolve()
                mine[file] = resolved == own or own in resolved.parents
            return mine[file]

        own_slugs = {s for s, f in content.origin.items() if is_mine(f)}
        problems = [p for p in content.problems + lint(content, own_slugs) if is_mine(p.file)]
        label = str(path)
        content.terms = {s: t for s, t in content.terms.items() if s in own_slugs}
        content.concepts = {s: c for s, c in content.concepts.items() if s in own_slugs}
    # A field with an error needs no warning as well (an exact-name giveaway is both).
    errors = {(p.file, p.entry, p.field) for p in problems if p.fatal}
    problems = [p for p in problems if p.fatal or (p.file, p.entry, p.field) not in errors]
    for problem in problems:
        print(problem, file=sys.stderr)
    n_err = sum(1 for p in problems if p.fatal)
    n_warn = len(problems) - n_err
    warned = f", {n_warn} warning(s)" if n_warn else ""
    if n_err:
        print(f"{label}: {n_err} error(s){warned}", file=sys.stderr)
        return 1
    print(f"{label}: OK ({len(content.terms)} terms, {len(content.concepts)} concepts){warned}")
    return 0
