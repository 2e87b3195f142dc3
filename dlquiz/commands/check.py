"""``dlquiz check [PATH]``: validate content and list every problem."""

from __future__ import annotations

import sys
from pathlib import Path

from dlquiz import paths
from dlquiz.content import load


def run(path: Path | None) -> int:
    """Exit status 0 when the content is valid, 1 when it has errors."""
    builtin = paths.builtin_content_dir()
    if path is None:
        content = load([builtin])
        label = "built-in content"
    else:
        # A user's deck may link to built-in terms, so load it beside them and
        # report only the problems in the user's own files.
        content = load([builtin, path])
        own = path.resolve()
        content.problems = [
            p
            for p in content.problems
            if p.file.resolve() == own or own in p.file.resolve().parents
        ]
        label = str(path)
    for problem in content.problems:
        print(problem, file=sys.stderr)
    n_err = sum(1 for p in content.problems if p.fatal)
    if n_err:
        print(f"{label}: {n_err} error(s)", file=sys.stderr)
        return 1
    print(f"{label}: OK ({len(content.terms)} terms, {len(content.concepts)} concepts)")
    return 0
