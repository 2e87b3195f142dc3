"""Fit FSRS parameters to one user's own review history, with ``fsrs.Optimizer``.

This module turns our log into fsrs ``ReviewLog``s (undone reviews left out; a
``reset`` starts a new history for the card), asks fsrs's optimizer (torch) for
parameters, and keeps them only if they predict this user's recalls better than
the defaults (log loss over the reviews that count). torch and pandas are
imported by fsrs inside ``fit`` only.
"""

from __future__ import annotations

import hashlib
import itertools
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from fsrs import Rating, ReviewLog

from dlquiz.records import Record, Reset, Review, undone_ids

# fsrs.Optimizer returns the defaults below one mini-batch (512) of counted
# reviews (see ``count_reviews``); we say so instead of pretending to fit.
MIN_REVIEWS = 512
MAX_SEQ_LEN = 64  # fsrs.Optimizer uses only the first 64 reviews of each card


def card_number(card_id: str, generation: int = 0) -> int:
    """A stable positive integer for a card id (fsrs wants ints); ``generation``
    counts resets, so a reset card's new history is a different fsrs card."""
    key = card_id if generation == 0 else f"{card_id}#{generation}"
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=7).digest(), "big")


def review_logs(records: Iterable[Record]) -> list[ReviewLog]:
    """Our log's reviews as fsrs ReviewLogs: undone reviews and malformed records left out."""
    records = list(records)
    undone = undone_ids(records)
    resets: dict[str, int] = {}
    logs: list[ReviewLog] = []
    for record in records:
        if isinstance(record, Reset):
            resets[record.card] = resets.get(record.card, 0) + 1
            continue
        if not isinstance(record, Review) or record.id in undone:
            continue
        logs.append(
            ReviewLog(
                card_id=card_number(record.card, resets.get(record.card, 0)),
                rating=Rating(record.rating),
                review_datetime=record.time.astimezone(UTC),
                review_duration=record.duration_ms,
            )
        )
    return logs


def _histories(logs: Iterable[ReviewLog]) -> dict[int, list[tuple[datetime, Rating]]]:
    """Each card's (time, rating) sequence in time order, cut to ``MAX_SEQ_LEN``."""
    by_card: dict[int, list[tuple[datetime, Rating]]] = {}
    for log in logs:
        by_card.setdefault(log.card_id, []).append((log.review_datetime, log.rating))
    return {
        card: sorted(seq, key=lambda item: item[0])[:MAX_SEQ_LEN]
        for card, seq in sorted(by_card.items())
    }


def _counted(history: list[tuple[datetime, Rating]]) -> int:
    """Reviews at least a full day after the card's previous one: the ones that
    tell FSRS something about memory over time (same-day repeats do not)."""
    return sum(1 for prev, cur in itertools.pairwise(history) if (cur[0] - prev[0]).days > 0)


def count_reviews(records: Iterable[Record]) -> int:
    """How many reviews a fit could learn from (see ``_counted``)."""
    return sum(_counted(h) for h in _histories(review_logs(records)).values())


def review_counts(records: Iterable[Record]) -> tuple[int, int]:
    """(reviews in the log, reviews a fit could learn from); undone ones in neither."""
    logs = review_logs(records)
    return len(logs), sum(_counted(h) for h in _histories(logs).values())


def too_few_message(total: int, usable: int, needed: int = MIN_REVIEWS) -> str:
    """Why there is nothing to fit yet, with both counts (they differ a lot at first)."""
    return (
        f"{total} review{'s' * (total != 1)} in your log, {usable} usable for fitting "
        "(reviews made a day or more after the card's previous review); "
        f"{needed} needed."
    )


@dataclass(frozen=True)
class Fit:
    """The result of fitting: parameters and their log loss against the defaults'."""

    parameters: tuple[float, ...]
    reviews: int  # counted reviews the loss is averaged over
    loss: float
    default_loss: float

    @property
    def improved(self) -> bool:
        return self.loss < self.default_loss


def _batch_loss(
    histories: dict[int, list[tuple[datetime, Rating]]], params: tuple[float, ...]
) -> float:
    """Mean binary cross entropy of fsrs's predicted recall over every counted review."""
    import torch
    from fsrs import Card
    from fsrs import Scheduler as FsrsScheduler

    # fsrs computes in torch when handed a tensor (its own optimizer does the same);
    # its annotation says Sequence[float].
    scheduler = FsrsScheduler(parameters=torch.tensor(params, dtype=torch.float64))  # type: ignore[arg-type]
    loss_fn = torch.nn.BCELoss()
    losses = []
    with torch.no_grad():
        for card_id, history in histories.items():
            card = Card(card_id=card_id, due=history[0][0])
            for when, rating in history:
                if card.last_review and (when - card.last_review).days > 0:
                    predicted = scheduler.get_card_retrievability(card, when)
                    target = torch.tensor(float(rating != Rating.Again), dtype=torch.float64)
                    losses.append(loss_fn(predicted, target))
                card, _ = scheduler.review_card(card, rating, when)
    return float(torch.stack(losses).mean().item()) if losses else math.inf


def fit(records: Iterable[Record], min_reviews: int = MIN_REVIEWS) -> Fit | None:
    """Fit FSRS parameters to ``records`` (a review log); None below ``min_reviews``."""
    logs = review_logs(records)
    histories = _histories(logs)
    n_reviews = sum(_counted(h) for h in histories.values())
    if n_reviews < max(1, min_reviews):
        return None

    from fsrs import Optimizer
    from fsrs.scheduler import DEFAULT_PARAMETERS

    fitted = tuple(float(p) for p in Optimizer(logs).compute_optimal_parameters())
    default_loss = _batch_loss(histories, tuple(DEFAULT_PARAMETERS))
    loss = _batch_loss(histories, fitted)
    if not math.isfinite(loss) or loss >= default_loss:
        # The defaults were fitted to millions of reviews: keep them unless the
        # personal fit predicts this user's recalls better.
        fitted, loss = tuple(float(p) for p in DEFAULT_PARAMETERS), default_loss
    return Fit(parameters=fitted, reviews=n_reviews, loss=loss, default_loss=default_loss)
