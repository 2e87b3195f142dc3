"""Attention questions: nn.MultiheadAttention output shapes and parameter counts.
Every graded answer is what torch reports at question time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dlquiz.questions.base import (
    Expected,
    Mistake,
    Question,
    family,
    keep_mistakes,
)
from dlquiz.questions.common import (
    INT_FORM,
    TORCH_HEADER,
    distinct,
    fmt_shape,
    param_count,
    pick,
    shape_form,
    shape_of,
    thousands,
)

if TYPE_CHECKING:
    import numpy as np

TOPIC = "sequences"

# --------------------------------------------------------------------------- mha-shape


def _heads(rng: np.random.Generator, embed: int) -> int:
    return pick(rng, [h for h in (2, 3, 4, 6, 8) if embed % h == 0 and h < embed])


@family(
    "mha-shape",
    title="nn.MultiheadAttention output and weight shapes",
    topic=TOPIC,
    terms=("attention-mechanism", "encoder-decoder-architecture"),
    levels={
        1: "output shape, batch_first on or off",
        2: "attention-weight shape (average_attn_weights)",
        3: "unbatched inputs with kdim / vdim",
    },
)
def mha_shape(rng: np.random.Generator, level: int) -> Question:
    import torch
    from torch import nn

    embed = pick(rng, (8, 12, 16, 24, 32))
    heads = _heads(rng, embed)
    batch_first = bool(rng.integers(2)) if level < 3 else False
    self_attn = level == 1 and bool(rng.integers(2))
    batch, tgt, src = distinct(
        rng,
        [v for v in range(2, 7) if v not in (embed, heads)],
        [v for v in range(2, 10) if v not in (embed, heads)],
        [v for v in range(2, 10) if v not in (embed, heads)],
    )
    if self_attn:
        src = tgt
    ask = (
        "output" if level == 1 else ("weights" if level == 2 else pick(rng, ("output", "weights")))
    )
    average = level == 1 or bool(rng.integers(2))
    kdim = vdim = embed
    if level == 3:
        kdim, vdim = (
            pick(rng, [v for v in range(3, 21) if v not in (embed, tgt, src)]) for _ in "kv"
        )

    mha = nn.MultiheadAttention(embed, heads, batch_first=batch_first, kdim=kdim, vdim=vdim)

    def shaped(length: int, width: int) -> tuple[int, ...]:
        if level == 3:  # unbatched: (length, width)
            return (length, width)
        return (batch, length, width) if batch_first else (length, batch, width)

    q_shape, k_shape, v_shape = shaped(tgt, embed), shaped(src, kdim), shaped(src, vdim)
    q, k, v = torch.zeros(q_shape), torch.zeros(k_shape), torch.zeros(v_shape)
    with torch.no_grad():
        out, weights = mha(q, k, v, average_attn_weights=average)
    shape = shape_of(out if ask == "output" else weights)

    args = [f"embed_dim={embed}", f"num_heads={heads}"]
    if level == 3:
        args += [f"kdim={kdim}", f"vdim={vdim}"]
    if batch_first:
        args.append("batch_first=True")
    lead = "(batch, " if batch_first else "("
    tail = "" if batch_first else ", batch"
    if level == 3:
        lead, tail = "(", ""
    call_kw = "" if level == 1 else f", average_attn_weights={average}"
    lines = [f"mha = nn.MultiheadAttention({', '.join(args)})"]
    if self_attn:
        lines.append(f"x = torch.randn{fmt_shape(q_shape)}  # {lead}seq{tail}, embed)")
        lines.append(f"out, weights = mha(x, x, x{call_kw})")
    elif level == 3:
        lines.append(f"q = torch.randn{fmt_shape(q_shape)}  # unbatched: (target len, embed)")
        lines.append(f"k = torch.randn{fmt_shape(k_shape)}  # (source len, kdim)")
        lines.append(f"v = torch.randn{fmt_shape(v_shape)}  # (source len, vdim)")
        lines.append(f"out, weights = mha(q, k, v{call_kw})")
    else:
        lines.append(
            f"tgt = torch.randn{fmt_shape(q_shape)}  # queries: {lead}target len{tail}, embed)"
        )
        lines.append(f"memory = torch.randn{fmt_shape(k_shape)}  # {lead}source len{tail}, embed)")
        lines.append(f"out, weights = mha(tgt, memory, memory{call_kw})")
    code = "\n".join(lines)
    name = "out" if ask == "output" else "weights"
    prompt = f"What is the shape of {name}? {shape_form()}"

    n_l_s = f"L = {tgt} queries, S = {src} keys"
    if ask == "output":
        if level == 3:
            form = "(L, E) for unbatched input"
            note = f"kdim = {kdim} and vdim = {vdim} only set the widths of the key/value inputs."
        else:
            form = "(N, L, E)" if batch_first else "(L, N, E)"
            form += f" with batch_first={batch_first}"
            note = "The keys and values decide how many positions are mixed, not the output size."
        explanation = (
            f"The output has one E-wide vector per query: {form}.\n{note}\n"
            f"{n_l_s}, E = {embed} → {fmt_shape(shape)}"
        )
    else:
        per = "(L, S)" if average else "(num_heads, L, S)"
        if level == 3:
            form = f"unbatched, so no batch dim: {per}"
        else:
            form = f"(N, {per[1:]}; they are batch-first whatever batch_first says"
        how = (
            "average_attn_weights=True averages the heads"
            if average
            else "average_attn_weights=False keeps one map per head"
        )
        explanation = (
            f"The weights hold one score per (query, key) pair; {how}.\n"
            f"Shape: {form}.\n"
            f"{n_l_s}, num_heads = {heads} → {fmt_shape(shape)}"
        )
    expected = Expected("shape", shape)
    if ask == "output":
        mistakes = [
            Mistake(
                "source-length",
                "used the key length",
                shaped(src, embed),
                f"The output has one vector per query: L = {tgt}, not the S = {src} keys.",
            ),
            Mistake(
                "ignored-batch-first",
                "misread batch_first",
                (q_shape[1], q_shape[0], embed) if level < 3 else q_shape,
                f"batch_first={batch_first}: the output follows the query's layout "
                f"{fmt_shape(q_shape)}.",
            ),
            Mistake(
                "value-width",
                "used vdim",
                shaped(tgt, vdim),
                f"out_proj maps back to embed_dim = {embed}; vdim = {vdim} is only the width "
                "of the value input.",
            ),
            Mistake(
                "head-width",
                "gave one head's width",
                shaped(tgt, embed // heads),
                f"The {heads} heads of {embed // heads} are concatenated back to E = {embed}.",
            ),
        ]
    else:
        per_map = (tgt, src) if average else (heads, tgt, src)
        batched = (batch, *per_map) if level < 3 else per_map
        mistakes = [
            Mistake(
                "kept-heads" if average else "averaged-heads",
                "kept the heads" if average else "averaged the heads",
                ((batch,) if level < 3 else ()) + ((heads, tgt, src) if average else (tgt, src)),
                "average_attn_weights=True averages the heads away."
                if average
                else "average_attn_weights=False keeps one map per head: num_heads first.",
            ),
            Mistake(
                "weights-batch-second",
                "put the batch second",
                (per_map[0], batch, *per_map[1:]) if level < 3 else batched,
                "Attention weights are batch-first whatever batch_first says.",
            ),
            Mistake(
                "keys-first",
                "keys before queries",
                (*batched[:-2], src, tgt),
                f"Rows are the {tgt} queries, columns the {src} keys: (…, L, S).",
            ),
        ]
    hint2 = (
        f"query {fmt_shape(q_shape)}, key {fmt_shape(k_shape)}: L = {tgt}, S = {src}, "
        f"E = {embed}, num_heads = {heads}"
    )
    return Question(
        level=level,
        params={
            "embed_dim": embed,
            "num_heads": heads,
            "kdim": kdim,
            "vdim": vdim,
            "batch_first": batch_first,
            "batched": level < 3,
            "batch": batch if level < 3 else None,
            "tgt_len": tgt,
            "src_len": src,
            "ask": ask,
            "average_attn_weights": average,
        },
        prompt=prompt,
        code=code,
        expected=expected,
        explanation=explanation,
        mistakes=keep_mistakes(expected, mistakes),
        hints=(
            "out: like the query, (L, N, E), (N, L, E) with batch_first, or (L, E) unbatched; "
            "weights: (N, L, S), with num_heads before L when not averaged, and no N unbatched.",
            hint2,
        ),
        proof=TORCH_HEADER + code + f"\nprint(tuple({name}.shape))",
    )


# --------------------------------------------------------------------------- mha-params


@family(
    "mha-params",
    title="nn.MultiheadAttention parameter count",
    topic=TOPIC,
    terms=("attention-mechanism", "bert", "dense-layer", "bias"),
    levels={1: "default projections with bias", 2: "kdim / vdim and bias=False"},
)
def mha_params(rng: np.random.Generator, level: int) -> Question:
    from torch import nn

    bias = True
    if level == 1:
        embed = pick(rng, (4, 8, 10, 16, 20, 32, 64))
        kdim = vdim = embed
        source = ""
    else:
        embed, source = pick(
            rng,
            ((16, ""), (32, ""), (64, ""), (128, ""), (256, ""), (512, ""), (768, "BERT-base")),
        )
        if rng.integers(3) == 0:  # bias=False only
            bias = False
            kdim = vdim = embed
        else:
            widths = [w for w in (8, 16, 24, 32, 48, 64, 96, 128) if w != embed]
            kdim = pick(rng, widths)
            vdim = kdim if rng.integers(2) else pick(rng, widths)
            bias = bool(rng.integers(2))
    heads = _heads(rng, embed) if embed != 768 else 12

    mha = nn.MultiheadAttention(embed, heads, bias=bias, kdim=kdim, vdim=vdim, device="meta")
    count = param_count(mha)

    args = [str(embed), f"num_heads={heads}"]
    if kdim != embed or vdim != embed:
        args += [f"kdim={kdim}", f"vdim={vdim}"]
    if not bias:
        args.append("bias=False")
    code = f"mha = nn.MultiheadAttention({', '.join(args)})"
    if source:
        code += f"  # {source}"
    e = embed
    if kdim == embed and vdim == embed:
        proj = (
            "Q, K, V projections: three E×E weights (packed as in_proj_weight, 3E×E)"
            + (" plus three E-long biases" if bias else ", no biases")
            + "."
        )
        weights = f"4·E² = 4·{e}² = {thousands(4 * e * e)}"
    else:
        proj = "kdim/vdim ≠ E gives separate projections: q E×E, k E×kdim, v E×vdim" + (
            ", plus three E-long biases." if bias else ", no biases."
        )
        weights = (
            f"weights {e}·{e} + {e}·{kdim} + {e}·{vdim} + {e}·{e} (out_proj) = "
            f"{thousands(e * (2 * e + kdim + vdim))}"
        )
    biases = f"biases 4·E = {thousands(4 * e)}" if bias else "no biases"
    lines = [
        proj,
        "Output projection: E×E" + (" + E." if bias else " (no bias)."),
        f"{weights}; {biases} → {thousands(count)}",
        f"num_heads ({heads}) only splits E into head slices; it adds no parameters.",
    ]
    expected = Expected("int", count)
    b = 4 * e if bias else 0
    mistakes = [
        Mistake(
            "forgot-out-proj",
            "forgot the output projection",
            count - e * e - (e if bias else 0),
            "After the heads are concatenated, out_proj (E×E"
            + (" + E" if bias else "")
            + ") mixes them.",
        ),
        Mistake(
            "per-head-projections",
            "gave every head full projections",
            heads * (count - e * e - (e if bias else 0)) + e * e + (e if bias else 0),
            f"The {heads} heads share the E×E projections: each head is a {e // heads}-wide "
            "slice, so num_heads adds no parameters.",
        ),
        Mistake(
            "forgot-biases",
            "forgot the biases",
            count - b,
            f"Each of the four projections has an E-long bias: 4·{e}.",
        ),
        Mistake(
            "ignored-kdim-vdim",
            "used E for the key and value inputs",
            4 * e * e + b,
            f"kdim = {kdim} and vdim = {vdim}: the k and v projections are E×kdim and E×vdim.",
        ),
    ]
    hint2 = f"{e}·{e} + {e}·{kdim} + {e}·{vdim} + {e}·{e}" + (
        f" + 4·{e} (biases)" if bias else " (no biases)"
    )
    return Question(
        level=level,
        params={"embed_dim": embed, "num_heads": heads, "kdim": kdim, "vdim": vdim, "bias": bias},
        prompt=(
            "How many parameters does mha hold (the sum of numel over mha.parameters())? "
            + INT_FORM
        ),
        code=code,
        expected=expected,
        explanation="\n".join(lines),
        mistakes=keep_mistakes(expected, mistakes),
        hints=(
            "Q, K, V projections (E×E, E×kdim, E×vdim) plus out_proj (E×E), each with an E-long "
            "bias unless bias=False; num_heads adds nothing.",
            hint2,
        ),
        proof=TORCH_HEADER + code + "\nprint(sum(p.numel() for p in mha.parameters()))",
    )
