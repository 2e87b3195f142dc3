"""The skill graph: which skills must be learned before another is introduced.

Pure data, declared once, here. A skill is ``family/level`` (its card id is
``skill/family/level``). Two kinds of edge:

* within a family, level n needs level n - 1 (implied: not listed below);
* across families, ``EDGES`` below: the dependent skill on the left needs every
  skill on the right. An edge is attached to the lowest level of the dependent
  that uses the prerequisite; the levels above inherit it through the chain.

``dlquiz.skillgraph`` turns this into card ids and applies the rules (unlocking,
implicit credit, bringing a weak prerequisite forward). A test checks that every
skill named here is a registered family and level, and that the graph is acyclic.
No numpy, no torch.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Final

# dependent "family/level" -> prerequisites "family/level"
EDGES: Final[dict[str, tuple[str, ...]]] = {
    # tensors
    "matmul-shape/3": ("broadcast/2",),  # batch dims broadcast like any other op
    "reshape-valid/3": ("permute-shape/1",),  # .view on a transposed tensor
    "does-it-run/1": ("matmul-shape/1",),  # a Linear is a matmul on the last dim
    "does-it-run/2": ("conv2d-shape/1",),
    "does-it-run/3": ("flatten-size/1", "matmul-shape/2"),
    # convolution
    "convtranspose2d-shape/1": ("conv2d-shape/2",),  # the inverse of the strided formula
    "conv2d-params/1": ("linear-params/1",),  # weights + bias, counted per output channel
    "conv-macs/1": ("conv2d-shape/1", "conv2d-params/1"),  # MACs = output size × weights
    "flatten-size/1": ("conv2d-shape/1", "pool2d-shape/1"),
    "flatten-size/3": ("conv2d-shape/2",),  # strided convs
    "global-avg-pool/1": ("pool2d-shape/1",),
    "receptive-field/1": ("conv2d-shape/1",),
    "receptive-field/2": ("pool2d-shape/1",),
    "receptive-field/3": ("conv2d-shape/3",),  # dilation
    # architecture
    "sequential-shape/1": ("conv2d-shape/1", "pool2d-shape/1"),
    "sequential-shape/2": ("flatten-size/1",),
    "sequential-params/1": ("conv2d-params/1", "linear-params/1"),
    "sequential-params/3": ("batchnorm2d/1",),
    "resnet-block/1": ("conv2d-shape/1", "batchnorm2d/1"),
    "resnet-block/2": ("conv2d-shape/2",),  # stride 2 and the projection shortcut
    "resnet-block/3": ("conv2d-params/1",),  # bottleneck parameter count
    "resnet50-stage/1": ("resnet-block/2",),
    "resnet50-stage/2": ("global-avg-pool/1",),
    # sequences
    "lstm-params/1": ("linear-params/1",),  # four gates, each a pair of Linear maps
    "mha-shape/1": ("matmul-shape/1",),
    "mha-params/1": ("linear-params/1", "mha-shape/1"),
    # values
    "cross-entropy/1": ("activation/2",),  # log of a softmax
    # by hand: the value questions build on the shape (or formula) of the same layer
    "conv-value/1": ("conv2d-shape/1",),
    "pool-grid/1": ("pool2d-shape/1",),
    "batchnorm-value/1": ("batchnorm2d/1",),
    "attention-weights/1": ("activation/2", "matmul-shape/1"),  # softmax of q·k / √d
    "softmax-temperature/1": ("activation/2",),
    "softmax-temperature/3": ("cross-entropy/1", "entropy/1"),  # distillation: T²·KL
}


def split(skill: str) -> tuple[str, int]:
    """``"conv2d-shape/2"`` -> ``("conv2d-shape", 2)``; ValueError if malformed."""
    family, _, level = skill.rpartition("/")
    if not family:
        raise ValueError(f"not a family/level skill: {skill!r}")
    return family, int(level)


def card(skill: str) -> str:
    """The card id of a ``family/level`` skill."""
    return f"skill/{skill}"


def prerequisite_map(levels: Mapping[str, Iterable[int]]) -> dict[str, tuple[str, ...]]:
    """Every skill card's direct prerequisites (card ids), given each family's levels.

    The level chain comes first, then the edges across families. Edges naming a family
    or level not in ``levels`` are left out (a test keeps ``EDGES`` honest).
    """
    out: dict[str, list[str]] = {}
    for family, fam_levels in levels.items():
        previous: str | None = None
        for level in sorted(fam_levels):
            here = card(f"{family}/{level}")
            out[here] = [previous] if previous else []
            previous = here
    for dependent, needs in EDGES.items():
        target = card(dependent)
        if target not in out:
            continue
        out[target].extend(c for c in map(card, needs) if c in out and c not in out[target])
    return {k: tuple(v) for k, v in out.items()}
