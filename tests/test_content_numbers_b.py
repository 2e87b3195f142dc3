"""Every number torch can compute in the concept cards of optimization.toml,
regularization.toml, training.toml, history.toml and seed_gaps.toml is recomputed here
(networks are built by hand, on the meta device where only shapes and counts matter)
and must appear, as written, in its card."""

from __future__ import annotations

import inspect
import math
import tomllib
from collections.abc import Callable
from functools import cache
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
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


# ---------------------------------------------------------------- the cards exist


def test_every_card_file_loads_and_slugs_are_prefixed() -> None:
    assert len(cards()) >= 60
    prefixes = ("opt-", "reg-", "train-", "hist-", "cnn-", "tensor-")
    assert all(slug.startswith(prefixes) for slug in cards())


# Small arithmetic stated in the cards: (card, computed, value the card states, its words).
ARITHMETIC = [
    ("opt-sgd-update", 50_000 // 250, 200, "200 updates"),
    ("opt-adam-update", round(1 / (1 - 0.9)), 10, "last 10 gradients"),
    ("opt-adam-update", round(1 / (1 - 0.999)), 1000, "last 1,000 squared"),
    ("hist-alexnet-result", round(26.2 - 15.3, 1), 10.9, "almost 11 percentage points"),
    ("hist-resnet", 152 // 19, 8, "8× deeper than VGG"),
    ("train-adam-memory", 16 * 10**9 // 10**9, 16, "16 GB"),
    ("reg-early-stopping-practice", 40 + 10, 50, "stops at epoch 50"),
    ("cnn-average-pooling", int(torch.tensor([1, 2, 3, 6]).sum()), 12, "(1 + 2 + 3 + 6) / 4"),
]


@pytest.mark.parametrize(("slug", "computed", "stated", "fragment"), ARITHMETIC)
def test_small_arithmetic(slug: str, computed: float, stated: float, fragment: str) -> None:
    assert computed == stated
    says(slug, fragment)


# ---------------------------------------------------------------- optimization


def test_minibatch_noise_halves_with_four_times_the_batch() -> None:
    gen = torch.Generator().manual_seed(0)
    per_example = torch.randn(100_000, generator=gen) * 3 + 1  # per-example gradients
    stds = []
    for batch in (64, 256):
        idx = torch.randint(0, per_example.numel(), (4000, batch), generator=gen)
        stds.append(per_example[idx].mean(1).std().item())
    assert stds[0] / stds[1] == pytest.approx(2.0, rel=0.06)
    says("opt-minibatch-noise", "4× larger batch only halves", "64 to 256", "2× less noisy")


@pytest.mark.parametrize(("mu", "factor"), [(0.9, 10), (0.99, 100)])
def test_momentum_settles_at_one_over_one_minus_mu(mu: float, factor: int) -> None:
    p = nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=1.0, momentum=mu)
    for _ in range(3000):
        before = p.detach().clone()
        p.grad = torch.ones(1)
        opt.step()
    assert (before - p.detach()).item() == pytest.approx(factor, rel=1e-3)
    says("opt-momentum-effective-step", f"{factor}×")


def test_adam_defaults_and_first_step() -> None:
    params = inspect.signature(torch.optim.Adam).parameters
    assert params["betas"].default == (0.9, 0.999) and params["eps"].default == 1e-8
    says("opt-adam-update", "β₁ = 0.9", "β₂ = 0.999", "last 10 gradients", "1,000 squared", "1e-8")
    for g in (1000.0, 0.001):
        p = nn.Parameter(torch.zeros(1))
        opt = torch.optim.Adam([p], lr=0.001)
        p.grad = torch.tensor([g])
        opt.step()
        assert -p.item() == pytest.approx(0.001, rel=1e-4)
    says("opt-adam-first-step", "gradient is 1,000", "0.001 both move", "by about 0.001")


def test_adam_bias_correction_numbers() -> None:
    g = torch.tensor(2.0)
    m, v = (1 - 0.9) * g, (1 - 0.999) * g**2  # raw moments after one step from zero
    assert (v / g**2).item() == pytest.approx(0.001)
    assert (m / v.sqrt() / g.sign()).item() == pytest.approx(3.16, abs=0.005)
    says("opt-adam-bias-correction", "0.001·g²", "1 − 0.999¹ = 0.001", "≈ 3.16 times")


def test_l2_is_decay_for_plain_sgd_but_not_for_adam() -> None:
    theta, grad, lr, lam = torch.tensor([2.0, -1.0]), torch.tensor([0.5, 0.3]), 0.1, 0.01

    def step(opt_cls: Callable[..., torch.optim.Optimizer], **kw: float) -> torch.Tensor:
        p = nn.Parameter(theta.clone())
        opt = opt_cls([p], lr=lr, **kw)
        p.grad = grad.clone()
        opt.step()
        return p.detach()

    assert torch.allclose(
        step(torch.optim.SGD, weight_decay=lam), (1 - lr * lam) * theta - lr * grad
    )
    assert not torch.allclose(
        step(torch.optim.Adam, weight_decay=lam), step(torch.optim.AdamW, weight_decay=lam)
    )
    default = inspect.signature(torch.optim.AdamW).parameters["weight_decay"].default
    assert default == 0.01
    assert inspect.signature(torch.optim.Adam).parameters["weight_decay"].default == 0
    assert 1 - 0.001 * default == pytest.approx(0.99999)
    says("opt-adamw-default-decay", "0.01", "default is 0", "1 − 0.001·0.01 = 0.99999")


def test_cosine_schedule_values() -> None:
    p = nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=0.1)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=100)
    lrs = [0.1]
    for _ in range(100):
        opt.step()
        sched.step()
        lrs.append(opt.param_groups[0]["lr"])
    assert lrs[50] == pytest.approx(0.05)
    assert round(lrs[25], 3) == 0.085 and round(lrs[75], 3) == 0.015
    says("opt-cosine-midpoint", "0.05", "step 25 it is still 0.085", "step 75 already 0.015")


def test_clipping_by_norm_and_by_value() -> None:
    g = nn.Parameter(torch.zeros(2))
    g.grad = torch.tensor([3.0, 4.0])
    norm = torch.nn.utils.clip_grad_norm_([g], 1.0)
    assert norm.item() == 5 and torch.allclose(g.grad, torch.tensor([0.6, 0.8]))
    g.grad = torch.tensor([3.0, 4.0])
    torch.nn.utils.clip_grad_value_([g], 1.0)
    assert g.grad.tolist() == [1.0, 1.0]
    angles = [math.degrees(math.atan2(4, 3)), math.degrees(math.atan2(1, 1))]
    assert [round(a) for a in angles] == [53, 45]
    says("opt-clip-value-direction", "(1, 1)", "45°", "53°", "(0.6, 0.8)")


def test_step_decay_recipe() -> None:
    p = nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=0.1)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=30, gamma=0.1)
    lrs = []
    for _ in range(90):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    assert [round(lrs[e], 6) for e in (0, 29, 30, 59, 60, 65, 89)] == [
        0.1, 0.1, 0.01, 0.01, 0.001, 0.001, 0.001,
    ]  # fmt: skip
    says(
        "opt-step-decay-resnet", "0.001", "epochs 30–59 at 0.01", "StepLR(step_size=30, gamma=0.1)"
    )


def test_linear_scaling_rule() -> None:
    lr = 0.1 * 8192 / 256
    assert 8192 / 256 == 32 and lr == pytest.approx(3.2)
    says("opt-linear-scaling-rule", "8,192 / 256 = 32", "3.2")
    says("opt-lr-warmup-why", "batch 8,192, learning rate 3.2")


# ---------------------------------------------------------------- regularization


@pytest.mark.parametrize(
    ("p", "scale", "phrase"),
    [(0.5, "2", "p = 0.5 the survivors are doubled"), (0.2, "1.25", "multiplied by 1.25")],
)
def test_dropout_scales_survivors_in_training_only(p: float, scale: str, phrase: str) -> None:
    torch.manual_seed(0)
    drop = nn.Dropout(p)
    x = torch.ones(10_000)
    kept = drop(x)
    assert set(kept.unique().tolist()) == {0.0, float(scale)}
    drop.eval()
    assert torch.equal(drop(x), x)
    says("reg-dropout-inverted-scaling", phrase)
    says("reg-dropout-eval", "1/(1 − p) = 2")


def test_weight_decay_factor_and_l2_gradient() -> None:
    p = nn.Parameter(torch.tensor([1.0]))
    opt = torch.optim.SGD([p], lr=0.1, weight_decay=5e-4)
    p.grad = torch.zeros(1)
    opt.step()
    assert p.item() == pytest.approx(0.99995)
    left = 0.99995**100_000
    assert left == pytest.approx(math.exp(-5), rel=1e-3)
    assert round(100 * 0.99995**100_000, 1) == 0.7
    says("reg-weight-decay-shrink", "0.99995", "100,000 steps", "e⁻⁵", "0.7 %")
    w = torch.tensor([3.0, 0.1], requires_grad=True)
    (0.01 / 2 * (w**2).sum()).backward()
    assert torch.allclose(w.grad, torch.tensor([0.03, 0.001]))
    says("reg-l2-gradient", "extra gradient of 0.03", "only 0.001")


def test_mixup_small_alpha_favours_the_ends() -> None:
    torch.manual_seed(0)
    lam = torch.distributions.Beta(0.2, 0.2).sample((100_000,))
    uniform = torch.distributions.Beta(1.0, 1.0).sample((100_000,))
    near_end = ((lam < 0.1) | (lam > 0.9)).float().mean().item()
    assert near_end > 0.5 and ((uniform < 0.1) | (uniform > 0.9)).float().mean().item() < 0.25
    says("reg-mixup-alpha", "α such as 0.2", "near 0 or 1", "α (e.g. 1, uniform)")


def test_decay_exclusions_and_eval_crop() -> None:
    assert n_params(nn.BatchNorm2d(64)) == 128
    says("reg-decay-exclusions", "BatchNorm2d(64) has 128")
    assert 224 / 256 == 0.875
    says("reg-eval-no-augmentation", "224/256 = 0.875", "to 256", "central 224×224")


def test_cutmix_area_share() -> None:
    mask = torch.zeros(224, 224)
    mask[:112, :112] = 1
    assert mask.sum().item() == 12_544 and mask.numel() == 50_176 and mask.mean().item() == 0.25
    says("reg-cutmix-label", "12,544 / 50,176 = 0.25", "75 % cat, 25 % dog", "the cat 0.75")


def test_label_smoothing_target_and_optimal_gap() -> None:
    logits = torch.randn(4, 10, generator=torch.Generator().manual_seed(1))
    target = torch.tensor([3, 0, 9, 5])
    smoothed = torch.full((4, 10), 0.01).scatter_(1, target[:, None], 0.91)
    manual = -(smoothed * F.log_softmax(logits, 1)).sum(1).mean()
    assert F.cross_entropy(logits, target, label_smoothing=0.1).item() == pytest.approx(
        manual.item()
    )
    gap = math.log(91)
    z = torch.zeros(1, 10)
    z[0, 3] = gap
    z.requires_grad_()
    F.cross_entropy(z, torch.tensor([3]), label_smoothing=0.1).backward()
    assert z.grad.abs().max().item() < 1e-6  # the finite gap ln 91 is the optimum
    says("reg-label-smoothing-gap", "0.91", "0.01", "ln(0.91 / 0.01) = ln 91", "ln 91 ≈ 4.51")
    assert f"{gap:.2f}" == "4.51"


# ---------------------------------------------------------------- training


def test_half_precision_ranges() -> None:
    f16, bf16 = torch.finfo(torch.float16), torch.finfo(torch.bfloat16)
    assert f16.max == 65504 and (2 - 2**-10) * 2**15 == 65504
    says("train-fp16-max", "65,504", "3.4·10³⁸")
    # 10 stored mantissa bits (eps = 2⁻¹⁰); 5 exponent bits (largest exponent 2⁴ − 1 = 15)
    assert f16.bits == 16 and f16.eps == 2**-10 and int(math.log2(f16.max)) == 15 == 2**4 - 1
    says("train-fp16-max", "1 sign bit, 5 exponent bits and 10 mantissa bits")
    assert f"{bf16.max:.1e}" == "3.4e+38" and f"{torch.finfo(torch.float32).max:.1e}" == "3.4e+38"
    assert f16.smallest_normal == 2**-14 and f"{2**-14:.1e}" == "6.1e-05"
    assert torch.tensor(2**-24, dtype=torch.float16).item() == 2**-24
    assert f"{2**-24:.2e}" == "5.96e-08" and torch.tensor(2**-26, dtype=torch.float16).item() == 0
    says("train-fp16-underflow", "6.1·10⁻⁵", "5.96·10⁻⁸", "2⁻²⁶ becomes exactly 0")
    assert bf16.eps == 0.0078125 and f"{f16.eps:.6f}" == "0.000977"
    assert f"{bf16.smallest_normal:.1e}".endswith("e-38")
    says(
        "train-bf16-no-scaling",
        "0.0078125",
        "0.000977",
        "8 exponent bits",
        "7 mantissa",
        "3.4·10³⁸",
        "6·10⁻⁸",
    )
    one = torch.tensor(1.0, dtype=torch.float16)
    assert (one + torch.tensor(1e-4, dtype=torch.float16)).item() == 1.0
    assert f"{torch.finfo(torch.float32).eps:.1e}" == "1.2e-07"
    says("train-master-weights", "0.000977", "1 + 0.0001 gives exactly 1", "1.2·10⁻⁷")


def test_grad_scaler_defaults() -> None:
    params = inspect.signature(torch.amp.GradScaler).parameters
    assert params["init_scale"].default == 65536.0 == 2**16
    assert params["backoff_factor"].default == 0.5 and params["growth_factor"].default == 2.0
    assert params["growth_interval"].default == 2000
    says(
        "train-grad-scaler-dynamic",
        "65,536 (2¹⁶)",
        "backoff factor is 0.5",
        "growth factor 2",
        "2,000",
    )


def test_gradient_accumulation_matches_the_big_batch_but_not_with_batchnorm() -> None:
    gen = torch.Generator().manual_seed(0)
    x, y = torch.randn(32, 5, generator=gen), torch.randn(32, 1, generator=gen)

    def grads(model: nn.Module, chunks: int) -> torch.Tensor:
        model.zero_grad()
        for xs, ys in zip(x.chunk(chunks), y.chunk(chunks), strict=True):
            (F.mse_loss(model(xs), ys) / chunks).backward()
        return torch.cat([p.grad.flatten() for p in model.parameters()])

    torch.manual_seed(0)
    plain = nn.Linear(5, 1)
    assert torch.allclose(grads(plain, 1), grads(plain, 4), atol=1e-6)
    with_bn = nn.Sequential(nn.Linear(5, 4), nn.BatchNorm1d(4), nn.Linear(4, 1))
    assert not torch.allclose(grads(with_bn, 1), grads(with_bn, 4), atol=1e-4)
    says("train-grad-accumulation", "4 forward/backward passes", "micro-batches of 8", "by 4")
    says("train-grad-accumulation-bn", "8 examples, not 32")


def test_backward_accumulates_into_grad() -> None:
    w = torch.ones(1, requires_grad=True)
    for _ in range(2):
        w.sum().backward()
    assert w.grad.item() == 2
    says("train-zero-grad", ".grad = 2")


def test_checkpointing_gives_the_same_gradient() -> None:
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(4, 4), nn.Tanh(), nn.Linear(4, 1))
    x = torch.randn(3, 4)
    net(x).sum().backward()
    direct = [p.grad.clone() for p in net.parameters()]
    net.zero_grad()
    torch.utils.checkpoint.checkpoint(net, x, use_reentrant=False).sum().backward()
    assert all(torch.allclose(a, p.grad) for a, p in zip(direct, net.parameters(), strict=True))
    assert round(100 * (4 / 3 - 1)) == 33
    says("train-checkpointing-cost", "33 %", "3 units to 4")


def test_adam_needs_sixteen_bytes_per_parameter() -> None:
    p = nn.Parameter(torch.zeros(1000))
    opt = torch.optim.Adam([p])
    p.grad = torch.ones(1000)
    opt.step()
    state = opt.state[p]
    per_param = (
        p.element_size()
        + p.grad.element_size()
        + state["exp_avg"].element_size()
        + state["exp_avg_sq"].element_size()
    )
    assert (
        p.element_size() == 4
        and per_param == 16
        and state["exp_avg"].numel() == state["exp_avg_sq"].numel() == 1000
    )
    says("train-adam-memory", "16", "16 GB", "8 bytes", "4 bytes for the weight", "4 + 4")


def test_initialisation_scales() -> None:
    w = torch.empty(128, 64, 3, 3)
    fan_in, _ = nn.init._calculate_fan_in_and_fan_out(w)
    assert fan_in == 576
    he_std = nn.init.calculate_gain("relu") / math.sqrt(fan_in)
    assert f"{he_std:.4f}" == "0.0589"
    says("train-he-init-std", "3·3·64 = 576", "≈ 0.0589")
    lin = torch.empty(256, 256)
    torch.manual_seed(0)
    nn.init.xavier_uniform_(lin)
    bound = math.sqrt(6 / 512)
    assert lin.abs().max().item() <= bound and f"{bound:.3f}" == "0.108"
    assert bound**2 / 3 == pytest.approx(2 / (256 + 256))  # uniform variance a²/3
    assert lin.var().item() == pytest.approx(2 / 512, rel=0.05)
    says("train-xavier-bound", "≈ 0.108", "√(6/512)")
    layer = nn.Linear(100, 10)
    assert layer.weight.abs().max().item() <= 0.1 and layer.bias.abs().max().item() <= 0.1
    assert f"{1 / math.sqrt(300):.3f}" == "0.058" and f"{math.sqrt(2 / 100):.3f}" == "0.141"
    says("train-linear-default-init", "[−0.1, 0.1]", "≈ 0.058", "≈ 0.141")


def test_eval_mode_keeps_autograd_on() -> None:
    net = nn.Sequential(nn.Linear(3, 3), nn.BatchNorm1d(3), nn.Dropout(0.5)).eval()
    out = net(torch.randn(2, 3))
    assert out.requires_grad and not net[2].training and not net[1].training
    says("train-eval-mode", "Stop autograd from recording operations")


# ---------------------------------------------------------------- history


def test_lenet5_counts() -> None:
    with META:
        dense_c3 = nn.Sequential(
            nn.Conv2d(1, 6, 5), nn.Tanh(), nn.AvgPool2d(2), nn.Conv2d(6, 16, 5), nn.Tanh(),
            nn.AvgPool2d(2), nn.Flatten(), nn.Linear(400, 120), nn.Linear(120, 84),
            nn.Linear(84, 10),
        )  # fmt: skip
        assert dense_c3(torch.empty(1, 1, 32, 32)).shape == (1, 10)
        # The 1998 layout: C3's 16 maps read 3, 4 or all 6 of S2's maps; S2 and S4 have a
        # trainable scale and bias per map; C5 and F6 are dense; the RBF output is fixed.
        inputs_per_c3_map = [3] * 6 + [4] * 9 + [6]
        c3 = sum(n_params(nn.Conv2d(k, 1, 5)) for k in inputs_per_c3_map)
        original = n_params(nn.Conv2d(1, 6, 5)) + 6 * 2 + c3 + 16 * 2
        original += n_params(nn.Linear(400, 120)) + n_params(nn.Linear(120, 84))
    assert n_params(dense_c3) == 61_706 and original == 60_000
    says("hist-lenet5-params", "61,706", "60,000", "32×32")


def test_alexnet_counts_and_first_layer() -> None:
    with META:
        single = nn.Sequential(
            nn.Conv2d(3, 64, 11, 4, 2), nn.Conv2d(64, 192, 5, padding=2),
            nn.Conv2d(192, 384, 3, padding=1), nn.Conv2d(384, 256, 3, padding=1),
            nn.Conv2d(256, 256, 3, padding=1),
            nn.Linear(9216, 4096), nn.Linear(4096, 4096), nn.Linear(4096, 1000),
        )  # fmt: skip
        two_gpu = nn.Sequential(
            nn.Conv2d(3, 96, 11, 4), nn.Conv2d(96, 256, 5, padding=2, groups=2),
            nn.Conv2d(256, 384, 3, padding=1), nn.Conv2d(384, 384, 3, padding=1, groups=2),
            nn.Conv2d(384, 256, 3, padding=1, groups=2),
            nn.Linear(9216, 4096), nn.Linear(4096, 4096), nn.Linear(4096, 1000),
        )  # fmt: skip
        first = nn.Conv2d(3, 96, 11, 4)(torch.empty(1, 3, 227, 227))
    assert n_params(single) == 61_100_840 and n_params(two_gpu) == 60_965_224
    says("hist-alexnet-ingredients", "60,965,224", "61,100,840", "4,096")
    assert first.shape == (1, 96, 55, 55) and (227 - 11) // 4 + 1 == 55
    says("hist-alexnet-conv1", "55×55×96", "(227 − 11) / 4 + 1 = 55")
    assert n_params(two_gpu) / 6_998_552 == pytest.approx(9, abs=0.5)
    says("hist-googlenet-size", "roughly 9× fewer")
    assert round(n_params(single) / 1e6) == 61
    says("hist-googlenet-size", "AlexNet's 61 million")
    assert round(n_params(two_gpu[5]) / 1e6) == 38 and n_params(nn.Linear(1024, 1000)) == 1_025_000
    says("hist-googlenet-size", "1,024 pooled features", "about 1 million", "about 38 million")
    assert round(n_params(two_gpu) / 60_000, -2) == 1000
    says("hist-lenet5-params", "about 1,000 times")


def test_vgg_counts() -> None:
    with META:
        v16, v19 = vgg(VGG16), vgg(VGG19)
        out = v16(torch.empty(1, 3, 224, 224))
    assert out.shape == (1, 1000)
    with META:
        x, widths, sizes = torch.empty(1, 3, 224, 224), [], []
        for layer in v16[:31]:
            x = layer(x)
            if isinstance(layer, nn.MaxPool2d):
                widths.append(x.shape[1])
                sizes.append(x.shape[-1])
    assert widths == [64, 128, 256, 512, 512] and sizes == [112, 56, 28, 14, 7]
    says("hist-vgg-stages", "64, 128, 256, 512, 512", "224 → 112 → 56 → 28 → 14 → 7")
    assert sum(isinstance(m, nn.Conv2d | nn.Linear) for m in v19) == 19
    total = n_params(v16)
    assert total == 138_357_544 and n_params(v19) == 143_667_240
    says(
        "hist-vgg16-params", "138,357,544", "143,667,240", "61,100,840", "25,557,032", "11,689,512"
    )
    dense = [m for m in v16 if isinstance(m, nn.Linear)]
    first, head = n_params(dense[0]), sum(n_params(m) for m in dense)
    assert dense[0].in_features == 25_088 and first == 102_764_544 and head == 123_642_856
    assert round(100 * first / total) == 74 and round(100 * head / total) == 89
    assert total - head < 15_000_000
    assert sum(isinstance(m, nn.Conv2d) for m in v16) == 13
    says(
        "hist-vgg-fc-share",
        "25,088",
        "102,764,544",
        "74 %",
        "123,642,856",
        "89 %",
        "15 million",
        "138,357,544",
        "all 13",
    )


def test_resnet_family_counts_and_macs() -> None:
    with META:
        r18, r50 = resnet([2, 2, 2, 2], False), resnet([3, 4, 6, 3], True)
        rx50 = resnet([3, 4, 6, 3], True, groups=32, base=4)
        x = torch.empty(1, 3, 224, 224)
        r50_macs, vgg_macs = macs(r50, x), macs(vgg(VGG16), x)
        feature_map = r50[:-3](x)
    assert n_params(r18) == 11_689_512 and n_params(r50) == 25_557_032
    assert n_params(rx50) == 25_028_904
    says("hist-resnext", "25,028,904", "25,557,032")
    assert round(r50_macs / 1e9) == 4 and round(vgg_macs / 1e9) == 15
    says("hist-resnet", "about 4 vs 15 GMACs", "3.57 %", "152 layers")
    assert feature_map.shape == (1, 2048, 7, 7)
    says("cnn-avg-vs-max-pooling", "7×7×2048 into 2048")
    grouped = nn.Conv2d(128, 128, 3, groups=32, bias=False)
    full = nn.Conv2d(128, 128, 3, bias=False)
    assert n_params(grouped) == 4_608 and n_params(full) == 147_456 == 32 * 4_608
    assert grouped.weight.shape == (128, 4, 3, 3)
    says("hist-resnext-grouped", "4,608", "147,456", "144 weights", "32×")


def test_densenet_counts() -> None:
    with META:
        block = nn.Sequential(*[DenseLayer(64 + 32 * j) for j in range(6)])
        out = block(torch.empty(1, 64, 56, 56))
        net = densenet121()
    assert out.shape[1] == 256 and block[-1].f[0].num_features == 224
    says("hist-densenet-channels", "64 + 6·32 = 256", "64 + 5·32 = 224", "to 128")
    assert n_params(net) == 7_978_856 and 3 * n_params(net) < 25_557_032
    says("hist-densenet-params", "7,978,856", "25,557,032", "k = 32", "8.0 million", "25.6 million")


def test_googlenet_counts() -> None:
    with META:
        net = googlenet()
        assert net(torch.empty(1, 3, 224, 224)).shape == (1, 1000)
        block = Inception(*INCEPTIONS[0])
        out = block(torch.empty(1, 192, 28, 28))
    assert n_params(net) == 6_998_552
    says("hist-googlenet-size", "6,998,552", "60,965,224", "6.67 %")
    assert out.shape == (1, 256, 28, 28) and n_params(block) == 163_696
    says("cnn-inception-3a-channels", "28×28×256", "64 + 128 + 32 + 32 = 256", "163,696")
    direct = n_params(nn.Conv2d(192, 32, 5))
    reduce, conv5 = n_params(nn.Conv2d(192, 16, 1)), n_params(nn.Conv2d(16, 32, 5))
    assert (direct, reduce, conv5) == (153_632, 3_088, 12_832) and reduce + conv5 == 15_920
    assert round(direct / (reduce + conv5)) == 10
    says("cnn-inception-reduction", "153,632", "3,088 + 12,832 = 15,920", "10×")


def test_efficientnet_compound_constant() -> None:
    value = torch.tensor(1.2) * torch.tensor(1.1) ** 2 * torch.tensor(1.15) ** 2
    assert f"{value.item():.2f}" == "1.92"
    says("hist-efficientnet-constraint", "α = 1.2, β = 1.1, γ = 1.15", "≈ 1.92")


def test_vit_b16_tokens_and_params() -> None:
    with META:
        modules, tokens = vit_b16()
        patches = modules["patch"](torch.empty(1, 3, 224, 224)).flatten(2).transpose(1, 2)
    seq = torch.cat([tokens["cls"], patches], 1)
    assert patches.shape == (1, 196, 768) and seq.shape == tokens["pos"].shape == (1, 197, 768)
    assert n_params(modules) + n_params(tokens) == 86_567_656
    with META:
        big = modules["patch"](torch.empty(1, 3, 384, 384))
    assert big.shape[-2:] == (24, 24) and 24 * 24 + 1 == 577
    says("hist-vit-tokens", "24·24 + 1 = 577")
    encoder = modules["encoder"]
    assert len(encoder.layers) == 12 and encoder.layers[0].self_attn.num_heads == 12
    assert encoder.layers[0].linear1.out_features == 3072
    says("hist-vit-tokens", "14·14 = 196", "197", "86,567,656", "768 filters", "3,072")


def test_convnext_tiny() -> None:
    with META:
        net = convnext_tiny()
        stem = net[0](torch.empty(1, 3, 224, 224))
    assert n_params(net) == 28_589_128 and stem.shape == (1, 96, 56, 56)
    says("hist-convnext-question", "28,589,128", "224×224 becomes 56×56")


# ---------------------------------------------------------------- seed gaps


def test_pooling_values() -> None:
    window = torch.tensor([[[[1.0, 2.0], [3.0, 6.0]]]])
    assert F.avg_pool2d(window, 2).item() == 3 and F.max_pool2d(window, 2).item() == 6
    says("cnn-average-pooling", "(1 + 2 + 3 + 6) / 4 = 3", "output 6")


def test_dropout2d_drops_whole_channels() -> None:
    torch.manual_seed(0)
    out = nn.Dropout2d(0.5)(torch.ones(8, 16, 5, 5))
    per_channel = out.flatten(2)
    assert torch.all(per_channel.amin(2) == per_channel.amax(2))  # each map all 0 or all 2
    assert set(out.unique().tolist()) == {0.0, 2.0}
    says("cnn-dropout2d", "1/(1 − p)", "p = 0.5")


def test_slicing() -> None:
    x = torch.zeros(2, 3, 4)
    assert x[:, 0].shape == (2, 4) and x[:, 0:1].shape == (2, 1, 4) and x[..., -1].shape == (2, 3)
    says("tensor-slice-shape", "(2, 4)", "(2, 1, 4)", "(2, 3)")
    y = x[0]
    y[0] = 100
    assert (
        torch.all(x[0, 0] == 100)
        and y.untyped_storage().data_ptr() == x.untyped_storage().data_ptr()
    )
    assert x[torch.tensor([0])].untyped_storage().data_ptr() != x.untyped_storage().data_ptr()
    says("tensor-slice-view", "x[0, 0] is 100")
    with pytest.raises(ValueError):
        x[::-1]
    assert torch.equal(torch.flip(torch.arange(3), dims=[0]), torch.tensor([2, 1, 0]))
    says("tensor-negative-step", "ValueError", "torch.flip(x, dims=[0])")


def test_strided_slice_is_a_view() -> None:
    x = torch.zeros(1, 3, 224, 224)
    y = x[..., ::2, ::2]
    assert y.shape == (1, 3, 112, 112) and y.stride()[-2:] == (2 * 224, 2)
    assert y.untyped_storage().data_ptr() == x.untyped_storage().data_ptr()
    assert y.contiguous().numel() == 37_632 and len(range(0, 224, 2)) == 112
    says("tensor-slice-step", "(1, 3, 112, 112)", "0, 2, 4, …, 222", "1·3·112·112 = 37,632")


def test_elementwise_and_matrix_products() -> None:
    a = torch.tensor([[1, 2], [3, 4]])
    assert (a * a).tolist() == [[1, 4], [9, 16]] and (a @ a).tolist() == [[7, 10], [15, 22]]
    says("tensor-mul-vs-matmul", "[[1, 4], [9, 16]]", "[[7, 10], [15, 22]]", "1·1 + 2·3 = 7")
    a, b = torch.ones(2, 3), torch.ones(3, 2)
    with pytest.raises(RuntimeError):
        a * b
    assert (a @ b).shape == (2, 2) and (b @ a).shape == (3, 3)
    says("tensor-mul-matmul-shapes", "has shape (2, 2)", "would give (3, 3)")


def test_seed_model_shape_and_parameters() -> None:
    with META:  # the first Dense layer alone would take 205 MB of real memory
        model = seed_model()
        probs = model(torch.empty(2, 3, 224, 224))
        flat = model[:4](torch.empty(1, 3, 224, 224))
    assert probs.shape == (2, 10) and isinstance(model[-1], nn.Softmax)
    assert flat.shape == (1, 401_408) == (1, 112 * 112 * 32)
    says("cnn-seed-model-output", "(None, 10)", "(batch, 10)", "112·112·32 = 401,408", "112×112×32")
    conv, first, last = (n_params(m) for m in (model[0], model[4], model[6]))
    assert (conv, first, last) == (896, 51_380_352, 1_290)
    total = n_params(model)
    assert total == 51_382_538 and f"{100 * first / total:.3f}" == "99.996"
    with META:
        no_pool, valid = n_params(seed_model(pool=False)), n_params(seed_model("valid"))
    assert (no_pool, valid) == (205_523_210, 50_469_130)
    says(
        "cnn-seed-model-params", "51,382,538", "= 896", "51,380,352", "1,290", "99.996 %",
        commas(no_pool), commas(valid),
    )  # fmt: skip


def test_dense_layer_as_convolution() -> None:
    # Same identity on a small layer with real numbers (7×7×16 → 64), counts on meta.
    torch.manual_seed(0)
    dense, conv = nn.Linear(7 * 7 * 16, 64), nn.Conv2d(16, 64, 7)
    with torch.no_grad():
        conv.weight.copy_(dense.weight.view(64, 16, 7, 7))
        conv.bias.copy_(dense.bias)
    x = torch.randn(2, 16, 7, 7)
    assert torch.allclose(conv(x).flatten(1), dense(x.flatten(1)), atol=1e-5)
    with META:
        big_dense, big_conv = nn.Linear(7 * 7 * 512, 4096), nn.Conv2d(512, 4096, 7)
    assert big_conv.weight.numel() == big_dense.weight.numel()
    assert n_params(big_conv) == n_params(big_dense) == 102_764_544
    says("cnn-fc-as-conv", "102,764,544", "4,096 filters of size 7×7×512")
    with META:
        features = vgg(VGG16)[:31](torch.empty(1, 3, 384, 384))
        scores = nn.Conv2d(512, 4096, 7)(features)
    assert features.shape == (1, 512, 12, 12) and scores.shape[-2:] == (6, 6)
    assert 2**5 == 32 and 6 * 6 == 36
    says("cnn-fc-as-conv-sliding", "6×6 grid", "12 − 7 + 1 = 6", "32 pixels", "36 windows")


def test_activation_memory_numbers() -> None:
    outputs: list[int] = []
    with META:
        model = vgg(VGG16)
        convs = [m for m in model if isinstance(m, nn.Conv2d)]
        handles = [
            c.register_forward_hook(lambda m, i, o: outputs.append(o[0].numel())) for c in convs
        ]
        model(torch.empty(1, 3, 224, 224))
    for h in handles:
        h.remove()
    per_image = sum(outputs)
    assert len(convs) == 13 and per_image == 13_547_520
    assert 32 * per_image == 433_520_640 and int(32 * per_image / 138_357_544) == 3
    first = nn.Conv2d(3, 32, 3, padding=1)
    assert n_params(first) == 896 and first(torch.zeros(1, 3, 224, 224)).numel() == 1_605_632
    says(
        "cnn-activation-memory", "13,547,520", "433,520,640", "over 3×", "138,357,544",
        "1,605,632", "896 parameters",
    )  # fmt: skip
    small, big = (
        torch.empty(32, 32, 224, 224, device=META),
        torch.empty(64, 32, 224, 224, device=META),
    )
    assert big.numel() == 2 * small.numel()
    says("cnn-activation-memory-batch", "(64, 32, 224, 224)", "(32, 32, 224, 224)")
