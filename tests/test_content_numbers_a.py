"""Every number torch can compute in seven concept files is rebuilt here in torch.

Files: content/concepts/{convolution,resnet,tensors,normalization,attention,rnn,losses}.toml.
Each check names a card, a fragment of its text that carries a number (or a shape), and a
function that builds the thing in torch. The test asserts that the fragment is in the card and
that the number parsed from it equals what torch computes, to the precision the card shows
("25.6 million" must be within 0.05 million). A second group of tests checks the behaviour the
cards describe (which axes a norm averages, what a mask does, ...). ResNets are built by hand
(no torchvision) on the meta device, so counting 60 million parameters costs no memory.
"""

from __future__ import annotations

import functools
import itertools
import math
import re
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from torch import nn

CONCEPTS = Path(__file__).resolve().parents[1] / "content" / "concepts"
FILES = ("convolution", "resnet", "tensors", "normalization", "attention", "rnn", "losses")
NEW_FILES = FILES[3:]
Value = float | tuple[float, ...]


@functools.cache
def cards() -> dict[str, dict[str, object]]:
    out: dict[str, dict[str, object]] = {}
    for name in FILES:
        with (CONCEPTS / f"{name}.toml").open("rb") as fh:
            for card in tomllib.load(fh)["concept"]:
                out[card["slug"]] = card
    return out


def card_text(slug: str) -> str:
    c = cards()[slug]
    return "\n".join([c["question"], c["answer"], c["explanation"], *c.get("choices", [])])


# --------------------------------------------------------------------------- parsing
_NUM = r"[−-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:e[−-]?\d+)?"
_SCALE = {"million": 1e6, "M": 1e6, "billion": 1e9, "MB": 1e6, "%": 1e-2}
_SCALAR = re.compile(rf"({_NUM})(?:/(\d+))?\s?(million|billion|MB|M\b|%)?")


def _number(text: str) -> tuple[float, float]:
    """The value of a number as written, and half a unit of its last digit."""
    text = text.replace("−", "-").replace(",", "")
    mantissa = text.split("e")[0]
    decimals = len(mantissa.split(".")[1]) if "." in mantissa else 0
    exponent = int(text.split("e")[1]) if "e" in text else 0
    return float(text), 0.5 * 10.0 ** (exponent - decimals)


def parse(fragment: str, tuple_wanted: bool) -> tuple[Value, Value]:
    """(value, tolerance) of the first number, or of every number for a shape or tuple."""
    if tuple_wanted:
        pairs = [_number(m) for m in re.findall(r"[−-]?\d+(?:\.\d+)?", fragment)]
        return tuple(v for v, _ in pairs), tuple(t for _, t in pairs)
    match = _SCALAR.search(fragment)
    assert match, f"no number in {fragment!r}"
    value, tol = _number(match.group(1))
    if match.group(2):  # a fraction such as 4/3 is exact
        return value / int(match.group(2)), 1e-6
    scale = _SCALE.get(match.group(3) or "", 1.0)
    return value * scale, tol * scale


# --------------------------------------------------------------------------- builders
def n_params(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def meta_shape(module: nn.Module, *shape: int) -> tuple[int, ...]:
    return tuple(module.to("meta")(torch.empty(*shape, device="meta")).shape)


def conv_macs(model: nn.Module, *shape: int) -> int:
    """Multiply-adds of every Conv2d and Linear, from the output shapes of a meta forward."""
    total = 0

    def hook(m: nn.Module, _: object, out: torch.Tensor) -> None:
        nonlocal total
        if isinstance(m, nn.Conv2d):
            k = m.kernel_size[0] * m.kernel_size[1] * m.in_channels // m.groups
            total += out.numel() // out.shape[0] * k
        else:
            total += m.in_features * m.out_features

    mods = [m for m in model.modules() if isinstance(m, nn.Conv2d | nn.Linear)]
    handles = [m.register_forward_hook(hook) for m in mods]
    model.to("meta")(torch.empty(*shape, device="meta"))
    for h in handles:
        h.remove()
    return total


def receptive_field(*layers: tuple[int, int]) -> int:
    """Input pixels that reach a central output unit of 1-D convs (kernel, stride), all ones."""
    convs = [nn.Conv1d(1, 1, k, s, bias=False) for k, s in layers]
    for c in convs:
        nn.init.ones_(c.weight)
    x = torch.zeros(1, 1, 64, requires_grad=True)
    y = nn.Sequential(*convs)(x)
    y[0, 0, y.shape[-1] // 2].backward()
    return int((x.grad != 0).sum())


def windows_covering(row: int, col: int, k: int = 3, pad: int = 1, size: int = 8) -> int:
    x = torch.zeros(1, 1, size, size)
    x[0, 0, row, col] = 1.0
    return int((F.conv2d(x, torch.ones(1, 1, k, k), padding=pad) != 0).sum())


class Block(nn.Module):
    """A torchvision-style residual block (basic or bottleneck, stride in the 3×3: 'v1.5')."""

    def __init__(self, c_in: int, width: int, stride: int, bottleneck: bool, v15: bool) -> None:
        super().__init__()

        def cb(i: int, o: int, k: int, s: int) -> list[nn.Module]:
            return [nn.Conv2d(i, o, k, s, k // 2, bias=False), nn.BatchNorm2d(o)]

        if bottleneck:
            self.c_out = 4 * width
            s1, s3 = (1, stride) if v15 else (stride, 1)
            main = [*cb(c_in, width, 1, s1), nn.ReLU(), *cb(width, width, 3, s3), nn.ReLU()]
            main += cb(width, self.c_out, 1, 1)
        else:
            self.c_out = width
            main = [*cb(c_in, width, 3, stride), nn.ReLU(), *cb(width, width, 3, 1)]
        self.main = nn.Sequential(*main)
        projection = stride != 1 or c_in != self.c_out
        self.short = nn.Sequential(*cb(c_in, self.c_out, 1, stride)) if projection else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.main(x) + (x if self.short is None else self.short(x)))


LAYOUTS = {
    18: ((2, 2, 2, 2), False),
    34: ((3, 4, 6, 3), False),
    50: ((3, 4, 6, 3), True),
    101: ((3, 4, 23, 3), True),
    152: ((3, 8, 36, 3), True),
}


@functools.cache
def resnet(depth: int, v15: bool = True) -> nn.Sequential:
    """[stem conv, bn, relu, maxpool, stage1..stage4, pool, flatten, fc] on the meta device."""
    blocks, bottleneck = LAYOUTS[depth]
    with torch.device("meta"):
        layers: list[nn.Module] = [nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64)]
        layers += [nn.ReLU(), nn.MaxPool2d(3, 2, 1)]
        c = 64
        for i, n in enumerate(blocks):
            stage = []
            for j in range(n):
                stage.append(Block(c, 64 * 2**i, 2 if i and not j else 1, bottleneck, v15))
                c = stage[-1].c_out
            layers.append(nn.Sequential(*stage))
        layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c, 1000)]
        return nn.Sequential(*layers)


def r50_blocks() -> list[Block]:
    return [b for m in list(resnet(50))[4:8] for b in m]


def r50_shapes() -> list[tuple[int, ...]]:
    """Output shapes (C, H, W) after stem conv, max pool, and each stage, for a 224×224 input."""
    shapes: list[tuple[int, ...]] = []
    model = resnet(50)
    hooks = [
        model[i].register_forward_hook(lambda m, i, o: shapes.append(o.shape[1:]))
        for i in (0, 3, 4, 5, 6, 7)
    ]
    model(torch.empty(1, 3, 224, 224, device="meta"))
    for h in hooks:
        h.remove()
    return [tuple(s) for s in shapes]


def r50_shortcuts() -> tuple[int, int]:
    """(projection, identity) shortcut counts of ResNet-50."""
    projections = sum(b.short is not None for b in r50_blocks())
    return projections, len(r50_blocks()) - projections


def bottleneck() -> Block:
    return Block(256, 64, 1, True, True)


def sizes_and_total(module: nn.Module) -> tuple[int, ...]:
    sizes = [p.numel() for p in module.parameters()]
    return (*sizes, sum(sizes))


def measured_shift(shift: int = 3) -> int:
    """How far a conv's output moves when its input moves ``shift`` pixels (circular borders)."""
    conv = nn.Conv2d(1, 2, 3, padding=1, padding_mode="circular")
    x = torch.randn(1, 1, 12, 12)
    y, y_moved = conv(x), conv(x.roll(shift, dims=-1))
    return next(s for s in range(12) if torch.allclose(y.roll(s, dims=-1), y_moved, atol=1e-6))


def conv_weights(module: nn.Module) -> int:
    return sum(m.weight.numel() for m in module.modules() if isinstance(m, nn.Conv2d))


def sdpa_weights(
    q: torch.Tensor, k: torch.Tensor, mask: torch.Tensor | None = None
) -> torch.Tensor:
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    return scores.softmax(-1)


def mha(d: int = 512, h: int = 8) -> nn.MultiheadAttention:
    return nn.MultiheadAttention(d, h, batch_first=True)


def running_mean_after_one_batch() -> float:
    x = torch.randn(8, 3, 4, 4)
    bn = nn.BatchNorm2d(3)
    bn(x - x.mean(dim=(0, 2, 3), keepdim=True) + 2.0)  # every channel's batch mean is 2.0
    return float(bn.running_mean[0])


def running_var_ratio() -> float:
    bn = nn.BatchNorm1d(1, momentum=1.0)  # momentum 1: running_var is the last batch's estimate
    x = torch.tensor([[1.0], [2.0], [4.0], [7.0]])
    bn(x)
    return float(bn.running_var[0] / x.var(unbiased=False))


def clip_factor() -> tuple[float, float]:
    p = nn.Parameter(torch.zeros(2))
    p.grad = torch.tensor([30.0, 40.0])  # norm 50
    torch.nn.utils.clip_grad_norm_([p], max_norm=5)
    return float(p.grad[0] / 30.0), float(p.grad.norm())


def vanish_50_steps() -> float:
    x = torch.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(50):
        y = 0.9 * y
    y.backward()
    return float(x.grad)


def smoothed_targets() -> tuple[float, float]:
    """The target distribution: softmax(z) − ∂loss/∂z, read off the gradient."""
    z = torch.zeros(1, 10, requires_grad=True)
    F.cross_entropy(z, torch.tensor([0]), label_smoothing=0.1).backward()
    target = z.detach().softmax(-1) - z.grad
    return float(target[0, 0]), float(target[0, 1])


def best_constant(loss: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]) -> float:
    y = torch.tensor([1.0, 2.0, 3.0, 4.0, 100.0])
    grid = torch.linspace(0, 100, 10001)
    costs = torch.stack([loss(torch.full_like(y, c), y) for c in grid])
    return float(grid[costs.argmin()])


def ce_grad() -> tuple[tuple[float, ...], tuple[float, ...]]:
    z = torch.tensor([[2.0, 1.0, 0.0]], requires_grad=True)
    F.cross_entropy(z, torch.tensor([0])).backward()
    return tuple(z.softmax(-1)[0].tolist()), tuple(z.grad[0].tolist())


def focal(p_t: float, gamma: float = 2.0) -> float:
    p = torch.tensor(p_t)
    return float(-((1 - p) ** gamma) * p.log())


def triplet(d_neg: float) -> float:
    a, p, n = torch.zeros(1, 2), torch.tensor([[0.5, 0.0]]), torch.tensor([[d_neg, 0.0]])
    return float(F.triplet_margin_loss(a, p, n, margin=1.0))


P, Q = torch.tensor([0.5, 0.5]), torch.tensor([0.9, 0.1])


def kl(p: torch.Tensor, q: torch.Tensor) -> float:
    return float(F.kl_div(q.log(), p, reduction="sum"))


def kv_cache() -> tuple[int, int]:
    cache = [torch.empty(1, 12, 1024, 64, dtype=torch.float16, device="meta") for _ in range(24)]
    return sum(t.numel() for t in cache), sum(t.numel() * t.element_size() for t in cache)


def permutation_to(src: tuple[int, ...], dst: tuple[int, ...]) -> tuple[int, ...]:
    x = torch.empty(src, device="meta")
    return next(p for p in itertools.permutations(range(4)) if x.permute(p).shape == dst)


def smallest_same_padding() -> int:
    x = torch.zeros(1, 1, 32, 32)
    return next(
        p for p in range(4) if F.conv2d(x, torch.ones(1, 1, 3, 3), padding=p).shape == x.shape
    )


def hwc(shape: tuple[int, ...]) -> tuple[int, ...]:
    return (*shape[-2:], shape[-3])


def raw_and_scaled_score_std(d: int = 64) -> tuple[float, float]:
    gen = torch.Generator().manual_seed(0)
    q, k = torch.randn(2, 20000, d, generator=gen)
    raw = (q * k).sum(-1)
    return float(raw.std()), float((raw / math.sqrt(d)).std())


def multihead_inputs() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    q, kv = torch.randn(2, 5, 512), torch.randn(2, 7, 512)
    return q, kv, kv


def cross_attention() -> tuple[tuple[int, ...], tuple[int, ...]]:
    out, weights = mha()(torch.randn(1, 10, 512), torch.randn(1, 50, 512), torch.randn(1, 50, 512))
    return tuple(out.shape[1:]), tuple(weights.shape[1:])


def causal_weights(n: int) -> torch.Tensor:
    x = torch.randn(n, 16)
    return sdpa_weights(x, x, torch.ones(n, n, dtype=torch.bool).tril())


def sinusoid(pos: int, d: int) -> torch.Tensor:
    i = torch.arange(0, d, 2, dtype=torch.float64)
    angle = pos / 10000 ** (i / d)
    return torch.stack([angle.sin(), angle.cos()], dim=1).flatten()


def transformer_on_meta() -> nn.Module:
    with torch.device("meta"):
        return nn.Transformer(512, 8, 6, 6, 2048, batch_first=True)


def lstm_shapes(**kwargs: object) -> tuple[tuple[int, ...], tuple[int, ...]]:
    lstm = nn.LSTM(10, 20, **kwargs)
    x = torch.zeros(4, 7, 10) if kwargs.get("batch_first") else torch.zeros(7, 4, 10)
    out, (h_n, _) = lstm(x)
    return tuple(out.shape), tuple(h_n.shape)


def per_head_inputs() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    return torch.zeros(2, 8, 5, 64), torch.zeros(2, 8, 7, 64), torch.zeros(2, 8, 7, 64)


def encoder_layer() -> nn.TransformerEncoderLayer:
    return nn.TransformerEncoderLayer(512, 8, 2048)


T = torch.tensor


@functools.cache
def keras_cnn() -> nn.Sequential:
    """The seed's Keras example: Conv2D(32, 3×3, 'same'), MaxPooling2D(2), Flatten, Dense(128)."""
    with torch.device("meta"):
        layers = [nn.Conv2d(3, 32, 3, padding=1), nn.MaxPool2d(2), nn.Flatten()]
        return nn.Sequential(*layers, nn.Linear(401408, 128))


R50_MACS = functools.cache(lambda: conv_macs(resnet(50), 1, 3, 224, 224))
R50_ORIG_MACS = functools.cache(lambda: conv_macs(resnet(50, v15=False), 1, 3, 224, 224))
M = 1e6

# fmt: off
CHECKS: list[tuple[str, str, Callable[[], Value]]] = [
    # ---- convolution.toml
    ("conv-layer-computation", "= 27 products", lambda: nn.Conv2d(3, 1, 3).weight.numel()),
    ("conv-weight-sharing", "= 448 parameters", lambda: n_params(nn.Conv2d(3, 16, 3))),
    ("conv-weight-sharing", "(3,072 values)", lambda: torch.empty(32, 32, 3).numel()),
    ("conv-weight-sharing", "= 49,168", lambda: n_params(nn.Linear(3072, 16))),
    ("conv-receptive-field", "= 7 pixels across", lambda: receptive_field((3, 2), (3, 1))),
    ("conv-receptive-field", "see only 5", lambda: receptive_field((3, 1), (3, 1))),
    ("conv-receptive-field-stack", "7×7", lambda: (receptive_field(*[(3, 1)] * 3),) * 2),
    ("conv-stacked-3x3", "about 45% fewer",
     lambda: 1 - 3 * nn.Conv2d(8, 8, 3).weight.numel() / nn.Conv2d(8, 8, 7).weight.numel()),
    ("conv-filter-shape", "= 576 weights", lambda: nn.Conv2d(64, 128, 3).weight[0].numel()),
    ("conv-filter-shape", "= 73,856 parameters", lambda: n_params(nn.Conv2d(64, 128, 3))),
    ("conv-param-count", "= 896", lambda: n_params(nn.Conv2d(3, 32, 3))),
    ("conv-stride", "a 56×56 map becomes 28×28",
     lambda: (56, 56, *meta_shape(nn.Conv2d(1, 1, 3, 2, 1), 1, 1, 56, 56)[-2:])),
    ("conv-output-size", "= 112.",
     lambda: meta_shape(nn.Conv2d(3, 64, 7, 2, 3), 1, 3, 224, 224)[-1]),
    ("conv-output-size-example", "28×28",
     lambda: meta_shape(nn.Conv2d(3, 1, 5), 1, 3, 32, 32)[-2:]),
    ("conv-valid-padding", "224×224 into 222×222",
     lambda: (224, 224, *meta_shape(nn.Conv2d(1, 1, 3), 1, 1, 224, 224)[-2:])),
    ("conv-valid-padding", "shrink 224 to 204",
     lambda: (224, meta_shape(nn.Sequential(*[nn.Conv2d(1, 1, 3)] * 10), 1, 1, 224, 224)[-1])),
    ("conv-same-padding", "a corner pixel is in 4 windows", lambda: windows_covering(0, 0)),
    ("conv-same-padding", "a central one in 9", lambda: windows_covering(4, 4)),
    ("conv-same-padding", "for example 224 to 112",
     lambda: (224, meta_shape(nn.Conv2d(1, 1, 3, 2, 1), 1, 1, 224, 224)[-1])),
    ("conv-padding-amount", "padding=1)", smallest_same_padding),
    ("conv-equivariance", "It shifts 3 pixels", measured_shift),
    ("conv-pytorch-shape", "(1, 16, 32, 32)",
     lambda: meta_shape(nn.Conv2d(3, 16, 3, 1, 1), 1, 3, 32, 32)),
    ("conv-1x1", "= 16,384 weights", lambda: nn.Conv2d(256, 64, 1).weight.numel()),
    ("conv-macs", "≈ 116 million", lambda: conv_macs(nn.Conv2d(64, 64, 3, 1, 1), 1, 64, 56, 56)),
    ("conv-flatten-dense-cost", "= 401,408 values",
     lambda: meta_shape(keras_cnn()[:3], 1, 3, 224, 224)[-1]),
    ("conv-flatten-dense-cost", "= 51,380,352 parameters",
     lambda: n_params(keras_cnn()[3])),
    ("conv-flatten-dense-cost", "about 51.4 million",
     lambda: n_params(keras_cnn()[3])),
    ("conv-flatten-dense-cost", "with 896 parameters", lambda: n_params(nn.Conv2d(3, 32, 3))),
    ("conv-pooling", "56×56×32", lambda: hwc(meta_shape(nn.MaxPool2d(2, 2), 1, 32, 112, 112))),
    ("conv-why-parameter-sharing", "about 50,000 positions",
     lambda: math.prod(meta_shape(nn.Conv2d(1, 1, 3, padding=1), 1, 1, 224, 224)), 0.01),
    ("conv-why-less-compute", "about 116 million",
     lambda: conv_macs(nn.Conv2d(64, 64, 3, 1, 1), 1, 64, 56, 56)),
    ("conv-why-less-compute", "those 200,704 values", lambda: torch.empty(56, 56, 64).numel()),
    ("conv-why-less-compute", "roughly 350 times",
     lambda: 200704**2 / conv_macs(nn.Conv2d(64, 64, 3, 1, 1), 1, 64, 56, 56), 0.01),
    # ---- resnet.toml
    ("resnet-identity-shortcut", "12 of its 16 blocks",
     lambda: (r50_shortcuts()[1], len(r50_blocks()))),
    ("resnet-projection-shortcut", "(131,072 weights)",
     lambda: nn.Conv2d(256, 512, 1, bias=False).weight.numel()),
    ("resnet-projection-shortcut", "56×56×256 to 28×28×512",
     lambda: (56, 56, 256, *hwc(meta_shape(Block(256, 128, 2, True, True), 1, 256, 56, 56)))),
    ("resnet-add-shapes", "projects x to 28×28×512",
     lambda: hwc(meta_shape(nn.Conv2d(256, 512, 1, 2), 1, 256, 56, 56))),
    ("resnet-50-projection-blocks", "4 projection and 12 identity shortcuts",
     lambda: r50_shortcuts()),
    ("resnet-basic-block", "= 73,728 weights", lambda: conv_weights(Block(64, 64, 1, False, True))),
    ("resnet-bottleneck-why", "= 69,632 weights",
     lambda: conv_weights(bottleneck())),
    ("resnet-bottleneck-why", "(73,728)", lambda: conv_weights(Block(64, 64, 1, False, True))),
    ("resnet-bottleneck-why", "need 1,179,648",
     lambda: conv_weights(Block(256, 256, 1, False, True))),
    ("resnet-bottleneck-why", "about 17 times",
     lambda: conv_weights(Block(256, 256, 1, False, True)) / conv_weights(bottleneck())),
    ("resnet-expansion", "4 times as many",
     lambda: r50_blocks()[0].main[-2].out_channels / r50_blocks()[0].main[0].out_channels),
    ("resnet-50-stages", "That is 16 blocks in total", lambda: len(r50_blocks())),
    ("resnet-50-channels", "256, 512, 1024 and 2048",
     lambda: tuple(s[0] for s in r50_shapes()[2:])),
    ("resnet-50-channels", "(56, 28, 14, 7)", lambda: tuple(s[1] for s in r50_shapes()[2:])),
    ("resnet-depth-count", "= 50 weighted layers",
     lambda: 2 + sum(isinstance(m, nn.Conv2d) for b in r50_blocks() for m in b.main)),
    ("resnet-stem", "= 9,408 weights", lambda: resnet(50)[0].weight.numel()),
    ("resnet-stem", "shrink a 224×224 image to 56×56", lambda: (224, 224, *r50_shapes()[1][1:])),
    ("resnet-spatial-sizes", "112, 56, 28, 14 and 7",
     lambda: tuple(r50_shapes()[i][1] for i in (0, 1, 3, 4, 5))),
    ("resnet-head", "= 2,049,000 parameters", lambda: n_params(resnet(50)[-1])),
    ("resnet-head", "about 8% of the network",
     lambda: n_params(resnet(50)[-1]) / n_params(resnet(50))),
    ("resnet-head", "513,000 parameters", lambda: n_params(resnet(18)[-1])),
    ("resnet-gap-vs-flatten", "= 100,352 values", lambda: math.prod(r50_shapes()[-1])),
    ("resnet-gap-vs-flatten", "roughly 100.4 million weights",
     lambda: nn.Linear(100352, 1000, device="meta").weight.numel()),
    ("resnet-gap-vs-flatten", "2.05 million parameters", lambda: n_params(resnet(50)[-1])),
    ("resnet-50-params", "About 25.6 million", lambda: n_params(resnet(50))),
    ("resnet-50-params", "gives 25,557,032", lambda: n_params(resnet(50))),
    ("resnet-50-params", "(about 15 million)", lambda: n_params(resnet(50)[7])),
    ("resnet-50-flops", "About 4.1 billion", R50_MACS),
    ("resnet-50-flops", "about 4.09 billion", R50_MACS),
    ("resnet-50-flops", "instead of 3.86 billion", R50_ORIG_MACS),
    ("resnet-downsample-position", "about 6% more compute",
     lambda: R50_MACS() / R50_ORIG_MACS() - 1),
    ("resnet-downsample-position", "(4.1 instead", lambda: R50_MACS() / 1e9),
    ("resnet-downsample-position", "3.9 billion multiply-adds", R50_ORIG_MACS),
    ("resnet-param-family", "11.7, 21.8, 25.6, 44.5 and 60.2",
     lambda: tuple(n_params(resnet(d)) / M for d in (18, 34, 50, 101, 152))),
    ("resnet-param-family", "adds about 19 million",
     lambda: n_params(resnet(101)) - n_params(resnet(50))),
    ("resnet-param-family", "another 16 million",
     lambda: n_params(resnet(152)) - n_params(resnet(101))),
    ("resnet-18-params", "About 11.7 million", lambda: n_params(resnet(18))),
    ("resnet-18-params", "giving 11,689,512", lambda: n_params(resnet(18))),
    ("resnet-18-params", "its 513,000-parameter", lambda: n_params(resnet(18)[-1])),
    ("resnet-18-params", "about 1.8 billion", lambda: conv_macs(resnet(18), 1, 3, 224, 224)),
    ("resnet-34-vs-50", "(25.6M vs 21.8M)",
     lambda: (n_params(resnet(50)) / M, n_params(resnet(34)) / M)),
    ("resnet-34-vs-50", "about 4 million more",
     lambda: n_params(resnet(50)) - n_params(resnet(34))),
    ("resnet-34-vs-50", "about 3.7 versus 4.1",
     lambda: (conv_macs(resnet(34), 1, 3, 224, 224) / 1e9, R50_MACS() / 1e9)),
    ("resnet-stage-pattern", "56×56×256, 28×28×512, 14×14×1024 and 7×7×2048",
     lambda: tuple(v for s in r50_shapes()[2:] for v in hwc(s))),
    # ---- tensors.toml
    ("tensor-rank", "(32, 3, 224, 224), rank 4",
     lambda: (32, 3, 224, 224, torch.empty(32, 3, 224, 224, device="meta").ndim)),
    ("tensor-rank", "has order 2 but rank 1",
     lambda: (torch.ones(3, 3).ndim, int(torch.linalg.matrix_rank(torch.ones(3, 3))))),
    ("tensor-rank-not-matrix-rank", "2 axes, rank 1",
     lambda: (torch.ones(3, 3).ndim, int(torch.linalg.matrix_rank(torch.ones(3, 3))))),
    ("tensor-shape", "[1, 2, 3] has shape (3,)", lambda: (1, 2, 3, *torch.tensor([1, 2, 3]).shape)),
    ("tensor-shape", "has shape (2, 3)", lambda: tuple(torch.tensor([[1, 2, 3], [4, 5, 6]]).shape)),
    ("tensor-scalar", "()", lambda: tuple(torch.tensor(5).shape)),
    ("tensor-matrix-shape", "(2, 3)", lambda: tuple(torch.tensor([[1, 2, 3], [4, 5, 6]]).shape)),
    ("tensor-matrix-shape", "with 6 numbers", lambda: torch.tensor([[1, 2, 3], [4, 5, 6]]).numel()),
    ("tensor-shape-345", "holding 60 numbers", lambda: torch.empty(3, 4, 5).numel()),
    ("tensor-numel", "= 4,816,896 numbers",
     lambda: torch.empty(32, 3, 224, 224, device="meta").numel()),
    ("tensor-numel", "holds 432", lambda: nn.Conv2d(3, 16, 3).weight.numel()),
    ("tensor-memory", "About 19 MB", lambda: torch.empty(32, 3, 224, 224, device="meta").nbytes),
    ("tensor-memory", "giving 19,267,584 bytes",
     lambda: torch.empty(32, 3, 224, 224, device="meta").nbytes),
    ("tensor-5d-video", "Rank 5", lambda: torch.empty(8, 3, 16, 112, 112, device="meta").ndim),
    ("tensor-layout-convert", "x.permute(0, 3, 1, 2)",
     lambda: permutation_to((2, 5, 6, 3), (2, 3, 5, 6))),
    ("tensor-layout-convert", "is permute(0, 2, 3, 1)",
     lambda: permutation_to((2, 3, 5, 6), (2, 5, 6, 3))),
    ("tensor-reshape", "that needs 63", lambda: torch.empty(7, 9).numel()),
    ("tensor-conv-weight-shape", "Weight (16, 3, 3, 3) and bias (16,)",
     lambda: (*nn.Conv2d(3, 16, 3).weight.shape, *nn.Conv2d(3, 16, 3).bias.shape)),
    ("tensor-conv-weight-shape", "432 weights plus 16 biases, 448 parameters",
     lambda: sizes_and_total(nn.Conv2d(3, 16, 3))),
    ("tensor-keras-kernel-shape", "(3, 3, 3, 16)",
     lambda: tuple(nn.Conv2d(3, 16, 3).weight.permute(2, 3, 1, 0).shape)),
    ("tensor-linear-weight-shape", "(10, 784)", lambda: tuple(nn.Linear(784, 10).weight.shape)),
    ("tensor-linear-weight-shape", "gives (64, 10) outputs",
     lambda: tuple(nn.Linear(784, 10)(torch.zeros(64, 784)).shape)),
    ("tensor-linear-weight-shape", "= 7,850 parameters", lambda: n_params(nn.Linear(784, 10))),
    ("tensor-matmul-shape", "(2, 4)", lambda: tuple((torch.zeros(2, 3) @ torch.zeros(3, 4)).shape)),
    ("tensor-matmul-shape", "gives (8, 2, 4)",
     lambda: tuple(torch.matmul(torch.zeros(8, 2, 3), torch.zeros(8, 3, 4)).shape)),
    # ---- normalization.toml
    ("norm-bn-axes", "there are 64 means", lambda: nn.BatchNorm2d(64).running_mean.numel()),
    ("norm-bn-axes", "= 100,352 values",
     lambda: torch.empty(32, 64, 56, 56, device="meta").numel() // nn.BatchNorm2d(64).num_features),
    ("norm-ln-axes", "= 1,024 separate means",
     lambda: torch.empty(8, 128, 512).numel() // math.prod(nn.LayerNorm(512).normalized_shape)),
    ("norm-in-axes", "so it has 0 parameters", lambda: n_params(nn.InstanceNorm2d(64))),
    ("norm-gn-axes", "each group holds 8 channels",
     lambda: 256 // nn.GroupNorm(32, 256).num_groups),
    ("norm-gn-axes", "= 1,568 values",
     lambda: torch.empty(1, 256, 14, 14).numel() // nn.GroupNorm(32, 256).num_groups),
    ("norm-running-stats", "(default 0.1)", lambda: nn.BatchNorm2d(3).momentum),
    ("norm-running-stats", "leaves running_mean at 0.2", running_mean_after_one_batch),
    ("norm-running-var-unbiased", "4/3", running_var_ratio),
    ("norm-bn-formula", "default is 1e-5", lambda: nn.BatchNorm2d(3).eps),
    ("norm-bn-params", "128", lambda: n_params(nn.BatchNorm2d(64))),
    ("norm-conv-bias-false", "128 parameters for", lambda: nn.Conv2d(64, 128, 3).bias.numel()),
    # ---- attention.toml
    ("attn-why-sqrt-dk", "about 8, enough", lambda: raw_and_scaled_score_std()[0]),
    ("attn-why-sqrt-dk", "deviation of about 1.", lambda: raw_and_scaled_score_std()[1]),
    ("attn-cross-output-shape", "(10, 512)", lambda: cross_attention()[0]),
    ("attn-cross-output-shape", "10×50", lambda: cross_attention()[1]),
    ("attn-weights-shape", "(2, 8, 5, 7)",
     lambda: tuple(mha()(*multihead_inputs(), average_attn_weights=False)[1].shape)),
    ("attn-weights-shape", "(2, 8, 5, 64)",
     lambda: tuple(F.scaled_dot_product_attention(*per_head_inputs()).shape)),
    ("attn-weights-shape", "(2, 5, 512)", lambda: tuple(mha()(*multihead_inputs())[0].shape)),
    ("attn-head-dim", "64, that is", lambda: mha().head_dim),
    ("attn-mha-params", "1,050,624: four", lambda: n_params(mha())),
    ("attn-params-vs-heads", "32 features per head", lambda: mha(512, 16).head_dim),
    ("attn-params-vs-heads", "both hold 1,050,624", lambda: n_params(mha(512, 16))),
    ("attn-causal-mask", "10 of the 16 scores",
     lambda: (int((causal_weights(4) > 0).sum()), causal_weights(4).numel())),
    ("attn-mask-minus-inf", "(0.269, 0.731, 0)",
     lambda: tuple(torch.tensor([1.0, 2.0, float("-inf")]).softmax(0).tolist())),
    ("attn-quadratic-cost", "16,777,216 scores",
     lambda: (torch.empty(4096, 64, device="meta") @ torch.empty(64, 4096, device="meta")).numel()),
    ("attn-sinusoidal-pe", "alternates 0, 1, 0, 1", lambda: tuple(sinusoid(0, 512)[:4].tolist())),
    ("tfm-decoder-layer", "has 4,204,032 parameters",
     lambda: n_params(nn.TransformerDecoderLayer(512, 8, 2048))),
    ("tfm-decoder-layer", "layer's 3,152,384",
     lambda: n_params(encoder_layer())),
    ("tfm-ffn", "= 2,099,712 parameters",
     lambda: n_params(nn.Sequential(nn.Linear(512, 2048), nn.Linear(2048, 512)))),
    ("tfm-ffn", "the 1,050,624 of", lambda: n_params(mha())),
    ("tfm-encoder-layer-params", "3,152,384: attention",
     lambda: n_params(encoder_layer())),
    ("tfm-encoder-layer-params", "attention 1,050,624",
     lambda: n_params(encoder_layer().self_attn)),
    ("tfm-encoder-layer-params", "feed-forward 2,099,712",
     lambda: n_params(encoder_layer().linear1) + n_params(encoder_layer().linear2)),
    ("tfm-encoder-layer-params", "LayerNorms of 1,024 each",
     lambda: n_params(encoder_layer().norm1)),
    ("tfm-encoder-layer-params", "has 44,140,544 parameters",
     lambda: n_params(transformer_on_meta())),
    ("tfm-kv-cache", "hold 18,874,368 numbers", lambda: kv_cache()[0]),
    ("tfm-kv-cache", "37,748,736 bytes", lambda: kv_cache()[1]),
    # ---- rnn.toml
    ("rnn-param-count", "640: W_ih", lambda: n_params(nn.RNN(10, 20))),
    ("rnn-param-count", "W_ih is 20×10", lambda: tuple(nn.RNN(10, 20).weight_ih_l0.shape)),
    ("rnn-param-count", "W_hh is 20×20", lambda: tuple(nn.RNN(10, 20).weight_hh_l0.shape)),
    ("rnn-lstm-params", "2,560", lambda: n_params(nn.LSTM(10, 20))),
    ("rnn-lstm-params", "into a 80×10 matrix", lambda: tuple(nn.LSTM(10, 20).weight_ih_l0.shape)),
    ("rnn-gru-params", "1,920: three", lambda: n_params(nn.GRU(10, 20))),
    ("rnn-gru-params", "LSTM's 2,560", lambda: n_params(nn.LSTM(10, 20))),
    ("rnn-vanishing-bptt", "≈ 0.005", vanish_50_steps),
    ("rnn-forget-bias", "σ(1) ≈ 0.73", lambda: (1, float(torch.sigmoid(torch.tensor(1.0))))),
    ("rnn-bidirectional-shape", "(4, 7, 40)",
     lambda: lstm_shapes(bidirectional=True, batch_first=True)[0]),
    ("rnn-bidirectional-shape", "shape (2, 4, 20)",
     lambda: lstm_shapes(bidirectional=True, batch_first=True)[1]),
    ("rnn-bidirectional-shape", "holds 5,120 parameters",
     lambda: n_params(nn.LSTM(10, 20, bidirectional=True))),
    ("rnn-default-layout", "returns (7, 4, 20)", lambda: lstm_shapes()[0]),
    ("rnn-stacked-shapes", "Output (7, 4, 20)", lambda: lstm_shapes(num_layers=2)[0]),
    ("rnn-stacked-shapes", "h_n (2, 4, 20)", lambda: lstm_shapes(num_layers=2)[1]),
    ("rnn-stacked-shapes", "has 5,920 parameters", lambda: n_params(nn.LSTM(10, 20, num_layers=2))),
    ("rnn-clip-grad-norm", "by 0.1", lambda: clip_factor()[0]),
    ("rnn-clip-grad-norm", "total norm becomes 5", lambda: clip_factor()[1]),
    # ---- losses.toml
    ("loss-double-softmax", "About 1.46",
     lambda: float(F.cross_entropy(F.one_hot(torch.tensor([0]), 10).float(), torch.tensor([0])))),
    ("loss-double-softmax", "≈ 0.23",
     lambda: float(F.one_hot(torch.tensor(0), 10).float().softmax(0)[0])),
    ("loss-ce-initial", "About 2.30",
     lambda: float(F.cross_entropy(torch.zeros(1, 10), torch.tensor([3])))),
    ("loss-ce-initial", "≈ 2.303",
     lambda: float(F.cross_entropy(torch.zeros(1, 10), torch.tensor([3])))),
    ("loss-ce-gradient", "(0.665, 0.245, 0.090)", lambda: ce_grad()[0]),
    ("loss-ce-gradient", "(−0.335, 0.245, 0.090)", lambda: ce_grad()[1]),
    ("loss-ignore-index", "the default is −100", lambda: nn.CrossEntropyLoss().ignore_index),
    ("loss-label-smoothing-targets", "0.91 for the true class and 0.01", smoothed_targets),
    ("loss-bce-with-logits", "BCEWithLogitsLoss returns 200",
     lambda: float(F.binary_cross_entropy_with_logits(torch.tensor([200.0]), torch.tensor([0.0])))),
    ("loss-bce-with-logits", "its clamp value, 100",
     lambda: float(F.binary_cross_entropy(torch.sigmoid(T([200.0])), T([0.0])))),
    ("loss-mse-vs-mae-constant", "MSE: 22, the mean; MAE: 3",
     lambda: (best_constant(F.mse_loss), best_constant(F.l1_loss))),
    ("loss-mse-outliers", "costs 100 times more",
     lambda: float(F.mse_loss(T(10.0), T(0.0)) / F.mse_loss(T(1.0), T(0.0)))),
    ("loss-huber", "costs 0.125",
     lambda: float(F.huber_loss(torch.tensor(0.5), torch.tensor(0.0), delta=1.0))),
    ("loss-huber", "costs 2.5",
     lambda: float(F.huber_loss(torch.tensor(3.0), torch.tensor(0.0), delta=1.0))),
    ("loss-huber", "would charge 4.5",
     lambda: float(F.mse_loss(torch.tensor(3.0), torch.tensor(0.0))) / 2),
    ("loss-focal", "from 0.105 to 0.00105", lambda: (focal(0.9, gamma=0.0), focal(0.9))),
    ("loss-focal", "= 0.01", lambda: focal(0.9) / focal(0.9, gamma=0.0)),
    ("loss-triplet", "the loss is 0.3", lambda: triplet(1.2)),
    ("loss-triplet", "1.5 away it is 0", lambda: (1.5, triplet(1.5))),
    ("loss-kl-asymmetric", "≈ 0.511 but", lambda: kl(P, Q)),
    ("loss-kl-asymmetric", "≈ 0.368", lambda: kl(Q, P)),
    ("loss-ce-entropy-kl", "≈ 0.693", lambda: float(torch.special.entr(P).sum())),
    ("loss-ce-entropy-kl", "≈ 0.511 and", lambda: kl(P, Q)),
    ("loss-ce-entropy-kl", "≈ 1.204", lambda: float(F.cross_entropy(Q.log()[None], P[None]))),
]
# fmt: on

# Cards whose answer holds a digit that no torch computation can confirm.
NOT_COMPUTED = {
    "conv-kernel-size": "a convention (3×3 most common)",
    "conv-same-padding": "a definition; its numbers are checked in the explanation",
    "conv-why-versatile": "names 1-D and 3-D convolutions",
    "resnet-bottleneck-block": "a layer sequence by definition",
    "resnet-variants-block-type": "names of the variants",
    "resnet-50-projection-blocks": "stage numbers",
    "resnet-stem": "the stem's definition; its weight count and output size are checked",
    "tensor-rank-examples": "names ranks 0 to 4",
    "tensor-nhwc": "an example layout",
    "tensor-reshape": "a yes/no rule, checked by test_reshape_needs_equal_element_counts",
    "attn-bert-max-length": "BERT's configuration",
    "hist-transformer-paper": "a date",
    "hist-lstm": "a date",
    "norm-hist-bn": "a date",
    "rnn-recurrence": "index notation (t − 1)",
    "rnn-lstm-cell-update": "index notation (t − 1)",
    "rnn-gru-gates": "a count of gates by definition",
    "attn-sinusoidal-pe": "the formula's constants",
    "loss-ce-gradient": "a formula",
    "loss-triplet": "a formula; its example value is checked",
    "loss-contrastive-pairs": "a formula",
    "loss-focal": "a formula; its example values are checked",
    "loss-huber": "a formula; its example values are checked",
    "loss-ce-entropy-kl": "a formula; its example values are checked",
    "norm-pre-ln": "a formula",
    "loss-mse-outliers": "checked in the explanation",
    "resnet-pretrained-backbone": "ImageNet's 1000 classes",
    "tensor-broadcasting-bias": "shapes checked by test_bias_broadcasts_from_the_last_axis",
    "norm-gn-extremes": "group counts, checked by test_norms_average_over_the_axes_the_cards_name",
    "norm-gamma-beta": "checked by test_batchnorm_gamma_and_beta_can_undo_it",
    "rnn-lstm-gates": "a gate's range; the four blocks are checked in rnn-lstm-params",
    "rnn-lstm-gradient-path": "'near 1' describes the gate",
    "loss-multilabel": "the 20 classes come from the question",
}

CASES = [(*c, 0.0)[:4] for c in CHECKS]


@pytest.mark.parametrize(
    ("slug", "fragment", "compute", "rel"), CASES, ids=[f"{c[0]}:{c[1]}" for c in CASES]
)
def test_number_in_card_matches_torch(
    slug: str, fragment: str, compute: Callable[[], Value], rel: float
) -> None:
    assert fragment in card_text(slug), f"{slug}: {fragment!r} is not in the card"
    got = compute()
    if isinstance(got, tuple):
        want, tols = parse(fragment, tuple_wanted=True)
        assert len(got) == len(want), (got, want)
        for g, w, t in zip(got, want, tols, strict=True):
            assert abs(g - w) <= t + 1e-9, (slug, fragment, got)
    else:
        want, tol = parse(fragment, tuple_wanted=False)
        tol = max(tol, rel * abs(want))
        assert abs(float(got) - want) <= tol * (1 + 1e-9), (slug, fragment, got)


def test_parse_reads_separators_scales_and_precision() -> None:
    assert parse("= 51,380,352 parameters", False) == (51380352.0, 0.5)
    value, tol = parse("about 51.4 million", False)
    assert value == pytest.approx(51.4e6) and tol == pytest.approx(0.05e6)
    assert parse("about 8% of", False) == (pytest.approx(0.08), pytest.approx(0.005))
    assert parse("the default is −100", False)[0] == -100.0
    assert parse("4/3", False)[0] == pytest.approx(4 / 3)
    assert parse("(−0.335, 0.245, 0)", True)[0] == (-0.335, 0.245, 0.0)
    assert parse("28×28×512", True)[0] == (28.0, 28.0, 512.0)


def test_every_card_with_a_number_in_its_answer_is_checked() -> None:
    checked = {c[0] for c in CHECKS}
    assert set(NOT_COMPUTED) <= set(cards()), set(NOT_COMPUTED) - set(cards())
    missing = [
        slug
        for slug, card in cards().items()
        if re.search(r"\d", str(card["answer"])) and slug not in checked | set(NOT_COMPUTED)
    ]
    assert missing == []


# --------------------------------------------------------------------------- behaviour
close = torch.testing.assert_close


def standardise(x: torch.Tensor, dims: tuple[int, ...]) -> torch.Tensor:
    mean, var = x.mean(dims, keepdim=True), x.var(dims, unbiased=False, keepdim=True)
    return (x - mean) / torch.sqrt(var + 1e-5)


def test_norms_average_over_the_axes_the_cards_name() -> None:
    x = torch.randn(4, 6, 5, 5)
    close(nn.BatchNorm2d(6)(x), standardise(x, (0, 2, 3)))  # norm-bn-axes
    close(nn.InstanceNorm2d(6)(x), standardise(x, (2, 3)))  # norm-in-axes
    groups = standardise(x.reshape(4, 3, 2, 5, 5), (2, 3, 4)).reshape_as(x)
    close(nn.GroupNorm(3, 6)(x), groups)  # norm-gn-axes
    close(nn.GroupNorm(1, 6)(x), F.layer_norm(x, x.shape[1:]))  # norm-gn-extremes
    close(nn.GroupNorm(6, 6)(x), F.instance_norm(x))
    tokens = torch.randn(2, 3, 8)
    close(nn.LayerNorm(8)(tokens), standardise(tokens, (-1,)))  # norm-ln-axes


def test_batchnorm_gamma_and_beta_can_undo_it() -> None:
    x = torch.randn(256, 3) * 2 + 5
    bn = nn.BatchNorm1d(3)
    with torch.no_grad():
        bn.weight.copy_(torch.sqrt(x.var(0, unbiased=False) + bn.eps))
        bn.bias.copy_(x.mean(0))
    close(bn(x), x)


def test_conv_bias_is_cancelled_by_batchnorm_in_training() -> None:
    x = torch.randn(2, 3, 8, 8)
    with_bias, without = nn.Conv2d(3, 4, 3), nn.Conv2d(3, 4, 3, bias=False)
    without.weight = with_bias.weight
    close(nn.BatchNorm2d(4)(with_bias(x)), nn.BatchNorm2d(4)(without(x)))


def test_batchnorm_folds_into_the_convolution() -> None:
    conv, bn = nn.Conv2d(3, 4, 3, bias=False), nn.BatchNorm2d(4).eval()
    with torch.no_grad():
        for t, lo, hi in [(bn.running_mean, -1, 1), (bn.running_var, 0.5, 2), (bn.bias, -1, 1)]:
            t.uniform_(lo, hi)
        bn.weight.uniform_(0.5, 2)
        scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
        fused = nn.Conv2d(3, 4, 3)
        fused.weight.copy_(conv.weight * scale[:, None, None, None])
        fused.bias.copy_(bn.bias - scale * bn.running_mean)
        x = torch.randn(2, 3, 8, 8)
        close(fused(x), bn(conv(x)))


def test_batchnorm_train_mode_mixes_the_batch_and_refuses_one_vector() -> None:
    bn, x = nn.BatchNorm1d(3), torch.randn(4, 3)
    assert not torch.allclose(bn(x)[:1], bn(torch.cat([x[:1], 10 * x[1:]]))[:1])
    bn.eval()
    close(bn(x)[:1], bn(torch.cat([x[:1], 10 * x[1:]]))[:1])  # norm-forgot-eval
    with pytest.raises(ValueError, match="more than 1 value"):
        nn.BatchNorm1d(3).train()(torch.randn(1, 3))  # norm-small-batch


def test_rmsnorm_matches_its_formula_and_layernorm_on_zero_mean_input() -> None:
    x = torch.randn(5, 8)
    close(nn.RMSNorm(8, eps=1e-5)(x), x / torch.sqrt(x.pow(2).mean(-1, keepdim=True) + 1e-5))
    centred = x - x.mean(-1, keepdim=True)
    close(nn.RMSNorm(8, eps=1e-5)(centred), F.layer_norm(centred, (8,)))


def test_scaled_dot_product_attention_formula_masks_and_rows() -> None:
    q, k, v = torch.randn(3, 2, 6, 16).unbind(0)
    close(F.scaled_dot_product_attention(q, k, v), sdpa_weights(q, k) @ v)  # attn-sdpa-formula
    causal = sdpa_weights(q, k, torch.ones(6, 6, dtype=torch.bool).tril())
    close(F.scaled_dot_product_attention(q, k, v, is_causal=True), causal @ v)
    assert (causal.triu(1) == 0).all()  # attn-causal-mask
    close(causal.sum(-1), torch.ones(2, 6))  # attn-rows-sum-to-one


def test_self_attention_is_permutation_equivariant() -> None:
    layer, x, perm = mha(32, 4), torch.randn(1, 7, 32), torch.randperm(7)
    out = layer(x, x, x)[0]
    close(layer(x[:, perm], x[:, perm], x[:, perm])[0], out[:, perm])


def rope(x: torch.Tensor, pos: int) -> torch.Tensor:
    angle = pos / 10000 ** (torch.arange(0, x.shape[-1], 2, dtype=x.dtype) / x.shape[-1])
    even, odd = x[..., 0::2], x[..., 1::2]
    rotated = (even * angle.cos() - odd * angle.sin(), even * angle.sin() + odd * angle.cos())
    return torch.stack(rotated, -1).flatten(-2)


def test_rope_scores_depend_only_on_the_offset() -> None:
    q, k = torch.randn(2, 16, dtype=torch.float64)
    score = (rope(q, 7) * rope(k, 3)).sum()
    close((rope(q, 107) * rope(k, 103)).sum(), score)
    assert not torch.isclose((rope(q, 8) * rope(k, 3)).sum(), score)


def test_rnn_and_lstm_follow_the_card_formulas() -> None:
    x, h0 = torch.randn(1, 10), torch.randn(1, 20)
    rnn = nn.RNNCell(10, 20)
    manual = torch.tanh(x @ rnn.weight_ih.T + rnn.bias_ih + h0 @ rnn.weight_hh.T + rnn.bias_hh)
    close(rnn(x, h0), manual)  # rnn-recurrence
    cell, c0 = nn.LSTMCell(10, 20), torch.randn(1, 20)
    z = x @ cell.weight_ih.T + cell.bias_ih + h0 @ cell.weight_hh.T + cell.bias_hh
    i, f, g, o = z.chunk(4, dim=1)  # PyTorch's block order
    c1 = f.sigmoid() * c0 + i.sigmoid() * g.tanh()
    h1, c = cell(x, (h0, c0))
    close(c, c1)  # rnn-lstm-cell-update
    close(h1, o.sigmoid() * c1.tanh())


def test_packed_sequences_stop_at_the_true_length() -> None:
    lstm = nn.LSTM(3, 5, batch_first=True)
    short, long = torch.randn(1, 2, 3), torch.randn(1, 4, 3)
    padded = torch.cat([F.pad(short, (0, 0, 0, 2)), long])
    packed = nn.utils.rnn.pack_padded_sequence(
        padded, [2, 4], batch_first=True, enforce_sorted=False
    )
    _, (h_n, _) = lstm(packed)
    close(h_n[0, 0], lstm(short)[1][0][0, 0])
    assert not torch.allclose(lstm(padded)[1][0][0, 0], h_n[0, 0])


@pytest.mark.filterwarnings("ignore:reduction")  # torch warns that 'mean' will change
def test_cross_entropy_nll_kl_and_ignore_index() -> None:
    logits, y = torch.randn(4, 5), torch.tensor([0, 3, 1, 4])
    close(F.cross_entropy(logits, y), F.nll_loss(F.log_softmax(logits, 1), y))  # loss-ce-is-nll
    kept = F.cross_entropy(logits[:2], y[:2])
    close(F.cross_entropy(logits, torch.tensor([0, 3, -100, -100])), kept)  # loss-ignore-index
    p, log_q = torch.softmax(torch.randn(4, 5), 1), F.log_softmax(logits, 1)
    total = (p * (p.log() - log_q)).sum()
    close(F.kl_div(log_q, p, reduction="batchmean"), total / 4)  # loss-kl-div-input
    close(F.kl_div(log_q, p, reduction="mean"), total / 20)
    close(F.huber_loss(logits, p, delta=1.0), F.smooth_l1_loss(logits, p, beta=1.0))  # loss-huber
    close(F.huber_loss(logits, p, delta=2.0), 2.0 * F.smooth_l1_loss(logits, p, beta=2.0))


def test_bias_broadcasts_from_the_last_axis() -> None:
    bias = torch.randn(16)
    with pytest.raises(RuntimeError):
        torch.zeros(2, 16, 5, 8) + bias
    conv = nn.Conv2d(3, 16, 1)
    x = torch.randn(2, 3, 5, 8)
    close(conv(x), F.conv2d(x, conv.weight) + conv.bias.view(1, 16, 1, 1))
    close(conv(x), F.conv2d(x, conv.weight) + conv.bias.view(16, 1, 1))


def test_reshape_needs_equal_element_counts() -> None:
    x = torch.arange(60).reshape(3, 4, 5)
    assert x.reshape(12, 5).shape == (12, 5)
    with pytest.raises(RuntimeError):
        x.reshape(7, 9)


def test_conv_layers_do_not_flip_the_kernel() -> None:
    x, w = torch.randn(1, 1, 3, 3), torch.randn(1, 1, 3, 3)
    close(F.conv2d(x, w)[0, 0, 0, 0], (x * w).sum())  # conv-cross-correlation
    assert not torch.isclose(F.conv2d(x, w)[0, 0, 0, 0], (x * w.flip(-1, -2)).sum())


def test_full_padding_evens_out_border_coverage() -> None:
    # conv-same-padding: with P = K − 1 every pixel, corner or centre, is in K·K windows.
    assert windows_covering(0, 0, pad=2) == windows_covering(4, 4, pad=2) == 9
