"""The skill graph's rules: unlocking, fractional implicit repetition, weak prerequisites.

Which skill needs which is declared once, in ``dlquiz.questions.graph``; this module
says what follows from it. Pure functions: no I/O, no UI, time passed in.

**Unlocking.** A skill card is introduced as new only when each of its prerequisites is
*learned*: passed (rated Hard, Good or Easy, and not undone) on at least
``Settings.unlock_after_days`` different study days (2 by default), and not first met
today. A prerequisite that cannot be studied (not in the deck, out of rotation,
suspended) does not block. A reset card starts again with no passing days.

**Implicit credit** (Math Academy's "fractional implicit repetition"). Passing a skill
exercises the skills under it, so each prerequisite in Review state receives a
fraction ``w`` of a review: ``w = 1/2`` for a direct prerequisite and ``1/4`` for a
prerequisite of a prerequisite (no deeper). With ``P`` the state a real pass given at the
same moment would produce (Hard if the skill was passed with Hard, Good otherwise):

    stability     S  ->  S + w·(S_P − S)
    last review   L  ->  L + w·(now − L)      (the memory is that much fresher)
    due           D  ->  D + w·(D_P − D)

Difficulty, reps and lapses are left alone. Credit is given only when ``D_P > D``, so a
credit never brings a card forward and, as ``w ≤ 1``, never makes it due later than the
real pass would. A card in learning or relearning gets none: its short steps are practice
the learner should really do. Each credit is its own ``Implicit`` log record with the
state before and after, so replay is exact; undoing the pass writes records that take
its credits back (when the card has not changed since).

**A weak prerequisite comes forward.** Failing (Again) a skill with prerequisites makes
the session show next the studied direct prerequisite with the lowest retrievability
now. No record: it only changes the order of the queue.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date, datetime, tzinfo
from typing import Final, Literal

from dlquiz.records import (
    Implicit,
    Record,
    Reset,
    Review,
    Undo,
    Unknown,
    decode,
    new_id,
    utc,
)
from dlquiz.scheduler import AGAIN, GOOD, HARD, REVIEW, CardState, Scheduler

# Weight of the credit by distance from the passed skill: direct, then one step further.
IMPLICIT_WEIGHTS: Final = (0.5, 0.25)

# card id -> {passing review id: study day}; undo removes by id, reset clears the card.
PassDays = dict[str, dict[str, date]]


# Each family's levels, when the caller already knows them (the skill cards, read from
# their cache at start): listing them from the registry imports every generator module.
_levels: dict[str, tuple[int, ...]] | None = None


def know_levels(levels: Mapping[str, Iterable[int]]) -> None:
    """Tell the graph each family's levels, so it need not import the generators."""
    global _levels
    _levels = {family: tuple(sorted(lv)) for family, lv in levels.items()}
    prerequisite_map.cache_clear()


@functools.cache
def prerequisite_map() -> dict[str, tuple[str, ...]]:
    """Every skill card's direct prerequisites, from the families' levels and the edges."""
    from dlquiz.questions.graph import prerequisite_map as build

    if _levels is not None:
        return build(_levels)
    from dlquiz.questions import families

    return build({fam.id: fam.levels for fam in families().values()})


def prerequisites(card_id: str) -> tuple[str, ...]:
    return prerequisite_map().get(card_id, ())


def dependents(card_id: str) -> tuple[str, ...]:
    """The skills that list ``card_id`` as a direct prerequisite."""
    return tuple(k for k, needs in prerequisite_map().items() if card_id in needs)


def is_skill(card_id: str) -> bool:
    return card_id.startswith("skill/")


# ----- passing days (for unlocking) -----------------------------------------------------


def _day(moment: datetime, tz: tzinfo, hour: int) -> date:
    from dlquiz.session import study_day

    return study_day(moment, tz, hour)


def note_pass(passes: PassDays, record: Record, tz: tzinfo, hour: int) -> None:
    """Follow one record in ``passes`` (only skill cards are kept)."""
    if not is_skill(record.card):
        return
    if isinstance(record, Review):
        if record.rating >= HARD:
            passes.setdefault(record.card, {})[record.id] = _day(record.time, tz, hour)
    elif isinstance(record, Undo):
        passes.get(record.card, {}).pop(record.undoes, None)
    elif isinstance(record, Reset):
        passes.pop(record.card, None)


def pass_days(records: Iterable[Record], tz: tzinfo, hour: int) -> PassDays:
    passes: PassDays = {}
    for record in records:
        note_pass(passes, record, tz, hour)
    return passes


def learned(card_id: str, passes: Mapping[str, Mapping[str, date]], days_needed: int) -> bool:
    """Passed on at least ``days_needed`` different study days."""
    return len(set(passes.get(card_id, {}).values())) >= days_needed


def unlocked(
    card_id: str, is_learned: Callable[[str], bool], blocks: Callable[[str], bool]
) -> bool:
    """Every prerequisite that ``blocks`` (can be studied) is learned."""
    return all(is_learned(p) for p in prerequisites(card_id) if blocks(p))


Status = Literal["locked", "new", "learning", "known"]


def status(
    card_id: str,
    cards: Mapping[str, CardState],
    is_learned: Callable[[str], bool],
    is_unlocked: Callable[[str], bool],
) -> Status:
    """Where a skill stands: locked (a prerequisite is not learned yet), new (ready to be
    introduced), learning (met, not yet learned) or known (learned)."""
    if card_id in cards:
        return "known" if is_learned(card_id) else "learning"
    return "new" if is_unlocked(card_id) else "locked"


# How every skill card's log line names its card (msgspec writes no spaces). Found with
# bytes.find, not by decoding the whole log: a log holds mostly other cards, and decoding
# costs ~14 µs a line (1.4 s at 100k reviews) against ~10 ms for the search.
_SKILL_CARD = b'"card":"skill/'


def skill_records(log: bytes) -> Iterator[Record]:
    """The valid records of skill cards in a log's bytes, in order (damaged lines skipped;
    so is an incomplete last line)."""
    pos = log.find(_SKILL_CARD)
    while pos >= 0:
        start = log.rfind(b"\n", 0, pos) + 1
        end = log.find(b"\n", pos)
        if end < 0:
            return
        record = decode(log[start:end])
        if record is not None and not isinstance(record, Unknown):
            yield record
        pos = log.find(_SKILL_CARD, end)


# ----- implicit credit -------------------------------------------------------------------


def credit(state: CardState, passed: CardState, weight: float, now: datetime) -> CardState | None:
    """``state`` moved ``weight`` of the way towards ``passed``; None when no credit is due."""
    if state.state != REVIEW or state.last_review is None or state.stability is None:
        return None
    if passed.due <= state.due or passed.stability is None:
        return None  # a pass now would not put it later: nothing to credit
    ts = now.timestamp()
    return state._replace(
        stability=state.stability + weight * (passed.stability - state.stability),
        last_review=state.last_review + weight * max(0.0, ts - state.last_review),
        due=state.due + weight * (passed.due - state.due),
    )


def credit_targets(card_id: str) -> dict[str, float]:
    """Prerequisites within reach of a pass of ``card_id`` and their weights (nearest wins)."""
    weights: dict[str, float] = {}
    frontier = [card_id]
    for weight in IMPLICIT_WEIGHTS:
        nxt: list[str] = []
        for skill in frontier:
            for pre in prerequisites(skill):
                if pre != card_id and pre not in weights:
                    weights[pre] = weight
                    nxt.append(pre)
        frontier = nxt
    return weights


def implicit_credits(
    review: Review,
    cards: Mapping[str, CardState],
    scheduler: Scheduler,
    now: datetime,
    make_id: Callable[[], str] = new_id,
) -> list[Implicit]:
    """The credits a passing review of a skill gives its prerequisites (none for a fail)."""
    if review.rating < HARD or not is_skill(review.card):
        return []
    rating = HARD if review.rating == HARD else GOOD
    out: list[Implicit] = []
    for pre, weight in credit_targets(review.card).items():
        state = cards.get(pre)
        if state is None:
            continue
        after = credit(state, scheduler.outcomes(state, now)[rating].state, weight, now)
        if after is not None:
            out.append(
                Implicit(
                    id=make_id(),
                    card=pre,
                    time=utc(now),
                    source=review.id,
                    weight=weight,
                    before=state,
                    after=after,
                )
            )
    return out


def withdrawals(
    credits: Iterable[Implicit],
    cards: Mapping[str, CardState],
    now: datetime,
    make_id: Callable[[], str] = new_id,
) -> list[Implicit]:
    """Records taking back ``credits`` (their pass was undone), newest first.

    A card changed since its credit (reviewed, reset) keeps its state: taking the credit
    back then would undo more than the credit.
    """
    out: list[Implicit] = []
    for given in reversed(list(credits)):
        if cards.get(given.card) != given.after:
            continue
        out.append(
            Implicit(
                id=make_id(),
                card=given.card,
                time=utc(now),
                source=given.source,
                weight=given.weight,
                before=given.after,
                after=given.before,
                undoes=given.id,
            )
        )
    return out


# ----- a fail brings the weakest prerequisite forward ------------------------------------


def weakest_prerequisite(
    review: Review,
    cards: Mapping[str, CardState],
    retrievability: Callable[[CardState], float],
    usable: Callable[[str], bool],
) -> str | None:
    """After a fail of a skill: its studied, usable prerequisite least likely recalled now."""
    if review.rating != AGAIN or not is_skill(review.card):
        return None
    needs = prerequisites(review.card)
    scored = [(retrievability(cards[p]), p) for p in needs if p in cards and usable(p)]
    return min(scored)[1] if scored else None
