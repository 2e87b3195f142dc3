"""Random damage to every file the user has, against every entry point (issue 14).

Hypothesis writes truncations, byte flips, type swaps and deep nesting into
state.json, the review log, settings.json and a deck, then runs stats, export,
check, the app (headless) and optimize. Whatever the damage:

* no entry point ends in a traceback;
* no acknowledged review is lost (every review whose log line is intact is
  still counted);
* the damaged bytes are kept (the log is never rewritten; a file found damaged
  is set aside, not deleted).
"""

from __future__ import annotations

import itertools
import json
import random
import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from dlquiz import records
from dlquiz.settings import Settings
from dlquiz.store import Store
from tests.conftest import LOG_NAME, SETTINGS_NAME, STATE_NAME
from tests.test_faults import every_entry_point, reviews_in_stats, studied

TARGETS = (STATE_NAME, LOG_NAME, SETTINGS_NAME, "decks/mine.toml")
DECK = (
    '[[term]]\nslug = "zz-mine"\nterm = "Mine Term"\n'
    'definition = "A term of the user\'s own deck."\ntags = ["mine"]\n'
)
N_REVIEWS = 5
_counter = itertools.count()


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    home = tmp_path_factory.mktemp("base") / "data"
    ids = studied(home, N_REVIEWS)
    with Store(home) as store:
        store.save_settings(Settings())
    (home / "decks").mkdir()
    (home / "decks" / "mine.toml").write_text(DECK)
    return home, ids


# ----- damage ------------------------------------------------------------------------------


def truncate(data: bytes, rnd: random.Random) -> bytes:
    return data[: rnd.randrange(len(data) + 1)]


def flip(data: bytes, rnd: random.Random) -> bytes:
    out = bytearray(data)
    for _ in range(rnd.randint(1, 4)):
        if out:
            out[rnd.randrange(len(out))] ^= 1 << rnd.randrange(8)
    return bytes(out)


ODD_VALUES: list[Any] = [
    "x",
    -5,
    7,
    10**30,
    1e308,
    -1e308,
    None,
    True,
    [],
    {},
    [1, [2]],
    {"a": "b"},
    "1e400",
]


def _swap_in(value: Any, rnd: random.Random) -> Any:
    """``value`` with one nested value replaced by a value of another type."""
    if isinstance(value, dict) and value and rnd.random() < 0.7:
        key = rnd.choice(sorted(value))
        return {**value, key: _swap_in(value[key], rnd)}
    if isinstance(value, list) and value and rnd.random() < 0.7:
        i = rnd.randrange(len(value))
        return [*value[:i], _swap_in(value[i], rnd), *value[i + 1 :]]
    return rnd.choice([v for v in ODD_VALUES if type(v) is not type(value)])


def swap_types(data: bytes, rnd: random.Random, name: str) -> bytes:
    if name.endswith(".toml"):
        odd = rnd.choice(["12", "[1, 2]", "{ a = 1 }", "true", "1e400", '""'])
        lines = data.decode().splitlines()
        i = rnd.choice([k for k, line in enumerate(lines) if " = " in line])
        lines[i] = lines[i].split(" = ")[0] + " = " + odd
        return ("\n".join(lines) + "\n").encode()
    if name == LOG_NAME:
        lines = data.splitlines()
        i = rnd.randrange(len(lines))
        lines[i] = json.dumps(_swap_in(json.loads(lines[i]), rnd)).encode()
        return b"\n".join(lines) + b"\n"
    return json.dumps(_swap_in(json.loads(data), rnd)).encode()


def nest(data: bytes, rnd: random.Random, name: str) -> bytes:
    depth = rnd.choice([1_000, 20_000, 100_000])
    if name.endswith(".toml"):
        return data + b"deep = " + b"[" * depth + b"]" * depth + b"\n"
    deep = b'{"a":' * depth + b"1" + b"}" * depth
    if name == LOG_NAME:
        lines = data.splitlines()
        lines.insert(rnd.randrange(len(lines) + 1), deep)
        return b"\n".join(lines) + b"\n"
    return deep


# ----- the check ---------------------------------------------------------------------------


def _intact_ids(original: bytes, damaged: bytes) -> set[str]:
    """Ids of the reviews whose log line is still there byte for byte, newline included."""
    kept = set(damaged.split(b"\n")[:-1])  # only complete lines
    ids = set()
    for line in original.split(b"\n")[:-1]:
        if line in kept:
            ids.add(json.loads(line)["id"])
    return ids


def _bytes_kept(home: Path, name: str, damaged: bytes) -> bool:
    files = [p for p in home.rglob("*") if p.is_file()]
    if any(p.read_bytes() == damaged for p in files):
        return True
    if name == LOG_NAME:  # a half-written tail is cut off and kept beside the log
        log = (home / LOG_NAME).read_bytes()
        last = damaged.rsplit(b"\n", 1)[-1]
        if log == damaged + b"\n" and records.decode(last) is not None:
            return True  # a whole last record, cut before its newline: the newline added
        tails = [p.read_bytes() for p in files if ".partial-" in p.name]
        return any(log[: len(log) - len(t)] + t == damaged for t in [b"", *tails]) or any(
            damaged.startswith(log) and damaged[len(log) :] == t for t in tails
        )
    return False


def _parses(data: bytes) -> bool:
    try:
        json.loads(data)
    except (ValueError, RecursionError):
        return False
    return True


def check_damage(
    base: tuple[Path, list[str]], tmp_path: Path, name: str, damage: Any, seed: int
) -> None:
    source, ids = base
    home = tmp_path / f"case-{next(_counter)}" / "data"
    shutil.copytree(source, home)
    original = (home / name).read_bytes()
    damaged = damage(original, random.Random(seed))
    (home / name).write_bytes(damaged)

    results = every_entry_point(home, home.parent / "scratch", deck=home / "decks")

    counted = reviews_in_stats(results["stats-after"]) if results["stats-after"].out else -1
    if name == LOG_NAME:
        intact = _intact_ids(original, damaged) & set(ids)
        assert counted >= len(intact), "a review with an intact log line was lost"
        assert _bytes_kept(home, name, damaged), "the damaged log was rewritten"
    else:
        assert counted == N_REVIEWS, "an acknowledged review was lost"
        if name != "decks/mine.toml" and not _parses(damaged):
            assert _bytes_kept(home, name, damaged), f"the damaged {name} was not kept"
        if name == "decks/mine.toml":
            assert (home / name).read_bytes() == damaged, "the user's deck was changed"


# No shrinking: each example runs every entry point, and the first failing one
# already names its file and damage.
SETTINGS = settings(
    max_examples=8,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@SETTINGS
@given(
    name=st.sampled_from(TARGETS), kind=st.sampled_from(["truncate", "flip"]), seed=st.integers()
)
def test_truncation_and_byte_flips(
    base: tuple[Path, list[str]], tmp_path: Path, name: str, kind: str, seed: int
) -> None:
    check_damage(base, tmp_path, name, truncate if kind == "truncate" else flip, seed)


@SETTINGS
@given(name=st.sampled_from(TARGETS), seed=st.integers())
def test_type_swaps(base: tuple[Path, list[str]], tmp_path: Path, name: str, seed: int) -> None:
    check_damage(base, tmp_path, name, lambda d, r: swap_types(d, r, name), seed)


@SETTINGS
@given(name=st.sampled_from(TARGETS[:3]), seed=st.integers())
def test_deep_nesting(base: tuple[Path, list[str]], tmp_path: Path, name: str, seed: int) -> None:
    check_damage(base, tmp_path, name, lambda d, r: nest(d, r, name), seed)


def test_deep_nesting_in_a_deck(base: tuple[Path, list[str]], tmp_path: Path) -> None:
    name = TARGETS[3]
    check_damage(base, tmp_path, name, lambda d, r: nest(d, r, name), 0)
