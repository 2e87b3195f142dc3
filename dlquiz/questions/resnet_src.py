"""The ResNet block sources, written once: shown to the learner, exec'd by the generators (with a
BatchNorm2d and Linear that are fast on meta) and pasted into the proofs, so the three cannot
drift apart. Imports neither numpy nor torch at module level.
"""

from __future__ import annotations

import types
from typing import TYPE_CHECKING, Any

from dlquiz.questions.layers import fast_batchnorm2d, fast_linear

if TYPE_CHECKING:
    from torch import nn

CACHE: dict[str, Any] = {}

BASIC_BLOCK_SRC = """\
class BasicBlock(nn.Module):
    def __init__(self, c_in, c_out, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.relu = nn.ReLU(inplace=True)
        self.shortcut = nn.Identity()
        if stride != 1 or c_in != c_out:  # projection: make x the same shape as out
            self.shortcut = nn.Sequential(
                nn.Conv2d(c_in, c_out, 1, stride=stride, bias=False), nn.BatchNorm2d(c_out)
            )

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        out += self.shortcut(x)
        return self.relu(out)
"""

BOTTLENECK_INIT_SRC = """\
class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, c_in, width, stride=1):
        super().__init__()
        c_out = width * self.expansion
        self.conv1 = nn.Conv2d(c_in, width, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, 3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = nn.Conv2d(width, c_out, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(c_out)
        self.relu = nn.ReLU(inplace=True)
        self.shortcut = nn.Identity()
        if stride != 1 or c_in != c_out:
            self.shortcut = nn.Sequential(
                nn.Conv2d(c_in, c_out, 1, stride=stride, bias=False), nn.BatchNorm2d(c_out)
            )
"""

BOTTLENECK_SRC = (
    BOTTLENECK_INIT_SRC
    + """
    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        out += self.shortcut(x)
        return self.relu(out)
"""
)

RESNET50_SRC = """\
def make_layer(c_in, width, blocks, stride):
    layers = [Bottleneck(c_in, width, stride)]
    layers += [Bottleneck(width * 4, width) for _ in range(blocks - 1)]
    return nn.Sequential(*layers)


def resnet50_stages():
    return nn.ModuleDict({
        "conv1": nn.Sequential(
            nn.Conv2d(3, 64, 7, stride=2, padding=3, bias=False),
            nn.BatchNorm2d(64),
            nn.ReLU(inplace=True),
        ),
        "maxpool": nn.MaxPool2d(3, stride=2, padding=1),
        "layer1": make_layer(64, 64, 3, stride=1),
        "layer2": make_layer(256, 128, 4, stride=2),
        "layer3": make_layer(512, 256, 6, stride=2),
        "layer4": make_layer(1024, 512, 3, stride=2),
        "avgpool": nn.AdaptiveAvgPool2d(1),
        "fc": nn.Linear(2048, 1000),  # after torch.flatten(x, 1)
    })
"""

RESNET50_LAYOUT = """\
# ResNet-50, torchvision layout. Bottleneck(width): 1×1 → 3×3 → 1×1 convs, out = 4·width;
# a stage's stride sits in the 3×3 conv of its first block.
conv1   = nn.Conv2d(3, 64, 7, stride=2, padding=3, bias=False)  # then BN + ReLU
maxpool = nn.MaxPool2d(3, stride=2, padding=1)
layer1  = 3 × Bottleneck(width=64),  stride 1
layer2  = 4 × Bottleneck(width=128), stride 2
layer3  = 6 × Bottleneck(width=256), stride 2
layer4  = 3 × Bottleneck(width=512), stride 2
avgpool = nn.AdaptiveAvgPool2d(1)
fc      = nn.Linear(2048, 1000)  # applied after torch.flatten(x, 1)"""

STAGES = ("conv1", "maxpool", "layer1", "layer2", "layer3", "layer4", "avgpool", "fc")


def _namespace() -> dict[str, Any]:
    """The block sources exec'd once against torch, with BatchNorm2d and Linear swapped for the
    variants that skip torch's slow meta kernels (same parameters and buffers, same shapes)."""
    if "ns" not in CACHE:
        import torch
        from torch import nn

        fast_nn = types.ModuleType("nn")
        fast_nn.__dict__.update(vars(nn))
        fast_nn.BatchNorm2d = fast_batchnorm2d()  # type: ignore[attr-defined]  # a module copy
        fast_nn.Linear = fast_linear()  # type: ignore[attr-defined]  # a module copy
        ns: dict[str, Any] = {"torch": torch, "nn": fast_nn}
        exec(BASIC_BLOCK_SRC + "\n" + BOTTLENECK_SRC + "\n" + RESNET50_SRC, ns)
        CACHE["ns"] = ns
    return CACHE["ns"]


def meta_model(factory: str, *args: int) -> nn.Module:
    import torch

    with torch.device("meta"):
        return _namespace()[factory](*args)
