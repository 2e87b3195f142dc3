"""Optimization questions: optimizer steps, gradient clipping and learning-rate schedules.

Each generator builds a real ``torch.optim`` optimizer, clipping call or scheduler on a
one- to three-element tensor, runs it, and grades against what torch produced.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from dlquiz.questions.base import Expected, Question, family
from dlquiz.questions.common import pick, sample
from dlquiz.questions.floats import (
    MAX_DRAWS,
    any_tie,
    float_form,
    float_proof,
    floats_proof,
    list_form,
    near_tie,
    num,
    one_decimals,
    par,
    vec,
)

if TYPE_CHECKING:
    import numpy as np


def _kwargs_src(kw: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in kw.items())


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
                "look-ahead direction: w ← w − lr·(g + μ·b)."
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

    opt_src = f"opt = torch.optim.{cls}([w], {_kwargs_src(kw)})"
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

    return Question(
        level=level,
        params={"optimizer": name, "kwargs": kw, "w0": w0, "grads": grads},
        prompt=f"Starting from w = {w0}, {_OPT_LABEL[name]} takes {did}, as in the code. "
        f"What is w afterwards? {form}",
        code=code,
        expected=expected,
        explanation="\n".join(_step_lines(name, kw, w0, grads)),
        proof=f"import torch\n{code}\n{proof_print}",
    )


# ---------------------------------------------------------------- clip-grad-norm

# Integer vectors with whole-number L2 norms, so level 1 can be done in one's head.
_NICE = ((3, 4), (6, 8), (5, 12), (1, 2, 2), (2, 3, 6), (2, 4, 4), (1, 4, 8), (2, 6, 9))


@family(
    "clip-grad-norm",
    title="Gradient clipping by norm",
    topic="optimization",
    terms=("gradient-clipping", "clipping", "exploding-gradient"),
    levels={
        1: "clip one gradient by its L2 norm",
        2: "the total norm returned, across two parameters",
        3: "L1 and infinity norms",
    },
)
def clip_grad_norm(rng: np.random.Generator, level: int) -> Question:
    import torch

    norm_type = 2.0 if level < 3 else pick(rng, (1.0, math.inf))
    max_norm = pick(rng, (0.5, 1.0, 2.0, 5.0) if level != 2 else (1.0, 2.0, 5.0))
    grads: list[list[float]] = []
    clipped: tuple[float, ...] = ()
    total = 0.0
    for _ in range(MAX_DRAWS):
        if level == 1:
            base = pick(rng, _NICE)
            scale = pick(rng, (0.1, 0.5, 1.0))
            order = rng.permutation(len(base))
            signs = rng.choice((-1, 1), size=len(base))
            grads = [[round(int(signs[i]) * base[int(j)] * scale, 1) for i, j in enumerate(order)]]
        elif level == 2:
            grads = [
                one_decimals(rng, 2, -30, 30, nonzero=True),
                one_decimals(rng, 1, -30, 30, nonzero=True),
            ]
        else:
            grads = [one_decimals(rng, 3, -30, 30, nonzero=True)]
        params = [torch.zeros(len(g), requires_grad=True) for g in grads]
        for p, g in zip(params, grads, strict=True):
            p.grad = torch.tensor(g)
        total = torch.nn.utils.clip_grad_norm_(
            params, max_norm=max_norm, norm_type=norm_type
        ).item()
        clipped = tuple(params[0].grad.tolist())  # type: ignore[union-attr]
        if not (near_tie(total, 3) if level == 2 else any_tie(clipped, 3)):
            break

    nt_src = (
        ""
        if level < 3
        else (', norm_type=float("inf")' if norm_type == math.inf else ", norm_type=1.0")
    )
    if level == 2:
        code = (
            f"w = torch.zeros(2, requires_grad=True)\n"
            f"b = torch.zeros(1, requires_grad=True)\n"
            f"w.grad = torch.tensor({grads[0]})\nb.grad = torch.tensor({grads[1]})\n"
            f"total = torch.nn.utils.clip_grad_norm_([w, b], max_norm={max_norm})"
        )
    else:
        code = (
            f"w = torch.zeros({len(grads[0])}, requires_grad=True)\n"
            f"w.grad = torch.tensor({grads[0]})\n"
            f"total = torch.nn.utils.clip_grad_norm_([w], max_norm={max_norm}{nt_src})"
        )

    flat = [v for g in grads for v in g]
    if norm_type == 2.0:
        norm_txt = "√(" + " + ".join(f"{par(v)}²" for v in flat) + ")"
        kind = "L2"
    elif norm_type == 1.0:
        norm_txt = " + ".join(f"|{num(v)}|" for v in flat)
        kind = "L1"
    else:
        norm_txt = "max(" + ", ".join(f"|{num(v)}|" for v in flat) + ")"
        kind = "infinity (largest absolute value)"
    lines = [f"The {kind} norm of all gradients together: {norm_txt} = {num(total, 3)}."]
    if level == 2:
        lines.append(
            "clip_grad_norm_ returns this total norm as measured BEFORE clipping, "
            "whether or not it then rescales the gradients."
        )
        lines.append(f"returned value = {num(total, 3)}")
        expected = Expected("float", total, decimals=3)
        prompt = f"What value does clip_grad_norm_ return (total)? {float_form()}"
        proof_print = float_proof("total.item()")
    else:
        if total > max_norm:
            coef = max_norm / (total + 1e-6)
            lines.append(
                f"It exceeds max_norm = {max_norm}, so every gradient is multiplied "
                f"by max_norm / (norm + 1e-6) = {num(coef, 4)}."
            )
        else:
            lines.append(f"It does not exceed max_norm = {max_norm}, so nothing is rescaled.")
        lines.append(f"w.grad = {vec(clipped)}")
        expected = Expected("floats", clipped, decimals=3)
        prompt = f"What is w.grad after the call? {list_form(len(clipped))}"
        proof_print = floats_proof("w.grad")

    return Question(
        level=level,
        params={
            "grads": grads,
            "max_norm": max_norm,
            "norm_type": "inf" if norm_type == math.inf else norm_type,
        },
        prompt=prompt,
        code=code,
        expected=expected,
        explanation="\n".join(lines),
        proof=f"import torch\n{code}\n{proof_print}",
    )


# ---------------------------------------------------------------- lr-decay

LR_DECIMALS = 5


@family(
    "lr-decay",
    title="Learning-rate schedules",
    topic="optimization",
    terms=("learning-rate", "learning-rate-decay"),
    levels={1: "StepLR and MultiStepLR", 2: "ExponentialLR", 3: "CosineAnnealingLR"},
)
def lr_decay(rng: np.random.Generator, level: int) -> Question:
    import torch

    d = LR_DECIMALS
    lr0 = 0.0
    epochs = 0
    sched_name = ""
    kw: dict[str, Any] = {}
    lr = 0.0
    for _ in range(MAX_DRAWS):
        lr0 = pick(rng, (0.1, 0.05, 0.2, 0.01) if level == 1 else (0.1, 0.05, 0.2))
        if level == 1:
            gamma = pick(rng, (0.1, 0.5))
            if pick(rng, (True, False)):
                sched_name = "StepLR"
                step_size = pick(rng, (2, 3, 5, 10))
                # At most 2 decays by 0.1 (4 by 0.5) so the rate stays readable at 5 places.
                decays = 2 if gamma == 0.1 else 4
                epochs = int(rng.integers(1, step_size * (decays + 1)))
                kw = {"step_size": step_size, "gamma": gamma}
            else:
                sched_name = "MultiStepLR"
                ms = sorted(sample(rng, 2, range(2, 21)))
                epochs = int(rng.integers(1, 26))
                kw = {"milestones": ms, "gamma": gamma}
        elif level == 2:
            sched_name = "ExponentialLR"
            kw = {"gamma": pick(rng, (0.9, 0.95, 0.8, 0.99))}
            epochs = int(rng.integers(1, 21))
        else:
            sched_name = "CosineAnnealingLR"
            t_max = pick(rng, (10, 20, 30, 50))
            kw = {"T_max": t_max, "eta_min": pick(rng, (0.0, 0.001))}
            epochs = int(rng.integers(1, t_max + 1))
        w = torch.zeros(1, requires_grad=True)
        opt = torch.optim.SGD([w], lr=lr0)
        sched = getattr(torch.optim.lr_scheduler, sched_name)(opt, **kw)
        for _epoch in range(epochs):
            opt.step()
            sched.step()
        lr = float(sched.get_last_lr()[0])
        if not near_tie(lr, d):
            break

    code = (
        f"w = torch.zeros(1, requires_grad=True)\n"
        f"opt = torch.optim.SGD([w], lr={lr0})\n"
        f"sched = torch.optim.lr_scheduler.{sched_name}(opt, {_kwargs_src(kw)})\n"
        f"for epoch in range({epochs}):\n"
        "    opt.step()  # a real loop would train here\n"
        "    sched.step()"
    )
    k = epochs
    if sched_name == "StepLR":
        s, g = kw["step_size"], kw["gamma"]
        lines = [
            "StepLR multiplies the rate by γ once every step_size epochs: "
            "lr = lr0·γ^⌊k/step_size⌋.",
            f"lr = {lr0}·{g}^⌊{k}/{s}⌋ = {lr0}·{g}^{k // s} = {lr:.{d}f}",
        ]
    elif sched_name == "MultiStepLR":
        ms, g = kw["milestones"], kw["gamma"]
        hit = sum(m <= k for m in ms)
        lines = [
            "MultiStepLR multiplies the rate by γ at each milestone epoch reached.",
            f"{hit} of the milestones {ms} are ≤ {k}, so lr = {lr0}·{g}^{hit} = {lr:.{d}f}",
        ]
    elif sched_name == "ExponentialLR":
        g = kw["gamma"]
        lines = [
            "ExponentialLR multiplies the rate by γ after every epoch: lr = lr0·γ^k.",
            f"lr = {lr0}·{g}^{k} = {lr:.{d}f}",
        ]
    else:
        t_max, eta = kw["T_max"], kw["eta_min"]
        lines = [
            "Cosine annealing follows half a cosine from lr0 down to η_min over T_max "
            "epochs: lr = η_min + (lr0 − η_min)·(1 + cos(π·k/T_max))/2.",
            f"lr = {eta} + ({lr0} − {eta})·(1 + cos(π·{k}/{t_max}))/2",
            f"cos(π·{k}/{t_max}) = {num(math.cos(math.pi * k / t_max), 4)}, so lr = {lr:.{d}f}",
        ]

    return Question(
        level=level,
        params={"scheduler": sched_name, "lr0": lr0, "kwargs": kw, "epochs": epochs},
        prompt=f"What is the optimizer's learning rate after the {epochs} calls to "
        f"sched.step() in the code? {float_form(d)}",
        code=code,
        expected=Expected("float", lr, decimals=d),
        explanation="\n".join(lines),
        proof=f"import torch\n{code}\n{float_proof('sched.get_last_lr()[0]', d)}",
    )
