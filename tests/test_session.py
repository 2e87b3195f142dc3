"""Which card comes next, daily limits, interleaving, undo, day boundaries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from dlquiz.cards import CardSpec, Kind
from dlquiz.history import apply_record
from dlquiz.records import Record, Review, Suspend, Undo
from dlquiz.scheduler import AGAIN, EASY, GOOD, HARD, CardState, Scheduler
from dlquiz.session import Session, day_start
from dlquiz.settings import Settings
from tests.conftest import T0


def _deck(n_terms: int = 6) -> dict[str, CardSpec]:
    deck: dict[str, CardSpec] = {}
    for i in range(n_terms):
        recall = CardSpec(f"term/t{i}/recall", Kind.RECALL, f"t{i}")
        deck[recall.id] = recall
    for i in range(n_terms):
        name = CardSpec(f"term/t{i}/name", Kind.NAME, f"t{i}", requires=f"term/t{i}/recall")
        deck[name.id] = name
    return deck


def _session(
    deck: dict[str, CardSpec] | None = None,
    cards: dict[str, CardState] | None = None,
    now: datetime = T0,
    **settings: object,
) -> Session:
    return Session(
        deck or _deck(),
        {} if cards is None else cards,
        Scheduler(),
        Settings(**settings),  # type: ignore[arg-type]
        now,
    )


def _apply(session: Session, record: Record) -> None:
    """What the owner of the state (Study) does: apply the record, then tell the queue."""
    apply_record(session.cards, session.marks, record)  # type: ignore[arg-type]  # dicts here
    session.apply(record)


def _answer(session: Session, card_id: str, rating: int, at: datetime) -> Review:
    record = session.answer(card_id, session.outcomes(card_id, at)[rating], at, 1000)
    _apply(session, record)
    return record


def test_new_cards_stop_at_the_daily_limit() -> None:
    session = _session(new_per_day=3)
    seen = []
    now = T0
    while (card := session.next_card(now)) is not None:
        seen.append(card.id)
        _answer(session, card.id, EASY, now)  # Easy: graduates, not due again today
        now += timedelta(seconds=10)
    assert seen == ["term/t0/recall", "term/t1/recall", "term/t2/recall"]
    assert session.counts(now).new == 0
    assert session.counts(now).reviewed_today == 3


def test_name_card_waits_for_its_recall_card_on_an_earlier_day() -> None:
    cards: dict[str, CardState] = {}
    session = _session(cards=cards, new_per_day=50)
    now = T0
    while (card := session.next_card(now)) is not None:
        assert card.kind is Kind.RECALL  # no name card on the day its term is met
        _answer(session, card.id, EASY, now)
    tomorrow = T0 + timedelta(days=1)
    session = _session(cards=cards, now=tomorrow, new_per_day=50)
    kinds = set()
    while (card := session.next_card(tomorrow)) is not None:
        kinds.add(card.kind)
        _answer(session, card.id, EASY, tomorrow)
    assert Kind.NAME in kinds


def test_again_brings_the_card_back_after_its_learning_step() -> None:
    session = _session(deck={"term/t0/recall": _deck()["term/t0/recall"]})
    first = session.next_card(T0)
    assert first is not None
    _answer(session, first.id, AGAIN, T0)
    # nothing else to study: a learning card due within 20 minutes is shown early
    assert session.next_card(T0) == first
    later = T0 + timedelta(minutes=2)
    assert session.next_card(later) == first


def test_due_reviews_come_before_new_cards_are_exhausted_and_interleave() -> None:
    deck = _deck(10)
    day0: dict[str, CardState] = {}
    s0 = _session(deck=deck, cards=day0, new_per_day=4)
    while (card := s0.next_card(T0)) is not None:
        _answer(s0, card.id, EASY, T0)
    assert len(day0) == 4
    # Much later, all four are due and 4 new cards are allowed: they are mixed in.
    later = T0 + timedelta(days=60)
    s1 = _session(deck=deck, cards=day0, now=later, new_per_day=4)
    order = []
    while (card := s1.next_card(later)) is not None:
        order.append("new" if card.id not in day0 or card.id in s1.today.new_ids else "due")
        _answer(s1, card.id, EASY, later)
    assert order[0] == "due"  # due cards first
    assert order.count("new") == 4 and order.count("due") == 4
    assert order != ["due"] * 4 + ["new"] * 4  # interleaved, not all reviews then all new


def test_undo_restores_the_card_and_shows_it_again() -> None:
    cards: dict[str, CardState] = {}
    session = _session(cards=cards)
    card = session.next_card(T0)
    assert card is not None
    _answer(session, card.id, GOOD, T0)
    second = session.next_card(T0)
    assert second is not None and second != card
    assert session.can_undo
    undo = session.undo(T0)
    assert undo is not None and isinstance(undo, Undo)
    _apply(session, undo)
    assert card.id not in cards  # it was new: it is new again
    assert session.next_card(T0) == card
    assert session.counts(T0).reviewed_today == 0
    assert not session.can_undo


def test_undo_of_a_review_restores_the_previous_state() -> None:
    cards: dict[str, CardState] = {}
    session = _session(cards=cards)
    _answer(session, "term/t0/recall", EASY, T0)
    before = cards["term/t0/recall"]
    later = T0 + timedelta(days=30)
    session = _session(cards=cards, now=later)
    _answer(session, "term/t0/recall", AGAIN, later)
    assert cards["term/t0/recall"].lapses == 1
    undo = session.undo(later)
    assert undo is not None
    _apply(session, undo)
    assert cards["term/t0/recall"] == before


def test_day_starts_at_the_configured_local_hour() -> None:
    tz = timezone(timedelta(hours=-5))
    at_2am_local = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)  # 02:00 at UTC-5
    assert day_start(at_2am_local, tz, 4) == datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    at_5am_local = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    assert day_start(at_5am_local, tz, 4) == datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_new_day_resets_the_daily_counts() -> None:
    session = _session(new_per_day=2)
    for _ in range(2):
        card = session.next_card(T0)
        assert card is not None
        _answer(session, card.id, EASY, T0)
    assert session.next_card(T0) is None
    tomorrow = T0 + timedelta(days=1)
    assert session.counts(tomorrow).reviewed_today == 0
    nxt = session.next_card(tomorrow)
    assert nxt is not None and nxt.id not in {"term/t0/recall", "term/t1/recall"}


def test_today_is_rebuilt_from_log_records() -> None:
    first = _session()
    recs = [_answer(first, f"term/t{i}/recall", GOOD, T0) for i in range(3)]
    undo = first.undo(T0)
    assert undo is not None
    _apply(first, undo)
    again = Session(_deck(), dict(first.cards), Scheduler(), Settings(), T0, UTC, [*recs, undo])
    assert again.counts(T0).reviewed_today == 2
    assert again.today.new == 2


def test_max_reviews_per_day_caps_due_cards() -> None:
    cards: dict[str, CardState] = {}
    s0 = _session(cards=cards, new_per_day=6)
    while (card := s0.next_card(T0)) is not None:
        _answer(s0, card.id, EASY, T0)
    later = T0 + timedelta(days=90)
    s1 = _session(cards=cards, now=later, new_per_day=0, max_reviews_per_day=2)
    assert s1.counts(later).due == 2
    done = 0
    while (card := s1.next_card(later)) is not None:
        _answer(s1, card.id, EASY, later)
        done += 1
    assert done == 2


def test_suspended_and_buried_cards_are_not_shown() -> None:
    deck = _deck(3)
    session = _session(deck=deck, new_per_day=10)
    for rec in (
        session.mark("suspend", "term/t0/recall", T0, on=True),
        session.mark("bury", "term/t1/recall", T0, until=session.bury_until(T0)),
    ):
        _apply(session, rec)
    first = session.next_card(T0)
    assert first is not None and first.id == "term/t2/recall"
    assert session.counts(T0).new == 1
    tomorrow = T0 + timedelta(days=1)
    ids = set()
    while (card := session.next_card(tomorrow)) is not None:  # burial is over, suspension not
        ids.add(card.id)
        _answer(session, card.id, EASY, tomorrow)
    assert "term/t1/recall" in ids and "term/t0/recall" not in ids
    _apply(session, session.mark("suspend", "term/t0/recall", tomorrow, on=False))
    assert session.next_card(tomorrow) == deck["term/t0/recall"]


def test_reset_makes_a_card_new_again() -> None:
    cards: dict[str, CardState] = {}
    session = _session(cards=cards, new_per_day=1)
    _answer(session, "term/t0/recall", EASY, T0)
    assert session.next_card(T0) is None  # daily limit reached
    _apply(session, session.mark("reset", "term/t0/recall", T0))
    assert "term/t0/recall" not in cards
    tomorrow = T0 + timedelta(days=1)
    assert session.next_card(tomorrow) == _deck()["term/t0/recall"]


def test_eighth_lapse_makes_a_leech_once() -> None:
    state = CardState(2, None, 5.0, 7.0, T0.timestamp(), T0.timestamp() - 86400 * 5, 20, 7)
    cards = {"term/t0/recall": state}
    session = _session(cards=cards)
    review = _answer(session, "term/t0/recall", AGAIN, T0)
    assert cards["term/t0/recall"].lapses == 8
    leech = session.leech_check(review, T0)
    assert isinstance(leech, Suspend) and leech.reason == "leech"
    _apply(session, leech)
    assert session.marks["term/t0/recall"].leech and session.marks["term/t0/recall"].suspended
    assert session.leech_check(review, T0) is None  # told once


def test_a_card_recalled_well_is_not_made_a_leech() -> None:
    # Eight lapses but no leech mark (e.g. a log from before leeches): only a lapse
    # makes it a leech, not an answer that recalled it.
    state = CardState(2, None, 5.0, 7.0, T0.timestamp(), T0.timestamp() - 86400 * 5, 20, 8)
    cards = {"term/t0/recall": state}
    session = _session(cards=cards)
    for rating in (GOOD, HARD, EASY):
        review = _answer(session, "term/t0/recall", rating, T0)
        assert cards["term/t0/recall"].lapses == 8
        assert session.leech_check(review, T0) is None
    review = _answer(session, "term/t0/recall", AGAIN, T0)
    assert cards["term/t0/recall"].lapses == 9
    assert isinstance(session.leech_check(review, T0), Suspend)


def test_excluded_tags_and_skills_leave_rotation() -> None:
    deck = {
        "term/a/recall": CardSpec("term/a/recall", Kind.RECALL, "a", ("cnn",)),
        "term/b/recall": CardSpec("term/b/recall", Kind.RECALL, "b", ("rnn",)),
        "skill/conv2d-shape/1": CardSpec("skill/conv2d-shape/1", Kind.SKILL, "conv2d-shape", (), 1),
    }
    session = _session(deck=deck, excluded_tags=("cnn",), excluded_skills=("conv2d-shape",))
    assert session.counts(T0).new == 1
    assert session.next_card(T0) == deck["term/b/recall"]


def test_undoing_the_answer_that_made_a_leech_unmakes_it() -> None:
    state = CardState(2, None, 5.0, 7.0, T0.timestamp(), T0.timestamp() - 86400 * 5, 20, 7)
    cards = {"term/t0/recall": state}
    session = _session(cards=cards)
    review = _answer(session, "term/t0/recall", AGAIN, T0)
    leech = session.leech_check(review, T0)
    assert leech is not None
    _apply(session, leech)
    undo = session.undo(T0)
    assert undo is not None
    _apply(session, undo)
    unleech = session.leech_undone(undo, T0)
    assert isinstance(unleech, Suspend) and unleech.on is False
    _apply(session, unleech)
    assert "term/t0/recall" not in session.marks  # neither suspended nor a leech
    assert cards["term/t0/recall"] == state
    assert session.next_card(T0) == _deck()["term/t0/recall"]


def test_an_undone_card_that_is_suspended_meanwhile_does_not_come_back() -> None:
    session = _session()
    card = session.next_card(T0)
    assert card is not None
    _answer(session, card.id, GOOD, T0)
    undo = session.undo(T0)
    assert undo is not None
    _apply(session, undo)
    _apply(session, session.mark("suspend", card.id, T0, on=True))
    assert session.next_card(T0) != card


def test_while_torch_loads_other_cards_come_first() -> None:
    skill = CardSpec("skill/conv2d-shape/1", Kind.SKILL, "conv2d-shape", ("cnn",), 1)
    recall = _deck()["term/t0/recall"]
    due = CardState(2, None, 5.0, 5.0, T0.timestamp() - 60, T0.timestamp() - 86400 * 5, 3, 0)
    cards = {skill.id: due}  # the skill is due, the recall card is new
    session = _session(deck={skill.id: skill, recall.id: recall}, cards=cards)
    assert session.next_card(T0, skills_ready=False) == recall
    assert session.next_card(T0) == skill  # once ready, the due skill is first
    _answer(session, recall.id, EASY, T0)
    # Only the computed card is left: it is served even before torch is ready.
    assert session.next_card(T0, skills_ready=False) == skill
