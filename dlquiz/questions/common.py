"""Small helpers every generator module needs: drawing from a numpy Generator, rendering shapes
and counts, and the answer-format phrases that end a prompt.

Like ``base``, this module imports neither numpy nor torch: registering the families has to
stay cheap on the start-up path. numpy and torch appear here only in type hints; the torch
objects are always handed in by a generator that has already imported torch.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    import numpy as np
    import torch
    from torch import nn

T = TypeVar("T")

# First lines of a proof snippet that builds layers.
TORCH_HEADER = "import torch\nfrom torch import nn\n"

INT_FORM = "Answer as an integer."


def shape_form(form: str = "(a, b, …)") -> str:
    """The closing sentence of a shape question, e.g. ``Answer as a shape like (N, C, L).``"""
    return f"Answer as a shape like {form}."


# ---------------------------------------------------------------- drawing from the Generator
# Each helper makes exactly the same Generator calls as the code it replaced, so a seed still
# produces the same question.


def pick(rng: np.random.Generator, options: Sequence[T]) -> T:
    """One option as its own Python type (``rng.choice`` would hand back numpy scalars)."""
    return options[int(rng.integers(len(options)))]


def randint(rng: np.random.Generator, lo: int, hi: int) -> int:
    """An int in [lo, hi], both ends included."""
    return int(rng.integers(lo, hi + 1))


def sample(rng: np.random.Generator, k: int, pool: Sequence[T]) -> list[T]:
    """``k`` different elements of ``pool`` in random order (distinct sizes keep an answer's
    order visible)."""
    idx = rng.choice(len(pool), size=k, replace=False)
    return [pool[int(i)] for i in idx]


def shuffled(rng: np.random.Generator, items: Sequence[T]) -> list[T]:
    """All of ``items`` in random order."""
    return sample(rng, len(items), items)


# ---------------------------------------------------------------- shapes and counts


def shape_of(t: torch.Tensor) -> tuple[int, ...]:
    """A tensor's shape as plain ints (JSON-friendly, comparable with tuples)."""
    return tuple(int(v) for v in t.shape)


def fmt_shape(shape: Iterable[int]) -> str:
    """``(2, 3)``; a 1-D shape keeps Python's trailing comma, ``(5,)``, and 0-D is ``()``."""
    return str(tuple(int(v) for v in shape))


def thousands(n: int) -> str:
    """An integer with comma thousands separators: ``1,234,567``."""
    return f"{n:,}"


def param_count(module: nn.Module) -> int:
    """Learnable elements of ``module``: the sum of numel over its parameters."""
    return int(sum(p.numel() for p in module.parameters()))
