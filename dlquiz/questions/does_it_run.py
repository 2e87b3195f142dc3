""" "Does it run?" questions: a layer applied to a tensor, and the shape or the error.

Each graded answer is what torch does at question time (meta tensors when only shapes
matter, tiny CPU tensors when the error or the values matter). In "pick one" questions the
wrong options are plausible mistakes; only the right option comes from torch.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from dlquiz.questions.base import (
    Question,
    family,
    keep_mistakes,
)
from dlquiz.questions.common import (
    PICK,
    TORCH_HEADER,
    choice_answer,
    fmt_shape,
    join_args,
    option_mistakes,
    pick,
    sample,
    shape_of,
    torch_msg,
    try_print,
)

if TYPE_CHECKING:
    import numpy as np
    import torch

TOPIC = "tensors"

# ---------------------------------------------------------------- does-it-run

ERR_LINEAR = "RuntimeError: x's last dim ≠ in_features"
ERR_CONV = "RuntimeError: x's channel dim ≠ in_channels"
ERR_FLAT = "RuntimeError: flattened size ≠ the Linear's in_features"
ERR_MATMUL = "RuntimeError: the matmul's inner sizes differ"


def _runs(shape: Iterable[int]) -> str:
    return f"runs: output {fmt_shape(shape)}"


def _conv_out(size: int, k: int, s: int, p: int) -> int:
    """Output size for *distractors* and explanation text (the answer comes from torch)."""
    return (size + 2 * p - k) // s + 1


@family(
    "does-it-run",
    title="Does this run? Output shape or error",
    topic=TOPIC,
    terms=(
        "dense-layer",
        "convolutional-neural-network",
        "feature-map",
        "filter",
        "attention-mechanism",
    ),
    levels={
        1: "nn.Linear on a batch",
        2: "nn.Conv2d: channels and layout",
        3: "conv → flatten → linear, and attention-score matmuls",
    },
)
def does_it_run(rng: np.random.Generator, level: int) -> Question:
    import torch
    from torch import nn

    sizes = (3, 4, 5, 6, 8, 10, 12, 16, 20, 32)
    params: dict[str, Any] = {}
    if level == 1:
        d_in, d_out, batch, steps = sample(rng, 4, sizes)
        case = pick(rng, ("ok", "ok", "wrong", "swapped"))
        lead = [batch] if rng.integers(2) else [batch, steps]
        if case == "ok":
            x_shape = [*lead, d_in]
        elif case == "wrong":
            x_shape = [*lead, pick(rng, [v for v in sizes if v not in (d_in, d_out, *lead)])]
        else:  # features first, batch last: a transposed input
            x_shape = [d_in, batch]
        params = {"kind": "linear", "in_features": d_in, "out_features": d_out, "x": x_shape}
        setup = f"fc = nn.Linear({d_in}, {d_out})\nx = torch.randn({join_args(x_shape)})"
        call, err_text = "y = fc(x)", ERR_LINEAR
        layer = nn.Linear(d_in, d_out)

        def run(x: torch.Tensor) -> torch.Tensor:
            return layer(x)

        as_if = [*x_shape[:-1], d_out]
        wrong = [[*x_shape[:-1], x_shape[-1]], [d_out, *x_shape[:-1]]]
        named = [
            ("kept-last-dim", "kept x's last dim", f"The last dim becomes out_features = {d_out}."),
            (
                "features-first",
                "put the features first",
                "Leading dims pass through unchanged; the new size is the last dim.",
            ),
        ]
        good = (
            f"nn.Linear acts on the last dim only: it must equal in_features = {d_in}; it "
            f"becomes out_features = {d_out}, leading dims pass through."
        )
        bad = (
            f"nn.Linear({d_in}, {d_out}) multiplies the last dim of x by its weight, so that dim "
            f"must be {d_in}; here it is {x_shape[-1]}"
            + (" (x is laid out features-first, batch-last)." if case == "swapped" else ".")
        )
    elif level == 2:
        c_in = pick(rng, (1, 3, 4, 8))
        c_out = pick(rng, (6, 8, 16, 32))
        while c_out == c_in:
            c_out = pick(rng, (6, 8, 16, 32))
        k = pick(rng, (1, 3, 3, 5))
        stride = pick(rng, (1, 2))
        pad = pick(rng, (0, k // 2))
        batch = pick(rng, (2, 4, 8))
        # H differs from in_channels so a channels-last input can never pass by accident.
        h, w = sample(rng, 2, [v for v in (8, 10, 12, 14, 16, 20, 24) if v != c_in])
        case = pick(rng, ("ok", "ok", "channels", "layout"))
        if case == "ok":
            x_shape = [batch, c_in, h, w]
        elif case == "channels":
            x_shape = [batch, pick(rng, [c for c in (1, 2, 3, 4, 6, 8) if c != c_in]), h, w]
        else:  # channels-last image batch fed straight in
            x_shape = [batch, h, w, c_in]
        params = {
            "kind": "conv",
            "in_channels": c_in,
            "out_channels": c_out,
            "kernel_size": k,
            "stride": stride,
            "padding": pad,
            "x": x_shape,
        }
        extra = (f", stride={stride}" if stride > 1 else "") + (f", padding={pad}" if pad else "")
        setup = f"conv = nn.Conv2d({c_in}, {c_out}, kernel_size={k}{extra})\n"
        setup += f"x = torch.randn({join_args(x_shape)})"
        call, err_text = "y = conv(x)", ERR_CONV
        meta_conv = nn.Conv2d(c_in, c_out, k, stride=stride, padding=pad, device="meta")

        def run(x: torch.Tensor) -> torch.Tensor:
            # Shapes on meta (a CPU conv can stall on a busy thread pool); on failure redo it
            # on CPU, because meta words its errors differently from what a user would see.
            try:
                return meta_conv(x.to("meta"))
            except RuntimeError:
                return nn.Conv2d(c_in, c_out, k, stride=stride, padding=pad)(x)

        ho, wo = _conv_out(h, k, stride, pad), _conv_out(w, k, stride, pad)
        as_if = [batch, c_out, ho, wo]
        wrong = [
            [batch, c_out, h, w],
            [batch, c_out, ho - 1, wo - 1],
            [batch, c_in, ho, wo],
            [batch, c_out, h - k, w - k],
        ]
        named = [
            ("ignored-kernel", "kept H and W", f"H_out = ⌊({h} + 2·{pad} − {k})/{stride}⌋ + 1."),
            ("off-by-one", "off by one", "Count the first window too: the + 1 in ⌊…⌋ + 1."),
            ("kept-in-channels", "kept in_channels", f"The output has out_channels = {c_out}."),
            (
                "forgot-plus-one",
                "forgot the + 1",
                "H_out = ⌊(H + 2p − k)/s⌋ + 1: the + 1 counts the first window.",
            ),
        ]
        good = (
            f"Conv2d reads channels from dim 1 of (N, C, H, W): {x_shape[1]} = in_channels.\n"
            f"H_out = ⌊(H + 2p − k)/s⌋ + 1 = ⌊({h} + 2·{pad} − {k})/{stride}⌋ + 1 = {ho}; "
            f"likewise W_out = {wo}."
        )
        bad = (
            "x is channels-last (N, H, W, C), but Conv2d reads dim 1 as channels: "
            f"it sees {x_shape[1]}, while in_channels = {c_in}."
            if case == "layout"
            else f"Conv2d reads channels from dim 1 of (N, C, H, W): x has {x_shape[1]} there, "
            f"but in_channels = {c_in}."
        )
    elif rng.integers(2):
        c_in = pick(rng, (1, 3))
        c_out = pick(rng, (4, 6, 8))
        k = pick(rng, (3, 5))
        pad = pick(rng, (0, k // 2))
        batch, n_cls = sample(rng, 2, (2, 4, 5, 8, 10))
        h, w = sample(rng, 2, (6, 7, 8, 9, 10, 12))
        ho, wo = _conv_out(h, k, 1, pad), _conv_out(w, k, 1, pad)
        right = c_out * ho * wo
        # The usual bugs: forgetting that the conv shrinks (or pads) the map, or an off-by-one.
        slips = [c_out * h * w, c_out * (h - k + 1) * (w - k + 1), c_out * (h - k) * (w - k)]
        case = pick(rng, ("ok", "ok", "slip"))
        feats = right if case == "ok" else pick(rng, [v for v in slips if v != right])
        x_shape = [batch, c_in, h, w]
        params = {
            "kind": "conv-flatten-linear",
            "in_channels": c_in,
            "out_channels": c_out,
            "kernel_size": k,
            "padding": pad,
            "in_features": feats,
            "out_features": n_cls,
            "x": x_shape,
        }
        extra = f", padding={pad}" if pad else ""
        setup = (
            "net = nn.Sequential(\n"
            f"    nn.Conv2d({c_in}, {c_out}, kernel_size={k}{extra}),\n"
            "    nn.ReLU(),\n"
            "    nn.Flatten(),\n"
            f"    nn.Linear({feats}, {n_cls}),\n"
            ")\n"
            f"x = torch.randn({join_args(x_shape)})"
        )
        call, err_text = "y = net(x)", ERR_FLAT
        features = nn.Sequential(
            nn.Conv2d(c_in, c_out, k, padding=pad, device="meta"), nn.ReLU(), nn.Flatten()
        )

        def run(x: torch.Tensor) -> torch.Tensor:
            # The conv part runs on meta (shapes only); the Linear runs on CPU on a tensor of
            # the flattened shape, so a mismatch raises torch's usual CPU message.
            flat = features(x.to("meta"))
            return nn.Linear(feats, n_cls)(torch.zeros(shape_of(flat)))

        as_if = [batch, n_cls]
        wrong = [[batch, right], [batch, c_out, ho, wo], [batch, feats]]
        named = [
            (
                "stopped-at-flatten",
                "stopped at the Flatten",
                f"The Linear maps to {n_cls} outputs.",
            ),
            ("forgot-flatten", "skipped the Flatten", "Flatten merges C·H·W before the Linear."),
            ("used-in-features", "gave in_features", f"The Linear outputs {n_cls} features."),
        ]
        flat = (
            f"The conv gives (N, {c_out}, {ho}, {wo}) (H_out = {h} + 2·{pad} − {k} + 1 = {ho}); "
            f"Flatten keeps N and merges the rest: {c_out}·{ho}·{wo} = {right}."
        )
        good = f"{flat}\nThat equals the Linear's in_features ({feats})."
        bad = f"{flat}\nBut the Linear expects in_features = {feats}."
    else:
        batch, q_len, k_len, width = sample(rng, 4, (2, 3, 4, 5, 6, 7, 8, 16))
        form = pick(
            rng,
            (
                "q @ k.transpose(-2, -1)",
                "torch.bmm(q, k.transpose(1, 2))",
                "q @ k",
                "torch.bmm(q, k)",
            ),
        )
        x_shape = [batch, q_len, width]
        k_shape = [batch, k_len, width]
        params = {"kind": "scores", "q": x_shape, "k": k_shape, "expr": form}
        setup = f"q = torch.randn({join_args(x_shape)})\nk = torch.randn({join_args(k_shape)})"
        call, err_text = f"y = {form}", ERR_MATMUL
        key = torch.zeros(k_shape)

        def run(x: torch.Tensor) -> torch.Tensor:
            kt = key.transpose(-2, -1) if "transpose" in form else key
            return torch.bmm(x, kt) if form.startswith("torch.bmm") else x @ kt

        as_if = [batch, q_len, k_len]
        wrong = [[batch, q_len, width], [batch, k_len, q_len], [batch, width, width]]
        named = [
            ("kept-q-shape", "kept q's shape", f"Scores pair queries with keys: {q_len}×{k_len}."),
            ("swapped-q-k", "keys before queries", "Rows come from q, columns from k."),
            ("width-by-width", "d×d", "Contracting over d leaves queries × keys."),
        ]
        good = (
            f"k transposed is (B, d, S) = ({batch}, {width}, {k_len}); per batch entry "
            f"({q_len}×{width})·({width}×{k_len}) → {q_len}×{k_len}: one score per query–key pair."
        )
        bad = (
            f"Without the transpose the product is ({q_len}×{width})·({k_len}×{width}) per batch "
            f"entry: the inner sizes {width} and {k_len} differ."
        )

    message = ""
    try:
        with torch.no_grad():
            result: tuple[int, ...] | None = shape_of(run(torch.zeros(x_shape)))
    except RuntimeError as err:
        result, message = None, torch_msg(err)
    correct = err_text if result is None else _runs(result)
    distractors = [err_text, _runs(as_if)] + [_runs(s) for s in wrong]
    expected = choice_answer(rng, correct, distractors)
    first_good = good.split("\n")[0]
    option_slips = [
        (err_text, "thought-it-fails", "expected an error", f"It runs: {first_good}"),
        (_runs(as_if), "missed-the-error", "missed the error", f"It raises: {bad}"),
    ]
    option_slips += [
        (_runs(shape), slug, name, text)
        for shape, (slug, name, text) in zip(wrong, named, strict=True)
    ]
    if result is None:
        explanation = f"{bad}\ntorch: “{message}”"
    else:
        explanation = f"{good}\n→ runs, y.shape = {fmt_shape(result)}"
    code = f"{setup}\n{call}"
    proof = (
        TORCH_HEADER
        + setup
        + "\n"
        + try_print([call], '"runs: output " + str(tuple(y.shape))', err_text)
    )
    return Question(
        level=level,
        params=params,
        prompt=f"Does this run? If it does, what shape does y have? {PICK}",
        code=code,
        expected=expected,
        explanation=explanation,
        proof=proof,
        mistakes=keep_mistakes(expected, option_mistakes(expected, option_slips)),
        hints=(
            {
                1: "nn.Linear(in, out) needs x's last dim to be in; it becomes out.",
                2: "Conv2d reads (N, C, H, W): dim 1 must be in_channels; each side is "
                "⌊(H + 2p − k)/s⌋ + 1.",
                3: "Flatten gives C·H·W, which must equal the Linear's in_features; q @ kᵀ needs "
                "the last dims of q and k to meet.",
            }[level],
            f"x is {fmt_shape(x_shape)}; {call.split(' = ')[1]} with "
            + ", ".join(f"{k_}={v}" for k_, v in params.items() if k_ not in ("kind", "x")),
        ),
    )
