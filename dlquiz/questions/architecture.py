"""Architecture questions: Linear and BatchNorm2d sizes and small Sequential CNNs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dlquiz.questions.base import (
    Expected,
    Mistake,
    Question,
    family,
    keep_mistakes,
)
from dlquiz.questions.common import (
    INT_FORM,
    fmt_shape,
    param_count,
    pick,
    randint,
    shape_form,
    shuffled,
    thousands,
)
from dlquiz.questions.layers import (
    PRINT_SHAPE,
    STACK_RULE,
    Spec,
    build_sequential,
    conv,
    conv_block,
    proof,
    render_layer,
    sequential_code,
    stack_shape,
    trace,
    trace_lines,
)

if TYPE_CHECKING:
    import numpy as np


# ---------------------------------------------------------------- linear-params


@family(
    "linear-params",
    title="nn.Linear parameter count",
    topic="architecture",
    terms=("dense-layer", "fully-connected-layer", "bias"),
    levels={1: "small layer with bias", 2: "realistic sizes, bias on or off"},
)
def linear_params(rng: np.random.Generator, level: int) -> Question:
    from torch import nn

    if level == 1:
        fin, fout, bias = randint(rng, 2, 20), randint(rng, 1, 10), True
    else:
        fin = pick(rng, (64, 128, 256, 512, 784, 1024, 2048, 4096))
        fout = pick(rng, (10, 100, 128, 256, 512, 1000))
        bias = pick(rng, (True, False))
    layer = nn.Linear(fin, fout, bias=bias, device="meta")
    total = param_count(layer)

    code = f"fc = nn.Linear({fin}, {fout}{'' if bias else ', bias=False'})"
    expl = [
        "Every output unit has one weight per input, plus its own bias.",
        f"weight: out × in = {fout} × {fin} = {thousands(layer.weight.numel())}",
        f"bias: {fout}" if bias else "bias=False: no bias vector",
        f"total = {thousands(total)}",
    ]
    expected = Expected("int", total)
    mistakes = [
        Mistake(
            "forgot-bias",
            "forgot the bias",
            fin * fout,
            f"You counted only the weights; each of the {fout} outputs also has a bias (+{fout}).",
        ),
        Mistake(
            "counted-bias",
            "counted a bias that is off",
            fin * fout + fout,
            f"bias=False: there is no bias vector, so the {fout} you added are not there.",
        ),
        Mistake(
            "bias-per-input",
            "one bias per input",
            fin * fout + fin,
            f"The bias belongs to the outputs: {fout} of them, not {fin}.",
        ),
        Mistake(
            "added-sizes",
            "added in and out",
            fin + fout + (fout if bias else 0),
            f"Every output connects to every input: {fout} × {fin} weights, not {fin} + {fout}.",
        ),
    ]
    if not bias:
        mistakes = mistakes[1:]
    return Question(
        level=level,
        params={"in": fin, "out": fout, "bias": bias},
        prompt=f"How many learnable parameters does fc have? {INT_FORM}",
        code=code,
        expected=expected,
        explanation="\n".join(expl),
        mistakes=keep_mistakes(expected, mistakes),
        hints=(
            "nn.Linear(in, out) has an out × in weight matrix plus out biases (unless bias=False).",
            f"{fout} × {fin}" + (f" + {fout}" if bias else " (no bias)"),
        ),
        proof=proof(code, "print(sum(p.numel() for p in fc.parameters()))"),
    )


# ---------------------------------------------------------------- batchnorm2d


def _bn_code(c: int, affine: bool, track: bool) -> str:
    flags = ("" if affine else ", affine=False") + ("" if track else ", track_running_stats=False")
    return f"bn = nn.BatchNorm2d({c}{flags})"


def _bn_counts_text(p: int, b: int) -> str:
    return f"{thousands(p)} learnable parameters, {thousands(b)} buffer elements"


@family(
    "batchnorm2d",
    title="BatchNorm2d parameters and buffers",
    topic="architecture",
    terms=("batch-normalization",),
    levels={
        1: "learnable parameters",
        2: "buffers: running statistics and the batch counter",
        3: "affine and track_running_stats switched on or off",
    },
)
def batchnorm2d(rng: np.random.Generator, level: int) -> Question:
    from torch import nn

    c = pick(rng, (3, 8, 16, 32, 64, 128, 256, 512) if level > 1 else (3, 4, 8, 16, 32, 64))
    affine = track = True
    if level == 3:
        affine, track = pick(rng, (True, False)), pick(rng, (True, False))
    bn = nn.BatchNorm2d(c, affine=affine, track_running_stats=track)
    n_params = param_count(bn)
    n_buffers = int(sum(b.numel() for b in bn.buffers()))  # unset (None) buffers are skipped
    code = _bn_code(c, affine, track)
    params: dict[str, Any] = {"C": c, "affine": affine, "track_running_stats": track}

    if level == 1:
        prompt = f"How many learnable parameters does bn have? {INT_FORM}"
        expected = Expected("int", n_params)
        last = "print(sum(p.numel() for p in bn.parameters()))"
        expl = [
            "BatchNorm learns a scale γ (weight) and a shift β (bias) for every channel.",
            f"2 × C = 2 × {c} = {n_params}",
        ]
        mistakes = [
            Mistake("only-gamma", "counted only γ", c, f"β is learned too: γ and β, {c} each."),
            Mistake(
                "counted-running-stats",
                "counted the running statistics",
                4 * c,
                "running_mean and running_var are buffers (saved, not trained), not parameters.",
            ),
        ]
        hint2 = f"γ and β: 2 × {c}"
    elif level == 2:
        prompt = (
            "How many elements do bn's buffers hold in total (count the batch counter as one "
            f"element)? {INT_FORM}"
        )
        expected = Expected("int", n_buffers)
        last = "print(sum(b.numel() for b in bn.buffers()))"
        expl = [
            "Buffers are state that is saved but not trained: running_mean and running_var"
            f" ({c} each, used in eval mode) and the scalar num_batches_tracked.",
            f"{c} + {c} + 1 = {n_buffers}",
        ]
        mistakes = [
            Mistake(
                "forgot-batch-counter",
                "forgot num_batches_tracked",
                2 * c,
                "num_batches_tracked is a buffer too: one more element.",
            ),
            Mistake(
                "counted-parameters",
                "counted γ and β as buffers",
                4 * c + 1,
                f"γ and β ({2 * c} elements) are learnable parameters, not buffers.",
            ),
            Mistake(
                "one-statistic",
                "kept one statistic",
                c + 1,
                "Both the running mean and the running variance are kept, one per channel each.",
            ),
        ]
        hint2 = f"running_mean ({c}) + running_var ({c}) + num_batches_tracked (1)"
    else:
        options = [(p, b) for p in (2 * c, 0) for b in (2 * c + 1, 0)]  # every flag combination
        choices = tuple(_bn_counts_text(p, b) for p, b in shuffled(rng, options))
        actual = _bn_counts_text(n_params, n_buffers)
        prompt = "How much state does bn keep? Pick one."
        expected = Expected("choice", choices.index(actual), choices=choices)
        last = (
            "p = sum(t.numel() for t in bn.parameters())\n"
            "b = sum(t.numel() for t in bn.buffers())\n"
            'print(f"{p:,} learnable parameters, {b:,} buffer elements")'
        )
        expl = [
            f"affine={affine}: "
            + (f"γ and β, 2 × {c} = {2 * c} parameters" if affine else "no γ or β, 0 parameters"),
            f"track_running_stats={track}: "
            + (
                f"running_mean + running_var + num_batches_tracked = {2 * c + 1} elements"
                if track
                else "no running statistics (batch statistics are used even in eval), 0 buffers"
            ),
            f"So: {actual}.",
        ]
        flip_p = 0 if affine else 2 * c
        flip_b = 0 if track else 2 * c + 1
        mistakes = [
            Mistake(
                "ignored-affine",
                "misread affine",
                choices.index(_bn_counts_text(flip_p, n_buffers)),
                f"affine={affine}: "
                + (f"γ and β are learned, 2 × {c} parameters." if affine else "no γ or β at all."),
            ),
            Mistake(
                "ignored-track-running-stats",
                "misread track_running_stats",
                choices.index(_bn_counts_text(n_params, flip_b)),
                f"track_running_stats={track}: "
                + (
                    f"running_mean, running_var and the batch counter, {2 * c + 1} elements."
                    if track
                    else "no running statistics are kept, so no buffers."
                ),
            ),
        ]
        hint2 = f"affine={affine}, track_running_stats={track}, C = {c}"
    return Question(
        level=level,
        params=params,
        prompt=prompt,
        code=code,
        expected=expected,
        explanation="\n".join(expl),
        proof=proof(code, last),
        mistakes=keep_mistakes(expected, mistakes),
        hints=(
            "BatchNorm2d(C): learnable γ and β (C each) when affine=True; buffers running_mean and "
            "running_var (C each) plus num_batches_tracked (1) when track_running_stats=True.",
            hint2,
        ),
    )


# ---------------------------------------------------------------- sequential-shape / -params


def _head(rng: np.random.Generator, feat: int, level: int) -> list[Spec]:
    """Flatten → Linear(feat, hidden) → ReLU → Linear(hidden, classes)."""
    hidden, classes = pick(rng, (32, 64, 128, 256)), pick(rng, (2, 5, 10, 100))
    bias = level < 3 or pick(rng, (True, False))
    return [
        {"op": "linear", "in": feat, "out": hidden, "bias": bias},
        {"op": "relu"},
        {"op": "linear", "in": hidden, "out": classes, "bias": True},
    ]


def _cnn(
    rng: np.random.Generator, level: int, *, shape_q: bool
) -> tuple[list[Spec], tuple[int, ...]]:
    """A small CNN as layer specs plus its input shape; Linear sizes come from a torch run."""
    n, cin = pick(rng, (1, 4, 8, 16, 32)), pick(rng, (1, 3))
    c1 = pick(rng, (4, 8, 16, 32))
    if level == 1 and shape_q:
        h, w = 2 * randint(rng, 4, 32), 2 * randint(rng, 4, 32)
        return conv_block(rng, cin, c1, kernels=(3, 5), same_pad=True), (n, cin, h, w)
    if level == 1:
        h, w = randint(rng, 2, 6), randint(rng, 2, 6)
        k = pick(rng, (1, 3))
        specs = [conv(cin, c1, k, 1, k // 2), {"op": "relu"}, {"op": "flatten"}]
        out = randint(rng, 2, 10)
        feat = shape_of_flat(specs, (n, cin, h, w))
        return [*specs, {"op": "linear", "in": feat, "out": out, "bias": True}], (n, cin, h, w)
    if level == 2:
        h = w = randint(rng, 20, 64) if shape_q else pick(rng, (16, 20, 24, 28, 32))
        specs = conv_block(rng, cin, c1, kernels=(3, 5))
        specs += conv_block(rng, c1, 2 * c1, kernels=(3, 5))
        specs.append({"op": "flatten"})
        if shape_q:
            return specs, (n, cin, h, w)
    else:
        h, w = randint(rng, 32, 96), randint(rng, 32, 96)
        specs = conv_block(
            rng,
            cin,
            c1,
            kernels=(3, 5, 7),
            strides=(1, 2),
            same_pad=True,
            pools=((2, 2), (3, 2)),
            bn=not shape_q,
        )
        specs += conv_block(rng, c1, 2 * c1, kernels=(3,), bn=not shape_q)
        specs.append({"op": "flatten"})
    feat = shape_of_flat(specs, (n, cin, h, w))
    return specs + _head(rng, feat, level), (n, cin, h, w)


def shape_of_flat(specs: list[Spec], start: tuple[int, ...]) -> int:
    """Features per sample after ``specs`` (ending in Flatten), as torch computes it."""
    return trace(build_sequential(specs), start)[-1][1]


@family(
    "sequential-shape",
    title="Output shape of a small nn.Sequential CNN",
    topic="architecture",
    terms=(
        "convolutional-neural-network",
        "activation-function",
        "relu",
        "max-pooling",
        "fully-connected-layer",
    ),
    levels={
        1: "one conv → ReLU → pool block",
        2: "two blocks and a Flatten",
        3: "strided blocks and an MLP head, output of a slice model[:i]",
    },
)
def sequential_shape(rng: np.random.Generator, level: int) -> Question:
    specs, start = _cnn(rng, level, shape_q=True)
    model = build_sequential(specs)
    if level == 3:
        cuts = [
            i + 1
            for i, s in enumerate(specs[:-1])
            if s["op"] in ("conv", "maxpool", "flatten", "linear")
        ]
        cut = pick(rng, cuts)
        target, call = f"model[:{cut}](x)", f"y = model[:{cut}](x)"
    else:
        cut = len(specs)
        target, call = "y = model(x)", "y = model(x)"
    shapes = trace(model if cut == len(specs) else build_sequential(specs[:cut]), start)
    shape = shapes[-1]

    code = sequential_code("model", specs) + f"\nx = torch.randn{fmt_shape(start)}\n{call}"
    if level == 3:
        prompt = (
            f"What is the shape of {target}, the output of the first {cut} layers? "
            + shape_form("(N, C, H, W) or (N, D)")
        )
    else:
        prompt = "What is the shape of y? " + shape_form("(N, C, H, W) or (N, D)")
    expl = [
        STACK_RULE,
        trace_lines(specs[:cut], shapes, start),
        f"With the batch of {start[0]} in front: {fmt_shape(shape)}.",
    ]
    if any(s["op"] == "linear" for s in specs[:cut]):
        expl.insert(1, "Linear(in, out) turns (N, in) into (N, out).")
    expected = Expected("shape", shape)
    mistakes = [
        Mistake(
            "ignored-padding",
            "ignored the padding",
            stack_shape(specs[:cut], start, padding=False),
            "A padded conv keeps its map larger: padding=p adds 2·p to each side length first.",
        ),
        Mistake(
            "skipped-pools",
            "skipped the pooling",
            stack_shape(specs[:cut], start, pools=False),
            "Each MaxPool2d(k, s) shrinks H and W: ⌊(n − k)/s⌋ + 1.",
        ),
        Mistake(
            "dropped-batch",
            "dropped the batch",
            shape[1:],
            f"The batch axis stays in front: N = {start[0]}.",
        ),
    ]
    return Question(
        level=level,
        params={"input": list(start), "layers": specs, "cut": cut},
        prompt=prompt,
        code=code,
        expected=expected,
        explanation="\n".join(expl),
        proof=proof(code, PRINT_SHAPE),
        mistakes=keep_mistakes(expected, mistakes),
        hints=(
            STACK_RULE + " Linear(in, out) maps (N, in) to (N, out).",
            f"Start from {fmt_shape(start)} and apply the {cut} layers one by one.",
        ),
    )


def _layer_count_text(spec: Spec, count: int) -> str | None:
    op = spec["op"]
    if op == "conv":
        k = spec["k"]
        bias = f" + {spec['out']}" if spec["bias"] else ""
        return (
            f"{render_layer(spec)[3:]}: {spec['out']}·{spec['in']}·{k}·{k}{bias}"
            f" = {thousands(count)}"
        )
    if op == "linear":
        bias = f" + {spec['out']}" if spec["bias"] else ""
        return f"{render_layer(spec)[3:]}: {spec['out']}·{spec['in']}{bias} = {thousands(count)}"
    if op == "bn":
        return f"BatchNorm2d({spec['c']}): 2·{spec['c']} = {count} (running stats are buffers)"
    return None


def _count_terms(specs: list[Spec], frozen: bool) -> list[str]:
    """``16·3·3·3 + 16`` per layer with parameters, unevaluated (hint 2 must not be the answer)."""
    terms = []
    for i, spec in enumerate(specs):
        if frozen and i == 0:
            continue
        bias = f" + {spec['out']}" if spec.get("bias") else ""
        if spec["op"] == "conv":
            terms.append(f"({spec['out']}·{spec['in']}·{spec['k']}·{spec['k']}{bias})")
        elif spec["op"] == "linear":
            terms.append(f"({spec['out']}·{spec['in']}{bias})")
        elif spec["op"] == "bn":
            terms.append(f"2·{spec['c']}")
    return terms


@family(
    "sequential-params",
    title="Trainable parameters of a small nn.Sequential CNN",
    topic="architecture",
    terms=(
        "dense-layer",
        "fully-connected-layer",
        "bias",
        "weight-sharing",
        "parameter-sharing",
        "batch-normalization",
    ),
    levels={
        1: "one conv and one Linear on a tiny input",
        2: "two conv blocks and a two-layer head",
        3: "BatchNorm, bias=False and a frozen layer",
    },
)
def sequential_params(rng: np.random.Generator, level: int) -> Question:
    specs, start = _cnn(rng, level, shape_q=False)
    model = build_sequential(specs)
    frozen = level == 3 and pick(rng, (True, False))
    if frozen:
        model[0].requires_grad_(False)
    total = int(sum(p.numel() for p in model.parameters() if p.requires_grad))

    code = sequential_code("model", specs)
    if frozen:
        code += "\nmodel[0].requires_grad_(False)  # freeze the first conv"
    lines = []
    for i, (spec, layer) in enumerate(zip(specs, model, strict=True)):
        text = _layer_count_text(spec, param_count(layer))
        if text:
            lines.append(text + (" (frozen, not counted)" if frozen and i == 0 else ""))
    expl = [
        "A conv's weights are shared across positions, so only out·in·k·k (+ out biases) count;"
        " ReLU, pooling and Flatten have none."
    ]
    expl += ["; ".join(lines[i : i + 2]) for i in range(0, len(lines), 2)]
    expl.append(f"total trainable = {thousands(total)}")
    expected = Expected("int", total)
    counts = [param_count(layer) for layer in model]
    biases = sum(
        spec["out"]
        for i, spec in enumerate(specs)
        if spec["op"] in ("conv", "linear") and spec["bias"] and not (frozen and i == 0)
    )
    bn_c = sum(2 * spec["c"] for spec in specs if spec["op"] == "bn")
    conv_in = sum(
        spec["out"] * (spec["in"] - 1) * spec["k"] ** 2
        for i, spec in enumerate(specs)
        if spec["op"] == "conv" and not (frozen and i == 0)
    )
    mistakes = [
        Mistake(
            "forgot-biases",
            "forgot the biases",
            total - biases,
            f"Each conv and Linear with bias adds one bias per output: {biases} in all here.",
        ),
        Mistake(
            "counted-frozen",
            "counted the frozen layer",
            total + counts[0],
            f"model[0] is frozen (requires_grad False): its {counts[0]} parameters do not train.",
        ),
        Mistake(
            "counted-bn-buffers",
            "counted BatchNorm's running statistics",
            total + bn_c,
            "running_mean and running_var are buffers, not trainable parameters.",
        ),
        Mistake(
            "forgot-in-channels",
            "forgot the conv's input channels",
            total - conv_in,
            "A conv filter spans every input channel: out·in·k·k weights, not out·k·k.",
        ),
    ]
    if not frozen:
        mistakes = [m for m in mistakes if m.id != "counted-frozen"]
    if not bn_c:
        mistakes = [m for m in mistakes if m.id != "counted-bn-buffers"]
    return Question(
        level=level,
        params={"input": list(start), "layers": specs, "frozen": [0] if frozen else []},
        prompt=f"How many trainable parameters does model have? {INT_FORM}",
        code=code,
        expected=expected,
        explanation="\n".join(expl),
        mistakes=keep_mistakes(expected, mistakes),
        hints=(
            "Conv2d: out·in·k·k + out; Linear: out·in + out; BatchNorm2d: 2·C; ReLU, pooling and "
            "Flatten: 0. Frozen layers do not count.",
            "Layer by layer: " + " + ".join(_count_terms(specs, frozen)),
        ),
        proof=proof(code, "print(sum(p.numel() for p in model.parameters() if p.requires_grad))"),
    )
