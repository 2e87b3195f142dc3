"""The torch builders behind tests/test_content_numbers_a.py: hand-built ResNets (no
torchvision, on the meta device), attention, norms, recurrent layers and losses.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn


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
