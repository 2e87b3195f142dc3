"""Helpers of the tests/test_content_*_b.py files: the cards of five concept files, and
networks built by hand (no torchvision) whose parameters and MACs the cards state.

Built on the meta device where only shapes and counts matter.
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

import torch
from torch import nn

CONCEPTS = Path(__file__).resolve().parents[1] / "content" / "concepts"
FILES = ("optimization", "regularization", "training", "history", "seed_gaps")
META = torch.device("meta")


@cache
def cards() -> dict[str, dict[str, object]]:
    found: dict[str, dict[str, object]] = {}
    for name in FILES:
        with (CONCEPTS / f"{name}.toml").open("rb") as f:
            for card in tomllib.load(f)["concept"]:
                found[card["slug"]] = card
    return found


def text(slug: str) -> str:
    card = cards()[slug]
    parts = [card["question"], card["answer"], card["explanation"], *card.get("choices", [])]
    return " ".join(str(p) for p in parts)


def says(slug: str, *fragments: str) -> None:
    body = text(slug)
    for fragment in fragments:
        assert fragment in body, f"{slug}: {fragment!r} not in the card"


def n_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def commas(n: int) -> str:
    return f"{n:,}"


# ---------------------------------------------------------------- networks, by hand


def vgg(cfg: list[int | str], classes: int = 1000) -> nn.Sequential:
    layers: list[nn.Module] = []
    c = 3
    for v in cfg:
        if v == "M":
            layers.append(nn.MaxPool2d(2))
        else:
            assert isinstance(v, int)
            layers += [nn.Conv2d(c, v, 3, padding=1), nn.ReLU()]
            c = v
    head = [nn.Linear(512 * 7 * 7, 4096), nn.ReLU(), nn.Linear(4096, 4096), nn.ReLU()]
    return nn.Sequential(*layers, nn.Flatten(), *head, nn.Linear(4096, classes))


VGG16 = [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"]
VGG19 = [64, 64, "M", 128, 128, "M", *[256] * 4, "M", *[512] * 4, "M", *[512] * 4, "M"]


def conv_bn(i: int, o: int, k: int, stride: int = 1, groups: int = 1) -> nn.Sequential:
    conv = nn.Conv2d(i, o, k, stride, k // 2, groups=groups, bias=False)
    return nn.Sequential(conv, nn.BatchNorm2d(o))


class Block(nn.Module):
    """A ResNet basic block (expansion 1) or bottleneck (expansion 4, optionally grouped)."""

    def __init__(self, i: int, w: int, stride: int, bottleneck: bool, groups: int, base: int):
        super().__init__()
        if bottleneck:
            mid, out = w * base // 64 * groups, 4 * w
            self.f = nn.Sequential(
                conv_bn(i, mid, 1), nn.ReLU(), conv_bn(mid, mid, 3, stride, groups), nn.ReLU(),
                conv_bn(mid, out, 1),
            )  # fmt: skip
        else:
            out = w
            self.f = nn.Sequential(conv_bn(i, w, 3, stride), nn.ReLU(), conv_bn(w, w, 3))
        self.out = out
        self.short = conv_bn(i, out, 1, stride) if stride != 1 or i != out else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.f(x) + self.short(x))


def resnet(depths: list[int], bottleneck: bool, groups: int = 1, base: int = 64) -> nn.Sequential:
    layers: list[nn.Module] = [conv_bn(3, 64, 7, 2), nn.ReLU(), nn.MaxPool2d(3, 2, 1)]
    c = 64
    for stage, (w, d) in enumerate(zip([64, 128, 256, 512], depths, strict=True)):
        for j in range(d):
            block = Block(c, w, 2 if j == 0 and stage else 1, bottleneck, groups, base)
            layers.append(block)
            c = block.out
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c, 1000))


class Inception(nn.Module):
    """GoogLeNet's module as in the paper: biases, no BatchNorm, a real 5×5 branch."""

    def __init__(self, i: int, c1: int, r3: int, c3: int, r5: int, c5: int, pp: int):
        super().__init__()
        relu = nn.ReLU
        self.b1 = nn.Sequential(nn.Conv2d(i, c1, 1), relu())
        self.b3 = nn.Sequential(
            nn.Conv2d(i, r3, 1), relu(), nn.Conv2d(r3, c3, 3, padding=1), relu()
        )
        self.b5 = nn.Sequential(
            nn.Conv2d(i, r5, 1), relu(), nn.Conv2d(r5, c5, 5, padding=2), relu()
        )
        self.bp = nn.Sequential(nn.MaxPool2d(3, 1, 1), nn.Conv2d(i, pp, 1), relu())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.b1(x), self.b3(x), self.b5(x), self.bp(x)], 1)


INCEPTIONS = [
    (192, 64, 96, 128, 16, 32, 32), (256, 128, 128, 192, 32, 96, 64), "M",
    (480, 192, 96, 208, 16, 48, 64), (512, 160, 112, 224, 24, 64, 64),
    (512, 128, 128, 256, 24, 64, 64), (512, 112, 144, 288, 32, 64, 64),
    (528, 256, 160, 320, 32, 128, 128), "M",
    (832, 256, 160, 320, 32, 128, 128), (832, 384, 192, 384, 48, 128, 128),
]  # fmt: skip


def googlenet() -> nn.Sequential:
    pool = lambda: nn.MaxPool2d(3, 2, ceil_mode=True)  # noqa: E731
    layers: list[nn.Module] = [
        nn.Conv2d(3, 64, 7, 2, 3), nn.ReLU(), pool(), nn.Conv2d(64, 64, 1), nn.ReLU(),
        nn.Conv2d(64, 192, 3, padding=1), nn.ReLU(), pool(),
    ]  # fmt: skip
    layers += [pool() if c == "M" else Inception(*c) for c in INCEPTIONS]
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(1024, 1000))


class DenseLayer(nn.Module):
    def __init__(self, i: int, k: int = 32) -> None:
        super().__init__()
        self.f = nn.Sequential(
            nn.BatchNorm2d(i), nn.ReLU(), nn.Conv2d(i, 4 * k, 1, bias=False),
            nn.BatchNorm2d(4 * k), nn.ReLU(), nn.Conv2d(4 * k, k, 3, padding=1, bias=False),
        )  # fmt: skip

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([x, self.f(x)], 1)


def densenet121() -> nn.Sequential:
    layers: list[nn.Module] = [
        nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(3, 2, 1)
    ]  # fmt: skip
    c = 64
    for b, depth in enumerate([6, 12, 24, 16]):
        for _ in range(depth):
            layers.append(DenseLayer(c))
            c += 32
        if b < 3:
            layers += [nn.BatchNorm2d(c), nn.ReLU(), nn.Conv2d(c, c // 2, 1, bias=False)]
            layers.append(nn.AvgPool2d(2))
            c //= 2
    tail = [nn.BatchNorm2d(c), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten()]
    return nn.Sequential(*layers, *tail, nn.Linear(c, 1000))


def vit_b16() -> tuple[nn.ModuleDict, nn.ParameterDict]:
    layer = nn.TransformerEncoderLayer(768, 12, 3072, batch_first=True, norm_first=True)
    modules = nn.ModuleDict(
        {
            "patch": nn.Conv2d(3, 768, 16, 16),
            "encoder": nn.TransformerEncoder(layer, 12, enable_nested_tensor=False),
            "norm": nn.LayerNorm(768),
            "head": nn.Linear(768, 1000),
        }
    )
    tokens = nn.ParameterDict(
        {"cls": nn.Parameter(torch.zeros(1, 1, 768)), "pos": nn.Parameter(torch.zeros(1, 197, 768))}
    )
    return modules, tokens


def convnext_tiny() -> nn.Sequential:
    def block(d: int) -> nn.Module:
        scale = nn.ParameterList([nn.Parameter(torch.ones(d))])  # layer scale γ
        body = [nn.Conv2d(d, d, 7, padding=3, groups=d), nn.LayerNorm(d), nn.Linear(d, 4 * d)]
        return nn.Sequential(*body, nn.GELU(), nn.Linear(4 * d, d), scale)

    dims = [96, 192, 384, 768]
    layers: list[nn.Module] = [nn.Conv2d(3, 96, 4, 4), nn.LayerNorm(96)]
    for i, (d, depth) in enumerate(zip(dims, [3, 3, 9, 3], strict=True)):
        if i:
            layers += [nn.LayerNorm(dims[i - 1]), nn.Conv2d(dims[i - 1], d, 2, 2)]
        layers += [block(d) for _ in range(depth)]
    return nn.Sequential(*layers, nn.LayerNorm(768), nn.Linear(768, 1000))


def seed_model(padding: str = "same", pool: bool = True) -> nn.Sequential:
    """The seed's Keras model, Conv2D(32, 3, 'same') → MaxPool 2 → Flatten → 128 → 10."""
    side = 224 if padding == "same" else 222
    side = side // 2 if pool else side
    return nn.Sequential(
        nn.Conv2d(3, 32, 3, padding=1 if padding == "same" else 0), nn.ReLU(),
        *([nn.MaxPool2d(2)] if pool else []), nn.Flatten(),
        nn.Linear(32 * side * side, 128), nn.ReLU(), nn.Linear(128, 10), nn.Softmax(dim=1),
    )  # fmt: skip


def macs(model: nn.Module, x: torch.Tensor) -> int:
    """Multiply-accumulates of all convolutions and linear layers, counted from their outputs."""
    total = 0

    def hook(m: nn.Module, _inp: object, out: torch.Tensor) -> None:
        nonlocal total
        if isinstance(m, nn.Conv2d):
            kh, kw = m.kernel_size
            total += out.numel() * m.in_channels // m.groups * kh * kw
        elif isinstance(m, nn.Linear):
            total += out.numel() * m.in_features

    handles = [m.register_forward_hook(hook) for m in model.modules()]
    model(x)
    for h in handles:
        h.remove()
    return total
