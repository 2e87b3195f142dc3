"""The behaviour the concept cards of content/concepts describe, checked in torch.

Which axes a norm averages, what a mask does, how a recurrent cell updates, ...: the
companion of tests/test_content_numbers_a.py, which checks the cards' numbers.
"""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from tests.content_builders_a import mha, sdpa_weights, windows_covering

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
