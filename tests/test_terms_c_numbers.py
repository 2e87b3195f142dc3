"""content/glossary/terms_c.toml: every number it states, part one (parameter counts,
attention, normalization, optimization, training practice).

Each test first finds the number in the entry's text, then rebuilds it in torch, so a
change to either side fails. The form checks are in tests/test_terms_c.py; the rest of
the numbers in tests/test_terms_c_models.py.
"""

from __future__ import annotations

import inspect
import math
import re
from collections.abc import Callable

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from tests.test_terms_c import params, says

# ---------------------------------------------------------------- parameter counts


class ConvNeXtBlock(nn.Module):
    def __init__(self, dim: int) -> None:
        super().__init__()
        self.dw = nn.Conv2d(dim, dim, 7, padding=3, groups=dim)
        self.norm = nn.LayerNorm(dim)
        self.pw1, self.pw2 = nn.Linear(dim, 4 * dim), nn.Linear(4 * dim, dim)
        self.scale = nn.Parameter(torch.full((dim,), 1e-6))  # layer scale


def lenet5() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, 6, 5), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(16 * 5 * 5, 120), nn.Linear(120, 84), nn.Linear(84, 10),
    )  # fmt: skip


def _linears(*shapes: tuple[int, int], bias: bool = False) -> nn.Module:
    return nn.Sequential(*(nn.Linear(a, b, bias=bias, device="meta") for a, b in shapes))


# (slug, the count as the entry writes it, the module that has exactly that many parameters)
COUNTS = [
    ("transformer", "3,152,384", lambda: nn.TransformerEncoderLayer(512, 8, 2048)),
    ("multi-head-attention", "1,050,624", lambda: nn.MultiheadAttention(512, 8)),
    ("multi-head-attention", "1,050,624", lambda: nn.MultiheadAttention(512, 1)),
    ("feed-forward-network", "2,099,712", lambda: _linears((512, 2048), (2048, 512), bias=True)),
    ("vision-transformer", "590,592", lambda: nn.Conv2d(3, 768, 16, stride=16)),
    ("layer-normalization", "1,024", lambda: nn.LayerNorm(512)),
    ("gru", "1,920", lambda: nn.GRU(10, 20)),
    ("gru", "2,560", lambda: nn.LSTM(10, 20)),
    ("embedding-layer", "25,600,000", lambda: nn.Embedding(50000, 512, device="meta")),
    ("lora", "65,536", lambda: _linears((4096, 8), (8, 4096))),
    ("lora", "16,777,216", lambda: _linears((4096, 4096))),
    ("swiglu", "2,096,640", lambda: _linears((512, 1365), (512, 1365), (1365, 512))),
    ("swiglu", "2,097,152", lambda: _linears((512, 2048), (2048, 512))),
    ("depthwise-separable-convolution", "17,536", lambda: nn.Sequential(
        nn.Conv2d(128, 128, 3, groups=128, bias=False), nn.Conv2d(128, 128, 1, bias=False))),
    ("depthwise-separable-convolution", "147,456", lambda: nn.Conv2d(128, 128, 3, bias=False)),
    ("googlenet", "15,872", lambda: nn.Sequential(
        nn.Conv2d(192, 16, 1, bias=False), nn.Conv2d(16, 32, 5, bias=False))),
    ("googlenet", "153,600", lambda: nn.Conv2d(192, 32, 5, bias=False)),
    ("lenet-5", "61,706", lenet5),
    ("convnext", "79,296", lambda: ConvNeXtBlock(96)),
]  # fmt: skip


@pytest.mark.parametrize(("slug", "count", "build"), COUNTS, ids=[c[1] for c in COUNTS])
def test_parameter_count(slug: str, count: str, build: Callable[[], nn.Module]) -> None:
    says(slug, count)
    assert params(build()) == int(count.replace(",", ""))


# Sums written out in the notes, as the entry writes them: the arithmetic must hold.
SUMS = [
    ("multi-head-attention", "4·512² + 4·512 = 1,050,624"),
    ("feed-forward-network", "512·2048 + 2048 + 2048·512 + 512 = 2,099,712"),
    ("gru", "3·(20·10 + 20·20 + 2·20) = 1,920"),
    ("lora", "2 · 4096 · 8 = 65,536"),
    ("swiglu", "3·512·1,365 = 2,096,640"),
    ("swiglu", "2·512·2,048 = 2,097,152"),
    ("depthwise-separable-convolution", "128·9 + 128·128 = 17,536"),
    ("googlenet", "192·16 + 16·25·32 = 15,872"),
    ("embedding-layer", "50,000 × 512 = 25,600,000"),
    ("vision-transformer", "14 × 14 = 196"),
    ("causal-mask", "10 of the 16"),
]


@pytest.mark.parametrize(("slug", "written"), SUMS, ids=[w for _, w in SUMS])
def test_written_sum_holds(slug: str, written: str) -> None:
    says(slug, written)
    if " of the " in written:  # "10 of the 16": L(L + 1)/2 of L² for L = 4
        assert written == f"{4 * 5 // 2} of the {4 * 4}"
        return
    left, right = written.split(" = ")
    python = re.sub(r"(\d),(\d{3})", r"\1\2", left)
    python = python.replace("·", "*").replace("×", "*").replace("²", "**2")
    assert eval(python, {"__builtins__": {}}) == int(right.replace(",", ""))


# ---------------------------------------------------------------- attention and Transformers


def test_self_attention_is_permutation_equivariant() -> None:
    torch.manual_seed(0)
    mha = nn.MultiheadAttention(16, 4, batch_first=True)
    x = torch.randn(1, 7, 16)
    perm = torch.randperm(7)
    y, _ = mha(x, x, x)
    y_perm, _ = mha(x[:, perm], x[:, perm], x[:, perm])
    torch.testing.assert_close(y_perm, y[:, perm])


def test_scaled_dot_product_formula_and_variance_64() -> None:
    says("scaled-dot-product-attention", "d_k = 64", "variance about 64")
    torch.manual_seed(0)
    q, k, v = (torch.randn(2, 5, 64, dtype=torch.float64) for _ in range(3))
    manual = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(64), dim=-1) @ v
    torch.testing.assert_close(F.scaled_dot_product_attention(q, k, v), manual)
    sims = (torch.randn(200_000, 64) * torch.randn(200_000, 64)).sum(-1)
    assert sims.var().item() == pytest.approx(64, rel=0.03)
    assert (sims / 8).var().item() == pytest.approx(1, rel=0.03)


def test_multi_head_attention_parameters_do_not_depend_on_heads() -> None:
    says("multi-head-attention", "4·512² + 4·512 = 1,050,624", "width 64", "8 heads")
    assert nn.MultiheadAttention(512, 8).head_dim == 64


def test_cross_attention_output_length_follows_the_queries() -> None:
    says("cross-attention", "5 queries over 9 keys give 5 outputs")
    mha = nn.MultiheadAttention(16, 2, batch_first=True)
    out, _ = mha(torch.randn(1, 5, 16), torch.randn(1, 9, 16), torch.randn(1, 9, 16))
    assert out.shape == (1, 5, 16)


def test_causal_mask_allows_10_of_16_pairs() -> None:
    says("causal-mask", "L(L + 1)/2", "10 of the 16", "L = 4")
    mask = nn.Transformer.generate_square_subsequent_mask(4)
    assert mask.numel() == 16
    assert int(torch.isfinite(mask).sum()) == 10 == 4 * 5 // 2
    assert torch.isinf(mask.triu(1)[mask.triu(1) != 0]).all()  # only the future is blocked


def _sinusoids(positions: torch.Tensor, d: int) -> torch.Tensor:
    i = torch.arange(0, d, 2, dtype=torch.float64)
    angles = positions[:, None] / 10000 ** (i / d)
    pe = torch.empty(len(positions), d, dtype=torch.float64)
    pe[:, 0::2], pe[:, 1::2] = torch.sin(angles), torch.cos(angles)
    return pe


def test_positional_encoding_values_and_shift_is_a_rotation() -> None:
    says("positional-encoding", "sin(1) ≈ 0.8415", "cos(1) ≈ 0.5403")
    pe = _sinusoids(torch.tensor([1.0], dtype=torch.float64), 8)
    assert f"{pe[0, 0]:.4f}" == "0.8415" and f"{pe[0, 1]:.4f}" == "0.5403"
    d, k = 8, 3.0
    p = torch.arange(10, dtype=torch.float64)
    a, b = _sinusoids(p, d), _sinusoids(p + k, d)
    omega = k / 10000 ** (torch.arange(0, d, 2, dtype=torch.float64) / d)
    c, s = torch.cos(omega), torch.sin(omega)
    # (sin, cos)(p + k) = fixed rotation by kω of (sin, cos)(p), whatever p is.
    torch.testing.assert_close(b[:, 0::2], a[:, 0::2] * c + a[:, 1::2] * s)
    torch.testing.assert_close(b[:, 1::2], a[:, 1::2] * c - a[:, 0::2] * s)


def _rope(x: torch.Tensor, pos: float, theta: torch.Tensor) -> torch.Tensor:
    ang = pos * theta
    x0, x1 = x[0::2], x[1::2]
    out = torch.empty_like(x)
    out[0::2] = x0 * torch.cos(ang) - x1 * torch.sin(ang)
    out[1::2] = x0 * torch.sin(ang) + x1 * torch.cos(ang)
    return out


def test_rope_similarity_depends_only_on_the_offset() -> None:
    torch.manual_seed(0)
    d = 8
    theta = 10000 ** (-torch.arange(0, d, 2, dtype=torch.float64) / d)
    q, k = torch.randn(d, dtype=torch.float64), torch.randn(d, dtype=torch.float64)
    dots = [_rope(q, m, theta) @ _rope(k, m - 3, theta) for m in (3, 10, 57)]
    torch.testing.assert_close(dots[0], dots[1])
    torch.testing.assert_close(dots[0], dots[2])


def test_feed_forward_parameters_and_share() -> None:
    says("feed-forward-network", "512·2048 + 2048 + 2048·512 + 512 = 2,099,712", "1,050,624")
    ffn = nn.Sequential(nn.Linear(512, 2048), nn.GELU(), nn.Linear(2048, 512))
    layer = params(nn.TransformerEncoderLayer(512, 8, 2048))
    assert params(ffn) / layer == pytest.approx(2 / 3, abs=0.01)  # "about two thirds"


def test_vision_transformer_patches_and_projection() -> None:
    says("vision-transformer", "14 × 14 = 196", "197", "width 768", "590,592")
    proj = nn.Conv2d(3, 768, kernel_size=16, stride=16)
    tokens = proj(torch.zeros(1, 3, 224, 224)).flatten(2)
    assert tokens.shape == (1, 768, 196)
    assert tokens.shape[-1] + 1 == 197


def test_kv_cache_size_is_2_gib() -> None:
    says("kv-cache", "2,147,483,648 bytes (2 GiB)", "32 layers", "width 128", "4,096-token")
    cache_ = torch.empty(2, 32, 32, 128, 4096, dtype=torch.float16, device="meta")
    assert cache_.numel() * cache_.element_size() == 2_147_483_648 == 2**31


def test_flash_style_tiled_online_softmax_is_exact() -> None:
    torch.manual_seed(0)
    q = torch.randn(6, 8, dtype=torch.float64)
    k, v = torch.randn(16, 8, dtype=torch.float64), torch.randn(16, 8, dtype=torch.float64)
    full = torch.softmax(q @ k.T / math.sqrt(8), dim=-1) @ v
    m = torch.full((6, 1), -math.inf, dtype=torch.float64)
    total = torch.zeros(6, 1, dtype=torch.float64)
    acc = torch.zeros(6, 8, dtype=torch.float64)
    for start in range(0, 16, 5):  # tiles of keys; the score matrix is never whole
        s = q @ k[start : start + 5].T / math.sqrt(8)
        m_new = torch.maximum(m, s.max(-1, keepdim=True).values)
        fix = torch.exp(m - m_new)
        e = torch.exp(s - m_new)
        total = total * fix + e.sum(-1, keepdim=True)
        acc = acc * fix + e @ v[start : start + 5]
        m = m_new
    torch.testing.assert_close(acc / total, full)


# ---------------------------------------------------------------- normalization


def test_layer_norm_parameters_and_statistics() -> None:
    says("layer-normalization", "nn.LayerNorm(512)", "1,024 parameters")
    y = nn.LayerNorm(512)(torch.randn(2, 3, 512) * 5 + 2)
    torch.testing.assert_close(y.mean(-1), torch.zeros(2, 3), atol=1e-5, rtol=0)
    torch.testing.assert_close(y.var(-1, unbiased=False), torch.ones(2, 3), atol=1e-3, rtol=0)


def test_group_norm_extremes_are_layer_norm_and_instance_norm() -> None:
    says("group-normalization", "G = 1 it equals LayerNorm", "G = C it equals", "G = 32")
    torch.manual_seed(0)
    x = torch.randn(2, 6, 4, 4)
    one = nn.GroupNorm(1, 6, affine=False)(x)
    torch.testing.assert_close(one, F.layer_norm(x, (6, 4, 4)))
    each = nn.GroupNorm(6, 6, affine=False)(x)
    torch.testing.assert_close(each, nn.InstanceNorm2d(6)(x))


def test_rms_norm_example() -> None:
    says("rms-normalization", "(0.8485, 1.1314)", "√12.5 ≈ 3.5355")
    y = nn.RMSNorm(2, eps=0.0)(torch.tensor([[3.0, 4.0]]))
    assert [f"{v:.4f}" for v in y[0].tolist()] == ["0.8485", "1.1314"]
    assert f"{math.sqrt(12.5):.4f}" == "3.5355"
    assert torch.tensor([3.0, 4.0]).pow(2).mean().item() == 12.5


# ---------------------------------------------------------------- optimization


def test_weight_decay_under_sgd_is_an_l2_penalty() -> None:
    says("weight-decay", "(λ/2)·‖θ‖²", "(1 − ηλ)θ")
    lam, lr = 0.1, 0.5
    torch.manual_seed(0)
    start = torch.randn(5)
    target = torch.randn(5)

    def step(decay: float, penalty: bool) -> torch.Tensor:
        p = start.clone().requires_grad_(True)
        opt = torch.optim.SGD([p], lr=lr, weight_decay=decay)
        loss = ((p - target) ** 2).sum() + (lam / 2 * p.pow(2).sum() if penalty else 0)
        loss.backward()
        opt.step()
        return p.detach()

    torch.testing.assert_close(step(lam, False), step(0.0, True))
    p = start.clone().requires_grad_(True)
    p.grad = torch.zeros(5)  # no loss gradient: only the shrinkage acts
    torch.optim.SGD([p], lr=lr, weight_decay=lam).step()
    torch.testing.assert_close(p.detach(), (1 - lr * lam) * start)


def test_adamw_step_and_default() -> None:
    says("adamw", "θ ← θ − η·(m̂ / (√v̂ + ε) + λθ)", "weight_decay = 0.01")
    assert torch.optim.AdamW([torch.zeros(1, requires_grad=True)]).defaults["weight_decay"] == 0.01
    theta, g, lr, lam, eps = torch.tensor([2.0, -1.0]), torch.tensor([0.3, -4.0]), 0.1, 0.2, 1e-8
    p = theta.clone().requires_grad_(True)
    p.grad = g.clone()
    torch.optim.AdamW([p], lr=lr, weight_decay=lam, eps=eps).step()
    m_hat, v_hat = g, g**2  # one step: bias correction gives back g and g²
    expected = theta - lr * (m_hat / (v_hat.sqrt() + eps) + lam * theta)
    torch.testing.assert_close(p.detach(), expected)


def test_transformer_warmup_schedule_peak() -> None:
    says("learning-rate-warmup", "4,000 steps", "512^(−0.5) · 4000^(−0.5) ≈ 7.0e-4")

    def rate(t: int, d: int = 512, warm: int = 4000) -> float:
        return d**-0.5 * min(t**-0.5, t * warm**-1.5)

    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=1.0)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: rate(s + 1))
    seen = []
    for _ in range(8000):
        seen.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    peak = max(seen)
    assert seen.index(peak) + 1 == 4000
    assert peak == pytest.approx(512**-0.5 * 4000**-0.5)
    assert f"{peak:.1e}" == "7.0e-04"


def test_cosine_annealing_values() -> None:
    says("cosine-annealing", "0.05 at t = 50", "about 0.0854 at t = 25", "T = 100")
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=0.1)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=100, eta_min=0.0)
    lrs = []
    for _ in range(51):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    assert lrs[50] == pytest.approx(0.05)
    assert f"{lrs[25]:.4f}" == "0.0854"
    assert lrs[25] == pytest.approx(0.05 * (1 + math.cos(math.pi / 4)))


def test_he_init_std() -> None:
    says("he-initialization", "√(2/256) ≈ 0.0884")
    assert f"{math.sqrt(2 / 256):.4f}" == "0.0884"
    torch.manual_seed(0)
    w = nn.init.kaiming_normal_(torch.empty(4096, 256), nonlinearity="relu")
    assert w.std().item() == pytest.approx(math.sqrt(2 / 256), rel=0.01)


def test_xavier_uniform_bound() -> None:
    says("xavier-initialization", "√(6/512) ≈ 0.1083")
    bound = math.sqrt(6 / 512)
    assert f"{bound:.4f}" == "0.1083"
    torch.manual_seed(0)
    w = nn.init.xavier_uniform_(torch.empty(256, 256))
    assert w.abs().max().item() <= bound
    assert w.abs().max().item() > 0.99 * bound
    assert w.var().item() == pytest.approx(2 / 512, rel=0.02)


# ---------------------------------------------------------------- training practice


def test_float_formats() -> None:
    says("mixed-precision-training", "65504", "6.1e-5", "3.39e38")
    says("bfloat16", "2⁻⁷ = 0.0078125", "3.39e38", "65504", "2⁻¹⁰ ≈ 0.000977")
    half, brain = torch.finfo(torch.float16), torch.finfo(torch.bfloat16)
    assert half.max == 65504
    assert f"{half.smallest_normal:.1e}" == "6.1e-05"
    assert brain.eps == 2**-7 == 0.0078125
    assert f"{brain.max:.2e}" == "3.39e+38"
    assert brain.max == pytest.approx(torch.finfo(torch.float32).max, rel=0.01)  # fp32's range
    assert half.eps == 2**-10 and f"{half.eps:.6f}" == "0.000977"


def test_bfloat16_is_the_top_half_of_fp32() -> None:
    says("bfloat16", "1 sign, 8 exponent and 7 mantissa bits")
    x = torch.tensor([1.5, -3.25, 0.15625, 1024.0, 2.0**-100])  # exact in 7 mantissa bits
    top = (x.view(torch.int32) >> 16).to(torch.int16)
    assert torch.equal(x.to(torch.bfloat16).view(torch.int16), top)
    assert torch.tensor(1.0 + 2**-8).to(torch.bfloat16).item() == 1.0  # an 8th bit is lost


def test_loss_scaling_rescues_tiny_fp16_gradients() -> None:
    says("loss-scaling", "1e-8 rounds to 0", "1e-8 × 1024 ≈ 1.0e-5", "2^16 = 65536", "2,000")
    assert torch.tensor(1e-8).half().item() == 0.0
    rescued = torch.tensor(1e-8 * 1024).half().item()
    assert rescued > 0 and f"{rescued:.1e}" == "1.0e-05"
    defaults = inspect.signature(torch.amp.GradScaler.__init__).parameters
    assert defaults["init_scale"].default == 2.0**16 == 65536
    assert defaults["backoff_factor"].default == 0.5
    assert defaults["growth_factor"].default == 2.0
    assert defaults["growth_interval"].default == 2000


def test_quantization_example() -> None:
    says("quantization", "scale 0.02", "1.234 becomes the integer 62", "reads back as 1.24")
    x = torch.tensor([1.234])
    q = torch.clamp(torch.round(x / 0.02) + 0, -128, 127)
    assert q.item() == 62
    back = torch.fake_quantize_per_tensor_affine(x, 0.02, 0, -128, 127)
    assert back.item() == pytest.approx(1.24)
    assert torch.finfo(torch.float32).bits / torch.iinfo(torch.int8).bits == 4  # a quarter


def test_gradient_accumulation_matches_the_big_batch() -> None:
    says("gradient-accumulation", "4 micro-batches of 8", "one batch of 32")
    torch.manual_seed(0)
    model = nn.Linear(3, 1)
    x, y = torch.randn(32, 3), torch.randn(32, 1)
    F.mse_loss(model(x), y).backward()
    big = [p.grad.clone() for p in model.parameters()]
    model.zero_grad()
    for i in range(4):
        (F.mse_loss(model(x[8 * i : 8 * i + 8]), y[8 * i : 8 * i + 8]) / 4).backward()
    for p, g in zip(model.parameters(), big, strict=True):
        torch.testing.assert_close(p.grad, g)


def test_gradient_checkpointing_gives_identical_gradients() -> None:
    from torch.utils.checkpoint import checkpoint

    torch.manual_seed(0)
    block = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 4))
    x = torch.randn(3, 4, requires_grad=True)
    (g_plain,) = torch.autograd.grad(block(x).pow(2).sum(), x)
    out = checkpoint(block, x, use_reentrant=False)
    (g_ckpt,) = torch.autograd.grad(out.pow(2).sum(), x)
    torch.testing.assert_close(g_ckpt, g_plain)


def test_label_smoothing_targets() -> None:
    says("label-smoothing", "ε = 0.1", "K = 10", "0.91", "0.01", "1 − ε + ε/K")
    eps, k = 0.1, 10
    target = torch.full((k,), eps / k)
    target[3] += 1 - eps
    assert target[3].item() == pytest.approx(0.91) and target[0].item() == pytest.approx(0.01)
    logits = torch.randn(1, k)
    smoothed = F.cross_entropy(logits, torch.tensor([3]), label_smoothing=eps)
    torch.testing.assert_close(smoothed, F.cross_entropy(logits, target[None]))


def test_lora_parameter_count_and_merge() -> None:
    says("lora", "2 · 4096 · 8 =", "65,536", "16,777,216", "about 0.39 %")
    assert f"{65_536 / 16_777_216:.2%}" == "0.39%"
    torch.manual_seed(0)
    w, a = torch.randn(6, 5), torch.randn(2, 5)
    b = torch.zeros(6, 2)  # B starts at zero: the adapted layer is the pretrained one
    x = torch.randn(3, 5)
    torch.testing.assert_close(x @ (w + b @ a).T, x @ w.T)
    b = torch.randn(6, 2)
    torch.testing.assert_close(x @ w.T + (x @ a.T) @ b.T, x @ (w + b @ a).T)  # merge


def test_pruning_zeroes_the_smaller_half() -> None:
    says("pruning", "amount=0.5")
    from torch.nn.utils import prune

    layer = nn.Linear(5, 2, bias=False)
    with torch.no_grad():
        layer.weight.copy_(
            torch.tensor([[0.5, -3.0, 0.1, 2.0, -0.2], [1.0, -0.05, 4.0, 0.3, -6.0]])
        )
    prune.l1_unstructured(layer, "weight", amount=0.5)
    kept = layer.weight.abs()
    assert int((kept == 0).sum()) == 5
    assert kept[kept > 0].min() >= 1.0  # the five survivors are the five largest magnitudes
