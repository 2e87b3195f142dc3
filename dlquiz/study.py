"""The one owner of a user's study state: every write goes through ``Study``.

``Study`` holds the card states, the marks, the settings and the scheduler, each
exactly once. The store only persists (append + fsync, state snapshots), the
session only orders the queue, and the app and the CLI only present. Each write
returns a typed result or raises ``SaveError`` when nothing was saved, so a
caller never has to guess what reached the disk.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path
from types import MappingProxyType
from typing import Any

from dlquiz.cards import CardSpec
from dlquiz.content import Content, Problem
from dlquiz.history import apply_record
from dlquiz.records import DEFAULT_MARKS, Implicit, Marks, Record, Review, Suspend, Undo
from dlquiz.scheduler import CardState, Outcome, Scheduler
from dlquiz.session import Counts, Session, Summary
from dlquiz.settings import Settings
from dlquiz.store import Store, StoreError

LEECH_MESSAGE = (
    "You have forgotten this card 8 times, so it is now suspended as a leech. "
    "Rewrite it in your own words, or unsuspend it from Browse."
)


class SaveError(StoreError):
    """Nothing was saved; ``str(error)`` is one sentence for the user."""


@dataclass(frozen=True)
class Recorded:
    """What a write put in the log, and what the user should hear about it."""

    record: Record
    leech_made: bool = False  # this answer suspended the card as a leech
    leech_unmade: bool = False  # this undo took the leech mark back
    warning: str | None = None  # the state file could not be written (said once)
    # Prerequisites credited by this pass, or credits taken back by this undo (skill graph).
    implicit: tuple[Implicit, ...] = ()


class Study:
    """A user's study: open it, read it, write through it, close it."""

    def __init__(
        self,
        store: Store,
        content: Content,
        deck: dict[str, CardSpec],
        scheduler: Scheduler,
        now: datetime,
        tz: tzinfo,
        content_problems: list[Problem] | None = None,
        notices: list[str] | None = None,
    ) -> None:
        self._store = store
        self.content = content
        self.deck = deck
        self.tz = tz
        self._settings = store.settings
        self._scheduler = scheduler
        self._cards, self._marks = store.take_state(self._snapshot)
        self.cards: Mapping[str, CardState] = MappingProxyType(self._cards)
        self.marks: Mapping[str, Marks] = MappingProxyType(self._marks)
        self.content_problems = content_problems or []
        self._notices = notices or []
        self._said_warning: str | None = None
        self._credits: dict[str, list[Implicit]] = {}  # pass id -> its implicit credits
        self._history: dict[str, list[Review]] | None = None  # card_history's index
        self._undone: set[str] = set()
        self._started: int | None = None  # see ``started``
        self.session = self._new_session(now)

    # ----- opening ------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        home: Path,
        extra_content: list[Path] | None = None,
        *,
        with_skills: bool = True,
        read_only: bool = False,
        keep_settings: bool = False,
        now: datetime | None = None,
        tz: tzinfo | None = None,
    ) -> Study:
        """Open the data folder and load everything a session needs.

        Takes the lock unless ``read_only`` (which never writes the data folder).
        ``keep_settings``: see ``Store``.
        Raises StoreError (the folder cannot be used) or ContentError (built-in
        content broken).
        """
        from dlquiz.cards import build_deck
        from dlquiz.workspace import load_content, local_tz, make_scheduler, skill_cards

        # The lock first: a refused second instance must write nothing, not even the
        # content cache.
        store = Store(home, read_only=read_only, keep_settings=keep_settings).open()
        notices: list[str] = []
        try:
            # A read-only command (stats) reads the cache the app filled for this
            # device, and writes nothing at all.
            content, skipped = load_content(
                home, extra_content, write_cache=not read_only, device=store.device
            )
            skills = None
            if with_skills:
                cache = home / "cache" / f"skills-{store.device}.pickle"
                skills = skill_cards(cache, write=not read_only)
                _know_levels(skills)
            deck = build_deck(content, skills)
            try:
                scheduler = make_scheduler(store.settings)
            except ValueError as exc:  # e.g. hand-edited FSRS parameters out of range
                notices.append(
                    f"Your personal FSRS parameters were refused ({str(exc).splitlines()[0]}); "
                    "the default parameters are in use. Fit them again from Settings."
                )
                store.settings = store.settings.replace(fsrs_parameters=None)
                scheduler = make_scheduler(store.settings)
            from datetime import UTC

            return cls(
                store,
                content,
                deck,
                scheduler,
                now or datetime.now(UTC),
                tz or local_tz(),
                skipped,
                notices,
            )
        except BaseException:
            store.close()
            raise

    def _new_session(self, now: datetime) -> Session:
        from dlquiz.session import day_start

        # Today's records are read backwards from the end of the log: cheap.
        since = day_start(now, self.tz, self._settings.day_starts_at_hour)
        return Session(
            self.deck,
            self.cards,
            self._scheduler,
            self._settings,
            now,
            self.tz,
            self._store.records_since(since),
            self.marks,
            self._skill_history(),
        )

    def _skill_history(self) -> list[Record]:
        """Every record of a skill card in the log (which skills were passed on which days)."""
        from dlquiz.skillgraph import skill_records

        if not any(spec.id.startswith("skill/") for spec in self.deck.values()):
            return []
        try:
            return list(skill_records(self._store.log_path.read_bytes()))
        except OSError:
            return []  # no log yet, or unreadable (the store says so): nothing passed

    def new_session(self, now: datetime) -> Session:
        """Start the queue afresh (keeps nothing of the previous session's undo)."""
        self.session = self._new_session(now)
        self._credits.clear()  # undo reaches only this session's answers
        return self.session

    # ----- reading ------------------------------------------------------------------

    @property
    def settings(self) -> Settings:
        return self._settings

    @property
    def scheduler(self) -> Scheduler:
        return self._scheduler

    @property
    def home(self) -> Path:
        return self._store.home

    @property
    def log_path(self) -> Path:
        return self._store.log_path

    @property
    def read_only(self) -> bool:
        return self._store.read_only

    @property
    def device(self) -> str:
        """This device's id (the name of its log and of its caches)."""
        return self._store.device

    @property
    def notices(self) -> list[str]:
        """What the user must be told about this start (damaged files, skipped decks)."""
        notes = [*self._store.notices, *self._notices]
        from dlquiz.workspace import deck_notes

        notes += deck_notes(self.content_problems)
        return notes

    def card_state(self, card_id: str) -> CardState | None:
        return self._cards.get(card_id)

    def marks_of(self, card_id: str) -> Marks:
        return self._marks.get(card_id, DEFAULT_MARKS)

    def started(self) -> int:
        """How many cards of the deck have a state (the log may know cards no deck has
        now). Counted once, then kept by each write: the home screen asks at every visit."""
        if self._started is None:
            self._started = len(self._cards.keys() & self.deck.keys())
        return self._started

    def log(self) -> Iterator[Record]:
        """Every valid record of the log, in order (damaged lines are skipped)."""
        return self._store.iter_log()

    def counts(self, now: datetime) -> Counts:
        return self.session.counts(now)

    def next_card(self, now: datetime, skills_ready: bool = True) -> CardSpec | None:
        return self.session.next_card(now, skills_ready)

    def next_learning_due(self) -> datetime | None:
        return self.session.next_learning_due()

    def outcomes(self, card_id: str, now: datetime) -> dict[int, Outcome]:
        return self.session.outcomes(card_id, now)

    @property
    def can_undo(self) -> bool:
        return self.session.can_undo

    @property
    def undo_label(self) -> str | None:
        """What undo would take back now ("answer", "bury", "flag"…), None if nothing."""
        return self.session.undo_label

    def learn_ahead(self, now: datetime) -> CardSpec | None:
        """The next learning card before it is due (only when the user asks)."""
        return self.session.learn_ahead(now)

    def summary(self, now: datetime) -> Summary:
        return self.session.summary(now)

    def missed_today(self) -> list[str]:
        return self.session.missed_today()

    def more_new(self, n: int) -> None:
        """Study ``n`` more new cards today than the daily limit."""
        self.session.more_new(n)

    def focus(self, card_ids: list[str]) -> int:
        """Custom study that counts: only ``card_ids`` until ``end_focus``."""
        return self.session.focus(card_ids)

    def end_focus(self) -> None:
        self.session.end_focus()

    def card_history(self, card_id: str) -> list[Review]:
        """Every review of ``card_id`` that still counts (undone ones left out), oldest first.

        The log is read once, on the first call; later writes keep the index current.
        """
        if self._history is None:
            history: dict[str, list[Review]] = {}
            undone: set[str] = set()
            for record in self._store.iter_log():
                self._index(history, undone, record)
            self._history, self._undone = history, undone
        return [r for r in self._history.get(card_id, []) if r.id not in self._undone]

    @staticmethod
    def _index(history: dict[str, list[Review]], undone: set[str], record: Record) -> None:
        if isinstance(record, Review):
            history.setdefault(record.card, []).append(record)
        elif isinstance(record, Undo):
            undone.add(record.undoes)

    def retrievability(self, card_id: str, now: datetime) -> float | None:
        state = self._cards.get(card_id)
        return None if state is None else self._scheduler.retrievability(state, now)

    # ----- writing ------------------------------------------------------------------

    def answer(
        self,
        card_id: str,
        outcome: Outcome,
        now: datetime,
        duration_ms: int | None = None,
        extra: dict[str, Any] | None = None,
    ) -> Recorded:
        """Record an answer (rating ``outcome.rating``) durably, then apply it."""
        record = self.session.answer(card_id, outcome, now, duration_ms, extra)
        return self._write(record, now)

    def undo(self, now: datetime) -> Recorded | None:
        """Undo this session's last action (an answer or a mark); None if there is none."""
        record = self.session.undo(now)
        return None if record is None else self._write(record, now)

    def mark(self, kind: str, card_id: str, now: datetime, **fields: Any) -> Recorded:
        """Suspend (on=bool), bury (until=POSIX seconds, default tomorrow), flag, reset."""
        if kind == "bury" and "until" not in fields:
            fields["until"] = self.session.bury_until(now)
        return self._write(self.session.mark(kind, card_id, now, **fields), now)

    def skip(self, card_id: str) -> None:
        """Leave a card out for the rest of this session, unanswered (it failed to show)."""
        self.session.skip(card_id)

    def change_settings(self, settings: Settings) -> None:
        """Save validated settings and use them from now on (raises SaveError)."""
        from dlquiz.workspace import make_scheduler

        try:
            scheduler = make_scheduler(settings)  # refuses bad FSRS parameters: check first
        except ValueError as exc:
            raise SaveError(f"Settings not saved: {str(exc).splitlines()[0]}") from exc
        try:
            self._store.save_settings(settings)
        except (OSError, StoreError) as exc:
            raise SaveError(f"Settings not saved: {_reason(exc)}.") from exc
        self._settings, self._scheduler = settings, scheduler
        self.session.use_settings(settings, scheduler)  # keeps undo and today's counts

    def _append(self, record: Record) -> None:
        def apply() -> None:
            card_id = record.card  # the one card a record can start or make new again
            had = card_id in self._cards
            apply_record(self._cards, self._marks, record)
            if self._started is not None and card_id in self.deck:
                self._started += (card_id in self._cards) - had
            self.session.apply(record)
            if self._history is not None:
                self._index(self._history, self._undone, record)

        try:
            self._store.append(record, apply=apply)
        except (OSError, StoreError) as exc:
            raise SaveError(
                f"Could not save to {self._store.log_path}: {_reason(exc)}. Nothing was "
                "recorded; free some space or fix permissions and try again."
            ) from exc

    def _write(self, record: Record, now: datetime) -> Recorded:
        self._append(record)
        made = unmade = False
        for follow_up in self.session.follow_ups(record, now):
            try:
                self._append(follow_up)
            except SaveError:
                break  # the next review (or undo) of this card tries again
            if isinstance(follow_up, Suspend) and follow_up.reason == "leech":
                made = isinstance(record, Review)
            elif isinstance(follow_up, Suspend) and follow_up.leech is False:
                unmade = isinstance(record, Undo)
        implicit = self._implicit(record, now)
        self._store.save_state_async()
        return Recorded(record, made, unmade, self._writer_warning(), implicit)

    def _implicit(self, record: Record, now: datetime) -> tuple[Implicit, ...]:
        """A pass credits the skill's prerequisites; its undo takes the credits back."""
        from dlquiz.skillgraph import implicit_credits, withdrawals

        if isinstance(record, Review):
            made = implicit_credits(record, self._cards, self._scheduler, now)
        elif isinstance(record, Undo):
            made = withdrawals(self._credits.pop(record.undoes, []), self._cards, now)
        else:
            return ()
        written: list[Implicit] = []
        for credit in made:
            try:
                self._append(credit)
            except SaveError:
                break  # a credit is a bonus: losing one loses nothing the learner did
            written.append(credit)
        if isinstance(record, Review) and written:
            self._credits[record.id] = written
        return tuple(written)

    def _writer_warning(self) -> str | None:
        error = self._store.writer_error
        if error is None:
            self._said_warning = None
            return None
        text = (
            f"state.json could not be written ({_reason(error)}); your reviews are safe in "
            "the log and the state will be rebuilt from it."
        )
        if text == self._said_warning:
            return None  # said once, not at every answer
        self._said_warning = text
        return text

    def _snapshot(self) -> tuple[dict[str, CardState], dict[str, Marks]]:
        # Called by the store's writer under its append lock, so never mid-apply.
        return dict(self._cards), dict(self._marks)

    def flush(self) -> None:
        """Wait until the state file reflects every write so far."""
        self._store.flush()

    def close(self) -> None:
        """Write the final state and release the lock. Safe to call twice."""
        self._store.close()

    def __enter__(self) -> Study:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _reason(exc: BaseException) -> str:
    """One short phrase for an error, without the temp-file names that change every time."""
    if isinstance(exc, OSError):
        return exc.strerror or type(exc).__name__
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text


def _know_levels(skills: list[CardSpec]) -> None:
    """The skill graph learns each family's levels from the skill cards (no generator
    imports at start)."""
    from dlquiz import skillgraph

    levels: dict[str, list[int]] = {}
    for spec in skills:
        levels.setdefault(spec.key, []).append(spec.level)
    skillgraph.know_levels(levels)
