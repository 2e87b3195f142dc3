"""Hand-computation questions on boxes: IoU and generalised IoU of two axis-aligned boxes.

Box corners (or centres and even sizes) are whole numbers, so IoU is a ratio of two whole
areas. torch has no box op of its own (that is torchvision), so the answer runs the standard
formula on tensors, as the proof snippet does.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from dlquiz.questions.base import Expected, Mistake, Question, family
from dlquiz.questions.by_hand import TOPIC, draw_until, fmt
from dlquiz.questions.common import randint
from dlquiz.questions.floats import MAX_DRAWS, float_proof, num

if TYPE_CHECKING:
    import numpy as np

D = 3  # IoU is graded to 3 decimal places


# ---------------------------------------------------------------- box-iou

_IOU_SRC = """\
def area(b):
    return (b[2] - b[0]) * (b[3] - b[1])

lt = torch.maximum(a[:2], b[:2])  # top-left of the overlap
rb = torch.minimum(a[2:], b[2:])  # bottom-right of the overlap
inter = (rb - lt).clamp(min=0).prod()
union = area(a) + area(b) - inter
iou = inter / union"""
_GIOU_SRC = """
hull = area(torch.cat([torch.minimum(a[:2], b[:2]), torch.maximum(a[2:], b[2:])]))
giou = iou - (hull - union) / hull"""


def _area(b: Sequence[int]) -> int:
    return (b[2] - b[0]) * (b[3] - b[1])


def _inter(a: Sequence[int], b: Sequence[int]) -> int:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return max(w, 0) * max(h, 0)


def _hull(a: Sequence[int], b: Sequence[int]) -> int:
    return (max(a[2], b[2]) - min(a[0], b[0])) * (max(a[3], b[3]) - min(a[1], b[1]))


def _corners(box: Sequence[int]) -> list[int]:
    """(cx, cy, w, h) -> (x1, y1, x2, y2); w and h are even, so the corners are whole."""
    cx, cy, w, h = box
    return [cx - w // 2, cy - h // 2, cx + w // 2, cy + h // 2]


def _iou(a: Sequence[int], b: Sequence[int]) -> float:
    inter = _inter(a, b)
    return inter / (_area(a) + _area(b) - inter)


def _box_text(b: Sequence[int]) -> str:
    return "(" + ", ".join(fmt(v) for v in b) + ")"


@family(
    "box-iou",
    title="IoU of two boxes by hand",
    topic=TOPIC,
    terms=("bounding-box",),
    levels={
        1: "corner format (x1, y1, x2, y2)",
        2: "centre format (cx, cy, w, h)",
        3: "generalised IoU (GIoU), boxes may not overlap",
    },
)
def box_iou(rng: np.random.Generator, level: int) -> Question:
    import torch

    def draw_corner() -> list[int]:
        x1, y1 = randint(rng, 0, 6), randint(rng, 0, 6)
        return [x1, y1, x1 + randint(rng, 1, 5), y1 + randint(rng, 1, 5)]

    def draw_centre() -> list[int]:
        return [
            randint(rng, 3, 8),
            randint(rng, 3, 8),
            2 * randint(rng, 1, 3),
            2 * randint(rng, 1, 3),
        ]

    def make() -> tuple[Expected, list[Mistake], tuple[Any, ...]]:
        draw = draw_centre if level == 2 else draw_corner
        for _ in range(MAX_DRAWS):
            given = [draw(), draw()]
            a, b = (_corners(g) for g in given) if level == 2 else given
            # Levels 1 and 2 want an overlap (IoU 0 teaches little); GIoU is fine without.
            if level == 3 or _inter(a, b):
                break
        inter, area_a, area_b = _inter(a, b), _area(a), _area(b)
        union = area_a + area_b - inter
        ta, tb = torch.tensor(a, dtype=torch.float32), torch.tensor(b, dtype=torch.float32)
        lt, rb = torch.maximum(ta[:2], tb[:2]), torch.minimum(ta[2:], tb[2:])
        t_inter = (rb - lt).clamp(min=0).prod()
        t_union = (ta[2:] - ta[:2]).prod() + (tb[2:] - tb[:2]).prod() - t_inter
        t_iou = t_inter / t_union
        hull = _hull(a, b)
        if level == 3:
            t_hull = torch.cat([torch.minimum(ta[:2], tb[:2]), torch.maximum(ta[2:], tb[2:])])
            hull_area = (t_hull[2:] - t_hull[:2]).prod()
            value = (t_iou - (hull_area - t_union) / hull_area).item()
        else:
            value = t_iou.item()
        iou = inter / union
        no_sub = inter / (area_a + area_b)
        mistakes = []
        if level < 3:
            mistakes.append(
                Mistake(
                    "union-not-subtracted",
                    "did not subtract the overlap from the union",
                    no_sub,
                    f"{num(no_sub, D)} divides by {area_a} + {area_b} = {area_a + area_b}, "
                    f"which counts the overlap twice; the union is {area_a} + {area_b} − "
                    f"{inter} = {union}.",
                )
            )
            small = min(area_a, area_b)
            mistakes.append(
                Mistake(
                    "over-smaller-box",
                    "divided by the smaller box",
                    inter / small,
                    f"{num(inter / small, D)} is the overlap over the smaller box's area "
                    f"({inter}/{small}); IoU divides by the union, {union}.",
                )
            )
        if level == 1:
            # The old Pascal VOC convention counts pixels, so a box spans x2 − x1 + 1.
            grown = [[v[0], v[1], v[2] + 1, v[3] + 1] for v in (a, b)]
            plus1 = _iou(*grown)
            mistakes.append(
                Mistake(
                    "plus-one-pixels",
                    "added 1 to every side (pixel counting)",
                    plus1,
                    f"{num(plus1, D)} counts x2 − x1 + 1 pixels per side (an old Pascal VOC "
                    "convention). With continuous corners a box is x2 − x1 wide.",
                )
            )
        if level == 2:
            as_corners = [[v[0], v[1], v[0] + v[2], v[1] + v[3]] for v in given]
            xywh = _iou(*as_corners) if _inter(*as_corners) else 0.0
            mistakes.append(
                Mistake(
                    "centre-as-corner",
                    "read the centre as the top-left corner",
                    xywh,
                    f"{num(xywh, D)} treats (cx, cy) as the top-left corner. A centre-format "
                    "box reaches w/2 to each side of its centre: "
                    f"{_box_text(given[0])} spans {_box_text(a)} in corners.",
                )
            )
        if level == 3:
            gap = hull - union
            mistakes += [
                Mistake(
                    "plain-iou",
                    "gave the plain IoU",
                    iou,
                    f"{num(iou, D)} is the plain IoU; GIoU also subtracts the share of the "
                    f"enclosing box that neither box covers: ({hull} − {union}) / {hull}.",
                ),
                Mistake(
                    "hull-minus-inter",
                    "subtracted the overlap from the hull",
                    iou - (hull - inter) / hull,
                    f"{num(iou - (hull - inter) / hull, D)} uses (hull − overlap) / hull; the "
                    f"penalty is (hull − union) / hull = ({hull} − {union}) / {hull} = "
                    f"{num(gap / hull, D)}.",
                ),
            ]
        return Expected("float", value, decimals=D), mistakes, (given, a, b)

    expected, mistakes, extra = draw_until(make)
    given, a, b = extra
    inter, area_a, area_b = _inter(a, b), _area(a), _area(b)
    union = area_a + area_b - inter
    hull = _hull(a, b)

    fmt_name = "(cx, cy, w, h), centre and size" if level == 2 else "(x1, y1, x2, y2), corners"
    what = "GIoU (generalised IoU)" if level == 3 else "IoU (intersection over union)"
    prompt = (
        f"Box A = {_box_text(given[0])} and box B = {_box_text(given[1])} are given as "
        f"{fmt_name} (x to the right, y downwards). What is their {what}? Give a float to "
        f"{D} decimal places."
    )
    lines = []
    if level == 2:
        lines.append(
            f"Corners first: x1 = cx − w/2, x2 = cx + w/2 (same for y): A = {_box_text(a)}, "
            f"B = {_box_text(b)}."
        )
    ow = max(min(a[2], b[2]) - max(a[0], b[0]), 0)
    oh = max(min(a[3], b[3]) - max(a[1], b[1]), 0)
    lines += [
        f"areas: A = {a[2] - a[0]}·{a[3] - a[1]} = {area_a}, B = {b[2] - b[0]}·{b[3] - b[1]} "
        f"= {area_b}",
        f"overlap: width min({a[2]}, {b[2]}) − max({a[0]}, {b[0]}) = {ow}, height "
        f"min({a[3]}, {b[3]}) − max({a[1]}, {b[1]}) = {oh} (0 if negative), so {inter}",
        f"union = {area_a} + {area_b} − {inter} = {union}; IoU = {inter}/{union} "
        f"= {num(inter / union, D)}",
    ]
    if level == 3:
        lines.append(
            f"enclosing box area = {hull}; GIoU = IoU − (hull − union)/hull = "
            f"{num(inter / union, D)} − {hull - union}/{hull} = {num(expected.value, D)}"
        )
    hints = (
        "IoU = overlap area / (area A + area B − overlap); the overlap spans from the larger "
        "left/top edge to the smaller right/bottom edge."
        + (" Convert (cx, cy, w, h) to corners first: cx ± w/2, cy ± h/2." if level == 2 else "")
        + (
            " GIoU = IoU − (C − union)/C, with C the area of the smallest box enclosing both."
            if level == 3
            else ""
        ),
        (
            f"Here A = {_box_text(given[0])} and B = {_box_text(given[1])} have corners "
            if level == 2
            else "Here the corners are "
        )
        + f"A = {_box_text(a)}, B = {_box_text(b)}: areas {area_a} and "
        f"{area_b}, overlap {ow}×{oh}"
        + (f"; the enclosing box has area {hull}." if level == 3 else "."),
    )
    if level == 2:
        boxes = (
            f"a = torch.tensor({[float(v) for v in a]})  # {_box_text(given[0])} in corners\n"
            f"b = torch.tensor({[float(v) for v in b]})  # {_box_text(given[1])} in corners\n"
        )
    else:
        boxes = (
            f"a = torch.tensor({[float(v) for v in a]})\n"
            f"b = torch.tensor({[float(v) for v in b]})\n"
        )
    last = "giou" if level == 3 else "iou"
    proof_src = _IOU_SRC + (_GIOU_SRC if level == 3 else "")
    return Question(
        level=level,
        params={
            "format": "cxcywh" if level == 2 else "xyxy",
            "a": given[0],
            "b": given[1],
            "giou": level == 3,
        },
        prompt=prompt,
        code="",
        expected=expected,
        explanation="\n".join(lines),
        proof=f"import torch\n{boxes}{proof_src}\n{float_proof(f'{last}.item()', D)}",
        mistakes=mistakes,
        hints=hints,
    )
