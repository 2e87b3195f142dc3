"""The skill graph: declared edges, unlocking, implicit credit (exact replay, undo), and a
failed skill bringing its weakest prerequisite forward."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from dlquiz import records, skillgraph
from dlquiz.cards import CardSpec, Kind
from dlquiz.history import apply_record, review_record, undo_record
from dlquiz.questions import families, skill_id
from dlquiz.questions.graph import EDGES, split
from dlquiz.records import Implicit, Record, Review
from dlquiz.scheduler import AGAIN, EASY, GOOD, HARD, REVIEW, CardState, Scheduler
from dlquiz.session import Session
from dlquiz.settings import Settings
from dlquiz.study import Study
from tests.conftest import LOG_NAME, STATE_NAME, T0

DAY = timedelta(days=1)


# ----- the declared graph ------------------------------------------------------------------


def test_every_edge_names_a_registered_family_and_level() -> None:
    registry = families()
    for dependent, needs in EDGES.items():
        for skill in (dependent, *needs):
            family, level = split(skill)
            assert family in registry, f"{skill}: no such family"
            assert level in registry[family].levels, f"{skill}: no such level"


def test_the_graph_is_acyclic_and_chains_each_family() -> None:
    graph = skillgraph.prerequisite_map()
    state: dict[str, int] = {}  # 1 visiting, 2 done

    def visit(node: str, path: list[str]) -> None:
        if state.get(node) == 2:
            return
        assert state.get(node) != 1, f"cycle: {' -> '.join([*path, node])}"
        state[node] = 1
        for pre in graph[node]:
            visit(pre, [*path, node])
        state[node] = 2

    for node in graph:
        visit(node, [])
    for fam in families().values():
        levels = sorted(fam.levels)
        for lower, upper in itertools.pairwise(levels):
            assert skill_id(fam.id, lower) in graph[skill_id(fam.id, upper)]
    # The edges the issue names.
    assert {"skill/conv2d-shape/1", "skill/pool2d-shape/1"} <= set(
        graph["skill/flatten-size/1"]
    ) & set(graph["skill/sequential-shape/1"])
    assert {"skill/conv2d-shape/1", "skill/batchnorm2d/1"} <= set(graph["skill/resnet-block/1"])
    assert "skill/matmul-shape/1" in graph["skill/mha-shape/1"]
    assert skillgraph.dependents("skill/pool2d-shape/1")  # a reverse lookup for the map


# ----- unlocking -----------------------------------------------------------------------------

CONV1, CONV2 = "skill/conv2d-shape/1", "skill/conv2d-shape/2"
POOL1, FLAT1 = "skill/pool2d-shape/1", "skill/flatten-size/1"
PARAMS1, LIN1, MACS1 = "skill/conv2d-params/1", "skill/linear-params/1", "skill/conv-macs/1"


def _skill_deck(*ids: str) -> dict[str, CardSpec]:
    out = {}
    for cid in ids:
        _, fam, level = cid.split("/")
        out[cid] = CardSpec(cid, Kind.SKILL, fam, (), int(level))
    return out


def _session(deck: dict[str, CardSpec], cards: dict[str, CardState], now: datetime, **kw: object):  # type: ignore[no-untyped-def]
    return Session(deck, cards, Scheduler(), Settings(**kw), now)  # type: ignore[arg-type]


def _pass(session: Session, card_id: str, at: datetime, rating: int = GOOD) -> Review:
    record = session.answer(card_id, session.outcomes(card_id, at)[rating], at)
    apply_record(session.cards, {}, record)  # type: ignore[arg-type]  # a dict here
    session.apply(record)
    return record


def _new_ids(session: Session, now: datetime) -> set[str]:
    return {cid for cid in session.deck if cid not in session.cards and session._unlocked(cid)}


@pytest.mark.parametrize("days_needed", [1, 2])
def test_a_skill_is_introduced_once_its_prerequisites_passed_on_enough_days(
    days_needed: int,
) -> None:
    deck = _skill_deck(CONV1, CONV2, POOL1, FLAT1)
    cards: dict[str, CardState] = {}
    session = _session(deck, cards, T0, unlock_after_days=days_needed)
    assert _new_ids(session, T0) == {CONV1, POOL1}
    _pass(session, CONV1, T0)
    _pass(session, POOL1, T0)
    assert _new_ids(session, T0) == set()  # first met today: nothing builds on them yet
    # The next day, the history of passes comes from the log (as Study hands it over).
    history = list(session.today.reviews)
    later = Session(deck, cards, Scheduler(), session.settings, T0 + DAY, skill_history=history)
    expected = {CONV2, FLAT1} if days_needed == 1 else set()
    assert _new_ids(later, T0 + DAY) == expected
    _pass(later, CONV1, T0 + DAY)
    assert _new_ids(later, T0 + DAY) == {CONV2} | (expected & {FLAT1})
    _pass(later, POOL1, T0 + DAY)
    assert _new_ids(later, T0 + DAY) == {CONV2, FLAT1}


def test_a_fail_an_undone_pass_or_a_reset_does_not_count_as_a_passing_day() -> None:
    deck = _skill_deck(CONV1, CONV2)
    cards: dict[str, CardState] = {}
    session = _session(deck, cards, T0)
    first = _pass(session, CONV1, T0)
    fail = review_record(CONV1, AGAIN, T0 + DAY, first.after, first.after)
    passed = review_record(CONV1, GOOD, T0 + 2 * DAY, first.after, first.after)
    undone = undo_record(passed, T0 + 2 * DAY)
    history: list[Record] = [first, fail, passed, undone]
    later = Session(deck, cards, Scheduler(), Settings(), T0 + 3 * DAY, skill_history=history)
    assert not later._unlocked(CONV2)
    again = review_record(CONV1, HARD, T0 + 3 * DAY, first.after, first.after)
    assert Session(
        deck, cards, Scheduler(), Settings(), T0 + 4 * DAY, skill_history=[*history, again]
    )._unlocked(CONV2)
    reset = records.Reset(id="r", card=CONV1, time=T0 + 3 * DAY)
    gone = Session(
        deck, cards, Scheduler(), Settings(), T0 + 4 * DAY, skill_history=[*history, again, reset]
    )
    assert not gone._unlocked(CONV2)


def test_a_prerequisite_out_of_rotation_does_not_block() -> None:
    deck = _skill_deck(CONV1, POOL1, FLAT1)
    session = _session(deck, {}, T0, excluded_skills=("pool2d-shape",))
    assert not session._unlocked(FLAT1)  # conv2d-shape still has to be learned
    session = _session(_skill_deck(POOL1, FLAT1), {}, T0)  # conv2d-shape not in the deck
    assert not session._unlocked(FLAT1)
    session = _session(_skill_deck(FLAT1), {}, T0)
    assert session._unlocked(FLAT1)


def test_skill_records_finds_every_skill_line_without_the_others() -> None:
    state = CardState(REVIEW, None, 5.0, 5.0, T0.timestamp(), T0.timestamp(), 2, 0)
    a = review_record(CONV1, GOOD, T0, None, state)
    b = review_record("term/relu/recall", GOOD, T0, None, state)
    c = undo_record(a, T0)
    damaged = b'{"type":"review","card":"skill/conv2d-shape/1","rating":9}\n'
    lines = [records.encode(a), damaged, records.encode(b), records.encode(c)]
    log = b"".join(lines) + b'{"type":"review","card":"skill/x'  # half-written last line
    assert list(skillgraph.skill_records(log)) == [a, c]


# ----- implicit credit -----------------------------------------------------------------------


def _review_state(rng: random.Random, now: datetime) -> CardState:
    stability = rng.uniform(0.5, 200)
    last = now - timedelta(days=rng.uniform(0.1, 3 * stability))
    due = last + timedelta(days=stability * rng.uniform(0.8, 1.2))
    return CardState(
        REVIEW, None, stability, rng.uniform(1, 10), due.timestamp(), last.timestamp(), 4, 0
    )


def test_a_credit_never_makes_a_card_due_later_than_a_real_pass() -> None:
    rng = random.Random(5)
    scheduler = Scheduler()
    credited = 0
    for _ in range(400):
        now = T0 + timedelta(days=rng.uniform(0, 100))
        state = _review_state(rng, now)
        outcomes = scheduler.outcomes(state, now)
        for rating in (HARD, GOOD):
            passed = outcomes[rating].state
            for weight in skillgraph.IMPLICIT_WEIGHTS:
                after = skillgraph.credit(state, passed, weight, now)
                if after is None:
                    assert passed.due <= state.due
                    continue
                credited += 1
                assert state.due < after.due <= passed.due
                assert state.stability <= after.stability <= passed.stability  # type: ignore[operator]
                assert state.last_review < after.last_review <= now.timestamp()  # type: ignore[operator]
                assert after.reps == state.reps and after.difficulty == state.difficulty
    assert credited > 400  # most states get credit: the test is not vacuous
    learning = CardState(1, 0, 1.0, 5.0, T0.timestamp(), T0.timestamp(), 1, 0)
    assert skillgraph.credit(learning, learning._replace(due=1e10), 0.5, T0) is None


def test_credit_reaches_two_steps_down_with_halving_weights() -> None:
    targets = skillgraph.credit_targets("skill/resnet50-stage/1")
    assert targets["skill/resnet-block/2"] == 0.5
    assert targets["skill/resnet-block/1"] == 0.25 and targets["skill/conv2d-shape/2"] == 0.25
    assert "skill/conv2d-shape/1" not in targets  # three steps away


@pytest.fixture
def study(home: Path) -> Study:
    opened = Study.open(home, now=T0)
    yield opened  # type: ignore[misc]
    opened.close()


def _log(home: Path) -> list[Record]:
    out = []
    for line in (home / LOG_NAME).read_bytes().splitlines():
        rec = records.decode(line)
        assert rec is not None and not isinstance(rec, records.Unknown)
        out.append(rec)
    return out


def _learn(study: Study, card_id: str, at: datetime) -> CardState:
    study.answer(card_id, study.outcomes(card_id, at)[EASY], at)
    state = study.card_state(card_id)
    assert state is not None and state.state == REVIEW
    return state


def test_a_pass_credits_its_prerequisites_and_its_undo_takes_the_credit_back(
    study: Study, home: Path
) -> None:
    conv = _learn(study, CONV1, T0)
    pool = _learn(study, POOL1, T0)
    later = T0 + 3 * DAY
    result = study.answer(FLAT1, study.outcomes(FLAT1, later)[GOOD], later)
    assert {c.card for c in result.implicit} == {CONV1, POOL1}
    for credit, before in zip(result.implicit, (conv, pool), strict=True):
        assert credit.source == result.record.id and credit.weight == 0.5
        assert credit.before == before and study.card_state(credit.card) == credit.after
        assert credit.after.due > before.due
    assert _log(home)[-2:] == list(result.implicit)
    # A fail gives nothing.
    failed = study.answer(CONV2, study.outcomes(CONV2, later)[AGAIN], later)
    assert failed.implicit == ()
    study.undo(later)  # the fail
    undone = study.undo(later)  # the pass: its credits go too
    assert undone is not None
    assert [w.undoes for w in undone.implicit] == [c.id for c in reversed(result.implicit)]
    assert study.card_state(CONV1) == conv and study.card_state(POOL1) == pool


def test_replaying_the_log_gives_the_live_state(study: Study, home: Path) -> None:
    import random

    random.seed(7)  # fsrs fuzzes intervals with the global `random`: fix the draws
    _learn(study, CONV1, T0)
    _learn(study, POOL1, T0)
    _learn(study, "skill/batchnorm2d/1", T0)
    now = T0 + 2 * DAY
    for card, rating in [(FLAT1, GOOD), ("skill/resnet-block/1", HARD), (CONV2, GOOD)]:
        study.answer(card, study.outcomes(card, now)[rating], now)
        now += timedelta(minutes=3)
    study.undo(now)
    assert any(isinstance(r, Implicit) and r.undoes for r in _log(home))
    live = dict(study.cards)
    study.close()
    (home / STATE_NAME).unlink()
    with Study.open(home, now=now) as again:
        assert dict(again.cards) == live


# ----- a fail brings the weakest prerequisite forward ---------------------------------------


def test_a_failed_skill_brings_its_weakest_prerequisite_forward() -> None:
    now = T0 + 30 * DAY
    fresh = CardState(REVIEW, None, 30.0, 5.0, (now + 20 * DAY).timestamp(), now.timestamp(), 3, 0)
    stale = fresh._replace(last_review=(now - 25 * DAY).timestamp())
    deck = _skill_deck(LIN1, PARAMS1, CONV1, MACS1)
    cards = {LIN1: fresh, PARAMS1: fresh, CONV1: stale, MACS1: fresh}
    session = _session(deck, cards, now)
    _pass(session, MACS1, now, AGAIN)
    card = session.next_card(now)
    assert card is not None and card.id == CONV1  # lowest retrievability of the two
    cards[CONV1], cards[PARAMS1] = fresh, stale
    session = _session(deck, cards, now)
    _pass(session, MACS1, now, AGAIN)
    card = session.next_card(now)
    assert card is not None and card.id == PARAMS1
    # A pass brings nothing forward: the failed card is back in its relearning step.
    session = _session(deck, dict(cards), now)
    _pass(session, MACS1, now, GOOD)
    assert session._forward is None


def test_times_are_utc() -> None:
    state = CardState(REVIEW, None, 5.0, 5.0, T0.timestamp(), T0.timestamp(), 2, 0)
    review = review_record(FLAT1, GOOD, T0 + 3 * DAY, None, state)
    cards = {CONV1: state}
    [credit] = skillgraph.implicit_credits(
        review, cards, Scheduler(), datetime(2026, 3, 5, 12, tzinfo=UTC)
    )
    assert credit.time.tzinfo is not None and credit.card == CONV1


# ----- stats: the most frequent named mistakes ---------------------------------------------


def test_frequent_mistakes_count_named_slips_without_undone_ones() -> None:
    from dlquiz.stats import frequent_mistakes

    state = CardState(REVIEW, None, 5.0, 5.0, T0.timestamp(), T0.timestamp(), 2, 0)

    def wrong(card: str, mistake: str | None) -> Review:
        return review_record(card, AGAIN, T0, state, state, extra={"mistake": mistake})

    log: list[Record] = [
        *(wrong(CONV1, "kept-in-channels") for _ in range(3)),
        *(wrong(CONV2, "ignored-padding") for _ in range(2)),
        wrong(POOL1, "ignored-padding"),
        wrong(POOL1, None),
    ]
    undone = wrong(CONV2, "kept-in-channels")
    log += [undone, undo_record(undone, T0)]
    top = frequent_mistakes(log, limit=2)
    assert [(m.family, m.mistake, m.count) for m in top] == [
        ("conv2d-shape", "kept-in-channels", 3),
        ("conv2d-shape", "ignored-padding", 2),
    ]
    assert top[0].name == "kept in channels"
    assert len(frequent_mistakes(log)) == 3


def test_dlquiz_stats_shows_the_most_frequent_mistakes(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from dlquiz.commands import stats

    with Study.open(home, now=T0) as opened:
        for _ in range(2):
            outcome = opened.outcomes(CONV1, T0)[AGAIN]
            opened.answer(CONV1, outcome, T0, extra={"mistake": "forgot-plus-one"})
    assert stats.run(home, False, T0 + DAY, tz=UTC) == 0
    out = capsys.readouterr().out
    # The family by its title, in the mistakes and in the mastery table (not its id).
    assert "Your most frequent mistakes" in out and out.count("Conv2d output shape") == 2
    assert "forgot plus one" in out and "conv2d-shape" not in out
    assert stats.run(home, True, T0 + DAY, tz=UTC) == 0
    machine = capsys.readouterr().out  # --json: ids, for programs
    assert '"mistake": "forgot-plus-one"' in machine and '"family": "conv2d-shape"' in machine


def test_a_credit_is_not_taken_back_from_a_card_that_changed_since() -> None:
    state = CardState(REVIEW, None, 5.0, 5.0, T0.timestamp(), T0.timestamp(), 2, 0)
    review = review_record(FLAT1, GOOD, T0 + 3 * DAY, None, state)
    now = T0 + 3 * DAY
    credits = skillgraph.implicit_credits(review, {CONV1: state, POOL1: state}, Scheduler(), now)
    assert len(credits) == 2
    cards = {c.card: c.after for c in credits}
    cards[POOL1] = cards[POOL1]._replace(reps=3)  # reviewed for real since the credit
    [back] = skillgraph.withdrawals(credits, cards, now)
    assert back.card == CONV1 and back.after == state and back.undoes == credits[0].id
