"""Training-loop questions: gradient clipping by norm and learning-rate schedules.

Inputs are tiny, answers come from torch at question time, proofs repeat the same calls.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from dlquiz.questions.base import (
    Expected,
    Mistake,
    Question,
    family,
)
from dlquiz.questions.common import (
    kwargs_text,
    pick,
    sample,
)
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
        clipped = tuple(params[0].grad.tolist())  # type: ignore[union-attr]  # set by backward
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

    l2 = math.sqrt(sum(v * v for v in flat))
    first = grads[0]
    slips: list[tuple[str, str, Any, str]]
    if level == 2:
        own = math.sqrt(sum(v * v for v in first))
        rest = math.sqrt(sum(v * v for v in grads[1]))
        slips = [
            (
                "after-clipping",
                "gave the norm after clipping",
                min(total, max_norm),
                "The returned total is measured before clipping.",
            ),
            (
                "first-parameter-only",
                "used w alone",
                own,
                "The norm is taken over all the gradients together, b's too.",
            ),
            (
                "summed-norms",
                "added the two norms",
                own + rest,
                "The total is √(sum of every squared entry), not the sum of the two norms.",
            ),
        ]
    else:
        raw = tuple(first)
        scaled = tuple(v * max_norm / total for v in first) if total else raw
        unit = tuple(v / total for v in first) if total else raw
        slips = [
            (
                "did-not-clip",
                "left it unclipped",
                raw,
                f"The norm {num(total, 3)} exceeds max_norm = {max_norm}: scale by max_norm/norm.",
            ),
            (
                "clipped-anyway",
                "rescaled a small gradient",
                scaled,
                f"The norm {num(total, 3)} is within max_norm = {max_norm}: nothing changes.",
            ),
            (
                "normalised",
                "divided by the norm",
                unit,
                f"Clipping rescales to max_norm = {max_norm}, not to length 1.",
            ),
        ]
        if level == 3:
            by_l2 = tuple(v * max_norm / l2 for v in first) if l2 > max_norm else raw
            slips.append(
                (
                    "used-l2-norm",
                    "used the L2 norm",
                    by_l2,
                    f"norm_type={params_norm(norm_type)} measures the "
                    + ("sum of |g|" if norm_type == 1.0 else "largest |g|")
                    + ", not the L2 norm.",
                )
            )
        slips = [sl for sl in slips if not (sl[0] == "did-not-clip" and total <= max_norm)]
        slips = [sl for sl in slips if not (sl[0] == "clipped-anyway" and total > max_norm)]
    mistakes = [Mistake(*sl) for sl in slips]
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
        mistakes=tuple(mistakes),
        hints=(
            "clip_grad_norm_ measures the norm of all gradients together (L2 unless norm_type "
            "says otherwise), returns it, and if it exceeds max_norm multiplies every gradient by "
            "max_norm / (norm + 1e-6).",
            f"norm = {norm_txt}; max_norm = {max_norm}.",
        ),
    )


def params_norm(norm_type: float) -> str:
    return 'float("inf")' if norm_type == math.inf else f"{norm_type}"


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
        f"sched = torch.optim.lr_scheduler.{sched_name}(opt, {kwargs_text(kw)})\n"
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

    expected = Expected("float", lr, decimals=d)
    if sched_name == "StepLR":
        s_, g_ = kw["step_size"], kw["gamma"]
        slips = [
            (
                "rounded-up",
                "rounded k/step_size up",
                lr0 * g_ ** -(-k // s_),
                f"The decay count is ⌊{k}/{s_}⌋ = {k // s_}: a decay happens only once a whole "
                "step_size has passed.",
            ),
            (
                "decayed-every-epoch",
                "decayed every epoch",
                lr0 * g_**k,
                f"StepLR decays once every step_size = {s_} epochs, not every epoch.",
            ),
        ]
    elif sched_name == "MultiStepLR":
        ms, g_ = kw["milestones"], kw["gamma"]
        slips = [
            (
                "missed-reached-milestone",
                "skipped a milestone equal to k",
                lr0 * g_ ** sum(m_ < k for m_ in ms),
                f"A milestone counts once it is reached: milestone ≤ {k}.",
            ),
            (
                "every-milestone",
                "applied every milestone",
                lr0 * g_ ** len(ms),
                f"Only the milestones already reached (≤ {k}) have decayed the rate.",
            ),
        ]
    elif sched_name == "ExponentialLR":
        g_ = kw["gamma"]
        slips = [
            (
                "one-step-short",
                "one decay short",
                lr0 * g_ ** (k - 1),
                f"Each of the {k} sched.step() calls multiplies by γ: γ^{k}.",
            ),
            (
                "linear-decay",
                "subtracted linearly",
                lr0 * (1 - k * (1 - g_)),
                "ExponentialLR multiplies by γ each epoch; it does not subtract a fixed amount.",
            ),
        ]
    else:
        t_max, eta = kw["T_max"], kw["eta_min"]
        slips = [
            (
                "forgot-half",
                "dropped the (1 + cos)/2",
                eta + (lr0 - eta) * math.cos(math.pi * k / t_max),
                "The factor is (1 + cos(π·k/T_max))/2, which runs from 1 down to 0.",
            ),
            (
                "full-cycle",
                "used a full cosine period",
                eta + (lr0 - eta) * (1 + math.cos(2 * math.pi * k / t_max)) / 2,
                "Over T_max epochs the rate follows half a cosine: cos(π·k/T_max).",
            ),
        ]
    mistakes = [Mistake(*sl) for sl in slips]
    rules = {
        "StepLR": "StepLR: lr = lr0·γ^⌊k/step_size⌋ after k epochs.",
        "MultiStepLR": "MultiStepLR: lr = lr0·γ^(number of milestones ≤ k).",
        "ExponentialLR": "ExponentialLR: lr = lr0·γ^k.",
        "CosineAnnealingLR": "Cosine: lr = η_min + (lr0 − η_min)·(1 + cos(π·k/T_max))/2.",
    }
    return Question(
        level=level,
        params={"scheduler": sched_name, "lr0": lr0, "kwargs": kw, "epochs": epochs},
        prompt=f"What is the optimizer's learning rate after the {epochs} calls to "
        f"sched.step() in the code? {float_form(d)}",
        code=code,
        expected=expected,
        explanation="\n".join(lines),
        mistakes=tuple(mistakes),
        hints=(rules[sched_name], f"lr0 = {lr0}, k = {epochs}, {kwargs_text(kw)}."),
        proof=f"import torch\n{code}\n{float_proof('sched.get_last_lr()[0]', d)}",
    )
