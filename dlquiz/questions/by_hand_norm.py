"""Hand-computation questions on normalisation: BatchNorm2d in training mode and LayerNorm.

The normalised values are drawn from a fixed pool of four whole numbers whose mean is whole
and whose (biased) standard deviation is a multiple of 0.5, so (x − mean) / σ is a short
division; ε = 1e-5 moves nothing at 2 decimal places. Slips such as the unbiased variance or
statistics over the wrong axis are computed with their own formulas.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from functools import cache
from typing import TYPE_CHECKING, Any

from dlquiz.questions.base import Expected, Mistake, Question, family
from dlquiz.questions.by_hand import (
    GRID_DECIMALS,
    TOPIC,
    draw_until,
    floats_answer,
    fmt,
    list_text,
)
from dlquiz.questions.common import pick, randint, shuffled
from dlquiz.questions.floats import floats_proof

if TYPE_CHECKING:
    import numpy as np

D = GRID_DECIMALS


@cache
def nice_quads() -> tuple[tuple[int, ...], ...]:
    """Sorted 4-tuples from −3..9 whose mean is a multiple of 0.5 and whose biased σ is one of
    0.5, 1, 1.5, ..., 3: every (x − mean) / σ is then a short division."""
    out = []
    for quad in itertools.combinations_with_replacement(range(-3, 10), 4):
        total = sum(quad)
        if total % 2:
            continue
        # 16·Σ(x − mean)² in integers; Σ(x − mean)² = 4·var = (2σ)² must be a square.
        ss16 = sum((4 * v - total) ** 2 for v in quad)
        root = math.isqrt(ss16 // 16)
        if ss16 % 16 == 0 and ss16 and root * root == ss16 // 16 and root <= 6:
            out.append(quad)
    return tuple(out)


def _sigma(quad: Sequence[int]) -> float:
    return math.sqrt(stats(quad)[1])


def nice_values(rng: np.random.Generator) -> list[int]:
    """Four values in random order; σ is drawn first so that each σ is equally likely."""
    sigmas = sorted({_sigma(q) for q in nice_quads()})
    sigma = pick(rng, sigmas)
    return shuffled(rng, pick(rng, [q for q in nice_quads() if _sigma(q) == sigma]))


def sum_text(values: Sequence[float]) -> str:
    """−2 + 0 − 2 + 1: a sum written the way a person would."""
    text = fmt(values[0])
    for v in values[1:]:
        text += f" − {fmt(-v)}" if v < 0 else f" + {fmt(v)}"
    return text


def centred(mean: float) -> str:
    """x − 3 or x + 1.5: subtracting the mean."""
    return f"x + {fmt(-mean)}" if mean < 0 else f"x − {fmt(mean)}"


def stats(values: Sequence[float]) -> tuple[float, float]:
    """Mean and biased (÷N) variance."""
    mean = sum(values) / len(values)
    return mean, sum((v - mean) ** 2 for v in values) / len(values)


def normalise(values: Sequence[float], *, ddof: int = 0, center: bool = True) -> list[float]:
    """(x − mean) / σ in float64, with the variance divided by N − ``ddof``; no ε (slips)."""
    mean, var = stats(values)
    var *= len(values) / (len(values) - ddof)
    sd = math.sqrt(var)
    if sd == 0:
        return [0.0] * len(values)
    return [((v - mean) if center else v) / sd for v in values]


def affine(values: Sequence[float], gamma: Sequence[float], beta: Sequence[float]) -> list[float]:
    return [g * v + b for v, g, b in zip(values, gamma, beta, strict=True)]


def stats_lines(values: Sequence[int], what: str) -> tuple[list[str], float, float]:
    """Worked mean, biased variance and σ of ``values`` (explanation lines)."""
    mean, var = stats(values)
    n = len(values)
    devs = [v - mean for v in values]
    sq = " + ".join(f"({fmt(d)})²" if d < 0 else f"{fmt(d)}²" for d in devs)
    ss = sum(d * d for d in devs)
    lines = [
        f"{what}: mean = ({sum_text(values)}) / {n} = {fmt(mean)}",
        f"biased variance = ({sq}) / {n} = {fmt(ss)}/{n} = {fmt(var)}, "
        f"σ = √({fmt(var)} + 1e-5) ≈ {fmt(math.sqrt(var))}",
    ]
    return lines, mean, var


def unbiased_mistake(values: Sequence[int], answer_fn: object, after: str = "") -> Mistake:
    """The slip of dividing the squared deviations by N − 1 (torch.var's default)."""
    _, var = stats(values)
    n = len(values)
    ss = var * n
    got = answer_fn(normalise(values, ddof=1))  # type: ignore[operator]  # a callable by contract
    return Mistake(
        "unbiased-var",
        "used the unbiased variance",
        tuple(got),
        f"{list_text(got, D)} divides the squared deviations by N − 1: "
        f"{fmt(ss)}/{n - 1} = {ss / (n - 1):.2f}. Normalisation uses the biased variance, "
        f"{fmt(ss)}/{n} = {fmt(var)}, so σ = {fmt(math.sqrt(var))}{after}.",
    )


def no_mean_mistake(values: Sequence[int]) -> Mistake:
    mean, var = stats(values)
    got = normalise(values, center=False)
    return Mistake(
        "no-mean",
        "did not subtract the mean",
        tuple(got),
        f"{list_text(got, D)} divides x itself by σ = {fmt(math.sqrt(var))}; subtract the "
        f"mean {fmt(mean)} first.",
    )


def var_not_std_mistake(values: Sequence[int]) -> Mistake:
    mean, var = stats(values)
    got = [(v - mean) / var for v in values]
    return Mistake(
        "var-not-std",
        "divided by the variance",
        tuple(got),
        f"{list_text(got, D)} divides by the variance {fmt(var)}; divide by its square "
        f"root σ = {fmt(math.sqrt(var))}.",
    )


def affine_mistakes(
    normed: Sequence[float], gamma: Sequence[float], beta: Sequence[float], g: str, b: str
) -> list[Mistake]:
    """Slips in the affine step γ·x̂ + β (``g`` and ``b`` say γ and β in the text)."""
    no_beta = affine(normed, gamma, [0.0] * len(normed))
    no_gamma = affine(normed, [1.0] * len(normed), beta)
    return [
        Mistake(
            "forgot-beta",
            "forgot the shift β",
            tuple(no_beta),
            f"{list_text(no_beta, D)} is γ·x̂ alone; the layer then adds its bias β = {b}.",
        ),
        Mistake(
            "forgot-gamma",
            "forgot the scale γ",
            tuple(no_gamma),
            f"{list_text(no_gamma, D)} is x̂ + β; multiply x̂ by the weight γ = {g} first.",
        ),
    ]


def _float_list(values: Sequence[float]) -> str:
    return "[" + ", ".join(f"{float(v)}" for v in values) + "]"


# ---------------------------------------------------------------- batchnorm-value


@family(
    "batchnorm-value",
    title="BatchNorm2d training-mode output by hand",
    topic=TOPIC,
    terms=("batch-normalization", "normalization"),
    levels={
        1: "one channel, four samples",
        2: "two channels: statistics per channel",
        3: "with weight γ and bias β set",
    },
)
def batchnorm_value(rng: np.random.Generator, level: int) -> Question:
    import torch
    from torch import nn

    gamma = beta = 0.0

    def make() -> tuple[Expected, list[Mistake], tuple[Any, ...]]:
        nonlocal gamma, beta
        vals = nice_values(rng)
        other = [randint(rng, 0, 9) for _ in range(4)]
        chan = randint(rng, 0, 1)
        gamma, beta = pick(rng, (2.0, 3.0, 0.5, -1.0)), pick(rng, (1.0, -1.0, 2.0, 0.5))
        bn = nn.BatchNorm2d(2 if level == 2 else 1)
        if level == 3:
            with torch.no_grad():
                bn.weight.fill_(gamma)
                bn.bias.fill_(beta)
        x: list[Any]
        if level == 2:
            chans = [vals, other] if chan == 0 else [other, vals]
            # (N=2, C=2, H=1, W=2): sample s, channel c holds chans[c][2s : 2s + 2].
            x = [[[chans[c][2 * s : 2 * s + 2]] for c in range(2)] for s in range(2)]
            y = bn(torch.tensor(x, dtype=torch.float32))[:, chan].flatten().tolist()
        else:
            x = vals
            y = bn(torch.tensor(vals, dtype=torch.float32).view(4, 1, 1, 1)).flatten().tolist()
        g4, b4 = [gamma] * 4, [beta] * 4
        if level == 3:
            mistakes = [
                *affine_mistakes(normalise(vals), g4, b4, fmt(gamma), fmt(beta)),
                unbiased_mistake(vals, lambda v: affine(v, g4, b4), ", before γ and β"),
            ]
        else:
            mistakes = [unbiased_mistake(vals, list), no_mean_mistake(vals)]
        if level == 2:
            pooled = normalise([*vals, *other])
            part = pooled[:4]  # vals come first in the pooled list
            per_sample = normalise(vals[:2]) + normalise(vals[2:])
            mistakes += [
                Mistake(
                    "all-channels",
                    "pooled both channels",
                    tuple(part),
                    f"{list_text(part, D)} uses one mean and variance over all 8 numbers. "
                    "BatchNorm2d keeps separate statistics per channel, over the batch and "
                    f"the spatial positions: channel {chan}'s four values only.",
                ),
                Mistake(
                    "per-sample",
                    "normalised each sample on its own",
                    tuple(per_sample),
                    f"{list_text(per_sample, D)} normalises each sample's two values "
                    "separately (that is InstanceNorm). BatchNorm2d's statistics span the "
                    f"batch: all four values of channel {chan} together.",
                ),
            ]
        elif level == 1:
            mistakes.append(var_not_std_mistake(vals))
        return floats_answer(y), mistakes, (vals, other, chan, x)

    expected, mistakes, extra = draw_until(make)
    vals, other, chan, x = extra

    if level == 2:
        x_src = (
            "# shape (N, C, H, W) = (2, 2, 1, 2)\n"
            f"x = torch.tensor([[{x[0][0]}, {x[0][1]}],  # sample 0: channels 0, 1\n"
            f"                  [{x[1][0]}, {x[1][1]}]]).float()  # sample 1"
        )
        code = f"bn = nn.BatchNorm2d(2)  # fresh, so in training mode\n{x_src}\ny = bn(x)"
        ask = (
            f"What are the 4 outputs of channel {chan}, y[:, {chan}].flatten() (sample 0's "
            "two values, then sample 1's)?"
        )
        given = f"channel {chan} holds {list_text(vals)} (both samples, both positions)"
    else:
        setup = ""
        if level == 3:
            setup = (
                f"with torch.no_grad():\n    bn.weight.fill_({gamma})\n    bn.bias.fill_({beta})\n"
            )
        code = (
            f"bn = nn.BatchNorm2d(1)  # fresh, so in training mode\n{setup}"
            f"x = torch.tensor({vals}).float()\n"
            "y = bn(x.view(4, 1, 1, 1))  # 4 samples, 1 channel, 1×1"
        )
        ask = "What are the 4 outputs, y.flatten()?"
        given = f"the channel holds {list_text(vals)}"
    prompt = f"{ask} Give them as a list like [a, b, c, d], to {D} decimal places."

    lines, mean, var = stats_lines(vals, f"Channel {chan}" if level == 2 else "The channel")
    lines.insert(
        0,
        "In training mode BatchNorm2d normalises each channel with the mean and biased variance "
        "of that channel over the batch and all positions: x̂ = (x − mean) / √(var + ε).",
    )
    sd = math.sqrt(var)
    normed = normalise(vals)
    lines.append(f"x̂ = ({centred(mean)}) / {fmt(sd)} = {list_text(normed, D)}")
    if level == 3:
        lines.append(f"y = γ·x̂ + β = {fmt(gamma)}·x̂ + {fmt(beta)} = {list_text(expected.value, D)}")
    hints = (
        "Per channel: mean and biased variance (÷N) over the batch and positions, "
        "x̂ = (x − mean)/√(var + ε), then y = γ·x̂ + β"
        + (
            " (a fresh layer has γ = 1, β = 0)."
            if level < 3
            else f" with γ = {fmt(gamma)}, β = {fmt(beta)}."
        ),
        f"Here {given}: mean = {fmt(mean)}, biased variance = {fmt(var)}, so "
        f"x̂ = ({centred(mean)}) / {fmt(sd)}"
        + (f", then {fmt(gamma)}·x̂ + {fmt(beta)}." if level == 3 else "."),
    )
    last = f"y[:, {chan}].flatten()" if level == 2 else "y.flatten()"
    return Question(
        level=level,
        params={
            "values": vals,
            "other": other if level == 2 else None,
            "channel": chan,
            "gamma": gamma if level == 3 else 1.0,
            "beta": beta if level == 3 else 0.0,
        },
        prompt=prompt,
        code=code,
        expected=expected,
        explanation="\n".join(lines),
        proof=f"import torch\nfrom torch import nn\n{code}\n{floats_proof(last, D)}",
        mistakes=mistakes,
        hints=hints,
    )


# ---------------------------------------------------------------- layernorm-value


@family(
    "layernorm-value",
    title="LayerNorm output by hand",
    topic=TOPIC,
    terms=("normalization", "batch-normalization"),
    levels={
        1: "one vector of four",
        2: "two rows: statistics per row",
        3: "with elementwise weight γ and bias β",
    },
)
def layernorm_value(rng: np.random.Generator, level: int) -> Question:
    import torch
    from torch import nn

    def make() -> tuple[Expected, list[Mistake], tuple[Any, ...]]:
        vals = nice_values(rng)
        other = [randint(rng, 0, 9) for _ in range(4)]
        row = randint(rng, 0, 1)
        gamma = [float(pick(rng, (1, 2, -1, 3))) for _ in range(4)]
        beta = [float(pick(rng, (0, 1, -1, 2))) for _ in range(4)]
        ln = nn.LayerNorm(4)
        if level == 3:
            with torch.no_grad():
                ln.weight.copy_(torch.tensor(gamma))
                ln.bias.copy_(torch.tensor(beta))
        x = ([vals, other] if row == 0 else [other, vals]) if level == 2 else [vals]
        r = row if level == 2 else 0
        y = ln(torch.tensor(x, dtype=torch.float32))[r].tolist()
        if level == 3:
            mistakes = [
                *affine_mistakes(normalise(vals), gamma, beta, list_text(gamma), list_text(beta)),
                unbiased_mistake(vals, lambda v: affine(v, gamma, beta), ", before γ and β"),
            ]
        else:
            mistakes = [unbiased_mistake(vals, list), no_mean_mistake(vals)]
        if level == 2:
            cols = [normalise([x[0][c], x[1][c]])[r] for c in range(4)]
            whole = normalise([*x[0], *x[1]])[4 * r : 4 * r + 4]
            mistakes += [
                Mistake(
                    "batch-stats",
                    "normalised over the batch",
                    tuple(cols),
                    f"{list_text(cols, D)} normalises each column across the 2 rows (what "
                    "BatchNorm does). LayerNorm(4) normalises each row over its own 4 "
                    f"features: row {r} is {list_text(vals)}.",
                ),
                Mistake(
                    "whole-tensor",
                    "pooled both rows",
                    tuple(whole),
                    f"{list_text(whole, D)} uses one mean and variance for all 8 numbers; "
                    f"each row gets its own, so use row {r}'s {list_text(vals)} only.",
                ),
            ]
        elif level == 1:
            mistakes.append(var_not_std_mistake(vals))
        return floats_answer(y), mistakes, (vals, x, r, gamma, beta)

    expected, mistakes, extra = draw_until(make)
    vals, x, r, gamma, beta = extra

    setup = ""
    if level == 3:
        setup = (
            "with torch.no_grad():\n"
            f"    ln.weight.copy_(torch.tensor({_float_list(gamma)}))\n"
            f"    ln.bias.copy_(torch.tensor({_float_list(beta)}))\n"
        )
    if level == 2:
        x_src = f"x = torch.tensor([{x[0]},\n                  {x[1]}]).float()"
        ask = f"What is row {r} of the output, y[{r}]?"
    else:
        x_src = f"x = torch.tensor([{vals}]).float()"
        ask = "What is y[0]?"
    code = f"ln = nn.LayerNorm(4)\n{setup}{x_src}\ny = ln(x)"
    prompt = f"{ask} Give the 4 values as a list like [a, b, c, d], to {D} decimal places."

    lines, mean, var = stats_lines(vals, f"Row {r}" if level == 2 else "The row")
    lines.insert(
        0,
        "LayerNorm(4) normalises each row over its last 4 features, with that row's mean and "
        "biased variance: x̂ = (x − mean) / √(var + ε).",
    )
    sd = math.sqrt(var)
    normed = normalise(vals)
    lines.append(f"x̂ = ({centred(mean)}) / {fmt(sd)} = {list_text(normed, D)}")
    if level == 3:
        lines.append(
            f"y = γ ⊙ x̂ + β with γ = {list_text(gamma)}, β = {list_text(beta)}: "
            f"{list_text(expected.value, D)}"
        )
    hints = (
        "Per row: mean and biased variance (÷N) over the normalised features, "
        "x̂ = (x − mean)/√(var + ε), then y = γ ⊙ x̂ + β elementwise"
        + (" (a fresh layer has γ = 1, β = 0)." if level < 3 else "."),
        f"Here the row is {list_text(vals)}: mean = {fmt(mean)}, biased variance = "
        f"{fmt(var)}, so x̂ = ({centred(mean)}) / {fmt(sd)}"
        + (
            f", then γ = {list_text(gamma)} times x̂ plus β = {list_text(beta)}."
            if level == 3
            else "."
        ),
    )
    return Question(
        level=level,
        params={
            "x": x,
            "row": r,
            "gamma": gamma if level == 3 else [1.0] * 4,
            "beta": beta if level == 3 else [0.0] * 4,
        },
        prompt=prompt,
        code=code,
        expected=expected,
        explanation="\n".join(lines),
        proof=f"import torch\nfrom torch import nn\n{code}\n{floats_proof(f'y[{r}]', D)}",
        mistakes=mistakes,
        hints=hints,
    )
