"""One user's study world: their data folder, the content, the deck, the scheduler.

Shared by the TUI, the CLI, the tests and the benchmarks, so they all assemble
the core in exactly the same way.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from pathlib import Path

from dlquiz import paths
from dlquiz.cards import CardSpec, Kind, build_deck
from dlquiz.content import Content, ContentError, Problem, load, with_file
from dlquiz.scheduler import Scheduler
from dlquiz.session import Session
from dlquiz.settings import Settings
from dlquiz.store import Store


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


@dataclass
class Workspace:
    store: Store
    content: Content
    deck: dict[str, CardSpec]
    scheduler: Scheduler
    content_problems: list[Problem] = field(default_factory=list)

    @property
    def notices(self) -> list[str]:
        notes = list(self.store.notices)
        missing = sorted(str(p.file) for p in self.content_problems if p.entry == "deck")
        if missing:
            notes.append(f"Deck not found, so not loaded: {', '.join(missing)}.")
        broken = [p for p in self.content_problems if p.entry != "deck"]
        if broken:
            files = sorted({str(p.file) for p in broken})
            notes.append(
                f"{len(files)} deck file(s) had errors and were skipped: {', '.join(files)}. "
                "Run `dlquiz check PATH` to see every problem."
            )
        return notes

    def session(self, now: datetime, tz: tzinfo | None = None) -> Session:
        tz = tz or local_tz()
        # Today's records are read backwards from the end of the log: cheap.
        from dlquiz.session import day_start

        since = day_start(now, tz, self.store.settings.day_starts_at_hour)
        return Session(
            self.deck,
            self.store.cards,
            self.scheduler,
            self.store.settings,
            now,
            tz,
            self.store.records_since(since),
            self.store.marks,
        )

    def close(self) -> None:
        self.store.close()


def open_workspace(
    home: Path,
    extra_content: list[Path] | None = None,
    with_skills: bool = True,
    read_only: bool = False,
) -> Workspace:
    """Open the data folder and load everything a session needs.

    Takes the lock unless ``read_only`` (which never writes the data folder).
    """
    content, skipped = load_content(home, extra_content, write_cache=not read_only)
    store = Store(home, read_only=read_only).open()
    try:
        deck = build_deck(content, skill_cards() if with_skills else None)
        try:
            scheduler = make_scheduler(store.settings)
        except ValueError as exc:  # e.g. hand-edited FSRS parameters out of range
            store.notices.append(
                f"Your personal FSRS parameters were refused ({str(exc).splitlines()[0]}); "
                "the default parameters are in use. Fit them again from Settings."
            )
            store.settings = dataclasses.replace(store.settings, fsrs_parameters=None)
            scheduler = make_scheduler(store.settings)
    except BaseException:
        store.close()
        raise
    return Workspace(store, content, deck, scheduler, skipped)
