"""``dlquiz check [PATH]``: validate content and list every problem and warning."""

from __future__ import annotations

import sys
from collections.abc import Sized
from pathlib import Path

from dlquiz import paths
from dlquiz.content import Content, Problem, deck_files, load, with_valid_entries
from dlquiz.content_lint import lint


def run(path: Path | None, home: Path | None = None, extra: list[Path] | None = None) -> int:
    """Exit status 0 when the content is valid (warnings allowed), 1 when it has errors.

    With no ``path``: the built-in content, then the decks a start loads beside it (the
    data folder ``home``'s, and ``extra``, given with --content), checked as the start
    loads them: together, so that the start's notice and this list agree."""
    builtin = load([paths.builtin_content_dir()])  # parsed once, for both checks
    if path is not None:
        return _check_decks([path], builtin)
    status = _check_builtin(builtin)
    roots = _own_decks(home) + (extra or [])
    if roots:
        status = max(status, _check_decks(roots, builtin))
    return status


def _own_decks(home: Path | None) -> list[Path]:
    """The data folder's decks folder when it has decks, or cannot be looked at (then
    ``_check_decks`` says why)."""
    if home is None:
        return []
    decks = paths.decks_dir(home)
    if paths.path_problem(decks):
        return [decks]
    return [decks] if decks.is_dir() and deck_files(decks) else []


def _check_builtin(content: Content) -> int:
    problems = content.problems + lint(content)
    return _report(problems, "built-in content", content.terms, content.concepts)


def _check_decks(roots: list[Path], builtin: Content) -> int:
    """The user's decks in ``roots``, beside the built-in content (their entries may
    link to it); only the problems in their own files are reported."""
    label = ", ".join(str(root) for root in roots)
    problems: list[Problem] = []
    files: list[Path] = []
    for root in roots:
        why = paths.path_problem(root)  # e.g. a name too long: said as any bad path is
        if why:
            problems.append(Problem(root, "path", "", why))
            continue
        found = deck_files(root)
        files += found
        if found:
            continue
        if root.is_dir():
            problems.append(Problem(root, "folder", "", "no deck files (*.toml) in it"))
        else:
            what = "not a file or a folder" if root.exists() else "no such file or folder"
            problems.append(Problem(root, "path", "", what))
    content = with_valid_entries(builtin, files)
    mine = set(files)
    own = {slug for slug, file in content.origin.items() if file in mine}
    problems += [p for p in content.problems + lint(content, own) if p.file in mine]
    terms = {slug: t for slug, t in content.terms.items() if slug in own}
    concepts = {slug: c for slug, c in content.concepts.items() if slug in own}
    return _report(problems, label, terms, concepts)


def _report(problems: list[Problem], label: str, terms: Sized, concepts: Sized) -> int:
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
    print(f"{label}: OK ({len(terms)} terms, {len(concepts)} concepts){warned}")
    return 0
