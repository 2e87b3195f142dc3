"""Numbers and formulas quoted in the seed glossary (terms_a/terms_b), rebuilt in torch.

Each test first finds the quoted number in the entry's text, so editing the text
without re-checking the number fails here.
"""

from __future__ import annotations

import math

import pytest

from dlquiz.content import Content, Term, load_builtin

torch = pytest.importorskip("torch")
nn = torch.nn
F = torch.nn.functional


@pytest.fixture(scope="module")
def terms() -> dict[str, Term]:
    content: Content = load_builtin()
    return content.terms


def _text(term: Term) -> str:
    return " ".join((term.definition, term.notes, term.formula))


def test_conv_parameter_count_and_the_dense_alternative(terms: dict[str, Term]) -> None:
    text = _text(terms["parameter-sharing"])
    assert "36,928" in text and "4×10¹⁰" in text
    conv = nn.Conv2d(64, 64, 3)
    assert sum(p.numel() for p in conv.parameters()) == 36_928
    # A dense map between two 56×56×64 grids (weights only): about 4×10¹⁰.
    n = 56 * 56 * 64
    assert math.isclose(n * n, 4e10, rel_tol=0.01)


def test_filter_and_dense_parameter_formulas(terms: dict[str, Term]) -> None:
    assert "C_out·(k·k·C_in + 1)" in _text(terms["filter"])
    for c_in, c_out, k in [(3, 16, 3), (64, 128, 1), (5, 7, 5)]:
        conv = nn.Conv2d(c_in, c_out, k)
        assert sum(p.numel() for p in conv.parameters()) == c_out * (k * k * c_in + 1)
    assert "n_in·n_out + n_out" in _text(terms["dense-layer"])
    for n_in, n_out in [(10, 3), (784, 128)]:
        linear = nn.Linear(n_in, n_out)
        assert sum(p.numel() for p in linear.parameters()) == n_in * n_out + n_out


def test_fully_connected_layer_equals_a_whole_input_convolution(terms: dict[str, Term]) -> None:
    assert "kernel covers the whole" in _text(terms["fully-connected-layer"])
    torch.manual_seed(0)
    c, h, w, n_out = 3, 4, 5, 6
    linear = nn.Linear(c * h * w, n_out)
    conv = nn.Conv2d(c, n_out, (h, w))
    with torch.no_grad():
        conv.weight.copy_(linear.weight.view(n_out, c, h, w))
        conv.bias.copy_(linear.bias)
    x = torch.randn(2, c, h, w)
    torch.testing.assert_close(conv(x).flatten(1), linear(x.flatten(1)))


def test_sigmoid_slope_is_at_most_a_quarter(terms: dict[str, Term]) -> None:
    assert "0.25" in _text(terms["sigmoid-function"])
    x = torch.linspace(-10, 10, 20001, requires_grad=True)
    y = torch.sigmoid(x)
    (slope,) = torch.autograd.grad(y.sum(), x)
    assert slope.max().item() == pytest.approx(0.25, abs=1e-6)
    torch.testing.assert_close(slope, (y * (1 - y)).detach())
    # Ten saturating layers at the best slope still scale a signal by about 10⁻⁶.
    assert "0.25¹⁰ ≈ 10⁻⁶" in _text(terms["gradient-vanishing"])
    assert round(math.log10(0.25**10)) == -6


def test_padding_coverage_of_corner_and_centre(terms: dict[str, Term]) -> None:
    text = _text(terms["zero-padding"])
    assert "corner pixel is in 4 windows, a central one in 9" in text
    ones = torch.ones(1, 1, 6, 6)
    # How many 3×3 windows (padding 1, stride 1) contain each input pixel.
    windows = F.unfold(ones, 3, padding=1)
    coverage = F.fold(windows, (6, 6), 3, padding=1)[0, 0]
    assert coverage[0, 0].item() == 4 and coverage[3, 3].item() == 9
    # 'same': p = (k − 1)/2 keeps the size at stride 1.
    for k in (3, 5, 7):
        out = nn.Conv2d(1, 1, k, padding=(k - 1) // 2)(ones)
        assert out.shape[-2:] == ones.shape[-2:]


def test_max_pooling_halves_and_routes_the_gradient_to_the_maximum(
    terms: dict[str, Term],
) -> None:
    assert "2×2 with stride 2, halving" in _text(terms["max-pooling"])
    x = torch.randn(1, 3, 32, 32, requires_grad=True)
    y = nn.MaxPool2d(2, 2)(x)
    assert y.shape == (1, 3, 16, 16)
    y.sum().backward()
    assert x.grad is not None
    # Exactly one element of each 2×2 window receives the gradient, and it is the max.
    grad_windows = F.unfold(x.grad, 2, stride=2)
    assert torch.all(grad_windows.view(3, 4, -1).sum(1) == 1)
    windows = F.unfold(x.detach(), 2, stride=2).view(3, 4, -1)
    chosen = grad_windows.view(3, 4, -1).argmax(1)
    torch.testing.assert_close(windows.gather(1, chosen[:, None]).squeeze(1), windows.amax(1))


def test_dropout_scales_survivors_in_training_only(terms: dict[str, Term]) -> None:
    assert "1/(1 − p)" in _text(terms["dropout"])
    torch.manual_seed(0)
    drop = nn.Dropout(p=0.25)
    x = torch.ones(10_000)
    y = drop(x)
    kept = y[y != 0]
    torch.testing.assert_close(kept, torch.full_like(kept, 1 / 0.75))
    drop.eval()
    torch.testing.assert_close(drop(x), x)


def test_epoch_step_count(terms: dict[str, Term]) -> None:
    assert "⌈N/B⌉" in _text(terms["epoch"])
    data = torch.utils.data.TensorDataset(torch.zeros(1003, 2))
    assert len(torch.utils.data.DataLoader(data, batch_size=32)) == math.ceil(1003 / 32)


def test_adam_defaults_and_step(terms: dict[str, Term]) -> None:
    text = _text(terms["adam"])
    assert "β1 = 0.9, β2 = 0.999 and ε = 1e-8" in text and "η·m̂ / (√v̂ + ε)" in text
    p = torch.zeros(3, requires_grad=True)
    opt = torch.optim.Adam([p], lr=0.1)
    group = opt.param_groups[0]
    assert group["betas"] == (0.9, 0.999) and group["eps"] == 1e-8
    g = torch.tensor([1.0, -2.0, 0.5])
    p.grad = g.clone()
    opt.step()
    m_hat = (1 - 0.9) * g / (1 - 0.9)
    v_hat = (1 - 0.999) * g**2 / (1 - 0.999)
    torch.testing.assert_close(p.detach(), -0.1 * m_hat / (v_hat.sqrt() + 1e-8))


def test_pytorch_nesterov_form(terms: dict[str, Term]) -> None:
    assert "b ← μ·b + g, then θ ← θ − η·(g + μ·b)" in _text(terms["nesterov-momentum"])
    torch.manual_seed(0)
    target = torch.randn(4)
    p = torch.zeros(4, requires_grad=True)
    opt = torch.optim.SGD([p], lr=0.1, momentum=0.9, nesterov=True)
    theta, b = torch.zeros(4), torch.zeros(4)
    for _ in range(5):
        opt.zero_grad()
        ((p - target) ** 2).sum().backward()
        opt.step()
        g = 2 * (theta - target)
        b = 0.9 * b + g
        theta = theta - 0.1 * (g + 0.9 * b)
    torch.testing.assert_close(p.detach(), theta)


def test_lstm_has_four_weight_blocks(terms: dict[str, Term]) -> None:
    assert "four weight blocks" in _text(terms["lstm"])
    lstm = nn.LSTM(input_size=5, hidden_size=7)
    assert lstm.weight_ih_l0.shape == (4 * 7, 5)
    assert lstm.weight_hh_l0.shape == (4 * 7, 7)


def test_cross_entropy_gradient_is_prediction_minus_target(terms: dict[str, Term]) -> None:
    assert "prediction minus target" in _text(terms["cross-entropy-loss"])
    torch.manual_seed(0)
    logits = torch.randn(1, 5, requires_grad=True)
    F.cross_entropy(logits, torch.tensor([2])).backward()
    expected = torch.softmax(logits.detach(), 1) - F.one_hot(torch.tensor([2]), 5)
    assert logits.grad is not None
    torch.testing.assert_close(logits.grad, expected)


def test_batch_norm_cancels_a_preceding_bias(terms: dict[str, Term]) -> None:
    assert "bias=False" in _text(terms["batch-normalization"])
    torch.manual_seed(0)
    x = torch.randn(8, 3, 6, 6)
    conv = nn.Conv2d(3, 4, 3)
    no_bias = nn.Conv2d(3, 4, 3, bias=False)
    with torch.no_grad():
        no_bias.weight.copy_(conv.weight)
    bn = nn.BatchNorm2d(4)
    torch.testing.assert_close(bn(conv(x)), bn(no_bias(x)), atol=1e-5, rtol=1e-5)


def test_clip_grad_norm_returns_the_norm_before_clipping(terms: dict[str, Term]) -> None:
    assert "total norm measured before clipping" in _text(terms["gradient-clipping"])
    p = torch.zeros(2, requires_grad=True)
    p.grad = torch.tensor([3.0, 4.0])
    total = torch.nn.utils.clip_grad_norm_([p], max_norm=1.0)
    assert total.item() == pytest.approx(5.0)
    torch.testing.assert_close(p.grad, torch.tensor([0.6, 0.8]))


def test_global_average_pooling_gives_one_mean_per_channel(terms: dict[str, Term]) -> None:
    assert "length-C vector" in _text(terms["global-average-pooling"])
    x = torch.randn(2, 5, 7, 3)
    y = nn.AdaptiveAvgPool2d(1)(x).flatten(1)
    assert y.shape == (2, 5)
    torch.testing.assert_close(y, x.mean(dim=(2, 3)))
