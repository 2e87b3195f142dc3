"""Fit FSRS parameters to one user's own review history.

The training follows ``fsrs.Optimizer.compute_optimal_parameters`` step for
step: each card's reviews are replayed through ``fsrs.Scheduler`` with the
parameters as torch tensors, the predicted recall probability at every review
made on a later day than the card's previous one is compared (binary cross
entropy) with what happened (Again = forgotten), and Adam moves the parameters,
clamped to fsrs's bounds. We run that loop ourselves rather than calling
``fsrs.Optimizer`` because the latter only imports with pandas and tqdm
installed (the ``fsrs[optimizer]`` extra), which dlquiz does not depend on. The
FSRS maths itself is all fsrs's.

Two differences, both on the safe side: the default parameters are the starting
point to beat (a fit that does not lower the loss returns them unchanged), and
reviews of a card after a ``reset`` record start a new history.

torch is imported inside ``fit`` only.
"""

from __future__ import annotations

import hashlib
import itertools
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from random import Random
from typing import Any

from fsrs import Rating, ReviewLog

from dlquiz.history import Record, parse_time

# Below this many counted reviews (see ``count_reviews``) a fit is mostly noise
# and rarely beats the defaults, which were fitted to millions of reviews.
MIN_REVIEWS = 400

# fsrs.Optimizer's hyper-parameters, kept identical.
EPOCHS = 5
MINI_BATCH = 512
LEARNING_RATE = 4e-2
MAX_SEQ_LEN = 64  # only the first 64 reviews of each card are used


def card_number(card_id: str, generation: int = 0) -> int:
    """A stable positive integer for a card id (fsrs wants ints); ``generation``
    counts resets, so a reset card's new history is a different fsrs card."""
    key = card_id if generation == 0 else f"{card_id}#{generation}"
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=7).digest(), "big")


def review_logs(records: Iterable[Record]) -> list[ReviewLog]:
    """Our log's reviews as fsrs ReviewLogs: undone reviews and malformed records left out."""
    records = list(records)
    undone = {r.get("undoes") for r in records if r.get("type") == "undo"}
    resets: dict[str, int] = {}
    logs: list[ReviewLog] = []
    for record in records:
        kind = record.get("type")
        card = record.get("card")
        if not isinstance(card, str):
            continue
        if kind == "reset":
            resets[card] = resets.get(card, 0) + 1
            continue
        if kind != "review" or record.get("id") in undone:
            continue
        try:
            rating = Rating(int(record["rating"]))
            when = parse_time(record["time"]).astimezone(UTC)
        except (KeyError, ValueError, TypeError, AttributeError):
            continue
        duration = record.get("duration_ms")
        logs.append(
            ReviewLog(
                card_id=card_number(card, resets.get(card, 0)),
                rating=rating,
                review_datetime=when,
                review_duration=duration if isinstance(duration, int) else None,
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


class _Diverged(Exception):
    """The parameters stopped being finite numbers during training."""


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

    scheduler = FsrsScheduler(parameters=torch.tensor(params, dtype=torch.float64))
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
    histories = _histories(review_logs(records))
    n_reviews = sum(_counted(h) for h in histories.values())
    if n_reviews < min_reviews or n_reviews == 0:
        return None

    import torch
    from fsrs import Card
    from fsrs import Scheduler as FsrsScheduler
    from fsrs.scheduler import (
        DEFAULT_PARAMETERS,
        LOWER_BOUNDS_PARAMETERS,
        UPPER_BOUNDS_PARAMETERS,
    )

    lower = torch.tensor(LOWER_BOUNDS_PARAMETERS, dtype=torch.float64)
    upper = torch.tensor(UPPER_BOUNDS_PARAMETERS, dtype=torch.float64)
    params = torch.tensor(DEFAULT_PARAMETERS, dtype=torch.float64, requires_grad=True)
    adam = torch.optim.Adam([params], lr=LEARNING_RATE)
    annealing = torch.optim.lr_scheduler.CosineAnnealingLR(
        adam, T_max=math.ceil(n_reviews / MINI_BATCH) * EPOCHS
    )
    loss_fn = torch.nn.BCELoss()

    def step(losses: list[Any]) -> None:
        adam.zero_grad()
        torch.stack(losses).sum().backward()
        adam.step()
        with torch.no_grad():
            params.clamp_(min=lower, max=upper)
        annealing.step()
        if not bool(torch.isfinite(params).all()):
            raise _Diverged

    default_loss = _batch_loss(histories, DEFAULT_PARAMETERS)
    best = (default_loss, tuple(float(p) for p in DEFAULT_PARAMETERS))
    rng = Random(42)  # the epoch shuffles, fixed so a fit is reproducible
    card_ids = list(histories)

    def run_epoch() -> tuple[float, ...]:
        rng.shuffle(card_ids)
        scheduler = FsrsScheduler(parameters=params)
        losses: list[Any] = []
        for card_id in card_ids:
            history = histories[card_id]
            card = Card(card_id=card_id, due=history[0][0])
            for when, rating in history:
                if card.last_review and (when - card.last_review).days > 0:
                    predicted = scheduler.get_card_retrievability(card, when)
                    target = torch.tensor(float(rating != Rating.Again), dtype=torch.float64)
                    losses.append(loss_fn(predicted, target))
                card, _ = scheduler.review_card(card, rating, when)
                if len(losses) == MINI_BATCH:
                    step(losses)
                    losses = []
                    scheduler = FsrsScheduler(parameters=params)
                    # The card's state still hangs on the old graph; cut it.
                    card.stability = card.stability.detach()
                    card.difficulty = card.difficulty.detach()
        if losses:
            step(losses)
        return tuple(float(p) for p in params.detach())

    for _epoch in range(EPOCHS):
        try:
            candidate = run_epoch()
        except _Diverged:
            break  # numerically unstable on this log: keep the best epoch so far
        loss = _batch_loss(histories, candidate)
        if loss < best[0]:
            best = (loss, candidate)
    return Fit(parameters=best[1], reviews=n_reviews, loss=best[0], default_loss=default_loss)


def fit_parameters(records: Iterable[Record]) -> tuple[float, ...] | None:
    """Personal FSRS parameters for ``records``; None if there are too few reviews.

    Slow (seconds, runs torch): call it off the UI thread.
    """
    result = fit(records)
    return result.parameters if result is not None else None
