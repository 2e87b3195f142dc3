"""ResNet questions: residual blocks and the stage shapes of ResNet-50.

The blocks are written once, as the source text shown to the learner; generators run that
same text (exec'd once, with a BatchNorm2d that is fast on meta) so the question, its answer
and its proof cannot drift apart.
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
from dlquiz.questions.layers import (
    PRINT_SHAPE,
    fast_batchnorm2d,
    fast_linear,
    proof,
)

if TYPE_CHECKING:
    import numpy as np
    import torch
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
