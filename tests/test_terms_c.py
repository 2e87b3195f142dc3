"""content/glossary/terms_c.toml: the form of every term, and every number it states.

Form: a short definition that names no word of the term (stricter than `dlquiz check`:
generic words such as "layer" count too, and a shared word start counts), links that
resolve, no lint warning. Numbers: each test first finds the number in the entry's text,
then rebuilds it in torch, so a change to either side fails.
"""

from __future__ import annotations

import inspect
import math
import re
import tomllib
from collections.abc import Callable
from functools import cache
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from dlquiz import paths
from dlquiz.content import TAGS, Content, load
from dlquiz.content_lint import content_words, lint, stem

FILE = Path(__file__).resolve().parent.parent / "content" / "glossary" / "terms_c.toml"


@cache
def raw_terms() -> dict[str, dict]:
    with FILE.open("rb") as fh:
        return {t["slug"]: t for t in tomllib.load(fh)["term"]}


@cache
def builtin() -> Content:
    return load([paths.builtin_content_dir()])


def text(slug: str) -> str:
    t = raw_terms()[slug]
    return " ".join([t["definition"], t.get("notes", ""), t.get("formula", "")])


def says(slug: str, *snippets: str) -> None:
    """The entry really states these numbers (so the test checks what the card shows)."""
    body = " ".join(text(slug).split())
    for snippet in snippets:
        assert snippet in body, f"{slug}: '{snippet}' not in its text"


def params(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


# ---------------------------------------------------------------- form


def test_at_least_45_new_terms_none_already_on_main() -> None:
    terms = raw_terms()
    assert len(terms) >= 45
    seed_slugs: set[str] = set()
    for name in ("terms_a.toml", "terms_b.toml"):
        with (FILE.parent / name).open("rb") as fh:
            seed_slugs |= {t["slug"] for t in tomllib.load(fh)["term"]}
    assert not set(terms) & seed_slugs


def test_file_loads_with_no_problem_and_no_warning() -> None:
    content = builtin()
    mine = [p for p in content.problems if Path(p.file).resolve() == FILE]
    assert mine == []
    assert lint(content, set(raw_terms())) == []
    for slug in raw_terms():
        assert slug in content.terms


@pytest.mark.parametrize("slug", sorted(raw_terms()))
def test_definition_is_short_and_has_notes(slug: str) -> None:
    t = raw_terms()[slug]
    assert len(t["definition"].split()) <= 30
    assert len(t.get("notes", "").split()) >= 15


def _echo(word: str, name_stems: set[str]) -> bool:
    s = stem(word)
    return any(
        s == n or (min(len(s), len(n)) >= 4 and (s.startswith(n) or n.startswith(s)))
        for n in name_stems
    )


@pytest.mark.parametrize("slug", sorted(raw_terms()))
def test_definition_gives_no_name_away(slug: str) -> None:
    t = raw_terms()[slug]
    names = [t["term"], *t.get("aliases", [])]
    stems = {stem(w) for n in names for w in content_words(n)}
    leaks = [w for w in content_words(t["definition"]) if _echo(w, stems)]
    assert leaks == []


@pytest.mark.parametrize("slug", sorted(raw_terms()))
def test_links_exist_and_tags_are_known(slug: str) -> None:
    content = builtin()
    t = raw_terms()[slug]
    for target in (*t.get("related", []), *t.get("broader", [])):
        assert target in content.terms, target
        assert target != slug
    assert not set(t.get("related", [])) & set(t.get("broader", []))  # one link, not two
    assert t.get("tags") and set(t["tags"]) <= TAGS


def test_echo_catches_a_stem_and_a_shared_start() -> None:
    stems = {stem(w) for w in content_words("Layer Normalization")}
    assert _echo("normalizes", stems)
    assert _echo("layers", stems)
    assert not _echo("standardizes", stems)


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


# ---------------------------------------------------------------- generative models


def test_vae_kl_term() -> None:
    says("vae", "½Σ(μ² + σ² − 1 − ln σ²)", "μ = 1 and σ = 1 contributes 0.5 nats")
    from torch.distributions import Normal, kl_divergence

    std_normal = Normal(0.0, 1.0)
    assert kl_divergence(Normal(1.0, 1.0), std_normal).item() == pytest.approx(0.5)
    mu, sigma = torch.tensor([0.3, -2.0, 1.5]), torch.tensor([0.5, 1.7, 0.9])
    closed = 0.5 * (mu**2 + sigma**2 - 1 - torch.log(sigma**2))
    torch.testing.assert_close(kl_divergence(Normal(mu, sigma), std_normal), closed)


def test_reparameterization_gradients() -> None:
    says("reparameterization-trick", "∂z/∂μ = 1, ∂z/∂σ = ε")
    mu = torch.tensor(0.7, requires_grad=True)
    sigma = torch.tensor(1.3, requires_grad=True)
    eps = torch.tensor(-0.4)
    (mu + sigma * eps).backward()
    assert mu.grad.item() == 1.0
    assert sigma.grad.item() == pytest.approx(eps.item())


def test_diffusion_forward_process_keeps_unit_variance() -> None:
    says("diffusion-model", "var(x_t) = ᾱ_t + (1 − ᾱ_t) = 1")
    torch.manual_seed(0)
    x0, noise = torch.randn(400_000), torch.randn(400_000)
    for a_bar in (0.9, 0.3, 0.01):
        xt = math.sqrt(a_bar) * x0 + math.sqrt(1 - a_bar) * noise
        assert xt.var().item() == pytest.approx(1.0, abs=0.01)


def test_masked_language_modeling_share() -> None:
    says("masked-language-modeling", "15 %", "80 % become [MASK]", "12 % of all tokens")
    torch.manual_seed(0)
    n = 1_000_000
    chosen = torch.rand(n) < 0.15
    masked = chosen & (torch.rand(n) < 0.8)
    assert masked.float().mean().item() == pytest.approx(0.12, abs=0.002)


# ---------------------------------------------------------------- sequences and text


def test_gru_parameters_and_update_formula() -> None:
    says("gru", "3·(20·10 + 20·20 + 2·20) =", "1,920", "2,560", "(1 − z) ⊙ n + z ⊙ h")
    assert 1920 / 2560 == 0.75  # "a quarter smaller"
    torch.manual_seed(0)
    cell = nn.GRUCell(3, 4, bias=False)
    x, h = torch.randn(1, 3), torch.randn(1, 4)
    w_r, w_z, w_n = cell.weight_ih.chunk(3)
    u_r, u_z, u_n = cell.weight_hh.chunk(3)
    r = torch.sigmoid(x @ w_r.T + h @ u_r.T)
    z = torch.sigmoid(x @ w_z.T + h @ u_z.T)
    n = torch.tanh(x @ w_n.T + r * (h @ u_n.T))
    torch.testing.assert_close(cell(x, h), (1 - z) * n + z * h)


def test_nucleus_example() -> None:
    says("nucleus-sampling", "(0.5, 0.3, 0.15, 0.05)", "p = 0.9", "(0.526, 0.316, 0.158)")
    probs = torch.tensor([0.5, 0.3, 0.15, 0.05], dtype=torch.float64)
    ranked, _ = probs.sort(descending=True)
    keep = int((ranked.cumsum(0) < 0.9).sum()) + 1  # smallest prefix reaching 0.9
    assert keep == 3
    kept = ranked[:keep] / ranked[:keep].sum()
    assert [f"{v:.3f}" for v in kept.tolist()] == ["0.526", "0.316", "0.158"]


def test_temperature_example() -> None:
    says("softmax-temperature", "(2, 1, 0)", "0.867 at T = 0.5", "0.665 at T = 1", "0.506 at T = 2")
    logits = torch.tensor([2.0, 1.0, 0.0], dtype=torch.float64)
    tops = {t: torch.softmax(logits / t, 0)[0].item() for t in (0.5, 1.0, 2.0)}
    assert [f"{tops[t]:.3f}" for t in (0.5, 1.0, 2.0)] == ["0.867", "0.665", "0.506"]


def test_embedding_parameters_and_one_hot_equivalence() -> None:
    says("embedding-layer", "nn.Embedding(50000, 512)", "25,600,000")
    emb = nn.Embedding(7, 3)
    ids = torch.tensor([4, 0, 4])
    torch.testing.assert_close(emb(ids), F.one_hot(ids, 7).float() @ emb.weight)


def test_perplexity_values() -> None:
    says("perplexity", "perplexity 50,000", "e² ≈ 7.39")
    logits = torch.zeros(3, 50_000, dtype=torch.float64)
    ce = F.cross_entropy(logits, torch.tensor([0, 17, 49_999]))
    assert torch.exp(ce).item() == pytest.approx(50_000)
    assert f"{math.exp(2.0):.2f}" == "7.39"


# ---------------------------------------------------------------- losses


def _focal(logits: torch.Tensor, target: torch.Tensor, gamma: float) -> torch.Tensor:
    logp_t = F.log_softmax(logits, -1).gather(-1, target[:, None])[:, 0]
    return (-((1 - logp_t.exp()) ** gamma) * logp_t).mean()


def test_focal_loss_factors_and_gamma_zero() -> None:
    says("focal-loss", "γ = 2", "p_t = 0.9", "by 0.01", "p_t = 0.5 by 0.25", "γ = 0")
    assert math.isclose((1 - 0.9) ** 2, 0.01) and (1 - 0.5) ** 2 == 0.25
    torch.manual_seed(0)
    logits, target = torch.randn(6, 4), torch.randint(0, 4, (6,))
    torch.testing.assert_close(_focal(logits, target, 0.0), F.cross_entropy(logits, target))
    # Binary check against an independent form: p_t = 0.9 scales the cross-entropy by 0.01.
    p = torch.tensor([0.9])
    ratio = _focal(torch.log(torch.cat([p, 1 - p]))[None], torch.tensor([0]), 2.0) / -torch.log(p)
    assert ratio.item() == pytest.approx(0.01)


def test_huber_values_and_smooth_l1_relation() -> None:
    says("huber-loss", "δ = 1", "0.5 costs 0.125", "3 costs 2.5", "½e² alone would give 4.5")
    zero = torch.tensor(0.0)
    assert F.huber_loss(torch.tensor(0.5), zero, delta=1.0).item() == 0.125
    assert F.huber_loss(torch.tensor(3.0), zero, delta=1.0).item() == 2.5
    assert 0.5 * 3.0**2 == 4.5
    e = torch.linspace(-3, 3, 25)
    torch.testing.assert_close(
        F.smooth_l1_loss(e, torch.zeros(25), beta=0.5, reduction="none"),
        F.huber_loss(e, torch.zeros(25), delta=0.5, reduction="none") / 0.5,
    )


def test_kl_divergence_example_and_identity() -> None:
    says("kl-divergence", "D(P‖Q) ≈ 0.511", "D(Q‖P) ≈ 0.368", "H(P, Q) − H(P)")
    p = torch.tensor([0.5, 0.5], dtype=torch.float64)
    q = torch.tensor([0.9, 0.1], dtype=torch.float64)
    d_pq = F.kl_div(q.log(), p, reduction="sum").item()
    d_qp = F.kl_div(p.log(), q, reduction="sum").item()
    assert f"{d_pq:.3f}" == "0.511" and f"{d_qp:.3f}" == "0.368"
    cross, ent = -(p * q.log()).sum().item(), -(p * p.log()).sum().item()
    assert d_pq == pytest.approx(cross - ent)


# ---------------------------------------------------------------- convolutions, architectures


def test_residual_jacobian_is_identity_plus_block() -> None:
    says("residual-connection", "∂y/∂x = I + ∂F/∂x")
    torch.manual_seed(0)
    block = nn.Sequential(nn.Linear(4, 4), nn.Tanh())
    x = torch.randn(4)
    jac = torch.autograd.functional.jacobian(lambda v: v + block(v), x)
    torch.testing.assert_close(jac, torch.eye(4) + torch.autograd.functional.jacobian(block, x))


def test_depthwise_separable_counts() -> None:
    says("depthwise-separable-convolution", "128·9 + 128·128 = 17,536", "147,456", "8.4×")
    dw = nn.Conv2d(128, 128, 3, groups=128, bias=False)
    pw = nn.Conv2d(128, 128, 1, bias=False)
    full = nn.Conv2d(128, 128, 3, bias=False)
    assert f"{147_456 / 17_536:.1f}" == "8.4"
    x = torch.randn(1, 128, 10, 10)
    assert pw(dw(x)).shape == full(x).shape


def test_dilated_span_and_output_size() -> None:
    says("dilated-convolution", "d(k − 1) + 1", "d = 2 covers 5×5", "32×32 input into 28×28")
    assert 2 * (3 - 1) + 1 == 5
    conv = nn.Conv2d(1, 1, 3, dilation=2, bias=False)
    assert conv(torch.zeros(1, 1, 32, 32)).shape[-2:] == (28, 28)
    # The receptive field: an output pixel depends on a 5×5 patch of the input.
    x = torch.zeros(1, 1, 5, 5, requires_grad=True)
    with torch.no_grad():
        conv.weight.fill_(1.0)
    conv(x).sum().backward()
    assert int((x.grad != 0).sum()) == 9 and x.grad[0, 0, 0, 0] != 0 and x.grad[0, 0, 4, 4] != 0


def test_transposed_convolution_shape_and_gradient_identity() -> None:
    says("transposed-convolution", "k = 4, s = 2", "p = 1", "16×16 to 32×32")
    up = nn.ConvTranspose2d(1, 1, 4, stride=2, padding=1)
    assert up(torch.zeros(1, 1, 16, 16)).shape[-2:] == (32, 32)
    assert (16 - 1) * 2 - 2 * 1 + 4 == 32
    torch.manual_seed(0)
    w = torch.randn(2, 3, 4, 4)  # conv: 3 -> 2 channels
    x = torch.randn(1, 3, 16, 16, requires_grad=True)
    y = F.conv2d(x, w, stride=2, padding=1)
    g = torch.randn_like(y)
    (grad_x,) = torch.autograd.grad(y, x, g)
    torch.testing.assert_close(F.conv_transpose2d(g, w, stride=2, padding=1), grad_x)


def test_densenet_block_width() -> None:
    says("densenet", "k_0 + (ℓ − 1)·k", "64 input channels and k = 32 outputs 192")

    class Block(nn.Module):
        def __init__(self, c0: int, k: int, n: int) -> None:
            super().__init__()
            self.layers = nn.ModuleList(nn.Conv2d(c0 + i * k, k, 3, padding=1) for i in range(n))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            for layer in self.layers:
                x = torch.cat([x, layer(x)], dim=1)
            return x

    block = Block(64, 32, 4)
    assert [layer.in_channels for layer in block.layers] == [64, 96, 128, 160]
    assert block(torch.zeros(1, 64, 8, 8)).shape[1] == 192


def test_alexnet_parameters() -> None:
    says("alexnet", "60,965,224", "58,631,144", "15.3 %")
    with torch.device("meta"):
        convs = nn.Sequential(
            nn.Conv2d(3, 96, 11, stride=4),
            nn.Conv2d(96, 256, 5, padding=2, groups=2),  # the two-GPU split
            nn.Conv2d(256, 384, 3, padding=1),
            nn.Conv2d(384, 384, 3, padding=1, groups=2),
            nn.Conv2d(384, 256, 3, padding=1, groups=2),
        )
        fcs = nn.Sequential(
            nn.Linear(256 * 6 * 6, 4096), nn.Linear(4096, 4096), nn.Linear(4096, 1000)
        )
    assert params(fcs) == 58_631_144
    assert params(convs) + params(fcs) == 60_965_224


def test_vgg16_parameters() -> None:
    says("vggnet", "138,357,544", "102,764,544", "about 74 %", "512×7×7", "138 million")
    cfg = [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"]
    layers: list[nn.Module] = []
    c = 3
    with torch.device("meta"):
        for v in cfg:
            if v == "M":
                layers.append(nn.MaxPool2d(2))
            else:
                layers += [nn.Conv2d(c, int(v), 3, padding=1), nn.ReLU()]
                c = int(v)
        first = nn.Linear(512 * 7 * 7, 4096)
        head = nn.Sequential(first, nn.Linear(4096, 4096), nn.Linear(4096, 1000))
    total = params(nn.Sequential(*layers)) + params(head)
    assert total == 138_357_544
    assert params(first) == 102_764_544
    assert f"{params(first) / total:.0%}" == "74%"
    assert sum(isinstance(m, (nn.Conv2d, nn.Linear)) for m in [*layers, *head]) == 16
    assert 2 * 3 * 3 < 5 * 5  # two 3×3 layers: 18 weights per channel pair, one 5×5: 25
    stacked = nn.Sequential(nn.Conv2d(1, 1, 3), nn.Conv2d(1, 1, 3))
    x = torch.zeros(1, 1, 9, 9, requires_grad=True)
    stacked(x)[0, 0, 2, 2].backward()  # one output pixel of the pair
    assert (x.grad[0, 0] != 0).nonzero().amin(0).tolist() == [2, 2]
    assert (x.grad[0, 0] != 0).nonzero().amax(0).tolist() == [6, 6]  # a 5×5 region


# ---------------------------------------------------------------- activations


def test_gelu_values() -> None:
    says("gelu", "GELU(1) ≈ 0.8413", "GELU(−1) ≈ −0.1587", "about −0.170 near x ≈ −0.752")
    says("gelu", "within 0.001")
    x = torch.tensor([1.0, -1.0], dtype=torch.float64)
    assert [f"{v:.4f}" for v in F.gelu(x).tolist()] == ["0.8413", "-0.1587"]
    grid = torch.linspace(-3, 0, 300_001, dtype=torch.float64)
    y = F.gelu(grid)
    i = int(y.argmin())
    assert f"{y[i]:.3f}" == "-0.170" and f"{grid[i]:.3f}" == "-0.752"
    wide = torch.linspace(-10, 10, 200_001, dtype=torch.float64)
    assert (F.gelu(wide) - F.gelu(wide, approximate="tanh")).abs().max().item() < 0.001


def test_silu_values() -> None:
    says("silu", "−0.278 near x ≈ −1.278", "SiLU(1) ≈ 0.7311")
    grid = torch.linspace(-4, 0, 400_001, dtype=torch.float64)
    y = F.silu(grid)
    i = int(y.argmin())
    assert f"{y[i]:.3f}" == "-0.278" and f"{grid[i]:.3f}" == "-1.278"
    assert f"{F.silu(torch.tensor(1.0, dtype=torch.float64)):.4f}" == "0.7311"
    torch.testing.assert_close(F.silu(grid), grid * torch.sigmoid(grid))


# ---------------------------------------------------------------- later additions


def test_grouped_query_attention_is_attention_with_shared_kv() -> None:
    says("grouped-query-attention", "8 K/V heads for 64 query heads", "8× smaller")
    assert 64 // 8 == 8
    torch.manual_seed(0)
    q = torch.randn(1, 8, 5, 4)  # 8 Q heads
    k, v = torch.randn(1, 2, 5, 4), torch.randn(1, 2, 5, 4)  # 2 shared K/V heads
    shared = F.scaled_dot_product_attention(q, k, v, enable_gqa=True)
    k4, v4 = k.repeat_interleave(4, dim=1), v.repeat_interleave(4, dim=1)
    torch.testing.assert_close(shared, F.scaled_dot_product_attention(q, k4, v4))


def test_mixup_and_cutmix_shares() -> None:
    says("mixup", "112×112 patch in a 224×224 image gives its label 0.25")
    image = torch.zeros(224, 224)
    image[:112, :112] = 1.0
    assert image.mean().item() == 0.25


def test_stochastic_depth_expected_share() -> None:
    says("stochastic-depth", "1 to 0.5 over 54", "about 74.5 %")
    blocks = torch.arange(1, 55, dtype=torch.float64)
    survive = 1 - blocks / 54 * (1 - 0.5)
    assert survive[-1].item() == 0.5
    assert f"{survive.mean().item():.1%}" == "74.5%"
    assert (110 - 2) // 2 == 54  # ResNet-110: two 3×3 layers per block plus stem and head


def test_efficientnet_compound_constant() -> None:
    says("efficientnet", "α = 1.2", "β = 1.1", "γ = 1.15", "α·β²·γ² ≈ 1.92")
    assert f"{torch.tensor(1.2 * 1.1**2 * 1.15**2, dtype=torch.float64).item():.2f}" == "1.92"


def test_lenet5_input_and_size() -> None:
    says("lenet-5", "32×32", "about 60 thousand", "6 then 16 maps of 5×5 filters", "120, 84 and 10")
    net = lenet5()
    assert net(torch.zeros(1, 1, 32, 32)).shape == (1, 10)
    assert params(net) == pytest.approx(60_000, rel=0.05)


def test_convnext_written_block_sum() -> None:
    says("convnext", "width 96", "4× inverted bottleneck", "= 79,296")
    notes = " ".join(raw_terms()["convnext"]["notes"].split())
    written = notes[notes.index("holds ") + 6 : notes.index(" = 79,296")]
    python = re.sub(r"\([^)]*\)", "", written).replace("·", "*")
    assert eval(python, {"__builtins__": {}}) == 79_296


def test_bfloat16_trades_three_mantissa_bits() -> None:
    says("bfloat16", "fp16 has 3 more mantissa bits")
    ratio = torch.finfo(torch.bfloat16).eps / torch.finfo(torch.float16).eps
    assert math.log2(ratio) == 3
