"""Sequence-layer generators (RNN/LSTM/GRU, Embedding, MultiheadAttention) vs closed forms.

Each family and level draws 200 seeds; the shape or count torch produced in the generator
must equal the formula written out here from the question's params (no torch in the checks).
One subprocess then runs a few proofs per level with a real torch.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import pytest
from hypothesis import given

from dlquiz.questions.base import REGISTRY, Question
from tests.gen_helpers import MANY, SEEDS, generate_checked

LEVELS = {"rnn-shape": 3, "lstm-params": 3, "embedding": 2, "mha-shape": 3, "mha-params": 2}

# Generate, hold to the contract every question must meet (short explanations), return.
_gen = partial(generate_checked, max_lines=6)


def _value(q: Question) -> Any:
    return tuple(q.expected.value) if q.expected.kind == "shape" else q.expected.value


# ---------------------------------------------------------------- rnn-shape


@pytest.mark.parametrize("level", [1, 2, 3])
@MANY
@given(seed=SEEDS)
def test_rnn_shape(level: int, seed: int) -> None:
    q = _gen("rnn-shape", level, seed)
    p = q.params
    d = 2 if p["bidirectional"] else 1
    n, seq, hid, layers = p["batch"], p["seq_len"], p["hidden_size"], p["num_layers"]
    if p["ask"] == "output":
        want = (n, seq, d * hid) if p["batch_first"] else (seq, n, d * hid)
    else:
        assert p["ask"] == "h_n" or p["cell"] == "LSTM"  # only an LSTM has c_n
        want = (d * layers, n, hid)  # batch_first never applies to the states
    assert _value(q) == want
    assert q.expected.kind == "shape"
    if level == 1:
        assert layers == 1 and p["batch_first"] and not p["bidirectional"]
    elif level == 2:
        assert layers > 1 and not p["batch_first"] and not p["bidirectional"]
    else:
        assert p["bidirectional"]


# ---------------------------------------------------------------- lstm-params


@pytest.mark.parametrize("level", [1, 2, 3])
@MANY
@given(seed=SEEDS)
def test_lstm_params(level: int, seed: int) -> None:
    q = _gen("lstm-params", level, seed)
    p = q.params
    gates = {"LSTM": 4, "GRU": 3}[p["cell"]]
    d = 2 if p["bidirectional"] else 1
    hid = p["hidden_size"]
    total = 0
    for layer in range(p["num_layers"]):
        width = p["input_size"] if layer == 0 else d * hid
        # W_ih (G·H × I), W_hh (G·H × H), b_ih and b_hh (G·H each), per direction
        total += d * gates * (hid * (width + hid) + 2 * hid)
    assert q.expected.kind == "int"
    assert _value(q) == total
    if level == 1:
        assert p["cell"] == "LSTM" and p["num_layers"] == 1 and not p["bidirectional"]
    elif level == 2:
        assert p["num_layers"] == 1 and not p["bidirectional"]
    else:
        assert p["num_layers"] > 1 or p["bidirectional"]


# ---------------------------------------------------------------- embedding


@pytest.mark.parametrize("level", [1, 2])
@MANY
@given(seed=SEEDS)
def test_embedding(level: int, seed: int) -> None:
    q = _gen("embedding", level, seed)
    p = q.params
    if level == 1:
        assert _value(q) == (*p["index_shape"], p["embedding_dim"])
    else:
        # padding_idx keeps its row at zero but the row is still a stored parameter
        assert _value(q) == p["num_embeddings"] * p["embedding_dim"]


# ---------------------------------------------------------------- mha-shape


@pytest.mark.parametrize("level", [1, 2, 3])
@MANY
@given(seed=SEEDS)
def test_mha_shape(level: int, seed: int) -> None:
    q = _gen("mha-shape", level, seed)
    p = q.params
    e, heads, tgt, src = p["embed_dim"], p["num_heads"], p["tgt_len"], p["src_len"]
    assert e % heads == 0
    if p["ask"] == "output":
        if not p["batched"]:
            want: tuple[int, ...] = (tgt, e)
        elif p["batch_first"]:
            want = (p["batch"], tgt, e)
        else:
            want = (tgt, p["batch"], e)
    else:
        per = (tgt, src) if p["average_attn_weights"] else (heads, tgt, src)
        # attention weights are batch-first whatever batch_first says
        want = (p["batch"], *per) if p["batched"] else per
    assert _value(q) == want
    if level == 1:
        assert p["ask"] == "output" and p["batched"]
    elif level == 2:
        assert p["ask"] == "weights" and p["batched"]
    else:
        assert not p["batched"] and (p["kdim"], p["vdim"]) != (e, e)


# ---------------------------------------------------------------- mha-params


@pytest.mark.parametrize("level", [1, 2])
@MANY
@given(seed=SEEDS)
def test_mha_params(level: int, seed: int) -> None:
    q = _gen("mha-params", level, seed)
    p = q.params
    e, kdim, vdim = p["embed_dim"], p["kdim"], p["vdim"]
    # q, k, v projections (E×E, E×kdim, E×vdim) + out_proj (E×E); biases 3E + E
    want = e * e + e * kdim + e * vdim + e * e + (4 * e if p["bias"] else 0)
    assert _value(q) == want
    if level == 1:
        assert p["bias"] and kdim == vdim == e
        assert want == 4 * e * e + 4 * e
    else:
        assert not p["bias"] or (kdim, vdim) != (e, e)


# ---------------------------------------------------------------- registry and proofs


def test_registered_levels() -> None:
    for fid, top in LEVELS.items():
        fam = REGISTRY[fid]
        assert fam.topic == "sequences"
        assert sorted(fam.levels) == list(range(1, top + 1))
