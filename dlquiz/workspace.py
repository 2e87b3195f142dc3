"""How a study is assembled: content (through the cache), skill cards, the scheduler.

``dlquiz.study.Study.open`` uses these, so the TUI, the CLI, the tests and the
benchmarks all assemble the core in exactly the same way.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from pathlib import Path

from dlquiz import paths
from dlquiz.cards import CardSpec, Kind
from dlquiz.content import Content, ContentError, Problem, load, with_file
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


def skill_cards() -> list[CardSpec]:
    """One card per (generator family, level); metadata only, no torch."""
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
    home: Path, extra: list[Path] | None = None, write_cache: bool = True
) -> tuple[Content, list[Problem]]:
    """Built-in content plus the user's decks (through the content cache).

    Built-in content must be valid (``ContentError`` otherwise). A broken user
    deck is skipped and its problems returned, never fatal.
    """
    from dlquiz.content_cache import cached

    roots = [paths.builtin_content_dir(), paths.decks_dir(home), *(extra or [])]
    return cached(
        home / "cache" / "content.pickle",
        roots,
        lambda: _load_content(home, extra),
        write=write_cache,
    )


def _load_content(home: Path, extra: list[Path] | None) -> tuple[Content, list[Problem]]:
    content = load([paths.builtin_content_dir()])
    if not content.ok:
        raise ContentError(content.problems)
    skipped: list[Problem] = [
        Problem(path, "deck", "", "no such file or folder")
        for path in extra or []
        if not path.exists()
    ]
    user_dirs = [d for d in [paths.decks_dir(home), *(extra or [])] if d.exists()]
    for folder in user_dirs:
        files = [folder] if folder.is_file() else sorted(folder.rglob("*.toml"))
        for path in files:
            merged = with_file(content, path)
            bad = [p for p in merged.problems if p.fatal and p.file == path]
            if bad:
                skipped.extend(bad)
                continue
            content = merged
    return content, skipped
