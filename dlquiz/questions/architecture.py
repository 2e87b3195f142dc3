"""Architecture questions: Linear and BatchNorm sizes, small Sequential CNNs, ResNet blocks and
the stage shapes of ResNet-50.

The ResNet blocks are written once, as the source text shown to the learner; generators run
that same text (exec'd once, with a BatchNorm2d that is fast on meta) so the question, its
answer and its proof cannot drift apart.
"""

from __future__ import annotations

import types
from typing import TYPE_CHECKING, Any

from dlquiz.questions.base import Expected, Question, family
from dlquiz.questions.common import (
    INT_FORM,
    fmt_shape,
    param_count,
    pick,
    randint,
    shape_form,
    shape_of,
    shuffled,
    thousands,
)
from dlquiz.questions.convolution import (
    PRINT_SHAPE,
    STACK_RULE,
    Spec,
    build_sequential,
    conv,
    conv_block,
    fast_batchnorm2d,
    fast_linear,
    proof,
    render_layer,
    sequential_code,
    trace,
    trace_lines,
)

if TYPE_CHECKING:
    import numpy as np
    from torch import nn

_CACHE: dict[str, Any] = {}

BASIC_BLOCK_SRC = """\
class BasicBlock(nn.Module):
    def __init__(self, c_in, c_out, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.relu = nn.ReLU(inplace=True)
        self.shortcut = nn.Identity()
        if stride != 1 or c_in != c_out:  # projection: make x the same shape as out
            self.shortcut = nn.Sequential(
                nn.Conv2d(c_in, c_out, 1, stride=stride, bias=False), nn.BatchNorm2d(c_out)
            )

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        out += self.shortcut(x)
        return self.relu(out)
"""

BOTTLENECK_INIT_SRC = """\
class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, c_in, width, stride=1):
        super().__init__()
        c_out = width * self.expansion
        self.conv1 = nn.Conv2d(c_in, width, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, 3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = nn.Conv2d(width, c_out, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(c_out)
        self.relu = nn.ReLU(inplace=True)
        self.shortcut = nn.Identity()
        if stride != 1 or c_in != c_out:
            self.shortcut = nn.Sequential(
                nn.Conv2d(c_in, c_out, 1, stride=stride, bias=False), nn.BatchNorm2d(c_out)
            )
"""

BOTTLENECK_SRC = (
    BOTTLENECK_INIT_SRC
    + """
    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        out += self.shortcut(x)
        return self.relu(out)
"""
)

RESNET50_SRC = """\
def make_layer(c_in, width, blocks, stride):
    layers = [Bottleneck(c_in, width, stride)]
    layers += [Bottleneck(width * 4, width) for _ in range(blocks - 1)]
    return nn.Sequential(*layers)


def resnet50_stages():
    return nn.ModuleDict({
        "conv1": nn.Sequential(
            nn.Conv2d(3, 64, 7, stride=2, padding=3, bias=False),
            nn.BatchNorm2d(64),
            nn.ReLU(inplace=True),
        ),
        "maxpool": nn.MaxPool2d(3, stride=2, padding=1),
        "layer1": make_layer(64, 64, 3, stride=1),
        "layer2": make_layer(256, 128, 4, stride=2),
        "layer3": make_layer(512, 256, 6, stride=2),
        "layer4": make_layer(1024, 512, 3, stride=2),
        "avgpool": nn.AdaptiveAvgPool2d(1),
        "fc": nn.Linear(2048, 1000),  # after torch.flatten(x, 1)
    })
"""

RESNET50_LAYOUT = """\
# ResNet-50, torchvision layout. Bottleneck(width): 1×1 → 3×3 → 1×1 convs, out = 4·width;
# a stage's stride sits in the 3×3 conv of its first block.
conv1   = nn.Conv2d(3, 64, 7, stride=2, padding=3, bias=False)  # then BN + ReLU
maxpool = nn.MaxPool2d(3, stride=2, padding=1)
layer1  = 3 × Bottleneck(width=64),  stride 1
layer2  = 4 × Bottleneck(width=128), stride 2
layer3  = 6 × Bottleneck(width=256), stride 2
layer4  = 3 × Bottleneck(width=512), stride 2
avgpool = nn.AdaptiveAvgPool2d(1)
fc      = nn.Linear(2048, 1000)  # applied after torch.flatten(x, 1)"""

STAGES = ("conv1", "maxpool", "layer1", "layer2", "layer3", "layer4", "avgpool", "fc")


def _namespace() -> dict[str, Any]:
    """The block sources exec'd once against torch, with BatchNorm2d and Linear swapped for the
    variants that skip torch's slow meta kernels (same parameters and buffers, same shapes)."""
    if "ns" not in _CACHE:
        import torch
        from torch import nn

        fast_nn = types.ModuleType("nn")
        fast_nn.__dict__.update(vars(nn))
        fast_nn.BatchNorm2d = fast_batchnorm2d()  # type: ignore[attr-defined]
        fast_nn.Linear = fast_linear()  # type: ignore[attr-defined]
        ns: dict[str, Any] = {"torch": torch, "nn": fast_nn}
        exec(BASIC_BLOCK_SRC + "\n" + BOTTLENECK_SRC + "\n" + RESNET50_SRC, ns)
        _CACHE["ns"] = ns
    return _CACHE["ns"]


def _meta(factory: str, *args: int) -> nn.Module:
    import torch

    with torch.device("meta"):
        return _namespace()[factory](*args)


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
    return Question(
        family="linear-params",
        level=level,
        params={"in": fin, "out": fout, "bias": bias},
        prompt=f"How many learnable parameters does fc have? {INT_FORM}",
        code=code,
        expected=Expected("int", total),
        explanation="\n".join(expl),
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
    return Question(
        family="batchnorm2d",
        level=level,
        params=params,
        prompt=prompt,
        code=code,
        expected=expected,
        explanation="\n".join(expl),
        proof=proof(code, last),
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


def _cnn(rng: np.random.Generator, level: int, *, shape_q: bool) -> tuple[list[Spec], tuple]:
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


def shape_of_flat(specs: list[Spec], start: tuple) -> int:
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
    shapes = trace(model[:cut], start)
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
    return Question(
        family="sequential-shape",
        level=level,
        params={"input": list(start), "layers": specs, "cut": cut},
        prompt=prompt,
        code=code,
        expected=Expected("shape", shape),
        explanation="\n".join(expl),
        proof=proof(code, PRINT_SHAPE),
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
    return Question(
        family="sequential-params",
        level=level,
        params={"input": list(start), "layers": specs, "frozen": [0] if frozen else []},
        prompt=f"How many trainable parameters does model have? {INT_FORM}",
        code=code,
        expected=Expected("int", total),
        explanation="\n".join(expl),
        proof=proof(code, "print(sum(p.numel() for p in model.parameters() if p.requires_grad))"),
    )


# ---------------------------------------------------------------- resnet-block


def _shortcut_choices(cin: int, cout: int) -> tuple[str, str, str]:
    conv1x1 = "nn.Conv2d({}, {}, 1, stride={}, bias=False) + BatchNorm2d"
    return ("nn.Identity()", conv1x1.format(cin, cout, 1), conv1x1.format(cin, cout, 2))


def _shortcut_proof(cin: int, cout: int, s: int, n: int, h: int, w: int) -> tuple[str, str]:
    code = (
        f"conv1 = nn.Conv2d({cin}, {cout}, 3, stride={s}, padding=1, bias=False)"
        "  # then BN, ReLU\n"
        f"conv2 = nn.Conv2d({cout}, {cout}, 3, padding=1, bias=False)  # then BN\n"
        f"x = torch.randn({n}, {cin}, {h}, {w})\n"
        "out = bn2(conv2(relu(bn1(conv1(x)))))\n"
        "y = relu(out + shortcut(x))"
    )
    body = (
        f"x = torch.randn({n}, {cin}, {h}, {w})\n"
        "main = nn.Sequential(\n"
        f"    nn.Conv2d({cin}, {cout}, 3, stride={s}, padding=1, bias=False),\n"
        f"    nn.BatchNorm2d({cout}),\n"
        "    nn.ReLU(),\n"
        f"    nn.Conv2d({cout}, {cout}, 3, padding=1, bias=False),\n"
        f"    nn.BatchNorm2d({cout}),\n"
        ")\n"
        "out = main(x)\n"
        "# ResNet keeps the identity whenever it fits, else the projection that matches.\n"
        "options = {\n"
        '    "nn.Identity()": nn.Identity(),\n'
    )
    for stride in (1, 2):
        body += (
            f'    "nn.Conv2d({cin}, {cout}, 1, stride={stride}, bias=False) + BatchNorm2d": '
            f"nn.Sequential(\n        nn.Conv2d({cin}, {cout}, 1, stride={stride}, bias=False),"
            f" nn.BatchNorm2d({cout})\n    ),\n"
        )
    body += "}\nfits = [text for text, sc in options.items() if sc(x).shape == out.shape]"
    return code, proof(body, "print(fits[0])")


@family(
    "resnet-block",
    title="ResNet basic and bottleneck blocks",
    topic="architecture",
    terms=("residual-network", "batch-normalization", "relu", "stride"),
    levels={
        1: "basic block with an identity shortcut: output shape",
        2: "stride 2 or more channels: projection shortcut and output shape",
        3: "bottleneck block (1×1-3×3-1×1, expansion 4): parameter count",
    },
)
def resnet_block(rng: np.random.Generator, level: int) -> Question:
    import torch
    from torch import nn

    n = pick(rng, (1, 2, 4))
    cin = pick(rng, (16, 32, 64))
    h, w = randint(rng, 7, 32), pick(rng, (None, randint(rng, 7, 32)))
    w = h if w is None else w
    if level == 3:
        width = pick(rng, (4, 8, 16, 32, 64, 128, 256))
        cin = pick(rng, (4 * width, 4 * width, 2 * width, width))
        s = pick(rng, (1, 1, 2)) if cin == 4 * width else pick(rng, (1, 2))
        block = _meta("Bottleneck", cin, width, s)
        total = param_count(block)
        call = f"block = Bottleneck({cin}, {width}{', stride=2' if s == 2 else ''})"
        code = BOTTLENECK_INIT_SRC + "\n\n" + call
        parts = {name: param_count(getattr(block, name)) for name in ("conv1", "conv2", "conv3")}
        bns = sum(param_count(getattr(block, f"bn{i}")) for i in (1, 2, 3))
        short = param_count(block.shortcut)
        out = 4 * width
        expl = [
            f"conv1 1×1: {cin}·{width} = {thousands(parts['conv1'])}; "
            f"conv2 3×3: {width}·{width}·9 = {thousands(parts['conv2'])}; "
            f"conv3 1×1: {width}·{out} = {thousands(parts['conv3'])}",
            f"BN γ and β: 2·({width} + {width} + {out}) = {thousands(bns)}",
            (
                f"shortcut: 1×1 conv {cin}·{out} + BN 2·{out} = {thousands(short)}"
                f" (needed because {'stride is 2' if s == 2 else f'{cin} ≠ {out} channels'})"
                if short
                else f"shortcut: identity ({cin} = 4·{width} channels, stride 1), no parameters"
            ),
            f"total = {thousands(total)}",
        ]
        return Question(
            family="resnet-block",
            level=level,
            params={"kind": "bottleneck", "C_in": cin, "width": width, "stride": s},
            prompt=(
                "How many learnable parameters does block have (BatchNorm γ and β included, "
                f"running statistics not)? {INT_FORM}"
            ),
            code=code,
            expected=Expected("int", total),
            explanation="\n".join(expl),
            proof=proof(
                BOTTLENECK_SRC + "\n\n" + call,
                "print(sum(p.numel() for p in block.parameters()))",
            ),
        )

    if level == 1:
        cout, s = cin, 1
    else:
        cout, s = pick(rng, ((cin, 2), (2 * cin, 2), (2 * cin, 1), (2 * cin, 2)))
    x = torch.empty(n, cin, h, w, device="meta")
    params: dict[str, Any] = {
        "kind": "basic",
        "N": n,
        "C_in": cin,
        "C_out": cout,
        "H": h,
        "W": w,
        "stride": s,
    }

    if level == 2 and pick(rng, (True, False)):
        # Which shortcut? Offer all three every time (with stride 1 and equal channels too)
        # so the answer is not given away by which options appear.
        cout, s = pick(rng, ((cin, 1), (cin, 2), (2 * cin, 1), (2 * cin, 2)))
        params.update(C_out=cout, stride=s, question="shortcut")
        bn = fast_batchnorm2d()
        with torch.device("meta"):
            main = nn.Sequential(
                nn.Conv2d(cin, cout, 3, stride=s, padding=1, bias=False),
                bn(cout),
                nn.ReLU(inplace=True),
                nn.Conv2d(cout, cout, 3, padding=1, bias=False),
                bn(cout),
            )
            candidates = [
                nn.Identity(),
                nn.Conv2d(cin, cout, 1, stride=1, bias=False),
                nn.Conv2d(cin, cout, 1, stride=2, bias=False),
            ]
        out_shape = shape_of(main(x))
        texts = _shortcut_choices(cin, cout)
        fits = [t for t, c in zip(texts, candidates, strict=True) if shape_of(c(x)) == out_shape]
        choices = tuple(shuffled(rng, texts))
        code, proof_src = _shortcut_proof(cin, cout, s, n, h, w)
        reasons = []
        if s != 1:
            reasons.append(f"stride {s} shrinks {h}×{w} to {out_shape[2]}×{out_shape[3]}")
        if cout != cin:
            reasons.append(f"channels go from {cin} to {cout}")
        expl = [
            f"The main path turns {fmt_shape(x.shape)} into {fmt_shape(out_shape)}.",
            (
                "The shortcut must produce that same shape: " + " and ".join(reasons) + ", so a "
                "1×1 conv with the block's stride projects x (followed by BN)."
                if reasons
                else "The shapes already match, so ResNet uses the plain identity (no weights)."
            ),
            f"Answer: {fits[0]}",
        ]
        return Question(
            family="resnet-block",
            level=level,
            params=params,
            prompt=(
                "This basic block still needs its shortcut. Which shortcut does ResNet use so "
                "that out + shortcut(x) works?"
            ),
            code=code,
            expected=Expected("choice", choices.index(fits[0]), choices=choices),
            explanation="\n".join(expl),
            proof=proof_src,
        )

    params["question"] = "shape"
    block = _meta("BasicBlock", cin, cout, s)
    shape = shape_of(block(x))
    call = f"block = BasicBlock({cin}, {cout}{', stride=2' if s == 2 else ''})"
    code = BASIC_BLOCK_SRC + "\n\n" + f"{call}\nx = torch.randn({n}, {cin}, {h}, {w})\ny = block(x)"
    if s == 1 and cout == cin:
        expl = [
            "Both 3×3 convs use stride 1 and padding 1, so H and W are kept, and the channels"
            f" stay {cin}.",
            "The identity shortcut adds x itself, which only works because the shapes match.",
        ]
    else:
        expl = [
            f"conv1 (3×3, stride {s}, padding 1): ⌊({h} + 2 − 3)/{s}⌋ + 1 = {shape[2]}, "
            f"⌊({w} + 2 − 3)/{s}⌋ + 1 = {shape[3]}; channels {cin} → {cout}",
            "conv2 (3×3, stride 1, padding 1) keeps that shape.",
            "The shapes differ from x, so the shortcut is the 1×1 projection with the same stride.",
        ]
    expl.append(f"y: {fmt_shape(shape)}")
    return Question(
        family="resnet-block",
        level=level,
        params=params,
        prompt=f"What is the shape of y? {shape_form('(N, C, H, W)')}",
        code=code,
        expected=Expected("shape", shape),
        explanation="\n".join(expl),
        proof=proof(code, PRINT_SHAPE),
    )


# ---------------------------------------------------------------- resnet50-stage


def _resnet50_shape(n: int, h: int, w: int, stage: str) -> tuple[int, ...]:
    """Output shape of ``stage`` for an (n, 3, h, w) input, by running the meta ResNet-50.

    A full meta pass costs ~3 ms, so the model is built once and each input's pass is cached
    and only run as far as a question needs (resuming from the last stage reached).
    """
    import torch

    if "r50" not in _CACHE:
        _CACHE["r50"] = _meta("resnet50_stages").eval()
        _CACHE["r50_runs"] = {}
    runs: dict[tuple[int, int, int], tuple[dict[str, tuple[int, ...]], torch.Tensor]]
    runs = _CACHE["r50_runs"]
    shapes, x = runs.get((n, h, w)) or ({}, torch.empty(n, 3, h, w, device="meta"))
    if stage not in shapes:
        with torch.no_grad():  # no autograd bookkeeping: shapes only
            for name in STAGES[len(shapes) : STAGES.index(stage) + 1]:
                if name == "fc":
                    x = torch.flatten(x, 1)
                x = _CACHE["r50"][name](x)
                shapes[name] = shape_of(x)
        runs[(n, h, w)] = (shapes, x)
    return shapes[stage]


@family(
    "resnet50-stage",
    title="ResNet-50 stage output shapes",
    topic="architecture",
    terms=("residual-network", "global-average-pooling", "stride", "feature-map"),
    levels={
        1: "224×224 input, conv1 to layer4",
        2: "any input size divisible by 32, every stage including avgpool and fc",
    },
)
def resnet50_stage(rng: np.random.Generator, level: int) -> Question:
    n = pick(rng, (1, 2, 4, 8, 16, 32))
    if level == 1:
        h = w = 224
        stage = pick(rng, STAGES[:6])
    else:
        h = 32 * randint(rng, 2, 16)
        w = pick(rng, (h, 32 * randint(rng, 2, 16)))
        stage = pick(rng, STAGES)
    shapes = {name: _resnet50_shape(n, h, w, name) for name in STAGES[: STAGES.index(stage) + 1]}
    shape = shapes[stage]

    code = RESNET50_LAYOUT + f"\nx = torch.randn({n}, 3, {h}, {w})"
    steps = []
    for name in STAGES[: STAGES.index(stage) + 1]:
        steps.append(f"{name} {fmt_shape(shapes[name][1:])}")
    expl = [
        "conv1, maxpool and the first block of layer2–4 each halve H and W (÷32 by layer4);"
        " a stage's channels are 4 × its width.",
        f"(3, {h}, {w}) → " + " → ".join(steps[:4]),
    ]
    if steps[4:]:
        expl.append("→ " + " → ".join(steps[4:]))
    expl.append(f"With the batch: {fmt_shape(shape)}.")
    proof_src = (
        BOTTLENECK_SRC
        + "\n\n"
        + RESNET50_SRC
        + "\n\n"
        + 'with torch.device("meta"):  # shapes only: nothing is allocated or computed\n'
        + "    stages = resnet50_stages()\n"
        + f'x = torch.empty({n}, 3, {h}, {w}, device="meta")\n'
        + "for name, stage in stages.items():\n"
        + '    if name == "fc":\n'
        + "        x = torch.flatten(x, 1)\n"
        + "    x = stage(x)\n"
        + f'    if name == "{stage}":\n'
        + "        break\n"
        + "y = x"
    )
    return Question(
        family="resnet50-stage",
        level=level,
        params={"N": n, "H": h, "W": w, "stage": stage},
        prompt=(
            f"x goes through ResNet-50 (layout below). What is the shape of the output of "
            f"{stage}? {shape_form('(N, C, H, W) or (N, D)')}"
        ),
        code=code,
        expected=Expected("shape", shape),
        explanation="\n".join(expl),
        proof=proof(proof_src, PRINT_SHAPE),
    )
