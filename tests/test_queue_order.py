"""New-card order, siblings, failed cards waiting, learn ahead, more new, custom study."""

from __future__ import annotations

from datetime import datetime, timedelta

from dlquiz.cards import CardSpec, Kind
from dlquiz.history import apply_record
from dlquiz.order import new_card_order, sibling_key
from dlquiz.records import Record, Review
from dlquiz.scheduler import AGAIN, EASY, GOOD, REVIEW, CardState, Scheduler
from dlquiz.session import Session
from dlquiz.settings import Settings
from tests.conftest import T0


def _spec(slug: str, kind: Kind = Kind.RECALL, tag: str = "", deck: str = "") -> CardSpec:
    card_id = f"concept/{slug}" if kind is Kind.CONCEPT else f"term/{slug}/{kind.value}"
    return CardSpec(card_id, kind, slug, (tag,) if tag else (), deck=deck)


def _session(
    deck: dict[str, CardSpec], cards: dict[str, CardState] | None = None, **settings: object
) -> Session:
    return Session(deck, {} if cards is None else cards, Scheduler(), Settings(**settings), T0)  # type: ignore[arg-type]


def _apply(session: Session, record: Record) -> None:
    apply_record(session.cards, session.marks, record)  # type: ignore[arg-type]
    session.apply(record)


def _answer(session: Session, card_id: str, rating: int, at: datetime = T0) -> Review:
    record = session.answer(card_id, session.outcomes(card_id, at)[rating], at, 1000)
    _apply(session, record)
    return record


def _builtin_and_user() -> list[CardSpec]:
    # 30 built-in cards of two topics in file order (all "cnn" first), then a user deck of 2.
    builtin = [_spec(f"c{i}", Kind.CONCEPT, "cnn") for i in range(15)]
    builtin += [_spec(f"o{i}", Kind.CONCEPT, "optimization") for i in range(15)]
    return builtin + [_spec(f"mine{i}", Kind.CONCEPT, "cnn", deck="my") for i in range(2)]


def test_interleaved_order_shares_new_cards_between_decks_and_topics() -> None:
    order = new_card_order(_builtin_and_user(), "interleaved")
    first = order[:4]
    assert "concept/mine0" in first and "concept/mine1" in order[:6]  # not after 30 cards
    builtin = [c for c in order if "mine" not in c]
    assert builtin[:4] == ["concept/c0", "concept/o0", "concept/c1", "concept/o1"]


def test_deck_and_random_orders() -> None:
    specs = _builtin_and_user()
    assert new_card_order(specs, "deck") == [s.id for s in specs]
    shuffled = new_card_order(specs, "random")
    assert sorted(shuffled) == sorted(s.id for s in specs) and shuffled != [s.id for s in specs]
    assert shuffled == new_card_order(specs, "random")  # the same in every session


def test_a_user_deck_shows_in_the_first_new_cards_of_a_session() -> None:
    deck = {s.id: s for s in _builtin_and_user()}
    session = _session(deck, new_per_day=5)
    seen = []
    while (card := session.next_card(T0)) is not None:
        seen.append(card.id)
        _answer(session, card.id, EASY)
    assert len(seen) == 5 and {"concept/mine0", "concept/mine1"} <= set(seen)
    session.use_settings(Settings(new_card_order="deck", new_per_day=10), Scheduler())
    nxt = session.next_card(T0)
    assert nxt is not None and nxt.id == "concept/c2"  # file order, skipping studied ones


def test_siblings() -> None:
    assert sibling_key(_spec("a")) == sibling_key(_spec("a", Kind.NAME)) == "term:a"
    assert sibling_key(_spec("a", Kind.CONCEPT)) is None
    skill = CardSpec("skill/conv/2", Kind.SKILL, "conv", level=2)
    assert sibling_key(skill) == "skill:conv"


def _due_pair() -> tuple[dict[str, CardSpec], dict[str, CardState]]:
    recall, name, other = _spec("a"), _spec("a", Kind.NAME), _spec("b")
    deck = {s.id: s for s in (recall, name, other)}
    due = T0.timestamp() - 3600
    state = CardState(REVIEW, None, 10.0, 5.0, due, due - 10 * 86400, 3, 0)
    return deck, {cid: state for cid in deck}


def test_answering_a_card_hides_its_siblings_until_tomorrow() -> None:
    deck, cards = _due_pair()
    session = _session(deck, cards)
    assert session.counts(T0).due == 3
    first = session.next_card(T0)
    assert first is not None and first.id == "term/a/name"  # heap order: equal due, by id
    _answer(session, first.id, GOOD)
    assert session.counts(T0).due == 1  # the recall sibling is hidden, "b" is left
    nxt = session.next_card(T0)
    assert nxt is not None and nxt.id == "term/b/recall"
    _answer(session, nxt.id, GOOD)
    assert session.next_card(T0) is None
    # A restart the same day still hides it (derived from today's answers in the log).
    again = Session(deck, session.cards, Scheduler(), Settings(), T0, today_records=[])
    assert again.next_card(T0) is not None  # nothing answered today: it shows
    restarted = Session(
        deck, session.cards, Scheduler(), Settings(), T0, today_records=session.today.reviews
    )
    assert restarted.next_card(T0) is None
    tomorrow = T0 + timedelta(days=1)
    nxt = restarted.next_card(tomorrow)
    assert nxt is not None and nxt.id == "term/a/recall"


def test_undoing_the_answer_shows_the_sibling_again_and_the_setting_turns_it_off() -> None:
    deck, cards = _due_pair()
    session = _session(deck, cards)
    first = session.next_card(T0)
    assert first is not None
    _answer(session, first.id, GOOD)
    undo = session.undo(T0)
    assert undo is not None
    _apply(session, undo)
    assert session.counts(T0).due == 3
    off = _session(*_due_pair(), bury_siblings=False)
    _answer(off, "term/a/name", GOOD)
    assert off.counts(T0).due == 2


def test_a_failed_card_waits_behind_the_others() -> None:
    deck = {s.id: s for s in (_spec(f"t{i}", Kind.CONCEPT) for i in range(4))}
    session = _session(deck)
    now = T0
    failed = session.next_card(now)
    assert failed is not None
    _answer(session, failed.id, AGAIN, now)
    shown = []
    for _ in range(3):
        now += timedelta(minutes=5)  # the failed card is due again each time
        card = session.next_card(now)
        assert card is not None
        shown.append(card.id)
        _answer(session, card.id, EASY if card != failed else GOOD, now)
    assert shown[:2] != [failed.id, failed.id] and failed.id not in shown[:2]
    assert shown[2] == failed.id  # back once two others were seen


def test_a_failed_card_comes_back_when_nothing_else_waits() -> None:
    deck = {s.id: s for s in (_spec("t0", Kind.CONCEPT),)}
    session = _session(deck)
    _answer(session, "concept/t0", AGAIN)
    later = T0 + timedelta(minutes=2)
    card = session.next_card(later)
    assert card is not None and card.id == "concept/t0"


def test_learn_ahead_when_only_learning_cards_are_left() -> None:
    deck = {s.id: s for s in (_spec("t0", Kind.CONCEPT),)}
    hourly = Scheduler(learning_steps=(timedelta(hours=1),))
    session = Session(deck, {}, hourly, Settings(learning_steps_minutes=(60.0,)), T0)
    _answer(session, "concept/t0", AGAIN)
    assert session.next_card(T0) is None  # due in an hour: beyond the 20-minute window
    due = session.next_learning_due()
    assert due is not None and due - T0 == timedelta(hours=1)
    ahead = session.learn_ahead(T0)
    assert ahead is not None and ahead.id == "concept/t0"


def test_study_more_new_raises_todays_limit_only() -> None:
    deck = {s.id: s for s in (_spec(f"t{i}", Kind.CONCEPT) for i in range(6))}
    session = _session(deck, new_per_day=2)
    for _ in range(2):
        card = session.next_card(T0)
        assert card is not None
        _answer(session, card.id, EASY)
    assert session.next_card(T0) is None
    session.more_new(3)
    assert session.counts(T0).new == 3
    assert session.next_card(T0) is not None
    assert session.counts(T0 + timedelta(days=1)).new == 2  # tomorrow: the setting again


def test_custom_study_shows_only_the_chosen_cards_due_or_not() -> None:
    deck = {s.id: s for s in (_spec(f"t{i}", Kind.CONCEPT) for i in range(4))}
    later = T0.timestamp() + 30 * 86400
    cards = {"concept/t3": CardState(REVIEW, None, 40.0, 5.0, later, T0.timestamp(), 4, 0)}
    session = _session(deck, cards)
    assert session.focus(["concept/t3", "concept/t1"]) == 2
    seen = []
    while (card := session.next_card(T0)) is not None:
        seen.append(card.id)
        _answer(session, card.id, EASY)
    assert seen == ["concept/t3", "concept/t1"]
    session.end_focus()
    assert session.next_card(T0) is not None


def test_summary_counts_answers_accuracy_and_misses() -> None:
    deck = {s.id: s for s in (_spec(f"t{i}", Kind.CONCEPT) for i in range(4))}
    session = _session(deck)
    for card, rating, auto in [("t0", GOOD, GOOD), ("t1", AGAIN, AGAIN), ("t2", GOOD, None)]:
        cid = f"concept/{card}"
        extra = {"auto": auto} if auto else None
        _apply(session, session.answer(cid, session.outcomes(cid, T0)[rating], T0, 2500, extra))
    summary = session.summary(T0)
    assert (summary.cards, summary.graded, summary.right) == (3, 2, 1)
    assert summary.seconds == 7.5 and summary.accuracy == 0.5
    assert [m.card for m in summary.misses] == ["concept/t1"]
    assert session.missed_today() == ["concept/t1"]


def test_summary_says_which_misses_were_answered_right_later() -> None:
    # "Missed" listed a card answered Again and then Good in the same session as if it
    # were still missed.
    deck = {s.id: s for s in (_spec(f"t{i}", Kind.CONCEPT) for i in range(3))}
    session = _session(deck)
    for card, rating in [("t0", AGAIN), ("t1", AGAIN), ("t0", GOOD), ("t2", AGAIN)]:
        cid = f"concept/{card}"
        _apply(session, session.answer(cid, session.outcomes(cid, T0)[rating], T0, 1000))
    summary = session.summary(T0)
    assert [m.card for m in summary.misses] == ["concept/t0", "concept/t1", "concept/t2"]
    assert dict(summary.later) == {"concept/t0": GOOD}
