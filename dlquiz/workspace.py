"""How a study is assembled: content (through the cache), skill cards, the scheduler.

``dlquiz.study.Study.open`` uses these, so the TUI, the CLI, the tests and the
benchmarks all assemble the core in exactly the same way.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from pathlib import Path

from dlquiz import paths
from dlquiz.cards import CardSpec, Kind
from dlquiz.content import (
    Content,
    ContentError,
    Problem,
    deck_files,
    load,
    with_valid_entries,
)
from dlquiz.scheduler import Scheduler
from dlquiz.settings import Settings


def local_tz() -> tzinfo:
    tz = datetime.now().astimezone().tzinfo
    assert tz is not None
    return tz


def make_scheduler(settings: Settings) -> Scheduler:
    return Scheduler(
        desired_retention=settings.desired_retention,
        learning_steps=settings.learning_steps,
        relearning_steps=settings.relearning_steps,
        parameters=settings.fsrs_parameters,
    )


# The question generators' modules: what the skill cards are made from.
QUESTIONS_DIR = Path(__file__).resolve().parent / "questions"


def skill_cards(cache: Path | None = None, write: bool = True) -> list[CardSpec]:
    """One card per (generator family, level); metadata only, no torch.

    Listing the families imports every generator module (~25 ms of a start that
    otherwise needs none of them). With ``cache`` the list is read from that file
    while those modules are unchanged (``write=False``: never written).
    """
    if cache is None:
        return _skill_cards()
    from dlquiz.content_cache import cached

    return cached(cache, [QUESTIONS_DIR], _skill_cards, write=write, pattern="*.py")


def _skill_cards() -> list[CardSpec]:
    from dlquiz.questions import families, skill_id

    specs: list[CardSpec] = []
    for fam in families().values():
        requires: str | None = None
        for level in sorted(fam.levels):
            card_id = skill_id(fam.id, level)
            specs.append(CardSpec(card_id, Kind.SKILL, fam.id, (fam.topic,), level, requires))
            requires = card_id
    return specs


def load_content(
    home: Path,
    extra: list[Path] | None = None,
    write_cache: bool = True,
    device: str | None = None,
) -> tuple[Content, list[Problem]]:
    """Built-in content plus the user's decks (through the content cache).

    Built-in content must be valid (``ContentError`` otherwise). A user deck's
    entries with errors are left out (a file that cannot be read, whole) and their
    problems returned, never fatal.
    """
    from dlquiz.content_cache import cached

    decks = paths.decks_dir(home)
    unread = _unreadable([decks, *(extra or [])])
    left_out = {problem.file for problem in unread}
    extra = [path for path in extra or [] if path not in left_out]
    roots = [decks, *extra] if decks not in left_out else extra  # each can be looked at
    if device is None or decks in left_out:  # no device known (e.g. an export), or a
        # data folder that cannot be looked into: no cache to read or write
        content, skipped = _load_content(roots, extra)
    else:
        content, skipped = cached(
            # One cache file per device: the data folder may be synced, and no two
            # devices ever write the same file.
            home / "cache" / f"content-{device}.pickle",
            [paths.builtin_content_dir(), *roots],
            lambda: _load_content(roots, extra),
            write=write_cache,
        )
    return content, unread + skipped


def _unreadable(roots: list[Path]) -> list[Problem]:
    """The deck paths that cannot even be looked at (a name too long, say): left out of
    the load, and said as an unreadable deck file is, instead of failing the start."""
    found = ((root, paths.path_problem(root)) for root in roots)
    return [Problem(root, "file", "", f"cannot read: {why}") for root, why in found if why]


# The built-in content parsed in this process, under the fingerprint of its files.
_builtin: tuple[str, Content] | None = None


def builtin_content() -> Content:
    """The built-in content, parsed at most once per process while its files are unchanged.

    A process that opens several data folders (the test suite does so hundreds of times;
    the content cache is per folder) parses the 75 TOML files once. Each caller gets its
    own ``Content`` (shallow copies of the dicts; entries are frozen), so a merge into one
    never reaches another.
    """
    global _builtin
    from dlquiz.content_cache import fingerprint

    root = paths.builtin_content_dir()
    key = fingerprint([root])
    if _builtin is None or _builtin[0] != key:
        loaded = load([root])
        if not loaded.ok:
            raise ContentError(loaded.problems)
        _builtin = (key, loaded)
    base = _builtin[1]
    return Content(
        terms=dict(base.terms),
        concepts=dict(base.concepts),
        problems=list(base.problems),
        origin=dict(base.origin),
    )


def _load_content(roots: list[Path], extra: list[Path]) -> tuple[Content, list[Problem]]:
    """The built-in content with the decks under ``roots`` (paths that can be looked at:
    ``load_content``); ``extra``, the decks asked for, is told of when missing."""
    content = builtin_content()
    skipped = [
        Problem(path, "deck", "", "no such file or folder") for path in extra if not path.exists()
    ]
    files = [f for d in roots if d.exists() for f in deck_files(d)]
    content = with_valid_entries(content, files)  # together: a link may cross decks
    skipped += [p for p in content.problems if p.fatal]
    content.problems = [p for p in content.problems if not p.fatal]
    return content, skipped


def deck_notes(problems: list[Problem]) -> list[str]:
    """What the user is told of ``problems`` from ``load_content``: per deck file, what
    was left out of it, then where to see why."""
    missing = sorted({str(p.file) for p in problems if p.entry == "deck"})
    notes = [f"Deck not found, so not loaded: {', '.join(missing)}."] if missing else []
    by_file: dict[Path, list[Problem]] = {}
    for problem in problems:
        if problem.entry != "deck":
            by_file.setdefault(problem.file, []).append(problem)
    said = []
    for file, found in sorted(by_file.items()):
        unread = next((p for p in found if p.entry == "file" and not p.field), None)
        if unread is not None:
            said.append(f"{file} was not loaded ({unread.message})")
            continue
        entries = len({p.entry for p in found if p.entry != "file"})
        what = (
            [f"{entries} {'entry' if entries == 1 else 'entries'} with errors"] if entries else []
        )
        if any(p.entry == "file" for p in found):
            what.append("tables it cannot read")
        said.append(f"{' and '.join(what)} left out of {file}")
    if said:
        notes.append(f"{'; '.join(said)}. `dlquiz check` lists every problem.")
    return notes
