"""Hand-computation questions: one convolution value and a pooled grid, worked out with pencil
and paper from tiny integer tensors.

Every family in the ``by_hand*`` modules draws small integers so the arithmetic is doable by
hand, runs torch on them for the graded answer, and declares its common slips (flipped kernel,
forgotten bias, max instead of mean, ...) as ``Mistake`` values computed with the mistaken
formula. A draw is repeated until the answer shows no rounding tie and at least two slips give
a value different from the answer, so the feedback always has something to name. The shared
helpers at the top are used by ``by_hand_norm`` and ``by_hand_attn`` too.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from dlquiz.questions.base import Expected, Mistake, Question, family, keep_mistakes
from dlquiz.questions.common import pick, randint
from dlquiz.questions.floats import MAX_DRAWS, any_tie, floats_proof, num

if TYPE_CHECKING:
    import numpy as np

TOPIC = "by-hand"
# Pooled grids and normalised vectors are graded to 2 places: max-pool answers are whole, but
# a grid graded to 0 places would accept 2.5 (a mean typed by mistake) for a max of 3.
GRID_DECIMALS = 2
# Each family aims for this many slips that differ from the answer.
MIN_MISTAKES = 2

Grid = list[list[int]]


# ---------------------------------------------------------------- shared helpers


def fmt(v: float) -> str:
    """An input number as a person writes it: 3, −1, 0.5 (unicode minus)."""
    text = str(int(v)) if float(v).is_integer() else f"{v:g}"
    return text.replace("-", "−")


def grid_src(rows: Sequence[Sequence[float]], indent: int) -> str:
    """A nested list laid out one row per line with aligned columns (for code blocks)."""
    cells = [[str(int(v)) if float(v).is_integer() else f"{v:g}" for v in row] for row in rows]
    width = max(len(c) for row in cells for c in row)
    lines = ["[" + ", ".join(c.rjust(width) for c in row) + "]" for row in cells]
    pad = " " * (indent + 1)
    return "[" + (",\n" + pad).join(lines) + "]"


def tensor_src(name: str, rows: Sequence[Sequence[float]], tail: str = "") -> str:
    """``name = torch.tensor([[...], [...]]).float()<tail>`` with one row per line."""
    head = f"{name} = torch.tensor("
    return f"{head}{grid_src(rows, len(head))}).float(){tail}"


def grid_text(rows: Sequence[Sequence[float]]) -> str:
    """A small grid inline, for prompts and explanations: [[1, 2], [3, 4]]."""
    return "[" + ", ".join("[" + ", ".join(fmt(v) for v in row) + "]" for row in rows) + "]"


def list_text(values: Sequence[float], d: int | None = None) -> str:
    return "[" + ", ".join(fmt(v) if d is None else num(v, d) for v in values) + "]"


def grid_form(n: int, *, whole: bool = False) -> str:
    """The closing sentence of a grid question; ``whole`` when every value is a whole number."""
    letters = ", ".join("abcdefgh"[:n])
    places = "" if whole else f", to {GRID_DECIMALS} decimal places"
    return f"Give the {n} values row by row as a list like [{letters}]{places}."


def far_enough(expected: Expected, value: object) -> bool:
    """Whether a slip's value cannot be mistaken for a near miss of the answer.

    The grader treats a float answer within one unit of the last stated decimal as "close" to
    right; a slip inside that band would steal those answers, so it is not named.
    """
    if expected.kind not in ("float", "floats"):
        return True
    band = 1.5 * 10.0 ** -(expected.decimals or 0) + 1e-9
    if expected.kind == "float":
        return abs(float(value) - float(expected.value)) > band  # type: ignore[arg-type]  # a float answer
    got: tuple[float, ...] = tuple(value)  # type: ignore[arg-type]  # a floats answer
    want: tuple[float, ...] = tuple(expected.value)
    return len(got) != len(want) or any(abs(a - b) > band for a, b in zip(got, want, strict=True))


def draw_until(
    make: Callable[[], tuple[Expected, Sequence[Mistake], Any]],
    ok: Callable[[Expected], bool] | None = None,
) -> tuple[Expected, tuple[Mistake, ...], Any]:
    """Call ``make`` until its answer has no rounding tie, passes ``ok`` and enough slips
    survive.

    ``make`` draws fresh numbers each call and returns (expected, mistakes, anything else the
    generator needs); the last draw is used if none qualifies within ``MAX_DRAWS``.
    """
    expected: Expected | None = None
    kept: tuple[Mistake, ...] = ()
    extra: Any = None
    for _ in range(MAX_DRAWS):
        expected, mistakes, extra = make()
        kept = tuple(m for m in keep_mistakes(expected, mistakes) if far_enough(expected, m.value))
        values = expected.value if expected.kind == "floats" else (expected.value,)
        tied = expected.kind != "int" and any_tie(values, expected.decimals or 0)
        if not tied and len(kept) >= MIN_MISTAKES and (ok is None or ok(expected)):
            break
    assert expected is not None
    return expected, kept, extra


def floats_answer(values: Sequence[float], d: int = GRID_DECIMALS) -> Expected:
    return Expected("floats", tuple(float(v) for v in values), decimals=d)


def flat(rows: Sequence[Sequence[float]]) -> tuple[float, ...]:
    return tuple(float(v) for row in rows for v in row)


# ---------------------------------------------------------------- conv-value


def _products(x: Grid, w: Grid, top: int, left: int) -> list[tuple[int, int]]:
    """(input, weight) pairs of one window; ``x`` already padded, ``w`` as applied."""
    k = len(w)
    return [(x[top + a][left + b], w[a][b]) for a in range(k) for b in range(k)]


def _window_sum(x: Grid, w: Grid, top: int, left: int) -> int:
    return sum(xv * wv for xv, wv in _products(x, w, top, left))


def _padded(x: Grid, pad: int) -> Grid:
    size = len(x) + 2 * pad
    out = [[0] * size for _ in range(size)]
    for r, row in enumerate(x):
        for c, v in enumerate(row):
            out[r + pad][c + pad] = v
    return out


def _flipped(w: Grid) -> Grid:
    """The kernel turned 180°: what a textbook (true) convolution slides over the input."""
    return [row[::-1] for row in w[::-1]]


def _terms(pairs: Sequence[tuple[int, int]]) -> str:
    def par(v: int) -> str:
        return f"({fmt(v)})" if v < 0 else fmt(v)

    return " + ".join(f"{par(a)}·{par(b)}" for a, b in pairs)


@family(
    "conv-value",
    title="One Conv2d output value by hand",
    topic=TOPIC,
    terms=("convolutional-neural-network", "filter", "feature-map", "bias", "zero-padding"),
    levels={
        1: "one channel, no padding",
        2: "padding=1: a value on the border",
        3: "two input channels summed",
    },
)
def conv_value(rng: np.random.Generator, level: int) -> Question:
    import torch
    import torch.nn.functional as F

    c_in = 2 if level == 3 else 1
    size = 3 if level == 3 else 4
    pad = 1 if level == 2 else 0

    def make() -> tuple[Expected, list[Mistake], tuple[Any, ...]]:
        k = pick(rng, (2, 3)) if level == 1 else (3 if level == 2 else 2)
        x = [[[randint(rng, -1, 3) for _ in range(size)] for _ in range(size)] for _ in range(c_in)]
        w = [[[randint(rng, -1, 2) for _ in range(k)] for _ in range(k)] for _ in range(c_in)]
        bias = pick(rng, (-3, -2, -1, 1, 2, 3))
        out = size + 2 * pad - k + 1
        if level == 2:  # a border cell, where the zero padding takes part
            cells = [(i, j) for i in range(out) for j in range(out) if {i, j} & {0, out - 1}]
            i, j = pick(rng, cells)
        else:
            i, j = randint(rng, 0, out - 1), randint(rng, 0, out - 1)
        y = F.conv2d(
            torch.tensor(x, dtype=torch.float32).unsqueeze(0),
            torch.tensor(w, dtype=torch.float32).unsqueeze(0),
            torch.tensor([float(bias)]),
            padding=pad,
        )
        value = round(y[0, 0, i, j].item())
        xp = [_padded(ch, pad) for ch in x]
        sums = [_window_sum(xp[c], w[c], i, j) for c in range(c_in)]
        total = sum(sums)
        flipped = sum(_window_sum(xp[c], _flipped(w[c]), i, j) for c in range(c_in)) + bias
        mistakes = [
            Mistake(
                "flipped-kernel",
                "flipped the kernel",
                flipped,
                f"{fmt(flipped)} is what you get with the kernel turned 180° (the textbook "
                "convolution). PyTorch's Conv2d computes cross-correlation: lay w on the "
                f"window as written, w[0][0] on the window's top-left cell, to get {fmt(value)}.",
            ),
            Mistake(
                "forgot-bias",
                "forgot the bias",
                total,
                f"{fmt(total)} is the sum of products alone; the layer then adds its bias "
                f"{fmt(bias)}: {fmt(total)} + {fmt(bias)} = {fmt(value)}.".replace("+ −", "− "),
            ),
        ]
        if level == 2 and i + k <= size and j + k <= size:
            unpadded = _window_sum(x[0], w[0], i, j) + bias
            mistakes.append(
                Mistake(
                    "ignored-padding",
                    "ignored the padding",
                    unpadded,
                    f"{fmt(unpadded)} comes from the window starting at input cell ({i}, {j}). "
                    f"With padding=1 the input gets a border of zeros, so output ({i}, {j}) "
                    f"starts at ({fmt(i - 1)}, {fmt(j - 1)}) of the original grid: {fmt(value)}.",
                )
            )
        if level == 3:
            one = sums[0] + bias
            mistakes.append(
                Mistake(
                    "one-channel",
                    "used one input channel",
                    one,
                    f"{fmt(one)} uses channel 0 only ({fmt(sums[0])} + bias). Each output "
                    "channel's kernel spans every input channel, so channel 1's products "
                    f"({fmt(sums[1])}) are added too: {fmt(value)}.",
                )
            )
        return Expected("int", value), mistakes, (k, x, w, bias, i, j, xp, sums)

    expected, mistakes, extra = draw_until(make)
    k, x, w, bias, i, j, xp, sums = extra
    value = expected.value

    shape = f"(1, {c_in}, {size}, {size})"
    if c_in == 1:
        x_src = tensor_src("x", x[0], f".view{shape}")
        w_src = tensor_src("w", w[0], f".view(1, 1, {k}, {k})")
    else:
        x_src = "# first half of the rows: channel 0, second half: channel 1\n" + tensor_src(
            "x", x[0] + x[1], f".view{shape}"
        )
        w_src = tensor_src("w", w[0] + w[1], f".view(1, 2, {k}, {k})")
    pad_src = f", padding={pad}" if pad else ""
    code = f"{x_src}\n{w_src}\ny = F.conv2d(x, w, bias=torch.tensor([{float(bias)}]){pad_src})"
    where = f"y[0, 0, {i}, {j}]"
    prompt = (
        f"What is {where}, the output at row {i}, column {j} (counting from 0)? "
        "Answer as an integer."
    )

    lines = ["Conv2d slides the kernel without flipping it and adds the bias:"]
    if pad:
        lines.append(
            f"padding=1 puts a ring of zeros around x, so output ({i}, {j}) covers padded rows "
            f"{i}–{i + k - 1} and columns {j}–{j + k - 1} of the zero-bordered grid."
        )
    for c in range(c_in):
        window = [row[j : j + k] for row in xp[c][i : i + k]]
        who = f"channel {c}: " if c_in > 1 else ""
        lines.append(
            f"{who}window {grid_text(window)} · w {grid_text(w[c])} = "
            f"{_terms(_products(xp[c], w[c], i, j))} = {fmt(sums[c])}"
        )
    parts = " + ".join([*(fmt(s) for s in sums), f"bias {fmt(bias)}"]).replace("+ −", "− ")
    lines.append(f"{where} = {parts} = {fmt(value)}")

    window_txt = ", ".join(
        f"{grid_text([row[j : j + k] for row in xp[c][i : i + k]])}" for c in range(c_in)
    )
    hints = (
        "y[i, j] = bias + Σ_c Σ_a Σ_b w[c, a, b] · x[c, i + a, j + b] (stride 1): the kernel "
        "is laid on the window as written, not flipped."
        + (" padding=1 first surrounds x with zeros." if pad else ""),
        f"Here the window{'s are' if c_in > 1 else ' is'} {window_txt}"
        + (" (zeros from the padding included)" if pad else "")
        + f"; multiply elementwise by the kernel, add everything up, then add {fmt(bias)}.",
    )
    return Question(
        level=level,
        params={"x": x, "w": w, "bias": bias, "padding": pad, "i": i, "j": j},
        prompt=prompt,
        code=code,
        expected=expected,
        explanation="\n".join(lines),
        proof=f"import torch\nimport torch.nn.functional as F\n{code}\nprint(int({where}.item()))",
        mistakes=mistakes,
        hints=hints,
    )


# ---------------------------------------------------------------- pool-grid


def pool_windows(x: Grid, k: int, stride: int, pad: int) -> list[list[list[int | None]]]:
    """The windows of a 2-D pool, row by row; padded cells are ``None``."""
    size = len(x)
    out = (size + 2 * pad - k) // stride + 1
    grid = []
    for i in range(out):
        row = []
        for j in range(out):
            top, left = i * stride - pad, j * stride - pad
            row.append(
                [
                    x[r][c] if 0 <= r < size and 0 <= c < size else None
                    for r in range(top, top + k)
                    for c in range(left, left + k)
                ]
            )
        grid.append(row)
    return grid


def _transpose(rows: Sequence[Sequence[float]]) -> list[list[float]]:
    return [list(col) for col in zip(*rows, strict=True)]


@family(
    "pool-grid",
    title="Max- and average-pooled grid by hand",
    topic=TOPIC,
    terms=("max-pooling", "pooling-layer", "feature-map", "stride", "zero-padding"),
    levels={
        1: "MaxPool2d(2) on a 4×4 grid",
        2: "AvgPool2d(2) on a 4×4 grid",
        3: "AvgPool2d(3, stride=2, padding=1): padded zeros are counted",
    },
)
def pool_grid(rng: np.random.Generator, level: int) -> Question:
    import torch
    from torch import nn

    kind = "max" if level == 1 else "avg"
    k, stride, pad = (3, 2, 1) if level == 3 else (2, 2, 0)
    layer_src = (
        f"nn.AvgPool2d({k}, stride={stride}, padding={pad})"
        if level == 3
        else f"nn.{'Max' if kind == 'max' else 'Avg'}Pool2d({k})"
    )

    def make() -> tuple[Expected, list[Mistake], tuple[Any, ...]]:
        x = [[randint(rng, 0, 9) for _ in range(4)] for _ in range(4)]
        layer = (
            nn.AvgPool2d(k, stride=stride, padding=pad)
            if level == 3
            else (nn.MaxPool2d(k) if kind == "max" else nn.AvgPool2d(k))
        )
        y = layer(torch.tensor(x, dtype=torch.float32).view(1, 1, 4, 4))[0, 0].tolist()
        wins = pool_windows(x, k, stride, pad)
        real = [[[v for v in win if v is not None] for win in row] for row in wins]
        maxes = [[float(max(win)) for win in row] for row in real]
        means = [[sum(win) / len(win) for win in row] for row in real]
        sums = [[float(sum(win)) for win in row] for row in real]
        n = k * k
        mistakes: list[Mistake] = []
        if kind == "max":
            mistakes.append(
                Mistake(
                    "mean-not-max",
                    "averaged instead of taking the max",
                    flat(means),
                    f"{list_text(flat(means), 2)} are the window means; MaxPool2d keeps "
                    "the largest value of each window.",
                )
            )
        else:
            mistakes.append(
                Mistake(
                    "max-not-mean",
                    "took the max instead of the mean",
                    flat(maxes),
                    f"{list_text(flat(maxes))} are the window maxima; AvgPool2d takes "
                    "each window's mean.",
                )
            )
            mistakes.append(
                Mistake(
                    "sum-not-mean",
                    "forgot to divide by the window size",
                    flat(sums),
                    f"{list_text(flat(sums))} are the window sums; divide each by {k}×{k} = {n}.",
                )
            )
        if level == 3:
            mistakes.append(
                Mistake(
                    "excluded-padding",
                    "divided by the real cells only",
                    flat(means),
                    f"{list_text(flat(means), 2)} divides each sum by the number of real "
                    f"cells. AvgPool2d counts the padded zeros (count_include_pad=True by "
                    f"default), so every sum is divided by {n}.",
                )
            )
        mistakes.append(
            Mistake(
                "column-order",
                "listed the grid column by column",
                flat(_transpose(y)),
                f"{list_text(flat(_transpose(y)), 2)} lists the output column by column; "
                "row by row means y[0, 0], y[0, 1], then y[1, 0], y[1, 1].",
            )
        )
        return floats_answer(flat(y)), mistakes, (x, wins, sums)

    expected, mistakes, extra = draw_until(make)
    x, wins, sums = extra
    y = expected.value
    code = f"{tensor_src('x', x, '.view(1, 1, 4, 4)')}\ny = {layer_src}(x)"
    names = ("top-left", "top-right", "bottom-left", "bottom-right")

    def win_text(win: list[int | None]) -> str:
        return grid_text(
            [[0 if v is None else v for v in win[r * k : r * k + k]] for r in range(k)]
        )

    if kind == "max":
        rule = (
            "MaxPool2d(2) cuts the 4×4 grid into four 2×2 windows (stride = kernel size) "
            "and keeps each window's largest value."
        )
        steps = [
            f"{nm}: max of {win_text(w)} = {fmt(v)}"
            for nm, w, v in zip(names, [w for row in wins for w in row], y, strict=True)
        ]
    elif level == 2:
        rule = (
            "AvgPool2d(2) cuts the 4×4 grid into four 2×2 windows (stride = kernel size) "
            "and takes each window's mean."
        )
        steps = [
            f"{nm}: sum of {win_text(w)} = {fmt(s)}, / 4 = {num(v, 2)}"
            for nm, w, s, v in zip(
                names, [w for row in wins for w in row], flat(sums), y, strict=True
            )
        ]
    else:
        rule = (
            "AvgPool2d(3, stride=2, padding=1) adds a ring of zeros, then averages 3×3 "
            "windows starting every 2 cells; the padded zeros count (count_include_pad=True), "
            "so every window sum is divided by 9."
        )
        steps = [
            f"{nm}: sum of {win_text(w)} = {fmt(s)}, / 9 = {num(v, 2)}"
            for nm, w, s, v in zip(
                names, [w for row in wins for w in row], flat(sums), y, strict=True
            )
        ]
    lines = [rule, *steps, f"row by row: {list_text(y, 2)}"]

    corner = wins[0][0]
    hints = (
        rule,
        f"The top-left window is {win_text(corner)}"
        + (" (0 marks padding)" if pad else "")
        + "; the other three windows follow to its right and below it.",
    )
    return Question(
        level=level,
        params={"x": x, "kind": kind, "kernel_size": k, "stride": stride, "padding": pad},
        prompt=f"x passes through {layer_src}, giving a 2×2 output grid y[0, 0]. "
        f"{grid_form(4, whole=kind == 'max')}",
        code=code,
        expected=expected,
        explanation="\n".join(lines),
        proof=f"import torch\nfrom torch import nn\n{code}\n{floats_proof('y.flatten()', 2)}",
        mistakes=mistakes,
        hints=hints,
    )
