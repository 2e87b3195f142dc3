"""Optimizer questions: one or two update steps of SGD, momentum, Nesterov, AdaGrad, RMSprop
and Adam, on a one- or two-element tensor, graded against what torch.optim produced.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from dlquiz.questions.base import (
    Expected,
    Mistake,
    Question,
    family,
    keep_mistakes,
)
from dlquiz.questions.common import (
    kwargs_text,
    pick,
)
from dlquiz.questions.floats import (
    MAX_DRAWS,
    any_tie,
    float_proof,
    floats_proof,
    list_form,
    num,
    one_decimals,
    par,
    vec,
)

if TYPE_CHECKING:
    import numpy as np


def _sig(values: Sequence[float]) -> str:
    """Small intermediate values (Adam's v is ~1e-3·g²) at 4 significant digits."""
    texts = [f"{v:.4g}".replace("-", "−") for v in values]
    return texts[0] if len(texts) == 1 else "[" + ", ".join(texts) + "]"


# ---------------------------------------------------------------- optimizer-step

_OPT_LABEL = {
    "sgd": "plain SGD",
    "momentum": "SGD with momentum",
    "nesterov": "SGD with Nesterov momentum",
    "adagrad": "AdaGrad",
    "rmsprop": "RMSprop",
    "adam": "Adam",
}


def _step_lines(
    name: str, kw: dict[str, Any], w0: list[float], grads: list[list[float]]
) -> list[str]:
    """The worked solution, one line per step, redoing the update rule in plain floats."""
    lr = kw["lr"]
    w = list(w0)
    lines: list[str] = []

    def fv(vals: Sequence[float]) -> str:
        return num(vals[0], 3) if len(vals) == 1 else vec(vals)

    def fi(vals: Sequence[float]) -> str:
        return num(vals[0]) if len(vals) == 1 else vec(vals, None)

    def fp(vals: Sequence[float]) -> str:  # as a factor in a product
        return par(vals[0]) if len(vals) == 1 else vec(vals, None)

    if name == "sgd":
        g = grads[0]
        new = [a - lr * b for a, b in zip(w, g, strict=True)]
        lines.append("Gradient descent moves against the gradient: w ← w − lr·g.")
        lines.append(f"w = {fi(w)} − {lr}·{fp(g)} = {fv(new)}")
        return lines

    if name in ("momentum", "nesterov"):
        mu = kw["momentum"]
        if name == "momentum":
            lines.append(
                "PyTorch momentum keeps a buffer b ← μ·b + g (b starts as the first "
                "gradient) and steps w ← w − lr·b."
            )
        else:
            lines.append(
                "Nesterov keeps the same buffer b ← μ·b + g but steps with the "
                "look-ahead direction: w ← w − lr·(g + μ·b). (This is PyTorch's form. "
                "Sutskever's form, v ← μ·v − lr·∇f(w + μ·v), w ← w + v, takes the gradient at "
                "the look-ahead point; written for that look-ahead point it becomes this rule.)"
            )
        buf: list[float] = []
        for t, g in enumerate(grads, start=1):
            buf = list(g) if t == 1 else [mu * b + x for b, x in zip(buf, g, strict=True)]
            btxt = fv(buf) if t > 1 else fi(g)
            bdesc = f"b = {btxt}" if t == 1 else f"b = {mu}·b + {fp(g)} = {btxt}"
            if name == "momentum":
                d = buf
                w = [a - lr * x for a, x in zip(w, d, strict=True)]
                lines.append(f"step {t}: {bdesc}; w = w − {lr}·b = {fv(w)}")
            else:
                d = [x + mu * b for x, b in zip(g, buf, strict=True)]
                w = [a - lr * x for a, x in zip(w, d, strict=True)]
                lines.append(
                    f"step {t}: {bdesc}; g + {mu}·b = {fv(d)}; w = w − {lr}·that = {fv(w)}"
                )
        return lines

    if name in ("adagrad", "rmsprop"):
        acc = [0.0] * len(w)
        if name == "adagrad":
            lines.append(
                "AdaGrad sums squared gradients, s ← s + g², and steps "
                "w ← w − lr·g/(√s + ε) (s starts at 0; ε = 1e-10 is negligible)."
            )
        else:
            lines.append(
                f"RMSprop keeps a running mean v ← α·v + (1 − α)·g² with "
                f"α = {kw['alpha']} and steps w ← w − lr·g/(√v + ε) (v starts at 0)."
            )
        for t, g in enumerate(grads, start=1):
            if name == "adagrad":
                acc = [s + x * x for s, x in zip(acc, g, strict=True)]
                acc_txt = f"s = {_sig(acc)}"
            else:
                alpha = kw["alpha"]
                acc = [alpha * s + (1 - alpha) * x * x for s, x in zip(acc, g, strict=True)]
                acc_txt = f"v = {_sig(acc)}"
            w = [a - lr * x / math.sqrt(s) for a, x, s in zip(w, g, acc, strict=True)]
            lines.append(f"step {t} (g = {fi(g)}): {acc_txt}; w = {fv(w)}")
        return lines

    b1, b2 = 0.9, 0.999
    m = [0.0] * len(w)
    v = [0.0] * len(w)
    lines.append(
        "Adam: m ← β1·m + (1 − β1)·g, v ← β2·v + (1 − β2)·g², bias-corrected "
        "m̂ = m/(1 − β1^t), v̂ = v/(1 − β2^t), then w ← w − lr·m̂/(√v̂ + ε)."
    )
    for t, g in enumerate(grads, start=1):
        m = [b1 * a + (1 - b1) * x for a, x in zip(m, g, strict=True)]
        v = [b2 * a + (1 - b2) * x * x for a, x in zip(v, g, strict=True)]
        mh = [a / (1 - b1**t) for a in m]
        vh = [a / (1 - b2**t) for a in v]
        w = [a - lr * x / math.sqrt(y) for a, x, y in zip(w, mh, vh, strict=True)]
        note = " (m̂ = g and v̂ = g², so the step is lr·sign(g))" if t == 1 else ""
        lines.append(
            f"step {t} (g = {fi(g)}): m = {_sig(m)}, v = {_sig(v)}, m̂ = {_sig(mh)}, "
            f"v̂ = {_sig(vh)}; w = {fv(w)}{note}"
        )
    return lines


def _slipped(
    name: str, kw: dict[str, Any], w0: list[float], grads: list[list[float]], slip: str
) -> list[float]:
    """The weights after the steps when the update rule is misremembered as ``slip`` (plain
    floats; the answer itself comes from torch)."""
    lr, w = kw["lr"], list(w0)
    mu, alpha = kw.get("momentum", 0.0), kw.get("alpha", 0.99)
    state = [0.0] * len(w)
    m, v = [0.0] * len(w), [0.0] * len(w)
    for t, g in enumerate(grads, start=1):
        for i, gi in enumerate(g):
            if slip == "added-gradient":
                w[i] += lr * gi
            elif slip == "forgot-lr":
                w[i] -= gi
            elif slip == "no-momentum" or slip == "plain-sgd":
                w[i] -= lr * gi
            elif slip in ("other-momentum",):
                state[i] = gi if t == 1 else mu * state[i] + gi
                nesterov = name == "momentum"  # the other variant
                w[i] -= lr * (gi + mu * state[i] if nesterov else state[i])
            elif slip == "no-accumulation":
                w[i] -= lr * gi / (abs(gi) + 1e-10)
            elif slip == "forgot-sqrt":
                if name == "adagrad":
                    state[i] += gi * gi
                else:
                    state[i] = alpha * state[i] + (1 - alpha) * gi * gi
                w[i] -= lr * gi / (state[i] + 1e-10)
            elif slip == "swapped-alpha":
                state[i] = (1 - alpha) * state[i] + alpha * gi * gi
                w[i] -= lr * gi / (math.sqrt(state[i]) + 1e-8)
            elif slip == "no-bias-correction":
                m[i] = 0.9 * m[i] + 0.1 * gi
                v[i] = 0.999 * v[i] + 0.001 * gi * gi
                w[i] -= lr * m[i] / (math.sqrt(v[i]) + 1e-8)
    return w


_OPT_SLIPS: dict[str, tuple[tuple[str, str, str], ...]] = {
    # optimizer -> (slip id, short name, feedback)
    "sgd": (
        (
            "added-gradient",
            "stepped up the gradient",
            "Descent moves against the gradient: w − lr·g, not w + lr·g.",
        ),
        ("forgot-lr", "forgot the learning rate", "The step is lr·g: scale the gradient by lr."),
    ),
    "momentum": (
        (
            "no-momentum",
            "ignored the momentum",
            "The second step uses the buffer b = μ·b + g, not just the new gradient.",
        ),
        (
            "other-momentum",
            "used Nesterov's step",
            "Plain momentum steps with the buffer b itself; Nesterov would use g + μ·b.",
        ),
    ),
    "nesterov": (
        (
            "no-momentum",
            "ignored the momentum",
            "Each step uses g + μ·b, where b = μ·b + g carries the earlier gradients.",
        ),
        (
            "other-momentum",
            "used plain momentum",
            "Nesterov steps with the look-ahead g + μ·b; plain momentum would use b.",
        ),
    ),
    "adagrad": (
        (
            "no-accumulation",
            "did not accumulate",
            "AdaGrad's s keeps growing: s = g₁² + g₂², so the second step is smaller.",
        ),
        ("forgot-sqrt", "divided by s, not √s", "The step is lr·g / (√s + ε)."),
    ),
    "rmsprop": (
        ("forgot-sqrt", "divided by v, not √v", "The step is lr·g / (√v + ε)."),
        (
            "swapped-alpha",
            "swapped α and 1 − α",
            "v ← α·v + (1 − α)·g²: the old average keeps weight α.",
        ),
    ),
    "adam": (
        (
            "no-bias-correction",
            "skipped the bias correction",
            "m and v start at 0; dividing by 1 − β1^t and 1 − β2^t undoes that bias.",
        ),
        (
            "plain-sgd",
            "took a plain SGD step",
            "Adam divides the averaged gradient by √v̂: its first step is lr·sign(g).",
        ),
    ),
}


@family(
    "optimizer-step",
    title="Optimizer update by hand",
    topic="optimization",
    terms=(
        "gradient-descent",
        "learning-rate",
        "momentum",
        "nesterov-momentum",
        "adagrad",
        "rmsprop",
        "adam",
    ),
    levels={
        1: "plain SGD, one step",
        2: "SGD with momentum or Nesterov, two steps",
        3: "AdaGrad and RMSprop",
        4: "Adam, first and second step",
    },
)
def optimizer_step(rng: np.random.Generator, level: int) -> Question:
    import torch

    kw: dict[str, Any]
    if level == 1:
        name, cls, steps = "sgd", "SGD", 1
        kw = {"lr": pick(rng, (0.1, 0.01, 0.05, 0.2, 0.5))}
    elif level == 2:
        name, cls, steps = pick(rng, ("momentum", "nesterov")), "SGD", 2
        kw = {"lr": pick(rng, (0.1, 0.01, 0.5)), "momentum": pick(rng, (0.9, 0.5, 0.8))}
        if name == "nesterov":
            kw["nesterov"] = True
    elif level == 3:
        name = pick(rng, ("adagrad", "rmsprop"))
        if name == "adagrad":
            # One AdaGrad step is always lr·sign(g); the second shows the accumulation.
            cls, steps, kw = "Adagrad", 2, {"lr": pick(rng, (0.1, 0.5, 1.0))}
        else:
            cls, steps = "RMSprop", pick(rng, (1, 2))
            kw = {"lr": pick(rng, (0.01, 0.1)), "alpha": pick(rng, (0.9, 0.99))}
    else:
        name, cls, steps = "adam", "Adam", pick(rng, (1, 2))
        kw = {"lr": pick(rng, (0.1, 0.2, 0.5))}

    size = pick(rng, (1, 2))
    w0: list[float] = []
    grads: list[list[float]] = []
    out: tuple[float, ...] = ()
    for _ in range(MAX_DRAWS):
        w0 = one_decimals(rng, size, -20, 20)
        # Nonzero gradients: with adaptive methods a zero gives a silent 0/ε non-step.
        grads = [one_decimals(rng, size, -30, 30, nonzero=True) for _ in range(steps)]
        w = torch.tensor(w0, requires_grad=True)
        opt = getattr(torch.optim, cls)([w], **kw)
        for g in grads:
            w.grad = torch.tensor(g)
            opt.step()
        out = tuple(w.detach().tolist())
        if not any_tie(out, 3):
            break

    opt_src = f"opt = torch.optim.{cls}([w], {kwargs_text(kw)})"
    if name == "adam":
        opt_src += "  # betas=(0.9, 0.999), eps=1e-08"
    if steps == 1:
        loop = f"w.grad = torch.tensor({grads[0]})\nopt.step()"
        did = f"one step with gradient {grads[0]}"
    else:
        loop = f"for g in ({grads[0]}, {grads[1]}):\n    w.grad = torch.tensor(g)\n    opt.step()"
        did = f"two steps, with gradients {grads[0]} then {grads[1]}"
    code = f"w = torch.tensor({w0}, requires_grad=True)\n{opt_src}\n{loop}"
    if size == 1:
        expected = Expected("float", out[0], decimals=3)
        form = "Give w's single value as a float to 3 decimal places."
        proof_print = float_proof("w.item()")
    else:
        expected = Expected("floats", out, decimals=3)
        form = list_form(2)
        proof_print = floats_proof("w.detach()")

    mistakes = []
    for slug, label, feedback in _OPT_SLIPS[name]:
        vals = _slipped(name, kw, w0, grads, slug)
        value = vals[0] if size == 1 else tuple(vals)
        mistakes.append(Mistake(slug, label, value, feedback))
    rule = _step_lines(name, kw, w0, grads)[0] if name != "sgd" else "w ← w − lr·g."
    return Question(
        level=level,
        params={"optimizer": name, "kwargs": kw, "w0": w0, "grads": grads},
        prompt=f"Starting from w = {w0}, {_OPT_LABEL[name]} takes {did}, as in the code. "
        f"What is w afterwards? {form}",
        code=code,
        expected=expected,
        explanation="\n".join(_step_lines(name, kw, w0, grads)),
        mistakes=keep_mistakes(expected, mistakes),
        hints=(rule, f"w0 = {w0}, gradients {grads}, {kwargs_text(kw)}."),
        proof=f"import torch\n{code}\n{proof_print}",
    )
