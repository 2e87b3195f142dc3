"""Small helpers every generator module needs: drawing from a numpy Generator, rendering shapes
and counts, and the answer-format phrases that end a prompt.

Like ``base``, this module imports neither numpy nor torch: registering the families has to
stay cheap on the start-up path. numpy and torch appear here only in type hints; the torch
objects are always handed in by a generator that has already imported torch.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from dlquiz.questions.base import Expected, Mistake

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


def distinct(rng: np.random.Generator, *pools: Sequence[int]) -> list[int]:
    """One value from each pool, all different, so every size in an answer is identifiable."""
    out: list[int] = []
    for pool in pools:
        out.append(pick(rng, [v for v in pool if v not in out]))
    return out


# ---------------------------------------------------------------- text and "pick one" answers

ERROR = "error"
PICK = "Pick one."


def dot_text(values: Iterable[int]) -> str:
    return "·".join(str(v) for v in values)


def product_text(values: Sequence[int]) -> str:
    """``2·3·4 = 24`` (or just ``24`` for a single size)."""
    return str(values[0]) if len(values) == 1 else f"{dot_text(values)} = {math.prod(values)}"


def kwargs_text(kw: dict[str, Any]) -> str:
    """``lr=0.1, momentum=0.9``: keyword arguments as they appear in the shown code."""
    return ", ".join(f"{k}={v!r}" for k, v in kw.items())


def join_args(values: Iterable[Any]) -> str:
    return ", ".join(str(v) for v in values)


def torch_msg(err: BaseException) -> str:
    """The gist of torch's message: its first line, trimmed to a readable length."""
    text = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    return text if len(text) <= 160 else text[:157] + "..."


def choice_answer(
    rng: np.random.Generator, correct: str, distractors: Iterable[str], k: int = 4
) -> Expected:
    """A shuffled choice answer: ``correct`` plus up to k−1 distinct distractors, in order."""
    options = [correct]
    for d in distractors:
        if d not in options and len(options) < k:
            options.append(d)
    choices = tuple(shuffled(rng, options))
    return Expected("choice", choices.index(correct), choices=choices)


def try_print(expr_lines: list[str], ok: str, fail: str) -> str:
    """Proof tail: run the lines, print ``ok`` (an expression) or ``fail`` (a literal) on error."""
    body = "\n".join("    " + line for line in expr_lines)
    return f"try:\n{body}\n    print({ok})\nexcept RuntimeError:\n    print({fail!r})"


def option_mistakes(
    expected: Expected, slips: Iterable[tuple[str, str, str, str]]
) -> list[Mistake]:
    """Named mistakes of a "pick one" question: ``(option text, id, name, feedback)`` for each
    wrong option that a known slip leads to; options not offered are skipped."""
    choices = expected.choices
    return [
        Mistake(slug, name, choices.index(text), feedback)
        for text, slug, name, feedback in slips
        if text in choices and choices.index(text) != expected.value
    ]
