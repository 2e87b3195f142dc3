"""Hand-computation questions with a softmax at the end: scaled dot-product attention weights,
softmax with a temperature, and the distillation loss built from it.

The answers need e^x, so a calculator is expected; the inputs stay small whole numbers so the
scores themselves are worked out by hand.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from dlquiz.questions.base import Expected, Mistake, Question, family
from dlquiz.questions.by_hand import TOPIC, draw_until, fmt, grid_src, list_text
from dlquiz.questions.common import pick, randint
from dlquiz.questions.floats import float_proof, floats_proof, num

if TYPE_CHECKING:
    import numpy as np

D = 3  # softmax outputs and losses are graded to 3 decimal places


def softmax(scores: Sequence[float]) -> list[float]:
    """Softmax in float64 (for the slips; the answers come from torch)."""
    top = max(scores)
    exps = [math.exp(s - top) for s in scores]
    total = sum(exps)
    return [e / total for e in exps]


def dots(q: Sequence[int], keys: Sequence[Sequence[int]]) -> list[int]:
    return [sum(a * b for a, b in zip(q, k, strict=True)) for k in keys]


def spread(expected: Expected, zeros: int = 0) -> bool:
    """No weight shows as 1.000 and at most ``zeros`` show as 0.000 (a degenerate softmax is
    no exercise)."""
    shown = [f"{v:.{D}f}" for v in expected.value]
    return "1.000" not in shown and shown.count("0.000") <= zeros


def _par(v: float) -> str:
    return f"({fmt(v)})" if v < 0 else fmt(v)


def list_form(n: int) -> str:
    letters = ", ".join("abcd"[:n])
    return f"Give the {n} weights as a list like [{letters}], to {D} decimal places."


# ---------------------------------------------------------------- attention-weights


@family(
    "attention-weights",
    title="Scaled dot-product attention weights by hand",
    topic=TOPIC,
    terms=("attention-mechanism", "softmax-function"),
    levels={
        1: "one query, two keys",
        2: "one query, three keys",
        3: "causal mask: the second token's weights",
    },
)
def attention_weights(rng: np.random.Generator, level: int) -> Question:
    import torch
    import torch.nn.functional as F

    d = 4
    n_keys = 2 if level == 1 else 3
    n_q = 3 if level == 3 else 1
    row = 1 if level == 3 else 0  # level 3 asks for token 1: it sees tokens 0 and 1 only

    def make() -> tuple[Expected, list[Mistake], tuple[Any, ...]]:
        q = [[randint(rng, -1, 2) for _ in range(d)] for _ in range(n_q)]
        k = [[randint(rng, -1, 2) for _ in range(d)] for _ in range(n_keys)]
        out = F.scaled_dot_product_attention(
            torch.tensor(q, dtype=torch.float32),
            torch.tensor(k, dtype=torch.float32),
            torch.eye(n_keys),
            is_causal=level == 3,
        )
        weights = out[row].tolist()
        raw = dots(q[row], k)
        visible = row + 1 if level == 3 else n_keys
        pad = [0.0] * (n_keys - visible)
        no_sqrt = softmax(raw[:visible]) + pad
        by_d = softmax([s / d for s in raw[:visible]]) + pad
        mistakes = [
            Mistake(
                "no-sqrt-d",
                "forgot to divide by √d",
                tuple(no_sqrt),
                f"{list_text(no_sqrt, D)} is the softmax of the raw dot products "
                f"{list_text(raw[:visible])}. The scores are divided by √d = √{d} = 2 first.",
            ),
            Mistake(
                "divided-by-d",
                "divided by d instead of √d",
                tuple(by_d),
                f"{list_text(by_d, D)} divides the dot products by d = {d}; the scale is "
                f"1/√d, so divide by 2.",
            ),
        ]
        if level == 3:
            unmasked = softmax([s / 2 for s in raw])
            late = [*softmax([s / 2 for s in raw])[:visible], *pad]
            mistakes += [
                Mistake(
                    "ignored-mask",
                    "ignored the causal mask",
                    tuple(unmasked),
                    f"{list_text(unmasked, D)} lets token {row} attend to every token. "
                    f"With is_causal=True it sees tokens 0..{row} only; token "
                    f"{row + 1}'s weight is 0.",
                ),
                Mistake(
                    "masked-after-softmax",
                    "zeroed the future after the softmax",
                    tuple(late),
                    f"{list_text(late, D)} zeroes token {row + 1}'s weight after the softmax, "
                    "so the row no longer sums to 1. The mask sets that score to −∞ before "
                    "the softmax, which shares all the weight among the visible tokens.",
                ),
            ]
        return Expected("floats", tuple(weights), decimals=D), mistakes, (q, k, raw)

    expected, mistakes, extra = draw_until(make, lambda e: spread(e, n_keys - (row + 1)))
    q, k, raw = extra
    visible = row + 1 if level == 3 else n_keys

    if level == 3:
        q_src = f"q = torch.tensor({grid_src(q, 17)}).float()  # 3 tokens' queries, d = 4"
        k_src = f"k = torch.tensor({grid_src(k, 17)}).float()  # their keys"
        extra_arg = ", is_causal=True"
        ask = f"What weights does token {row} (the second) give tokens 0, 1 and 2, out[{row}]?"
    else:
        q_src = f"q = torch.tensor({q}).float()  # one query, d = 4"
        k_src = f"k = torch.tensor({grid_src(k, 17)}).float()  # {n_keys} keys"
        extra_arg = ""
        ask = f"What weights does the query give the {n_keys} keys, out[0]?"
    code = (
        f"{q_src}\n{k_src}\n"
        f"v = torch.eye({n_keys})  # one-hot values: each output row is the weights\n"
        f"out = F.scaled_dot_product_attention(q, k, v{extra_arg})"
    )
    prompt = f"{ask} {list_form(n_keys)}"

    scaled = [s / 2 for s in raw[:visible]]
    qv = q[row]
    prods = [
        " + ".join(f"{_par(a)}·{_par(b)}" for a, b in zip(qv, kk, strict=True))
        for kk in k[:visible]
    ]
    lines = [
        "Attention weights = softmax(q·kᵀ / √d) over the keys; d = 4, so √d = 2.",
        "; ".join(f"q·k{j} = {p} = {fmt(raw[j])}" for j, p in enumerate(prods)),
    ]
    if level == 3:
        lines.append(
            f"is_causal=True hides later tokens: token {row} sees tokens 0..{row}, and token "
            f"{row + 1}'s score becomes −∞ (weight 0)."
        )
    exps = [math.exp(s) for s in scaled]
    lines.append(
        f"scores / 2 = {list_text(scaled)}; e^score = {list_text(exps, D)}, "
        f"total {num(sum(exps), D)}; divide each by the total: {list_text(expected.value, D)}"
    )
    hints = (
        "weights = softmax(q·kᵀ / √d): dot the query with each key, divide by √d, then "
        "exponentiate and normalise so the weights sum to 1."
        + (" A causal mask gives later tokens a score of −∞." if level == 3 else ""),
        f"Here d = 4, so divide by 2: the dot products of {list_text(qv)} with the visible keys "
        f"are {list_text(raw[:visible])}, so take softmax({list_text(scaled)})"
        + (f" and put 0 for token {row + 1}." if level == 3 else "."),
    )
    return Question(
        level=level,
        params={"q": q, "k": k, "causal": level == 3, "row": row},
        prompt=prompt,
        code=code,
        expected=expected,
        explanation="\n".join(lines),
        proof=f"import torch\nimport torch.nn.functional as F\n{code}\n"
        f"{floats_proof(f'out[{row}]', D)}",
        mistakes=mistakes,
        hints=hints,
    )


# ---------------------------------------------------------------- softmax-temperature


@family(
    "softmax-temperature",
    title="Softmax with a temperature by hand",
    topic=TOPIC,
    terms=("softmax-function", "knowledge-distillation"),
    levels={
        1: "T > 1 flattens three logits",
        2: "T < 1 sharpens four logits",
        3: "distillation loss: T²·KL between softened teacher and student",
    },
)
def softmax_temperature(rng: np.random.Generator, level: int) -> Question:
    import torch

    if level == 3:
        return _distillation(rng)
    n = 3 if level == 1 else 4

    def make() -> tuple[Expected, list[Mistake], tuple[Any, ...]]:
        # Sharpening multiplies the gaps, so level 2 keeps the logits close together.
        z = [randint(rng, -2, 4) if level == 1 else randint(rng, -1, 2) for _ in range(n)]
        t = pick(rng, (2.0, 4.0, 5.0) if level == 1 else (0.5, 0.8))
        p = torch.softmax(torch.tensor(z, dtype=torch.float32) / t, dim=0).tolist()
        times = softmax([v * t for v in z])
        plain = softmax(z)
        mistakes = [
            Mistake(
                "multiplied-by-t",
                "multiplied by T",
                tuple(times),
                f"{list_text(times, D)} is softmax(z·{fmt(t)}). The temperature divides the "
                f"logits: softmax(z / {fmt(t)}) = softmax({list_text([v / t for v in z])}).",
            ),
            Mistake(
                "ignored-t",
                "ignored the temperature",
                tuple(plain),
                f"{list_text(plain, D)} is the plain softmax (T = 1); divide the logits by "
                f"T = {fmt(t)} first.",
            ),
        ]
        return Expected("floats", tuple(p), decimals=D), mistakes, (z, t)

    expected, mistakes, extra = draw_until(make, spread)
    z, t = extra
    scaled = [v / t for v in z]
    exps = [math.exp(v) for v in scaled]
    effect = "flattens" if t > 1 else "sharpens"
    lines = [
        f"softmax with temperature T: p_i = e^(z_i/T) / Σ_j e^(z_j/T). T = {fmt(t)} {effect} "
        "the distribution.",
        f"z / {fmt(t)} = {list_text(scaled)}; e^(z/T) = {list_text(exps, D)}, "
        f"total {num(sum(exps), D)}",
        f"p = {list_text(expected.value, D)}",
    ]
    hints = (
        "Divide every logit by T, then take an ordinary softmax: e^(z_i/T) / Σ_j e^(z_j/T).",
        f"Here z / T = {list_text(z)} / {fmt(t)} = {list_text(scaled)}; exponentiate each and "
        "divide by their total.",
    )
    return Question(
        level=level,
        params={"z": z, "T": t},
        prompt=f"The logits z = {list_text(z)} go through a softmax with temperature "
        f"T = {fmt(t)}. What probabilities come out? Give the {n} values as a list, to {D} "
        "decimal places.",
        code="",
        expected=expected,
        explanation="\n".join(lines),
        proof=f"import torch\nz = torch.tensor({[float(v) for v in z]})\n"
        f"p = torch.softmax(z / {t}, dim=0)\n{floats_proof('p', D)}",
        mistakes=mistakes,
        hints=hints,
    )


def _kl(p: Sequence[float], q: Sequence[float]) -> float:
    return sum(a * math.log(a / b) for a, b in zip(p, q, strict=True))


def _distillation(rng: np.random.Generator) -> Question:
    import torch
    import torch.nn.functional as F

    def make() -> tuple[Expected, list[Mistake], tuple[Any, ...]]:
        teacher = [randint(rng, -1, 3) for _ in range(3)]
        student = [randint(rng, -1, 3) for _ in range(3)]
        t = pick(rng, (2.0, 4.0))
        tt, st = (
            torch.tensor([teacher], dtype=torch.float32),
            torch.tensor([student], dtype=torch.float32),
        )
        loss = F.kl_div(
            F.log_softmax(st / t, dim=-1), F.softmax(tt / t, dim=-1), reduction="batchmean"
        ) * (t * t)
        p = softmax([v / t for v in teacher])
        q = softmax([v / t for v in student])
        kl = _kl(p, q)
        cross = -sum(a * math.log(b) for a, b in zip(p, q, strict=True)) * t * t
        mistakes = [
            Mistake(
                "no-t-squared",
                "left out the T² factor",
                kl,
                f"{num(kl, D)} is KL(p ‖ q) alone; the loss multiplies it by T² = {fmt(t * t)} "
                "(softening shrinks the gradients by 1/T², and T² restores their scale).",
            ),
            Mistake(
                "reversed-kl",
                "reversed the KL divergence",
                _kl(q, p) * t * t,
                f"{num(_kl(q, p) * t * t, D)} is {fmt(t * t)}·KL(q ‖ p). "
                "F.kl_div(input, target) takes the student's log-probabilities as input and "
                "computes KL(target ‖ input): "
                "Σ p·(log p − log q), weighted by the teacher's p.",
            ),
            Mistake(
                "cross-entropy",
                "used the soft cross-entropy",
                cross,
                f"{num(cross, D)} is T²·(−Σ p·log q), the soft cross-entropy. KL subtracts the "
                "teacher's entropy from it (KL = −Σ p·log q + Σ p·log p), so it is 0 when "
                "student and teacher agree.",
            ),
        ]
        return Expected("float", loss.item(), decimals=D), mistakes, (teacher, student, t, p, q)

    expected, mistakes, extra = draw_until(make, lambda e: e.value >= 0.01)
    teacher, student, t, p, q = extra
    code = (
        f"teacher = torch.tensor([{[float(v) for v in teacher]}])  # logits\n"
        f"student = torch.tensor([{[float(v) for v in student]}])\n"
        f"T = {t}\n"
        "p = F.softmax(teacher / T, dim=-1)\n"
        "log_q = F.log_softmax(student / T, dim=-1)\n"
        'loss = F.kl_div(log_q, p, reduction="batchmean") * T * T'
    )
    terms = " + ".join(
        f"{num(a, D)}·ln({num(a, D)}/{num(b, D)})" for a, b in zip(p, q, strict=True)
    )
    lines = [
        "Distillation compares the softened distributions p = softmax(teacher/T) and "
        "q = softmax(student/T): loss = T²·KL(p ‖ q) = T²·Σ p·(log p − log q).",
        f"p = softmax({list_text([v / t for v in teacher])}) = {list_text(p, D)}; "
        f"q = softmax({list_text([v / t for v in student])}) = {list_text(q, D)}",
        f"KL = {terms} = {num(_kl(p, q), 4)}",
        f"× T² = {fmt(t * t)}: {num(expected.value, D)}",
    ]
    hints = (
        "Soften both with the same T, p = softmax(teacher/T) and q = softmax(student/T); "
        "the loss is T²·KL(p ‖ q) = T²·Σ p·ln(p/q).",
        f"Here T = {fmt(t)}: p = softmax({list_text([v / t for v in teacher])}), q = "
        f"softmax({list_text([v / t for v in student])}); sum p·ln(p/q) over the 3 classes, "
        f"then multiply by {fmt(t * t)}.",
    )
    return Question(
        level=3,
        params={"z": teacher, "student": student, "T": t},
        prompt=f"What distillation loss does the code compute (one sample, so batchmean "
        f"divides by 1)? Give a float to {D} decimal places.",
        code=code,
        expected=expected,
        explanation="\n".join(lines),
        proof=f"import torch\nimport torch.nn.functional as F\n{code}\n"
        f"{float_proof('loss.item()', D)}",
        mistakes=mistakes,
        hints=hints,
    )
