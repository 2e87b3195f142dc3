"""``dlquiz optimize [--dry-run]``: fit FSRS parameters to your own reviews.

Exit status: 0 when done (including "too few reviews yet" and "the defaults
already fit best"), 2 when the data folder cannot be used (another dlquiz is
running, or it cannot be opened).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from dlquiz.optimize import MIN_REVIEWS, fit, review_counts, too_few_message

__all__ = ["add_parser", "run"]


def add_parser(sub: Any) -> argparse.ArgumentParser:
    """Register ``optimize`` on the CLI's subparsers."""
    parser: argparse.ArgumentParser = sub.add_parser(
        "optimize",
        help="fit the scheduler's parameters to your own review history",
        description=(
            "Fit FSRS parameters to your review log (runs PyTorch; takes seconds) and save "
            f"them in your settings. Needs at least {MIN_REVIEWS} reviews made a day or "
            "more after the card's previous review."
        ),
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="fit and print the parameters, save nothing"
    )
    return parser


def _format(params: tuple[float, ...]) -> str:
    return ", ".join(f"{p:.4f}" for p in params)


def run(home: Path, dry_run: bool = False) -> int:
    from dlquiz.content import ContentError
    from dlquiz.store import StoreError
    from dlquiz.study import SaveError, Study

    try:
        # A dry run only reads; a real one refuses an unreadable settings file rather
        # than save the defaults, with the fitted parameters, over the user's choices.
        study = Study.open(home, with_skills=False, read_only=dry_run, keep_settings=not dry_run)
    except (StoreError, ContentError) as exc:  # AlreadyRunning included: it says what to do
        print(f"dlquiz: {exc}", file=sys.stderr)
        return 2
    try:
        for notice in study.notices:
            print(f"dlquiz: {notice}", file=sys.stderr)
        records = list(study.log())
        total, n = review_counts(records)
        if n < MIN_REVIEWS:
            print(too_few_message(total, n) + " Keep studying.")
            return 0
        print(f"Fitting FSRS parameters to {n} reviews …", flush=True)
        result = fit(records)
        assert result is not None  # n >= MIN_REVIEWS
        print(
            f"Log loss: {result.loss:.4f} with the fitted parameters, "
            f"{result.default_loss:.4f} with the defaults (lower is better)."
        )
        if not result.improved:
            print("The default parameters already fit your reviews best; nothing changed.")
            return 0
        print(f"Parameters: {_format(result.parameters)}")
        if dry_run:
            print("Dry run: your settings were not changed.")
            return 0
        try:  # the same bounds check as the app's Settings screen
            study.change_settings(study.settings.replace(fsrs_parameters=result.parameters))
        except SaveError as exc:
            print(f"dlquiz: {exc}", file=sys.stderr)
            return 2
        print("Saved in your settings. The scheduler uses them from the next start.")
        return 0
    finally:
        study.close()
