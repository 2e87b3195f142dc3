"""ResNet questions: residual blocks and the stage shapes of ResNet-50.

The blocks are written once, as the source text shown to the learner; generators run that
same text (exec'd once, with a BatchNorm2d that is fast on meta) so the question, its answer
and its proof cannot drift apart.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dlquiz.questions.base import (
    Expected,
    Mistake,
    Question,
    family,
)
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
    conv_size,
    fast_batchnorm2d,
    proof,
    shape_question,
)
from dlquiz.questions.resnet_src import (
    BASIC_BLOCK_SRC,
    BOTTLENECK_INIT_SRC,
    BOTTLENECK_SRC,
    CACHE,
    RESNET50_LAYOUT,
    RESNET50_SRC,
    STAGES,
    meta_model,
)

if TYPE_CHECKING:
    import numpy as np
    import torch

# ---------------------------------------------------------------- resnet-block


def _shortcut_options(cin: int, cout: int, s: int) -> list[tuple[str, int, int]]:
    """(text, out channels, stride) of the three offered shortcuts; 0 channels = identity.

    Exactly one of them fits: when the identity fits (same channels, stride 1), a stride-1 1×1
    conv to the same channels would fit too, so that option widens the channels instead.
    """
    conv_out = 2 * cin if (cout, s) == (cin, 1) else cout
    return [
        ("nn.Identity()", 0, 1),
        (f"nn.Conv2d({cin}, {conv_out}, 1, stride=1, bias=False) + BatchNorm2d", conv_out, 1),
        (f"nn.Conv2d({cin}, {cout}, 1, stride=2, bias=False) + BatchNorm2d", cout, 2),
    ]


def _shortcut_proof(
    cin: int, cout: int, s: int, n: int, h: int, w: int, options: list[tuple[str, int, int]]
) -> tuple[str, str]:
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
        "# Exactly one offered shortcut gives the main path's shape.\n"
        "options = {\n"
        '    "nn.Identity()": nn.Identity(),\n'
    )
    for text, c, stride in options[1:]:
        body += (
            f'    "{text}": nn.Sequential(\n'
            f"        nn.Conv2d({cin}, {c}, 1, stride={stride}, bias=False), nn.BatchNorm2d({c})\n"
            "    ),\n"
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
        block = meta_model("Bottleneck", cin, width, s)
        total = param_count(block)
        call = f"block = Bottleneck({cin}, {width}{', stride=2' if s == 2 else ''})"
        code = BOTTLENECK_INIT_SRC + "\n\n" + call
        parts = {
            name: param_count(block.get_submodule(name)) for name in ("conv1", "conv2", "conv3")
        }
        bns = sum(param_count(block.get_submodule(f"bn{i}")) for i in (1, 2, 3))
        short = param_count(block.get_submodule("shortcut"))
        out = 4 * width
        reasons = [f"{cin} ≠ {out} channels"] if cin != out else []
        if s == 2:
            reasons.append("the stride is 2 (H and W halve)")
        expl = [
            f"conv1 1×1: {cin}·{width} = {thousands(parts['conv1'])}; "
            f"conv2 3×3: {width}·{width}·9 = {thousands(parts['conv2'])}; "
            f"conv3 1×1: {width}·{out} = {thousands(parts['conv3'])}",
            f"BN γ and β: 2·({width} + {width} + {out}) = {thousands(bns)}",
            (
                f"shortcut: 1×1 conv {cin}·{out} + BN 2·{out} = {thousands(short)}"
                f" (a projection because {' and '.join(reasons)})"
                if short
                else f"shortcut: identity ({cin} = 4·{width} channels, stride 1), no parameters"
            ),
            f"total = {thousands(total)}",
        ]
        expected = Expected("int", total)
        # Without the ×4 expansion: conv3 gives `width` channels, BN and shortcut follow suit.
        flat_short = cin * width + 2 * width if (cin != width or s == 2) else 0
        no_expansion = cin * width + 9 * width * width + width * width + 6 * width + flat_short
        mistakes = [
            Mistake(
                "forgot-batchnorm",
                "forgot BatchNorm's γ and β",
                total - bns - (2 * out if short else 0),
                f"Each BatchNorm2d learns γ and β per channel: 2·({width} + {width} + {out})"
                + (f" in the main path and 2·{out} in the shortcut." if short else "."),
            ),
            Mistake(
                "forgot-shortcut",
                "forgot the projection shortcut",
                total - short,
                f"The shortcut is a projection because {' and '.join(reasons) or 'of the shapes'}: "
                f"a 1×1 conv {cin}·{out} plus BN 2·{out}.",
            ),
            Mistake(
                "counted-identity",
                "gave the identity weights",
                total + cin * out + 2 * out,
                f"With {cin} = 4·{width} channels and stride 1 the shortcut is the identity: "
                "no parameters.",
            ),
            Mistake(
                "forgot-expansion",
                "forgot the ×4 expansion",
                no_expansion,
                f"conv3 expands to 4 × width = {out} channels, not {width}.",
            ),
        ]
        mistakes = [
            m for m in mistakes if m.id != ("counted-identity" if short else "forgot-shortcut")
        ]
        hint2 = (
            f"{cin}·{width} + {width}·{width}·9 + {width}·{out} + 2·({width} + {width} + {out})"
            + (f" + {cin}·{out} + 2·{out} (projection)" if short else " (identity shortcut)")
        )
        return Question(
            level=level,
            params={"kind": "bottleneck", "C_in": cin, "width": width, "stride": s},
            prompt=(
                "How many learnable parameters does block have (BatchNorm γ and β included, "
                f"running statistics not)? {INT_FORM}"
            ),
            code=code,
            expected=expected,
            explanation="\n".join(expl),
            proof=proof(
                BOTTLENECK_SRC + "\n\n" + call,
                "print(sum(p.numel() for p in block.parameters()))",
            ),
            mistakes=tuple(mistakes),
            hints=(
                "Bottleneck: 1×1 (C_in→w), 3×3 (w→w), 1×1 (w→4w), each conv bias-free and "
                "followed by BN (2 per channel); a 1×1 projection + BN shortcut when the shape "
                "changes.",
                hint2,
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
            options = _shortcut_options(cin, cout, s)
            candidates = [
                nn.Conv2d(cin, c, 1, stride=st, bias=False) if c else nn.Identity()
                for _, c, st in options
            ]
        out_shape = shape_of(main(x))
        texts = [text for text, _, _ in options]
        gives = {t: shape_of(c(x)) for t, c in zip(texts, candidates, strict=True)}
        fits = [t for t in texts if gives[t] == out_shape]
        choices = tuple(shuffled(rng, texts))
        code, proof_src = _shortcut_proof(cin, cout, s, n, h, w, options)
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
        expected = Expected("choice", choices.index(fits[0]), choices=choices)
        slugs = {
            texts[0]: "identity",
            texts[1]: "stride-1-projection",
            texts[2]: "stride-2-projection",
        }
        mistakes = [
            Mistake(
                f"{slugs[t]}-shortcut",
                "a shortcut of the wrong shape",
                choices.index(t),
                f"{t.split(' +')[0]} turns x into {fmt_shape(gives[t])}, but the main path gives "
                f"{fmt_shape(out_shape)}: the two cannot be added.",
            )
            for t in texts
            if t != fits[0]
        ]
        hint2 = (
            f"x is {fmt_shape(x.shape)}; conv1 has stride {s} and {cout} filters, so the main "
            f"path gives (N, {cout}, ⌊({h} + 2 − 3)/{s}⌋ + 1, ⌊({w} + 2 − 3)/{s}⌋ + 1)."
        )
        return Question(
            level=level,
            params=params,
            prompt=(
                "This basic block still needs its shortcut. Which of these makes out + shortcut(x) "
                "work? Pick one."
            ),
            code=code,
            expected=expected,
            explanation="\n".join(expl),
            proof=proof_src,
            mistakes=tuple(mistakes),
            hints=(
                "The shortcut must give exactly the main path's shape: the identity when nothing "
                "changes, else a 1×1 conv with the block's stride and output channels.",
                hint2,
            ),
        )

    params["question"] = "shape"
    block = meta_model("BasicBlock", cin, cout, s)
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
    expected = Expected("shape", shape)
    mistakes = [
        Mistake(
            "ignored-stride",
            "ignored the stride",
            (n, cout, h, w),
            f"conv1 has stride {s}: ⌊({h} + 2 − 3)/{s}⌋ + 1 = {shape[2]}.",
        ),
        Mistake(
            "halved-anyway",
            "halved H and W",
            (n, cout, conv_size(h, 3, 2, 1), conv_size(w, 3, 2, 1)),
            "This block has stride 1: both 3×3 convs with padding 1 keep H and W.",
        ),
        Mistake(
            "kept-in-channels",
            "kept the input channels",
            (n, cin, *shape[2:]),
            f"conv1 has {cout} filters: the block outputs {cout} channels.",
        ),
        Mistake(
            "ignored-padding",
            "ignored the padding",
            (n, cout, conv_size(conv_size(h, 3, s), 3), conv_size(conv_size(w, 3, s), 3)),
            "Both 3×3 convs use padding 1, which cancels the 2 pixels a 3×3 window loses.",
        ),
    ]
    return shape_question(
        level,
        params=params,
        form="(N, C, H, W)",
        code=code,
        expected=expected,
        explanation=expl,
        mistakes=mistakes,
        hints=(
            "A basic block: 3×3 conv (stride s, padding 1) → BN → ReLU → 3×3 conv (padding 1) → "
            "BN, plus the shortcut; only the stride changes H and W.",
            f"H = ⌊({h} + 2·1 − 3)/{s}⌋ + 1, W = ⌊({w} + 2·1 − 3)/{s}⌋ + 1; channels {cout}.",
        ),
    )


# ---------------------------------------------------------------- resnet50-stage


def _resnet50_shape(n: int, h: int, w: int, stage: str) -> tuple[int, ...]:
    """Output shape of ``stage`` for an (n, 3, h, w) input, by running the meta ResNet-50.

    A full meta pass costs ~3 ms, so the model is built once and each input's pass is cached
    and only run as far as a question needs (resuming from the last stage reached).
    """
    import torch

    if "r50" not in CACHE:
        CACHE["r50"] = meta_model("resnet50_stages").eval()
        CACHE["r50_runs"] = {}
    runs: dict[tuple[int, int, int], tuple[dict[str, tuple[int, ...]], torch.Tensor]]
    runs = CACHE["r50_runs"]
    shapes, x = runs.get((n, h, w)) or ({}, torch.empty(n, 3, h, w, device="meta"))
    if stage not in shapes:
        with torch.no_grad():  # no autograd bookkeeping: shapes only
            for name in STAGES[len(shapes) : STAGES.index(stage) + 1]:
                if name == "fc":
                    x = torch.flatten(x, 1)
                x = CACHE["r50"][name](x)
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
    expected = Expected("shape", shape)
    widths = {"layer1": 64, "layer2": 128, "layer3": 256, "layer4": 512}
    mistakes: list[Mistake] = []
    if len(shape) == 4 and stage != "avgpool":
        nb, c, ho, wo = shape
        if stage == "conv1":
            mistakes += [
                Mistake(
                    "ignored-stride",
                    "ignored conv1's stride",
                    (nb, c, h, w),
                    f"conv1 is a 7×7 conv with stride 2: {h}×{w} becomes {ho}×{wo}.",
                ),
                Mistake(
                    "kept-in-channels",
                    "kept the 3 input channels",
                    (nb, 3, ho, wo),
                    "conv1 has 64 filters: 64 channels come out.",
                ),
            ]
        else:
            mistakes.append(
                Mistake(
                    "skipped-maxpool",
                    "skipped the max pool",
                    (nb, c, 2 * ho, 2 * wo),
                    "The 3×3 stride-2 max pool after conv1 halves H and W once more "
                    f"({h}×{w} → {h // 4}×{w // 4} before layer1).",
                )
            )
        if stage in widths:
            mistakes += [
                Mistake(
                    "forgot-expansion",
                    "forgot the ×4 expansion",
                    (nb, widths[stage], ho, wo),
                    f"{stage} has width {widths[stage]}, and a bottleneck outputs 4 × width = "
                    f"{4 * widths[stage]} channels.",
                ),
                Mistake(
                    "layer1-halves",
                    "halved in layer1 too",
                    (nb, c, max(ho // 2, 1), max(wo // 2, 1)),
                    "layer1 keeps H and W (the max pool already halved them); only layer2, layer3 "
                    "and layer4 start with stride 2.",
                ),
            ]
    elif stage == "avgpool":
        mistakes += [
            Mistake(
                "flattened-early",
                "flattened in the pool",
                (n, 2048),
                "AdaptiveAvgPool2d(1) leaves (N, 2048, 1, 1); the flatten comes just before fc.",
            ),
            Mistake(
                "kept-spatial-size",
                "kept H and W",
                (n, 2048, h // 32, w // 32),
                f"avgpool averages each {h // 32}×{w // 32} map down to 1×1.",
            ),
        ]
    else:
        mistakes += [
            Mistake(
                "stopped-at-features",
                "stopped at the features",
                (n, 2048),
                "fc maps the 2048 pooled features to the 1000 ImageNet classes.",
            ),
            Mistake(
                "kept-unit-axes",
                "kept the 1×1 axes",
                (n, 1000, 1, 1),
                "torch.flatten(x, 1) before fc removes the 1×1 axes: (N, 1000).",
            ),
        ]
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
        expected=expected,
        explanation="\n".join(expl),
        proof=proof(proof_src, PRINT_SHAPE),
        mistakes=tuple(mistakes),
        hints=(
            "conv1 and the max pool each halve H and W (÷4); layer1 keeps them, layer2–4 halve "
            "again (÷32 by layer4); a stage outputs 4 × its width (256, 512, 1024, 2048).",
            f"{h}×{w} → conv1 ÷2 → maxpool ÷2 → layer2 ÷2 → layer3 ÷2 → layer4 ÷2; "
            f"asked: {stage} with N = {n}.",
        ),
    )
