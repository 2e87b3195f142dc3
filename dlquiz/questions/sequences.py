"""Generators for recurrent layers, embeddings and multi-head attention (topic "sequences").

Every graded answer is what torch reports at question time: the layer is built
and run on tiny CPU tensors (recurrent layers and attention are slow on the meta
device), or built on the meta device and its parameters counted. The formulas
appear only in the explanations (and, independently, in the tests).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING

from dlquiz.questions.base import Expected, Question, family
from dlquiz.questions.common import (
    INT_FORM,
    TORCH_HEADER,
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


def _distinct(rng: np.random.Generator, *pools: Sequence[int]) -> list[int]:
    """One value from each pool, all different, so every size in an answer is identifiable."""
    out: list[int] = []
    for pool in pools:
        out.append(pick(rng, [v for v in pool if v not in out]))
    return out


# --------------------------------------------------------------------------- rnn-shape


@family(
    "rnn-shape",
    title="RNN / LSTM / GRU output and state shapes",
    topic=TOPIC,
    terms=("recurrent-neural-network", "lstm", "bidirectional-rnn"),
    levels={
        1: "one layer, batch_first=True",
        2: "stacked layers, batch_first=False",
        3: "bidirectional",
    },
)
def rnn_shape(rng: np.random.Generator, level: int) -> Question:
    import torch
    from torch import nn

    cell = pick(rng, ("RNN", "LSTM", "GRU"))
    bidirectional = level == 3
    num_layers = 1 if level == 1 else int(rng.integers(2 if level == 2 else 1, 4))
    batch_first = True if level == 1 else (False if level == 2 else bool(rng.integers(2)))
    d = 2 if bidirectional else 1
    # Keep every size distinct (and different from D·num_layers) so the answer's order shows.
    batch, seq, inp, hid = _distinct(
        rng,
        [v for v in range(2, 9) if v != d * num_layers],
        range(3, 13),
        range(3, 17),
        range(4, 33),
    )
    ask = pick(rng, ("output", "h_n", "c_n") if cell == "LSTM" else ("output", "h_n"))

    rnn = getattr(nn, cell)(
        inp, hid, num_layers=num_layers, batch_first=batch_first, bidirectional=bidirectional
    )
    x = torch.zeros((batch, seq, inp) if batch_first else (seq, batch, inp))
    with warnings.catch_warnings():
        # oneDNN builds an RNN kernel per input shape, and every question has fresh
        # sizes (p99 6.5 ms); the native kernel has no such cost (p99 1.7 ms).
        # flags() also warns about TF32 on Intel GPUs, which is noise here.
        warnings.simplefilter("ignore")
        with torch.backends.mkldnn.flags(enabled=False), torch.no_grad():
            output, state = rnn(x)
    h_n, c_n = state if cell == "LSTM" else (state, None)
    result = {"output": output, "h_n": h_n, "c_n": c_n}[ask]
    shape = shape_of(result)

    args = [f"input_size={inp}", f"hidden_size={hid}"]
    if num_layers > 1:
        args.append(f"num_layers={num_layers}")
    if bidirectional:
        args.append("bidirectional=True")
    if batch_first:
        args.append("batch_first=True")
    layout = "(batch, seq, features)" if batch_first else "(seq, batch, features)"
    x_shape = (batch, seq, inp) if batch_first else (seq, batch, inp)
    unpack = "out, (h_n, c_n)" if cell == "LSTM" else "out, h_n"
    code = (
        f"rnn = nn.{cell}({', '.join(args)})\n"
        f"x = torch.randn{fmt_shape(x_shape)}  # {layout}\n"
        f"{unpack} = rnn(x)"
    )
    name = "out" if ask == "output" else ask
    prompt = (
        f"x holds {batch} sequences of {seq} steps with {inp} features each. "
        f"What is the shape of {name}? {shape_form()}"
    )
    dirs = "2 (both directions, concatenated)" if bidirectional else "1"
    if ask == "output":
        form = "(N, L, D·H)" if batch_first else "(L, N, D·H)"
        explanation = (
            f"out holds the top layer's hidden state at every step: {form}"
            f" with batch_first={batch_first}.\n"
            f"N = {batch}, L = {seq}, H = {hid}, D = {dirs}: D·H = {d * hid}.\n"
            f"→ {fmt_shape(shape)}"
        )
    else:
        what = "cell state" if ask == "c_n" else "hidden state"
        explanation = (
            f"{ask} holds the final {what} of every layer and direction: (D·num_layers, N, H).\n"
            "batch_first only reorders x and out, never h_n or c_n.\n"
            f"D·num_layers = {d}·{num_layers} = {d * num_layers}, N = {batch}, H = {hid}"
            f" → {fmt_shape(shape)}"
        )
    proof = TORCH_HEADER + code + f"\nprint(tuple({name}.shape))"
    return Question(
        family="rnn-shape",
        level=level,
        params={
            "cell": cell,
            "input_size": inp,
            "hidden_size": hid,
            "num_layers": num_layers,
            "bidirectional": bidirectional,
            "batch_first": batch_first,
            "batch": batch,
            "seq_len": seq,
            "ask": ask,
        },
        prompt=prompt,
        code=code,
        expected=Expected("shape", shape),
        explanation=explanation,
        proof=proof,
    )


# --------------------------------------------------------------------------- lstm-params

_GATES = {"LSTM": (4, "input, forget, cell, output"), "GRU": (3, "reset, update, new")}


@family(
    "lstm-params",
    title="LSTM / GRU parameter count",
    topic=TOPIC,
    terms=("lstm", "recurrent-neural-network", "bidirectional-rnn", "bias"),
    levels={
        1: "single-layer LSTM",
        2: "LSTM or GRU, larger sizes",
        3: "stacked and/or bidirectional",
    },
)
def lstm_params(rng: np.random.Generator, level: int) -> Question:
    from torch import nn

    if level == 1:
        cell = "LSTM"
        inp = pick(rng, (2, 3, 4, 5, 8, 10, 12, 16, 20))
        hid = pick(rng, (2, 4, 5, 8, 10, 16, 20, 32))
        num_layers, bidirectional = 1, False
    else:
        cell = pick(rng, ("LSTM", "GRU"))
        sizes = (8, 16, 32, 50, 64, 100, 128, 256, 300)
        inp = pick(rng, sizes)
        hid = pick(rng, sizes[:-1])
        if level == 2:
            num_layers, bidirectional = 1, False
        else:
            num_layers, bidirectional = pick(rng, ((2, False), (3, False), (1, True), (2, True)))

    rnn = getattr(nn, cell)(
        inp, hid, num_layers=num_layers, bidirectional=bidirectional, device="meta"
    )
    count = param_count(rnn)

    args = [f"input_size={inp}", f"hidden_size={hid}"]
    if num_layers > 1:
        args.append(f"num_layers={num_layers}")
    if bidirectional:
        args.append("bidirectional=True")
    code = f"rnn = nn.{cell}({', '.join(args)})"
    prompt = (
        "How many parameters does rnn hold (weights and biases, i.e. the sum of numel over "
        f"rnn.parameters())? {INT_FORM}"
    )
    g, names = _GATES[cell]
    d = 2 if bidirectional else 1
    lines = [
        f"{cell} has {g} gates ({names}); each has W_ih (H×I), W_hh (H×H) and two H-long "
        f"biases: {g}·(H·(I + H) + 2H) per layer and direction."
    ]
    total = 0
    for layer in range(num_layers):
        i_l = inp if layer == 0 else d * hid
        per = g * (hid * (i_l + hid) + 2 * hid)
        total += per
        src = "" if layer == 0 else f" (input is the previous layer's {d}·H = {i_l})"
        lines.append(
            f"Layer {layer + 1}{src}: {g}·({hid}·({i_l} + {hid}) + 2·{hid}) = {thousands(per)}"
        )
    if bidirectional:
        lines.append(f"× 2 directions: 2·{thousands(total)} = {thousands(count)}")
    elif num_layers > 1:
        lines.append(f"Total: {thousands(count)}")
    proof = TORCH_HEADER + code + "\nprint(sum(p.numel() for p in rnn.parameters()))"
    return Question(
        family="lstm-params",
        level=level,
        params={
            "cell": cell,
            "input_size": inp,
            "hidden_size": hid,
            "num_layers": num_layers,
            "bidirectional": bidirectional,
        },
        prompt=prompt,
        code=code,
        expected=Expected("int", count),
        explanation="\n".join(lines),
        proof=proof,
    )


# --------------------------------------------------------------------------- embedding

# (vocabulary, width, where it comes from): real tables make the count memorable.
_KNOWN_TABLES = ((30522, 768, "BERT-base's WordPiece table"), (50257, 768, "GPT-2 small's table"))


@family(
    "embedding",
    title="nn.Embedding output shape and size",
    topic=TOPIC,
    terms=("word-embedding", "one-hot-encoding", "bert"),
    levels={1: "output shape for an index tensor", 2: "parameter count"},
)
def embedding(rng: np.random.Generator, level: int) -> Question:
    import torch
    from torch import nn

    if level == 1:
        vocab = pick(rng, (10, 50, 100, 1000, 5000, 10000))
        dim = pick(rng, (4, 8, 16, 32, 64, 128, 300))
        rank = pick(rng, (1, 2, 2, 2, 3))
        idx_shape = tuple(_distinct(rng, *[[v for v in range(2, 13) if v != dim]] * rank))
        emb = nn.Embedding(vocab, dim, device="meta")
        y = emb(torch.zeros(idx_shape, dtype=torch.long, device="meta"))
        shape = shape_of(y)
        code = (
            f"emb = nn.Embedding(num_embeddings={vocab}, embedding_dim={dim})\n"
            f"idx = torch.randint(0, {vocab}, {fmt_shape(idx_shape)})  # token ids\n"
            "y = emb(idx)"
        )
        explanation = (
            f"An embedding is a lookup table: each id is replaced by its row of the "
            f"{vocab} × {dim} weight (the same as a one-hot vector times that matrix).\n"
            f"So y has idx's shape with embedding_dim appended: {fmt_shape(idx_shape)} + ({dim},)"
            f" → {fmt_shape(shape)}"
        )
        return Question(
            family="embedding",
            level=level,
            params={"num_embeddings": vocab, "embedding_dim": dim, "index_shape": list(idx_shape)},
            prompt=f"What is the shape of y? {shape_form()}",
            code=code,
            expected=Expected("shape", shape),
            explanation=explanation,
            proof=TORCH_HEADER + code + "\nprint(tuple(y.shape))",
        )

    source = ""
    if rng.integers(4) == 0:
        vocab, dim, source = pick(rng, _KNOWN_TABLES)
    else:
        vocab = pick(rng, (100, 500, 1000, 2000, 5000, 10000, 20000, 32000))
        dim = pick(rng, (16, 32, 50, 64, 100, 128, 256, 300, 512))
    padding_idx = 0 if rng.integers(3) == 0 else None
    emb = nn.Embedding(vocab, dim, padding_idx=padding_idx, device="meta")
    count = param_count(emb)
    pad = ", padding_idx=0" if padding_idx is not None else ""
    code = f"emb = nn.Embedding({vocab}, {dim}{pad})"
    if source:
        code += f"  # {source}"
    lines = [
        "The only parameter is the weight table: num_embeddings × embedding_dim.",
        f"{thousands(vocab)} · {dim} = {thousands(count)}",
    ]
    if padding_idx is not None:
        lines.insert(
            1,
            "padding_idx=0 only keeps row 0 at zero (it gets no gradient); the row is "
            "still stored and counted.",
        )
    return Question(
        family="embedding",
        level=level,
        params={"num_embeddings": vocab, "embedding_dim": dim, "padding_idx": padding_idx},
        prompt=(
            "How many parameters does emb hold (the sum of numel over emb.parameters())? "
            + INT_FORM
        ),
        code=code,
        expected=Expected("int", count),
        explanation="\n".join(lines),
        proof=TORCH_HEADER + code + "\nprint(sum(p.numel() for p in emb.parameters()))",
    )


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
    batch, tgt, src = _distinct(
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
    return Question(
        family="mha-shape",
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
        expected=Expected("shape", shape),
        explanation=explanation,
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
    return Question(
        family="mha-params",
        level=level,
        params={"embed_dim": embed, "num_heads": heads, "kdim": kdim, "vdim": vdim, "bias": bias},
        prompt=(
            "How many parameters does mha hold (the sum of numel over mha.parameters())? "
            + INT_FORM
        ),
        code=code,
        expected=Expected("int", count),
        explanation="\n".join(lines),
        proof=TORCH_HEADER + code + "\nprint(sum(p.numel() for p in mha.parameters()))",
    )
