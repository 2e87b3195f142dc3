"""The numbers the history cards (history.toml) state about famous networks: parameter
counts, MACs, tokens, a scaling constant. Each network is rebuilt by hand in
tests/content_nets_b.py and counted here; the rest of the numbers are in
tests/test_content_numbers_b.py."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from tests.content_nets_b import (
    INCEPTIONS,
    META,
    VGG16,
    VGG19,
    DenseLayer,
    Inception,
    convnext_tiny,
    densenet121,
    googlenet,
    macs,
    n_params,
    resnet,
    says,
    vgg,
    vit_b16,
)

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
