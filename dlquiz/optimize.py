"""Fit FSRS parameters to one user's own review history, with ``fsrs.Optimizer``.

This module turns our log into fsrs ``ReviewLog``s (undone reviews left out; a
``reset`` starts a new history for the card), asks fsrs's optimizer (torch) for
parameters, and keeps them only if they predict this user's recalls better than
the defaults (log loss over the reviews that count). torch and pandas are
imported by fsrs inside ``fit`` only.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

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
    scheduler = FsrsScheduler(parameters=torch.tensor(params, dtype=torch.float64))  # type: ignore[arg-type]  # see above
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


# ----- fitting in a separate process ----------------------------------------------------
#
# Fitting imports torch (~1 s, holding the GIL) and then computes for seconds to
# minutes: in a thread of the app it froze the UI and could not be stopped. A
# child process (``python -m dlquiz.optimize LOG``) does it instead and reports
# JSON lines on its stdout; the parent kills it when the user stops or leaves.
# Not multiprocessing: its start-up needs a real sys.stderr, and Textual replaces
# it with one whose fileno() is -1 while the app runs.


class FitCancelled(Exception):
    """The fit was stopped before it finished; nothing was changed."""


class FitFailed(RuntimeError):
    """The fitting process failed or died; the message says why."""


def _fit_to_json(result: Fit | None) -> dict[str, Any] | None:
    return None if result is None else dataclasses.asdict(result)


def _fit_from_json(raw: dict[str, Any] | None) -> Fit | None:
    if raw is None:
        return None
    return Fit(
        parameters=tuple(float(p) for p in raw["parameters"]),
        reviews=int(raw["reviews"]),
        loss=float(raw["loss"]),
        default_loss=float(raw["default_loss"]),
    )


def _child_main(log_path: str, min_reviews: int) -> int:
    """The fitting process: read the log, fit, and say so in JSON lines on stdout."""
    import json
    import os
    import sys

    # Only our JSON lines may reach the parent: anything torch or fsrs prints
    # goes to stderr (a file the parent reads only if this process fails).
    out = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)

    def say(**message: object) -> None:
        out.write(json.dumps(message) + "\n")

    try:
        from dlquiz.review_log import ReviewLog

        say(progress="Reading your reviews…")
        records = ReviewLog(Path(log_path)).read_from(0).records
        counted = count_reviews(records)
        if counted < max(1, min_reviews):
            say(done=None, counted=counted)
            return 0
        say(progress=f"Loading PyTorch to fit {counted} reviews…")
        import fsrs.optimizer as fsrs_optimizer

        def passes(iterable: Iterable[Any], **options: Any) -> Iterator[Any]:
            items = list(iterable)
            for done, item in enumerate(items, 1):
                say(progress=f"Fitting to {counted} reviews: pass {done} of {len(items)}…")
                yield item

        # fsrs reports its passes over the reviews through tqdm; here they go to the app.
        fsrs_optimizer.tqdm = passes  # type: ignore[attr-defined]  # not in its stubs
        result = fit(records, min_reviews)
        say(done=_fit_to_json(result), counted=counted)
    except Exception as exc:  # the parent shows it
        say(error=f"{type(exc).__name__}: {exc}")
        print(f"fitting failed: {exc!r}", file=sys.stderr)
        return 1
    return 0


def fit_in_subprocess(
    log_path: Path,
    progress: Callable[[str], object] = lambda text: None,
    cancelled: Callable[[], bool] = lambda: False,
    min_reviews: int = MIN_REVIEWS,
    poll_seconds: float = 0.1,
) -> tuple[Fit | None, int]:
    """Fit the log at ``log_path`` in a child process: (fit or None, counted reviews).

    Blocks (call it from a thread). ``progress`` gets short texts as the work goes
    on; ``cancelled`` is polled and, once true, the process is killed and
    ``FitCancelled`` raised. ``FitFailed`` if the process fails or dies.
    """
    import json
    import os
    import select
    import subprocess
    import sys
    import tempfile

    env = dict(os.environ)
    env.setdefault("OMP_NUM_THREADS", "1")  # leave the other core to the app
    with tempfile.TemporaryFile() as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "dlquiz.optimize", str(log_path), str(min_reviews)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=stderr,
            env=env,
        )
        assert process.stdout is not None
        fd = process.stdout.fileno()
        pending = b""
        try:
            while True:
                if cancelled():
                    raise FitCancelled
                if not select.select([fd], [], [], poll_seconds)[0]:
                    continue
                chunk = os.read(fd, 1 << 16)
                if not chunk:
                    process.wait(5)
                    stderr.seek(0)
                    said = stderr.read().decode("utf-8", "replace").strip()[-500:]
                    raise FitFailed(
                        f"the fitting process stopped (exit code {process.returncode})"
                        + (f": {said}" if said else "")
                    )
                pending += chunk
                *lines, pending = pending.split(b"\n")
                for line in lines:
                    message = json.loads(line)
                    if "progress" in message:
                        progress(str(message["progress"]))
                    elif "error" in message:
                        raise FitFailed(str(message["error"]))
                    elif "done" in message:
                        return _fit_from_json(message["done"]), int(message["counted"])
        finally:
            if process.poll() is None:
                process.kill()
            process.wait(5)
            process.stdout.close()


if __name__ == "__main__":
    import sys

    sys.exit(_child_main(sys.argv[1], int(sys.argv[2])))
