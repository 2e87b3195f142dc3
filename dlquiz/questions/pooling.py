"""Pooling questions: MaxPool2d / AvgPool2d output shapes and global average pooling."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from dlquiz.questions.base import (
    Expected,
    Mistake,
    Question,
    family,
)
from dlquiz.questions.common import (
    fmt_shape,
    pick,
    randint,
    shape_of,
)
from dlquiz.questions.layers import (
    conv_size,
    pair,
    shape_question,
)

if TYPE_CHECKING:
    import numpy as np


# ---------------------------------------------------------------- pool2d-shape


@family(
    "pool2d-shape",
    title="MaxPool2d / AvgPool2d output shape",
    topic="convolution",
    terms=("max-pooling", "pooling-layer", "stride", "zero-padding", "feature-map"),
    levels={1: "kernel only (stride defaults to the kernel)", 2: "stride, padding and ceil_mode"},
)
def pool2d_shape(rng: np.random.Generator, level: int) -> Question:
    import torch
    from torch import nn

    kind = pick(rng, ("MaxPool2d", "AvgPool2d"))
    n, c = pick(rng, (1, 2, 4, 8, 16)), pick(rng, (3, 16, 32, 64, 128))
    if level == 1:
        k = pick(rng, (2, 2, 3, 4))
        s, p, ceil = k, 0, False
        h = randint(rng, 4, 64)
        w = pick(rng, (h, randint(rng, 4, 64)))
    else:
        k = pick(rng, (2, 3, 3, 4, 5))
        s = pick(rng, (1, 2, 2, 3))
        p = randint(rng, 0, k // 2)  # torch allows at most half the kernel
        ceil = pick(rng, (True, False))
        h, w = randint(rng, k, 64), randint(rng, k, 64)

    cls = nn.MaxPool2d if kind == "MaxPool2d" else nn.AvgPool2d
    shape = shape_of(
        cls(k, stride=s, padding=p, ceil_mode=ceil)(torch.empty(n, c, h, w, device="meta"))
    )

    args = [f"kernel_size={k}"]
    if level == 2:
        args += [f"stride={s}", f"padding={p}", f"ceil_mode={ceil}"]
    code = f"pool = nn.{kind}({', '.join(args)})\nx = torch.randn({n}, {c}, {h}, {w})\ny = pool(x)"

    if level == 1:
        expl = [
            f"stride defaults to kernel_size = {k}, so the windows tile without overlap:",
            "out = ⌊(in − k)/s⌋ + 1",
        ]
    elif ceil:
        expl = [
            "ceil_mode=True rounds up: out = ⌈(in + 2·p − k)/s⌉ + 1, but a last window that",
            "would start inside the right padding is dropped",
        ]
    else:
        expl = ["out = ⌊(in + 2·p − k)/s⌋ + 1"]
    pad = f" + 2·{p}" if p else ""
    for label, size, out in (("H", h, shape[2]), ("W", w, shape[3])):
        top = size + 2 * p - k
        if ceil:
            raw = -(-top // s) + 1
            line = f"{label}: ⌈({size}{pad} − {k})/{s}⌉ + 1 = {raw}"
            expl.append(line + (f" → {out} (last window dropped)" if raw != out else ""))
        else:
            expl.append(f"{label}: ⌊({size}{pad} − {k})/{s}⌋ + 1 = {out}")
    expl.append(f"Pooling works per channel, so N = {n} and C = {c} stay: {fmt_shape(shape)}.")
    expected = Expected("shape", shape)

    def ceil_size(size: int) -> int:
        return -(-(size + 2 * p - k) // s) + 1

    mistakes = [
        Mistake(
            "stride-one",
            "took stride 1",
            (n, c, conv_size(h, k, 1, p), conv_size(w, k, 1, p)),
            f"A pooling layer's stride defaults to kernel_size = {k}, not 1: the windows do not "
            "overlap unless you ask."
            if level == 1
            else f"stride={s} moves the window {s} pixels at a time: divide by {s} first.",
        ),
        Mistake(
            "rounded-up" if not ceil else "rounded-down",
            "rounded the wrong way",
            (n, c, ceil_size(h), ceil_size(w))
            if not ceil
            else (n, c, conv_size(h, k, s, p), conv_size(w, k, s, p)),
            "ceil_mode=False (the default) rounds down: a last window that does not fit is dropped."
            if not ceil
            else "ceil_mode=True rounds up: a last partial window is kept (unless it would start "
            "inside the right padding).",
        ),
        Mistake(
            "ignored-padding",
            "ignored the padding",
            (n, c, conv_size(h, k, s, 0), conv_size(w, k, s, 0)),
            f"padding={p} adds {p} on each side (2·{p} per axis) before the windows are placed.",
        ),
        Mistake(
            "forgot-plus-one",
            "forgot the + 1",
            (n, c, conv_size(h, k, s, p, plus_one=False), conv_size(w, k, s, p, plus_one=False)),
            "You forgot the + 1: the floor counts the steps between windows; the first window "
            "adds one.",
        ),
    ]
    rule = "⌈" if ceil else "⌊"
    close_ = "⌉" if ceil else "⌋"
    hint2 = (
        f"H = {rule}({h} + 2·{p} − {k})/{s}{close_} + 1, W = {rule}({w} + 2·{p} − {k})/{s}{close_}"
        f" + 1; N = {n} and C = {c} stay."
    )
    return shape_question(
        level,
        params={
            "kind": kind,
            "N": n,
            "C": c,
            "H": h,
            "W": w,
            "k": k,
            "s": s,
            "p": p,
            "ceil_mode": ceil,
        },
        form="(N, C, H, W)",
        code=code,
        expected=expected,
        explanation=expl,
        mistakes=mistakes,
        hints=(
            "Pooling keeps N and C; each side is ⌊(in + 2·padding − k)/stride⌋ + 1 (⌈ ⌉ with "
            "ceil_mode=True), and stride defaults to kernel_size.",
            hint2,
        ),
    )


# ---------------------------------------------------------------- global-avg-pool

_GAP_FORMS = {
    # form -> (code after the input line, how the explanation describes it)
    "adaptive": (
        "y = nn.AdaptiveAvgPool2d(1)(x)",
        "AdaptiveAvgPool2d(1) averages each channel's H×W map down to a single 1×1 value",
    ),
    "flatten": (
        "y = torch.flatten(nn.AdaptiveAvgPool2d(1)(x), 1)",
        "AdaptiveAvgPool2d(1) gives"
        " (N, C, 1, 1); flatten(·, 1) merges the trailing 1×1 into the channel axis",
    ),
    "nn-flatten": (
        "y = nn.Flatten()(nn.AdaptiveAvgPool2d(1)(x))",
        "AdaptiveAvgPool2d(1) gives (N, C, 1, 1); nn.Flatten() keeps dim 0 and merges the rest",
    ),
    "mean": ("y = x.mean(dim=(2, 3))", "Averaging over dims 2 and 3 removes both spatial axes"),
    "mean-keepdim": (
        "y = x.mean(dim=(2, 3), keepdim=True)",
        "Averaging over dims 2 and 3 with keepdim=True leaves them as size 1",
    ),
}


@family(
    "global-avg-pool",
    title="Global average pooling output shape",
    topic="convolution",
    terms=("global-average-pooling", "pooling-layer", "feature-map"),
    levels={
        1: "AdaptiveAvgPool2d(1)",
        2: "followed by a flatten, or written as a mean",
        3: "adaptive pooling to a larger grid, then flatten",
    },
)
def global_avg_pool(rng: np.random.Generator, level: int) -> Question:
    import torch
    from torch import nn

    n, c = pick(rng, (1, 2, 4, 8, 16, 32)), pick(rng, (64, 128, 256, 512, 1024, 2048))
    h = pick(rng, (4, 7, 8, 14, 16, 28))
    w = pick(rng, (h, h, pick(rng, (5, 7, 10, 12, 14))))
    grid = (1, 1)
    x = torch.empty(n, c, h, w, device="meta")
    if level == 1:
        form = "adaptive"
        y = nn.AdaptiveAvgPool2d(1)(x)
    elif level == 2:
        form = pick(rng, ("flatten", "nn-flatten", "mean", "mean-keepdim"))
        pooled = nn.AdaptiveAvgPool2d(1)
        forms: dict[str, Callable[[], torch.Tensor]] = {
            "flatten": lambda: torch.flatten(pooled(x), 1),
            "nn-flatten": lambda: nn.Flatten()(pooled(x)),
            "mean": lambda: x.mean(dim=(2, 3)),
            "mean-keepdim": lambda: x.mean(dim=(2, 3), keepdim=True),
        }
        y = forms[form]()
    else:
        form = "grid"
        grid = pick(rng, ((2, 2), (3, 3), (4, 4), (2, 3), (3, 2)))
        grid = (min(grid[0], h), min(grid[1], w))
        y = torch.flatten(nn.AdaptiveAvgPool2d(grid)(x), 1)
    shape = shape_of(y)

    if form == "grid":
        line = f"y = torch.flatten(nn.AdaptiveAvgPool2d({pair(grid)})(x), 1)"
        expl = [
            f"AdaptiveAvgPool2d({pair(grid)}) picks its own windows so the output is "
            f"{grid[0]}×{grid[1]} whatever H×W is: (N, C, {grid[0]}, {grid[1]})",
            f"flatten(·, 1) multiplies everything after the batch: {c}·{grid[0]}·{grid[1]} "
            f"= {shape[1]}",
        ]
    else:
        line, text = _GAP_FORMS[form]
        expl = [text + "; " + f"the {h}×{w} spatial size no longer matters."]
    expl.append(f"Result: {fmt_shape(shape)}.")
    code = f"x = torch.randn({n}, {c}, {h}, {w})\n{line}"
    expected = Expected("shape", shape)
    gh, gw = grid
    flat_msg = "flatten(·, 1) / nn.Flatten() merges every axis after the batch into one"
    mistakes = [
        Mistake(
            "kept-spatial-size",
            "kept H and W",
            (n, c, h, w),
            f"Global average pooling averages each {h}×{w} map down to one value per channel.",
        ),
        Mistake(
            "dropped-unit-axes",
            "dropped the size-1 axes",
            (n, c),
            "AdaptiveAvgPool2d(1) and mean(keepdim=True) keep the two spatial axes as size 1: "
            f"(N, C, 1, 1) = ({n}, {c}, 1, 1).",
        ),
        Mistake(
            "kept-unit-axes",
            "kept the size-1 axes",
            (n, c, 1, 1),
            f"{flat_msg}; mean over dims (2, 3) without keepdim removes them.",
        ),
        Mistake(
            "pooled-to-one",
            "pooled to 1×1",
            (n, c),
            f"AdaptiveAvgPool2d({pair(grid)}) leaves a {gh}×{gw} grid per channel, so the flatten "
            f"gives {c}·{gh}·{gw}.",
        ),
        Mistake(
            "forgot-flatten",
            "forgot the flatten",
            (n, c, gh, gw),
            f"{flat_msg}: ({n}, {c}·{gh}·{gw}).",
        ),
    ]
    if form in ("flatten", "nn-flatten", "mean", "grid"):
        mistakes = [m for m in mistakes if m.id != "dropped-unit-axes"]
    if form != "grid":
        mistakes = [m for m in mistakes if m.id not in ("pooled-to-one", "forgot-flatten")]
    else:
        mistakes.append(
            Mistake(
                "flattened-unpooled",
                "flattened the whole map",
                (n, c * h * w),
                f"The pooling comes first: {h}×{w} becomes {gh}×{gw} before the flatten.",
            )
        )
    hint2 = f"x is ({n}, {c}, {h}, {w}); after pooling each channel is {gh}×{gw}" + (
        "; then flatten(·, 1)." if form in ("flatten", "nn-flatten", "grid") else "."
    )
    return shape_question(
        level,
        params={"N": n, "C": c, "H": h, "W": w, "form": form, "grid": list(grid)},
        form="(N, C, H, W) or (N, D)",
        code=code,
        expected=expected,
        explanation=expl,
        mistakes=mistakes,
        hints=(
            "Adaptive pooling fixes the output grid whatever H×W is; mean over dims drops them "
            "unless keepdim=True; flatten(·, 1) multiplies every axis after the batch.",
            hint2,
        ),
    )
