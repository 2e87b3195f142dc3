"""Sequence-layer questions: RNN/LSTM/GRU output shapes, LSTM/GRU parameter counts and
embedding lookups. Every graded answer is what torch reports at question time.
"""

from __future__ import annotations

import warnings
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
    batch, seq, inp, hid = distinct(
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
    expected = Expected("shape", shape)
    lead = (batch, seq) if batch_first else (seq, batch)
    if ask == "output":
        mistakes = [
            Mistake(
                "forgot-directions",
                "forgot the second direction",
                (*lead, hid),
                f"A bidirectional layer concatenates both directions: D·H = 2·{hid}.",
            ),
            Mistake(
                "ignored-batch-first",
                "misread batch_first",
                (*lead[::-1], d * hid),
                f"batch_first={batch_first}: out is "
                + ("(batch, seq, D·H)." if batch_first else "(seq, batch, D·H), seq first."),
            ),
            Mistake(
                "kept-input-size",
                "kept input_size",
                (*lead, d * inp),
                f"Each step outputs the hidden state: H = hidden_size = {hid}, not input_size.",
            ),
            Mistake(
                "gave-final-state",
                "gave the final state",
                (d * num_layers, batch, hid),
                "That is h_n (the last step only); out holds the top layer at every step.",
            ),
        ]
    else:
        mistakes = [
            Mistake(
                "batch-first-on-state",
                "applied batch_first to the state",
                (batch, d * num_layers, hid),
                f"batch_first only reorders x and out; {ask} is always (D·num_layers, N, H).",
            ),
            Mistake(
                "forgot-layers",
                "forgot the layers",
                (d, batch, hid),
                f"{ask} holds one final state per layer and direction: D·num_layers = "
                f"{d}·{num_layers}.",
            ),
            Mistake(
                "forgot-directions",
                "forgot the directions",
                (num_layers, batch, hid),
                f"Each direction keeps its own final state: D·num_layers = 2·{num_layers}.",
            ),
            Mistake(
                "gave-output",
                "gave out's shape",
                (*lead, d * hid),
                f"out holds every step; {ask} only the last one, per layer and direction.",
            ),
        ]
    if ask == "output":
        hint2 = f"N = {batch}, L = {seq}, H = {hid}, D = {d}, batch_first={batch_first}: " + (
            "(N, L, D·H)" if batch_first else "(L, N, D·H)"
        )
    else:
        hint2 = f"D = {d}, num_layers = {num_layers}, N = {batch}, H = {hid}: (D·num_layers, N, H)"

    return Question(
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
        expected=expected,
        explanation=explanation,
        proof=proof,
        mistakes=keep_mistakes(expected, mistakes),
        hints=(
            "out: (N, L, D·H) with batch_first=True, else (L, N, D·H); h_n and c_n: "
            "(D·num_layers, N, H) whatever batch_first says (D = 2 if bidirectional).",
            hint2,
        ),
    )


# --------------------------------------------------------------------------- lstm-params

# Weight blocks per layer: the glossary's three LSTM gates plus the cell candidate, or the GRU's
# two gates plus its candidate state.
_GATES = {
    "LSTM": (4, "three gates (input, forget, output) and the cell candidate"),
    "GRU": (3, "two gates (reset, update) and the candidate state"),
}


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
        f"{cell} computes {g} blocks, {names}; each has W_ih (H×I), W_hh (H×H) and two "
        f"H-long biases: {g}·(H·(I + H) + 2H) per layer and direction."
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
    expected = Expected("int", count)

    def counted(blocks: int = g, biases: int = 2, same_input: bool = False, dirs: int = d) -> int:
        """The count under a slip: other block count, bias count, layer inputs or directions."""
        out = 0
        for layer in range(num_layers):
            i_l = inp if layer == 0 or same_input else dirs * hid
            out += blocks * (hid * (i_l + hid) + biases * hid)
        return out * dirs

    mistakes = [
        Mistake(
            "three-blocks" if cell == "LSTM" else "four-blocks",
            "three gates only" if cell == "LSTM" else "counted LSTM's four blocks",
            counted(blocks=3 if cell == "LSTM" else 4),
            "An LSTM has three gates, and the cell candidate needs its own weights too: 4 blocks."
            if cell == "LSTM"
            else "A GRU has two gates plus the candidate state: 3 blocks, not an LSTM's 4.",
        ),
        Mistake(
            "one-bias",
            "one bias per block",
            counted(biases=1),
            f"PyTorch keeps two bias vectors per block (b_ih and b_hh): 2·{hid} each.",
        ),
        Mistake(
            "no-bias",
            "forgot the biases",
            counted(biases=0),
            f"Each block has two {hid}-long biases (b_ih and b_hh).",
        ),
        Mistake(
            "same-input-every-layer",
            "gave every layer input_size",
            counted(same_input=True),
            f"Layers after the first read the previous layer's output: D·H = {d * hid} features.",
        ),
        Mistake(
            "forgot-directions",
            "counted one direction",
            counted(dirs=1) if num_layers == 1 else count // 2,
            "bidirectional=True doubles every layer: one set of weights per direction.",
        ),
    ]
    if not bidirectional:
        mistakes = [m for m in mistakes if m.id != "forgot-directions"]

    return Question(
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
        expected=expected,
        explanation="\n".join(lines),
        proof=proof,
        mistakes=keep_mistakes(expected, mistakes),
        hints=(
            f"Per layer and direction: blocks·(H·(I + H) + 2H), with {g} blocks for {cell}; "
            "later layers have I = D·H.",
            f"{g}·({hid}·({inp} + {hid}) + 2·{hid}) for the first layer"
            + (f", × {num_layers} layers" if num_layers > 1 else "")
            + (", × 2 directions" if bidirectional else ""),
        ),
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
        idx_shape = tuple(distinct(rng, *[[v for v in range(2, 13) if v != dim]] * rank))
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
            level=level,
            params={"num_embeddings": vocab, "embedding_dim": dim, "index_shape": list(idx_shape)},
            prompt=f"What is the shape of y? {shape_form()}",
            code=code,
            expected=(expected := Expected("shape", shape)),
            explanation=explanation,
            mistakes=keep_mistakes(
                expected,
                [
                    Mistake(
                        "forgot-embedding-dim",
                        "kept idx's shape",
                        idx_shape,
                        f"Each id becomes a {dim}-long vector: a last dim of {dim} is appended.",
                    ),
                    Mistake(
                        "used-vocab-size",
                        "appended the vocabulary size",
                        (*idx_shape, vocab),
                        f"A row of the table has embedding_dim = {dim} entries; {vocab} is the "
                        "number of rows.",
                    ),
                    Mistake(
                        "replaced-last-dim",
                        "replaced the last dim",
                        (*idx_shape[:-1], dim),
                        f"Every id is looked up, so idx's dims all stay and ({dim},) is appended.",
                    ),
                ],
            ),
            hints=(
                "nn.Embedding looks each id up: the output is idx's shape + (embedding_dim,).",
                f"idx is {fmt_shape(idx_shape)}, embedding_dim = {dim}.",
            ),
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
        level=level,
        params={"num_embeddings": vocab, "embedding_dim": dim, "padding_idx": padding_idx},
        prompt=(
            "How many parameters does emb hold (the sum of numel over emb.parameters())? "
            + INT_FORM
        ),
        code=code,
        expected=(expected := Expected("int", count)),
        explanation="\n".join(lines),
        proof=TORCH_HEADER + code + "\nprint(sum(p.numel() for p in emb.parameters()))",
        mistakes=keep_mistakes(
            expected,
            [
                Mistake(
                    "dropped-padding-row",
                    "left out the padding row",
                    (vocab - 1) * dim if padding_idx is not None else count,
                    "padding_idx only freezes row 0 at zero; the row is still stored.",
                ),
                Mistake(
                    "added-a-bias",
                    "added a bias",
                    count + dim,
                    "An embedding is a plain lookup table: no bias.",
                ),
                Mistake(
                    "added-sizes",
                    "added the sizes",
                    vocab + dim,
                    f"The table has one {dim}-long row per id: {vocab} × {dim}.",
                ),
            ],
        ),
        hints=(
            "nn.Embedding(num_embeddings, embedding_dim) holds one table of num_embeddings × "
            "embedding_dim (padding_idx rows included).",
            f"{vocab} × {dim}",
        ),
    )
