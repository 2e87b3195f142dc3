"""Convolution layer questions: Conv2d and Conv1d output shapes, Conv2d parameter counts,
ConvTranspose2d output shapes.

Every family draws small hand-workable sizes, builds the layer in torch (on the meta device,
which does the shape arithmetic without computing anything) and reads the answer off it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dlquiz.questions.base import Expected, Mistake, Question, family
from dlquiz.questions.common import (
    INT_FORM,
    fmt_shape,
    param_count,
    pick,
    randint,
    shape_of,
    thousands,
)
from dlquiz.questions.layers import (
    CONV_RULE,
    axis_line,
    conv_formula,
    conv_size,
    pair,
    proof,
    shape_question,
)

if TYPE_CHECKING:
    import numpy as np


# ---------------------------------------------------------------- conv2d-shape


@family(
    "conv2d-shape",
    title="Conv2d output shape",
    topic="convolution",
    terms=("stride", "zero-padding", "filter", "feature-map", "convolutional-neural-network"),
    levels={
        1: "stride 1 with 'same' or k // 2 padding",
        2: "stride and integer or 'valid' padding",
        3: "dilation and non-square kernels",
    },
)
def conv2d_shape(rng: np.random.Generator, level: int) -> Question:
    import torch
    from torch import nn

    n = pick(rng, (1, 2, 4, 8, 16))
    cin = pick(rng, (1, 3, 8, 16))
    cout = pick(rng, (8, 16, 32, 64))
    stride, dil = (1, 1), (1, 1)
    padding: str | tuple[int, int]
    if level == 1:
        k = pick(rng, (1, 3, 5, 7))
        kernel = (k, k)
        paddings: tuple[str | tuple[int, int], ...] = ("same", (k // 2, k // 2))
        padding = pick(rng, paddings)
        h = randint(rng, 8, 64)
        w = pick(rng, (h, randint(rng, 8, 64)))
    elif level == 2:
        k = pick(rng, (1, 2, 3, 4, 5, 7))
        kernel = (k, k)
        s = pick(rng, (1, 2, 2, 3))
        stride = (s, s)
        p = randint(rng, 0, k // 2)
        padding = "valid" if p == 0 and pick(rng, (True, False)) else (p, p)
        h = randint(rng, max(k, 7), 64)
        w = pick(rng, (h, randint(rng, max(k, 7), 64)))
    else:
        kernel = (pick(rng, (1, 3, 5, 7)), pick(rng, (1, 3, 5)))
        dil = (pick(rng, (1, 2, 3)), pick(rng, (1, 2)))
        if dil == (1, 1) or kernel[0] == 1:
            kernel, dil = (max(kernel[0], 3), kernel[1]), (max(dil[0], 2), dil[1])
        s = pick(rng, (1, 2))
        stride = (s, s)
        padding = (randint(rng, 0, dil[0] * (kernel[0] - 1) // 2), randint(rng, 0, 2))
        reach = [dil[i] * (kernel[i] - 1) + 1 for i in (0, 1)]
        h = randint(rng, max(8, reach[0]), 64)
        w = randint(rng, max(8, reach[1]), 64)

    layer = nn.Conv2d(
        cin, cout, kernel, stride=stride, padding=padding, dilation=dil, device="meta"
    )
    y = layer(torch.empty(n, cin, h, w, device="meta"))
    shape = shape_of(y)

    args = [str(cin), str(cout), f"kernel_size={pair(kernel)}"]
    if stride != (1, 1):
        args.append(f"stride={pair(stride)}")
    if isinstance(padding, str):
        args.append(f"padding={padding!r}")
    elif padding != (0, 0):
        args.append(f"padding={pair(padding)}")
    if dil != (1, 1):
        args.append(f"dilation={pair(dil)}")
    code = (
        f"conv = nn.Conv2d({', '.join(args)})\nx = torch.randn({n}, {cin}, {h}, {w})\ny = conv(x)"
    )

    if padding == "same":
        expl = [
            "padding='same' (only allowed with stride 1) pads d·(k − 1) in total on each axis,",
            f"so the spatial size is kept: H stays {shape[2]}, W stays {shape[3]}.",
        ]
    else:
        pads = (0, 0) if isinstance(padding, str) else padding  # "valid" here: no padding
        expl = ["out = ⌊(in + 2·p − d·(k − 1) − 1)/s⌋ + 1 on each spatial axis"]
        if padding == "valid":
            expl.append("padding='valid' means no padding: p = 0")
        for i, (label, size) in enumerate((("H", h), ("W", w))):
            expl.append(axis_line(label, size, kernel[i], stride[i], pads[i], dil[i], shape[2 + i]))
    expl.append(
        f"The batch stays {n} and the channels become out_channels = {cout}: {fmt_shape(shape)}."
    )
    expected = Expected("shape", shape)
    eff: tuple[int, int] = (0, 0)  # what each side is padded by ('valid' eff nothing)
    if padding == "same":
        eff = (dil[0] * (kernel[0] - 1) // 2, dil[1] * (kernel[1] - 1) // 2)
    elif not isinstance(padding, str):
        eff = padding

    def hw_args(i: int) -> tuple[int, int, int, int]:
        return kernel[i], stride[i], eff[i], dil[i]

    def hw(**change: Any) -> tuple[int, int]:
        axes = []
        for i, size in enumerate((h, w)):
            args = {"k": kernel[i], "s": stride[i], "p": eff[i], "d": dil[i]}
            axes.append(conv_size(size, **{**args, **{a: v[i] for a, v in change.items()}}))
        return axes[0], axes[1]

    pad_text = repr(padding) if isinstance(padding, str) else pair(padding)
    mistakes = [
        Mistake(
            "kept-in-channels",
            "kept in_channels",
            (n, cin, *shape[2:]),
            f"You kept in_channels = {cin}; a Conv2d's output has out_channels = {cout} channels.",
        ),
        Mistake(
            "ignored-padding",
            "ignored the padding",
            (n, cout, *hw(p=(0, 0))),
            f"That is the size with no padding; padding={pad_text} adds {eff[0]} pixels on "
            f"each side of H and {eff[1]} on each side of W before the kernel slides.",
        ),
        Mistake(
            "ignored-stride",
            "ignored the stride",
            (n, cout, *hw(s=(1, 1))),
            f"That is stride 1; stride {pair(stride)} keeps every {stride[0]}th window, so divide "
            f"by the stride before adding 1.",
        ),
        Mistake(
            "ignored-dilation",
            "ignored the dilation",
            (n, cout, *hw(d=(1, 1))),
            f"That reads the kernel as {kernel[0]}×{kernel[1]}; dilation {pair(dil)} spreads it "
            f"over d·(k − 1) + 1 = {dil[0] * (kernel[0] - 1) + 1}×{dil[1] * (kernel[1] - 1) + 1}"
            " pixels.",
        ),
        Mistake(
            "forgot-plus-one",
            "forgot the + 1",
            (n, cout, *(conv_size(v, *hw_args(i), plus_one=False) for i, v in enumerate((h, w)))),
            "You forgot the + 1: the floor counts the strides between windows, and the first "
            "window adds one more.",
        ),
    ]
    if padding == "same":
        hint2 = f"padding='same' keeps H = {h} and W = {w}; the channels become {cout}."
    else:
        hint2 = (
            f"{conv_formula('H', h, kernel[0], stride[0], eff[0], dil[0])}, "
            f"{conv_formula('W', w, kernel[1], stride[1], eff[1], dil[1])}; "
            f"channels = out_channels = {cout}."
        )

    return shape_question(
        level,
        params={
            "N": n,
            "C_in": cin,
            "H": h,
            "W": w,
            "C_out": cout,
            "kernel": list(kernel),
            "stride": list(stride),
            "dilation": list(dil),
            "padding": padding if isinstance(padding, str) else list(padding),
        },
        form="(N, C, H, W)",
        code=code,
        expected=expected,
        explanation=expl,
        mistakes=mistakes,
        hints=(CONV_RULE, hint2),
    )


# ---------------------------------------------------------------- conv2d-params


@family(
    "conv2d-params",
    title="Conv2d parameter count",
    topic="convolution",
    terms=("filter", "bias", "weight-sharing", "parameter-sharing", "convolutional-neural-network"),
    levels={
        1: "small layer with bias",
        2: "wider layers, bias on or off, stride and padding as distractors",
        3: "grouped and depthwise convolutions",
    },
)
def conv2d_params(rng: np.random.Generator, level: int) -> Question:
    from torch import nn

    groups, extra = 1, []
    if level == 1:
        cin, cout = pick(rng, (1, 2, 3, 4)), pick(rng, (2, 4, 6, 8, 16))
        kernel = (k := pick(rng, (1, 2, 3, 5)), k)
        bias = True
    elif level == 2:
        cin, cout = pick(rng, (16, 32, 64, 128, 256)), pick(rng, (16, 32, 64, 128, 256, 512))
        kernel = pick(rng, ((1, 1), (3, 3), (3, 3), (5, 5), (7, 7), (1, 3), (3, 1)))
        bias = pick(rng, (True, False))
        extra = pick(rng, ([], ["stride=2"], ["padding=1"], ["stride=2", "padding=1"]))
    else:
        kernel = (k := pick(rng, (3, 5)), k)
        bias = pick(rng, (True, False))
        if pick(rng, (True, False)):  # depthwise: one filter group per input channel
            cin = pick(rng, (8, 16, 32, 64, 128))
            groups, cout = cin, cin * pick(rng, (1, 1, 2))
        else:
            groups = pick(rng, (2, 4, 8))
            cin, cout = groups * pick(rng, (2, 4, 8, 16)), groups * pick(rng, (2, 4, 8, 16))

    layer = nn.Conv2d(cin, cout, kernel, groups=groups, bias=bias, device="meta")
    total = param_count(layer)
    weight = layer.weight.numel()

    args = [str(cin), str(cout), f"kernel_size={pair(kernel)}", *extra]
    if groups != 1:
        args.append(f"groups={groups}")
    if not bias:
        args.append("bias=False")
    code = f"conv = nn.Conv2d({', '.join(args)})"

    per = cin // groups
    expl = [
        f"weight: C_out × (C_in/groups) × kH × kW = {cout} × {per} × {kernel[0]} × {kernel[1]}"
        f" = {thousands(weight)}"
    ]
    if groups != 1:
        expl.append(
            f"with groups={groups} each filter only sees {cin}/{groups} = {per} input channels"
        )
    expl.append(f"bias: {cout} (one per filter)" if bias else "bias=False: no bias terms")
    if extra:
        expl.append("stride and padding change the output size, not the number of weights")
    expl.append(f"total = {thousands(total)}")
    expected = Expected("int", total)
    kk = kernel[0] * kernel[1]
    mistakes = [
        Mistake(
            "forgot-bias",
            "forgot the bias",
            weight,
            f"You counted only the weights; each of the {cout} filters also has a bias (+{cout}).",
        ),
        Mistake(
            "counted-bias",
            "counted a bias that is off",
            weight + cout,
            f"bias=False: the layer has no bias, so the {cout} you added are not there.",
        ),
        Mistake(
            "forgot-in-channels",
            "forgot the input channels",
            cout * kk + (cout if bias else 0),
            f"Each filter spans all {per} input channels it sees: {cout} × {per} × {kernel[0]} × "
            f"{kernel[1]}, not {cout} × {kernel[0]} × {kernel[1]}.",
        ),
        Mistake(
            "ignored-groups",
            "ignored groups",
            cout * cin * kk + (cout if bias else 0),
            f"With groups={groups} each filter sees only {cin}/{groups} = {per} input channels, "
            f"not all {cin}.",
        ),
    ]
    if not bias:
        mistakes = mistakes[1:]
    hint2 = f"{cout} × ({cin}/{groups}) × {kernel[0]} × {kernel[1]}" + (
        f" + {cout} (bias)" if bias else " (no bias)"
    )

    return Question(
        level=level,
        params={
            "C_in": cin,
            "C_out": cout,
            "kernel": list(kernel),
            "groups": groups,
            "bias": bias,
        },
        prompt=f"How many learnable parameters (weights plus biases) does conv have? {INT_FORM}",
        code=code,
        expected=expected,
        explanation="\n".join(expl),
        mistakes=tuple(mistakes),
        hints=(
            "Conv2d parameters: out_channels × (in_channels / groups) × kH × kW weights, "
            "plus out_channels biases unless bias=False.",
            hint2,
        ),
        proof=proof(code, "print(sum(p.numel() for p in conv.parameters()))"),
    )


# ---------------------------------------------------------------- conv1d-shape


@family(
    "conv1d-shape",
    title="Conv1d output shape",
    topic="convolution",
    terms=("stride", "zero-padding", "filter", "feature-map"),
    levels={1: "stride 1, padding 0 or k // 2", 2: "stride, padding and dilation"},
)
def conv1d_shape(rng: np.random.Generator, level: int) -> Question:
    import torch
    from torch import nn

    n = pick(rng, (1, 2, 4, 8, 32))
    cin, cout = pick(rng, (1, 4, 8, 16, 64)), pick(rng, (8, 16, 32, 128))
    s, d = 1, 1
    if level == 1:
        k = pick(rng, (1, 3, 5, 7))
        p = pick(rng, (0, k // 2))
        length = randint(rng, max(k, 8), 100)
    else:
        k = pick(rng, (2, 3, 4, 5, 7))
        s = pick(rng, (1, 2, 2, 3, 4))
        d = pick(rng, (1, 1, 2, 4))
        p = randint(rng, 0, 3)
        length = randint(rng, max(d * (k - 1) + 1, 10), 120)

    layer = nn.Conv1d(cin, cout, k, stride=s, padding=p, dilation=d, device="meta")
    shape = shape_of(layer(torch.empty(n, cin, length, device="meta")))

    args = [str(cin), str(cout), f"kernel_size={k}"]
    args += [
        f"{name}={v}"
        for name, v, default in (("stride", s, 1), ("padding", p, 0), ("dilation", d, 1))
        if v != default
    ]
    code = (
        f"conv = nn.Conv1d({', '.join(args)})\nx = torch.randn({n}, {cin}, {length})\ny = conv(x)"
    )
    expl = [
        "L_out = ⌊(L + 2·p − d·(k − 1) − 1)/s⌋ + 1",
        axis_line("L", length, k, s, p, d, shape[2]),
        f"Batch {n} stays, channels become {cout}: {fmt_shape(shape)}.",
    ]
    expected = Expected("shape", shape)
    mistakes = [
        Mistake(
            "kept-in-channels",
            "kept in_channels",
            (n, cin, shape[2]),
            f"You kept in_channels = {cin}; a Conv1d's output has out_channels = {cout} channels.",
        ),
        Mistake(
            "ignored-padding",
            "ignored the padding",
            (n, cout, conv_size(length, k, s, 0, d)),
            f"That is the length with no padding; padding={p} adds {p} on each end (2·{p}).",
        ),
        Mistake(
            "ignored-stride",
            "ignored the stride",
            (n, cout, conv_size(length, k, 1, p, d)),
            f"That is stride 1; stride {s} keeps every {s}th window: divide by {s} first.",
        ),
        Mistake(
            "ignored-dilation",
            "ignored the dilation",
            (n, cout, conv_size(length, k, s, p, 1)),
            f"With dilation {d} the kernel spans d·(k − 1) + 1 = {d * (k - 1) + 1} steps, not {k}.",
        ),
        Mistake(
            "channels-last",
            "put the length before the channels",
            (n, shape[2], cout),
            "Conv1d works on (N, C, L): the channels stay in the middle, the length is last.",
        ),
    ]
    return shape_question(
        level,
        params={"N": n, "C_in": cin, "L": length, "C_out": cout, "k": k, "s": s, "p": p, "d": d},
        form="(N, C, L)",
        code=code,
        expected=expected,
        explanation=expl,
        mistakes=mistakes,
        hints=(
            CONV_RULE,
            f"{conv_formula('L', length, k, s, p, d)}; channels = out_channels = {cout}.",
        ),
    )


# ---------------------------------------------------------------- convtranspose2d-shape


@family(
    "convtranspose2d-shape",
    title="ConvTranspose2d output shape",
    topic="convolution",
    terms=("upsampling", "stride", "zero-padding", "feature-map"),
    levels={1: "kernel, stride and padding", 2: "output_padding and non-square inputs"},
)
def convtranspose2d_shape(rng: np.random.Generator, level: int) -> Question:
    import torch
    from torch import nn

    n = pick(rng, (1, 2, 4, 8))
    cin, cout = pick(rng, (16, 32, 64, 128)), pick(rng, (3, 8, 16, 32, 64))
    op = 0
    if level == 1:
        k, s = pick(rng, (2, 3, 4)), pick(rng, (1, 2, 2))
        p = randint(rng, 0, (k - 1) // 2)
        h = randint(rng, 2, 32)
        w = h
    else:
        k, s = pick(rng, (3, 4, 5)), pick(rng, (2, 3))
        p = randint(rng, 0, k // 2)
        op = randint(rng, 1, s - 1)  # torch requires output_padding < stride
        h, w = randint(rng, 2, 32), randint(rng, 2, 32)

    layer = nn.ConvTranspose2d(cin, cout, k, stride=s, padding=p, output_padding=op, device="meta")
    shape = shape_of(layer(torch.empty(n, cin, h, w, device="meta")))

    args = [str(cin), str(cout), f"kernel_size={k}"]
    args += [
        f"{name}={v}" for name, v in (("stride", s), ("padding", p), ("output_padding", op)) if v
    ]
    code = (
        f"up = nn.ConvTranspose2d({', '.join(args)})\nx = torch.randn({n}, {cin}, {h}, {w})\n"
        "y = up(x)"
    )
    expl = ["out = (in − 1)·s − 2·p + k + output_padding (dilation 1)"]
    for label, size, out in (("H", h, shape[2]), ("W", w, shape[3])):
        expl.append(f"{label}: ({size} − 1)·{s} − 2·{p} + {k} + {op} = {out}")
    expl.append(f"Channels become out_channels = {cout}: {fmt_shape(shape)}.")
    expected = Expected("shape", shape)

    def up(size: int, **change: int) -> int:
        a = {"s": s, "p": p, "op": op, **change}
        return (size - 1) * a["s"] - 2 * a["p"] + k + a["op"]

    mistakes = [
        Mistake(
            "kept-in-channels",
            "kept in_channels",
            (n, cin, *shape[2:]),
            f"You kept in_channels = {cin}; the output has out_channels = {cout} channels.",
        ),
        Mistake(
            "used-conv-formula",
            "used the Conv2d formula",
            (n, cout, conv_size(h, k, s, p), conv_size(w, k, s, p)),
            "That is what a Conv2d would give; the transposed convolution inverts it: "
            "(in − 1)·s − 2·p + k + output_padding.",
        ),
        Mistake(
            "ignored-output-padding",
            "ignored output_padding",
            (n, cout, up(h, op=0), up(w, op=0)),
            f"output_padding={op} adds {op} to each side length at the end.",
        ),
        Mistake(
            "added-padding",
            "added the padding",
            (n, cout, up(h) + 4 * p, up(w) + 4 * p),
            f"In a transposed convolution padding={p} removes 2·{p} from each size, it does not "
            "add.",
        ),
    ]
    return shape_question(
        level,
        params={
            "N": n,
            "C_in": cin,
            "H": h,
            "W": w,
            "C_out": cout,
            "k": k,
            "s": s,
            "p": p,
            "output_padding": op,
        },
        form="(N, C, H, W)",
        code=code,
        expected=expected,
        explanation=expl,
        mistakes=mistakes,
        hints=(
            "ConvTranspose2d output: (N, out_channels, …) with each side "
            "(in − 1)·stride − 2·padding + k + output_padding (dilation 1).",
            f"H = ({h} − 1)·{s} − 2·{p} + {k} + {op}, W = ({w} − 1)·{s} − 2·{p} + {k} + {op}; "
            f"channels = {cout}.",
        ),
    )
