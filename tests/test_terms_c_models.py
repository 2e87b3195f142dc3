"""content/glossary/terms_c.toml: every number it states, part two (generative models,
sequences, losses, convolutions and architectures, activations, later additions).

Each test first finds the number in the entry's text, then rebuilds it in torch, so a
change to either side fails. Part one is tests/test_terms_c_numbers.py.
"""

from __future__ import annotations

import math
import re

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from tests.test_terms_c import params, raw_terms, says
from tests.test_terms_c_numbers import lenet5

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
