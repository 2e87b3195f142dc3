"""Float-answer helpers shared by the value and optimiser questions: tie-dodging draws,
number rendering, proof tails and answer-form phrases.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

from dlquiz.questions.common import (
    randint,
)

if TYPE_CHECKING:
    import numpy as np


# A generator redraws at most this many times to dodge rounding ties; the odds of
# needing more than a couple of draws are tiny, and after that a tie is accepted.
MAX_DRAWS = 64

PRINT_FLOATS = 'print("[" + ", ".join(f"{{v:.{d}f}}" for v in {name}.tolist()) + "]")'
PRINT_FLOAT = 'print(f"{{{expr}:.{d}f}}")'


# ---------------------------------------------------------------- shared helpers


def near_tie(value: float, decimals: int) -> bool:
    """Whether ``value`` would display ambiguously at ``decimals`` places.

    0.0125 reads as 0.012 or 0.013 depending on the rounding rule and on float32 noise, and
    an exact zero can come out of float32 as a tiny negative that prints as "-0.000"; in
    both cases generators redraw rather than grade such a value.
    """
    scaled = abs(value) * 10**decimals
    if value < 0 and scaled < 0.5:
        return True
    return abs(scaled - math.floor(scaled) - 0.5) < 0.01


def any_tie(values: Sequence[float], decimals: int) -> bool:
    return any(near_tie(v, decimals) for v in values)


def one_decimals(
    rng: np.random.Generator, n: int, lo: int, hi: int, *, nonzero: bool = False
) -> list[float]:
    """``n`` numbers with one decimal place, drawn from [lo/10, hi/10] (bounds in tenths)."""
    out: list[float] = []
    while len(out) < n:
        k = randint(rng, lo, hi)
        if k or not nonzero:
            out.append(k / 10)
    return out


def num(v: float, d: int | None = None) -> str:
    """A number for explanation text: inputs as given, results at ``d`` places, unicode minus."""
    text = str(v) if d is None else f"{v:.{d}f}"
    return text.replace("-", "−")


def par(v: float, d: int | None = None) -> str:
    """Like ``num`` but negative numbers get parentheses, for use inside products."""
    return f"({num(v, d)})" if v < 0 else num(v, d)


def vec(values: Sequence[float], d: int | None = 3) -> str:
    return "[" + ", ".join(num(v, d) for v in values) + "]"


def floats_proof(name: str, d: int = 3) -> str:
    return PRINT_FLOATS.format(d=d, name=name)


def float_proof(expr: str, d: int = 3) -> str:
    return PRINT_FLOAT.format(d=d, expr=expr)


def list_form(n: int, d: int = 3) -> str:
    letters = ", ".join("abcd"[:n])
    return f"Give the {n} values as a list of floats to {d} decimal places, like [{letters}]."


def float_form(d: int = 3) -> str:
    return f"Give a float to {d} decimal places."
