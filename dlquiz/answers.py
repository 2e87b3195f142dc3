"""Read and grade what a person types as an answer.

Nothing typed is ever evaluated: every answer kind has a small parser built on
anchored regular expressions and ``str.split``. Input longer than ``MAX_CHARS``
is refused before any regex runs, so a pasted megabyte costs nothing.

Decisions on tolerant input, kind by kind:

* Any answer: surrounding whitespace is ignored; tabs and newlines inside count
  as spaces; fullwidth digits, letters and punctuation (``１０２４``) read as
  ASCII; any other control, format (zero-width) or unassigned character
  makes the answer unreadable rather than silently dropped.
* shape: ``(1, 16, 32, 32)``, ``[1,16,32,32]``, ``1x16x32x32`` (also ``×``,
  ``X``, ``*``), ``1 16 32 32``, ``torch.Size([1, 16, 32, 32])``, ``(5,)``,
  ``5``; ``()``, ``[]``, ``torch.Size([])`` or ``scalar`` for a 0-d tensor.
  Sizes are plain digits: a negative or fractional size is unreadable (with
  a hint), not wrong, since no tensor has such a size.
* int: ``1024``, ``+5``, ``-3``, ``1,024`` and ``1 024`` (groups of exactly
  three, so ``10,24`` is refused), ``1_024``, ``1024.0``, ``1e3``,
  ``tensor(1024)``. A typed number that is not whole (``15.5``) is *wrong*,
  not unreadable: it is usually the very mistake the question probes
  (forgetting a floor).
* float: ``0.731``, ``.731``, ``-0.5``, ``7.31e-1``, ``1,024.5``,
  ``tensor(0.7310)``. A decimal comma (``0,5``) or a bare comma group
  (``1,500``: 1.5 or 1500?) is refused with a hint. Graded at
  ``expected.decimals`` places: correct when within half a unit in the last
  place (plus 1e-9 for binary noise), or when it has more places than asked
  and rounds to the same displayed value. A fraction (``3/7``) is unreadable,
  and the hint gives its decimal value.
* floats: ``[0.1, 0.2, 0.7]``, ``(0.1, 0.2, 0.7)``, ``0.1, 0.2, 0.7``,
  ``0.1 0.2 0.7``, ``tensor([0.1, 0.2, 0.7])``; each entry graded as a float.
  The wrong number of entries is wrong (and says so), not unreadable.
* choice: the choice's text (case and spacing ignored) wins first, then a
  letter or 1-based number, bare or as ``b)``, ``(b)``, ``b.``, ``b) text``.
  A letter or number with no such option is unreadable.
* text: compared on a key of letters and digits only (case, accents, spaces,
  hyphens and punctuation dropped), against the term and every alias; one
  trailing plural ``s`` is allowed. Small typos pass (rapidfuzz ratio >= 85)
  only when both keys have 5+ characters, start with the same character and
  carry the same digits, so ``GAN`` never matches ``GNN``, ``Conv1d`` never
  matches ``Conv2d`` and ``encoder`` never matches ``decoder``.
"""

from __future__ import annotations

import math
import re
import string
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Literal, TypeVar

from dlquiz.questions.base import Expected, Mistake, Question

# Longest input read at all. Must stay below 4300 so that any run of typed
# digits converts with int() (CPython's int/str digit limit).
MAX_CHARS = 1000
FUZZY_RATIO = 85.0
FUZZY_MIN_LEN = 5
# Numbers of this many digits or more are refused: "1e9999" is short to type
# but its int() would be too long to print, and no quiz answer comes close.
_MAX_INT_DIGITS = 1000

Status = Literal["correct", "wrong", "unparsed"]
_T = TypeVar("_T")


@dataclass(frozen=True)
class Verdict:
    """The outcome of checking one typed answer.

    ``close``: a float answer one unit off in the last stated decimal (rounded intermediates);
    it counts as correct, and the review suggests Hard. ``mistake``: the named slip whose value
    the typed answer equals (only on a wrong answer).
    """

    status: Status
    message: str  # a hint on the expected form when unparsed, else short feedback
    understood: str | None  # how the input was read, normalised; None when unparsed
    close: bool = False
    mistake: Mistake | None = None

    @property
    def correct(self) -> bool:
        return self.status == "correct"

    @property
    def unreadable(self) -> bool:
        """The input could not be read: show ``message`` as a hint, do not mark it wrong."""
        return self.status == "unparsed"


class _Unreadable(Exception):
    """Raised inside the parsers; ``problem`` says what was wrong, if known."""

    def __init__(self, problem: str | None = None) -> None:
        super().__init__(problem)
        self.problem = problem


# ---------------------------------------------------------------- preparation

_SPACES = re.compile(r"\s+")
# Fullwidth forms (U+FF01–FF5E) and the ideographic space, as East Asian input methods
# type them, read as the ASCII they stand for: "１０２４" is 1024, "（８，１６）" a shape.
_FULLWIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}


def _prepare(typed: str) -> str:
    """Trimmed text with single spaces; refuses empty, huge or control-laden input."""
    if len(typed) > MAX_CHARS:  # before any regex: len() is O(1)
        raise _Unreadable(f"That is over {MAX_CHARS:,} characters.")
    text = _SPACES.sub(" ", typed.translate(_FULLWIDTH).strip())
    if not text:
        raise _Unreadable("Nothing was typed.")
    # Category C = control, format (zero-width, BOM), surrogate, private, unassigned.
    if any(unicodedata.category(ch)[0] == "C" for ch in text):
        raise _Unreadable("That contains control or invisible characters.")
    return text


def _quietly(read: Callable[[str], _T], text: str) -> _T | None:
    try:
        return read(_prepare(text))
    except _Unreadable:
        return None


# -------------------------------------------------------------------- numbers

# Integer part: comma or space groups of exactly three after a non-zero lead
# (so "0,5" is a decimal comma), or digits with single underscores between them
# (as Python writes 1_024). Every repeat starts with a literal separator, so
# matching stays linear even on a thousand digits.
_INT_PART = r"[1-9]\d{0,2}(?:,\d{3})+|[1-9]\d{0,2}(?: \d{3})+|\d+(?:_\d+)*"
_NUMBER = re.compile(
    rf"([+-]?)({_INT_PART})?(\.(?:\d+(?:_\d+)*)?)?(?:[eE]([+-]?\d{{1,4}}))?", re.ASCII
)
_DECIMAL_COMMA = re.compile(r"[+-]?\d*,\d+", re.ASCII)
_TENSOR = re.compile(r"(?:(?:torch|np|numpy)\s*\.\s*)?(?:tensor|array)\s*\((.*)\)", re.I)
_MINUS = str.maketrans({"\u2212": "-", "\u2013": "-"})  # typographic minus, en dash
_UNGROUP = str.maketrans("", "", ", _")


def _unwrap_tensor(text: str) -> str:
    """``tensor(0.731)`` -> ``0.731``: people paste what torch printed."""
    m = _TENSOR.fullmatch(text)
    return m[1].strip() if m else text


def _read_decimal(text: str, *, comma_groups: bool) -> Decimal:
    """A number as an exact Decimal; ``comma_groups`` allows ``1,500`` with no point."""
    s = text.translate(_MINUS)
    m = _NUMBER.fullmatch(s)
    if m is None or not (m[2] or (m[3] and len(m[3]) > 1)):
        if _DECIMAL_COMMA.fullmatch(s):
            raise _Unreadable("Use a dot for decimals, not a comma.")
        raise _Unreadable
    sign, whole, frac, exp = m.groups()
    if whole and "," in whole and not comma_groups and not frac and not exp:
        raise _Unreadable(f"“{s}” is ambiguous (a decimal comma or a thousands separator?).")
    plain = sign + (whole or "0").translate(_UNGROUP) + (frac or "").replace("_", "")
    value = Decimal(plain + (f"e{exp}" if exp else ""))
    if value and value.adjusted() >= _MAX_INT_DIGITS:
        raise _Unreadable("That number is far too large.")
    return value


def _places(value: Decimal) -> int:
    """Decimal places as typed: ``0.730`` -> 3, ``7.31e-1`` -> 3, ``1e3`` -> 0."""
    exponent = value.as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def _show_decimal(value: Decimal) -> str:
    """The typed number, normalised but keeping its typed precision."""
    places = _places(value)
    if places > 30:  # "1e-999" would print a thousand zeros
        return str(value).lower()
    text = f"{value:.{places}f}"
    return "0" if text in ("-0", "+0") else text


def _read_float(text: str) -> tuple[float, Decimal]:
    value = _read_decimal(_unwrap_tensor(text), comma_groups=False)
    number = float(value)
    if not math.isfinite(number):
        raise _Unreadable("That number is far too large.")
    return number, value


def parse_int(text: str) -> int | None:
    """A whole number (``1,024``, ``1_024``, ``1 024``, ``1.0``, ``1e3``), else None."""

    def read(s: str) -> int:
        value = _read_decimal(_unwrap_tensor(s), comma_groups=True)
        if value != value.to_integral_value():
            raise _Unreadable
        return int(value)

    return _quietly(read, text)


def parse_float(text: str) -> float | None:
    """A number with a dot for decimals (``0.731``, ``.731``, ``7.31e-1``), else None."""
    return _quietly(lambda s: _read_float(s)[0], text)


# --------------------------------------------------------------------- shapes

_SIZE = re.compile(r"(?:torch\s*\.\s*)?size\s*\((.*)\)", re.I)
_TIMES = re.compile(r"[x×*]", re.I)
_DIM = re.compile(r"\d+", re.ASCII)
_NEGATIVE = re.compile(r"[-\u2212\u2013]\s*\d*\.?\d+", re.ASCII)
_FRACTION = re.compile(r"\d*\.\d+|\d+\.", re.ASCII)
_PAIRS = {("(", ")"), ("[", "]")}


def _strip_brackets(text: str, times: int = 2) -> tuple[str, bool]:
    """Drop up to ``times`` enclosing bracket pairs; also say whether any were dropped."""
    stripped = False
    for _ in range(times):
        if len(text) >= 2 and (text[0], text[-1]) in _PAIRS:
            text, stripped = text[1:-1].strip(), True
    return text, stripped


def _split_items(text: str) -> list[str]:
    """Items separated by commas (one trailing comma allowed) or by single spaces."""
    if "," in text:
        items = [item.strip() for item in text.split(",")]
        if len(items) > 1 and items[-1] == "":
            items.pop()
        return items
    return text.split(" ")


def _read_shape(text: str) -> tuple[int, ...]:
    if text.casefold() == "scalar":
        return ()
    m = _SIZE.fullmatch(text)
    inner, bracketed = _strip_brackets(m[1].strip() if m else text)
    if not inner:
        if bracketed or m:
            return ()
        raise _Unreadable
    if "," not in inner and _TIMES.search(inner):
        items = [item.strip() for item in _TIMES.split(inner)]
    else:
        items = _split_items(inner)
    dims: list[int] = []
    for item in items:
        if _DIM.fullmatch(item):
            dims.append(int(item))
        elif _NEGATIVE.fullmatch(item):
            raise _Unreadable("Sizes can't be negative.")
        elif _FRACTION.fullmatch(item):
            raise _Unreadable("Sizes are whole numbers.")
        else:
            raise _Unreadable
    return tuple(dims)


def parse_shape(text: str) -> tuple[int, ...] | None:
    """A tensor shape in any of the usual spellings, else None."""
    return _quietly(_read_shape, text)


def _show_shape(shape: Sequence[int]) -> str:
    inside = ", ".join(str(v) for v in shape)
    return f"({inside},)" if len(shape) == 1 else f"({inside})"


# ------------------------------------------------------------- float vectors


def _read_floats(text: str) -> tuple[tuple[float, ...], tuple[Decimal, ...]]:
    inner, _ = _strip_brackets(_unwrap_tensor(text), times=1)
    if not inner:
        raise _Unreadable
    items = _split_items(inner)
    read = [_read_float(item) for item in items]
    return tuple(f for f, _ in read), tuple(d for _, d in read)


def parse_floats(text: str) -> tuple[float, ...] | None:
    """Numbers separated by commas or spaces, optionally bracketed, else None."""
    return _quietly(lambda s: _read_floats(s)[0], text)


# -------------------------------------------------------------------- choices

_LETTERS = string.ascii_lowercase
_OPTION = re.compile(r"\(?\s*([a-z]|\d{1,3})\s*[).:]?", re.I | re.ASCII)
_OPTION_WITH_TEXT = re.compile(r"\(?([a-z]|\d{1,3})[).:] (.+)", re.I | re.ASCII)


def _choice_key(text: str) -> str:
    return " ".join(text.casefold().split()).rstrip(".")


def _choice_by_text(text: str, choices: Sequence[str]) -> int | None:
    key = _choice_key(text)
    return next((i for i, choice in enumerate(choices) if _choice_key(choice) == key), None)


def _read_choice(text: str, choices: Sequence[str]) -> int:
    by_text = _choice_by_text(text, choices)
    if by_text is not None:
        return by_text
    m = _OPTION.fullmatch(text) or _OPTION_WITH_TEXT.fullmatch(text)
    if m is None:
        raise _Unreadable
    token = m[1].casefold()
    index = int(token) - 1 if token.isdigit() else _LETTERS.index(token)
    if not 0 <= index < len(choices):
        raise _Unreadable(f"There is no option {token}.")
    if m.re is _OPTION_WITH_TEXT:
        # "b) AdamW" names two different options: ask rather than guess.
        named = _choice_by_text(m[2], choices)
        if named is not None and named != index:
            raise _Unreadable(f"Option {token} is not “{choices[named]}”.")
    return index


def parse_choice(text: str, choices: Sequence[str]) -> int | None:
    """The 0-based index of the chosen option (by text, letter or 1-based number)."""
    return _quietly(lambda s: _read_choice(s, choices), text)


def _show_choice(index: int, choices: Sequence[str]) -> str:
    return f"{_LETTERS[index]}) {choices[index]}"


# ---------------------------------------------------------------------- terms


def _term_key(text: str) -> str:
    """Letters and digits only, casefolded, accents removed: ``Batch-Norm`` -> ``batchnorm``."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if ch.isalnum())  # combining marks are not alnum


def _digits(key: str) -> list[str]:
    return re.findall(r"\d+", key)


def _keys_match(typed: str, name: str) -> bool:
    if typed in (name, name + "s"):
        return True
    # The name may be the plural ("logits"); short ones must not lose letters ("rms").
    if len(name) >= FUZZY_MIN_LEN and not name.endswith("ss") and name == typed + "s":
        return True
    if (
        min(len(typed), len(name)) < FUZZY_MIN_LEN
        or typed[0] != name[0]  # first letters are rarely mistyped; encoder/decoder
        or _digits(typed) != _digits(name)  # Conv1d vs Conv2d is not a typo
    ):
        return False
    from rapidfuzz import fuzz  # lazy: only typo checks need it

    return fuzz.ratio(typed, name, score_cutoff=FUZZY_RATIO) >= FUZZY_RATIO


def match_term(typed: str, names: Sequence[str]) -> bool:
    """Whether ``typed`` names the term: any of ``names``, tolerating small typos."""
    if len(typed) > MAX_CHARS:
        return False
    key = _term_key(typed)
    return bool(key) and any(
        _keys_match(key, name_key) for name_key in map(_term_key, names) if name_key
    )


# ------------------------------------------------------------------- grading


def _float_ok(typed: float, places: int, value: float, decimals: int) -> bool:
    if abs(typed - value) <= 0.5 * 10.0**-decimals + 1e-9:
        return True
    # More places than asked are fine when they round to the displayed answer.
    return places > decimals and f"{typed:.{decimals}f}" == f"{value:.{decimals}f}"


def _places_phrase(decimals: int) -> str:
    return "1 decimal place" if decimals == 1 else f"{decimals} decimal places"


def _hint(expected: Expected) -> str:
    kind = expected.kind
    if kind == "shape":
        return "Type a shape like (8, 16, 32, 32) or 8x16x32x32; () is a scalar."
    if kind == "int":
        return "Type a whole number, like 1024 or 1,024."
    if kind in ("float", "floats"):
        decimals = expected.decimals or 0
        rounding = (
            "rounded to a whole number" if decimals == 0 else f"to {_places_phrase(decimals)}"
        )
        if kind == "float":
            return f"Type a number like 0.731, {rounding}."
        return f"Type numbers separated by commas, like [0.1, 0.2, 0.7], each {rounding}."
    if kind == "choice":
        n = len(expected.choices)
        last = _LETTERS[max(n - 1, 0)]
        return f"Type the letter (a–{last}) or number (1–{n}) of your choice."
    return "Type the name of the term."


def _verdict(expected: Expected, ok: bool, understood: str, note: str = "") -> Verdict:
    answer = expected.display()
    if ok:
        return Verdict("correct", f"Correct: {answer}.", understood)
    return Verdict("wrong", f"You said {understood}; the answer is {answer}{note}.", understood)


def _grade_shape(expected: Expected, text: str) -> Verdict:
    typed = _read_shape(text)
    answer = tuple(int(v) for v in expected.value)
    note = ""
    if len(typed) != len(answer):
        note = f" ({len(answer)} dimensions, not {len(typed)})"
    return _verdict(expected, typed == answer, _show_shape(typed), note)


def _grade_int(expected: Expected, text: str) -> Verdict:
    value = _read_decimal(_unwrap_tensor(text), comma_groups=True)
    if value != value.to_integral_value():
        return _verdict(expected, False, _show_decimal(value), " (a whole number)")
    typed = int(value)
    return _verdict(expected, typed == int(expected.value), f"{typed:,}")


_RATIO = re.compile(r"([+-]?\d{1,12}) ?/ ?(\d{1,12})", re.ASCII)


def _grade_float(expected: Expected, text: str) -> Verdict:
    decimals = expected.decimals or 0
    ratio = _RATIO.fullmatch(text)
    if ratio is not None and int(ratio[2]):  # unread, but its value said: one step away
        value = int(ratio[1]) / int(ratio[2])
        raise _Unreadable(f"{ratio[1]}/{ratio[2]} is {value:.{decimals}f} as a decimal.")
    typed, exact = _read_float(text)
    ok = _float_ok(typed, _places(exact), float(expected.value), decimals)
    note = ""
    places = _places(exact)
    # Right but too coarse (0.73 for 0.731): say so, rather than just "wrong".
    if not ok and places < decimals and _float_ok(typed, 0, float(expected.value), places):
        note = f" (give {_places_phrase(decimals)})"
    return _verdict(expected, ok, _show_decimal(exact), note)


def _grade_floats(expected: Expected, text: str) -> Verdict:
    decimals = expected.decimals or 0
    typed, exact = _read_floats(text)
    answer = [float(v) for v in expected.value]
    shown = "[" + ", ".join(_show_decimal(d) for d in exact) + "]"
    if len(typed) != len(answer):
        note = f" ({len(answer)} numbers, not {len(typed)})"
        return _verdict(expected, False, shown, note)
    off = [
        i + 1
        for i, (t, d, v) in enumerate(zip(typed, exact, answer, strict=True))
        if not _float_ok(t, _places(d), v, decimals)
    ]
    note = ""
    if off:
        which = ", ".join(str(i) for i in off)
        note = f" (entr{'y' if len(off) == 1 else 'ies'} {which} off)"
    return _verdict(expected, not off, shown, note)


_BARE_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?", re.I | re.ASCII)


def _option_value(option: str) -> tuple[int, ...] | Decimal | None:
    """An option's value when it is a number or a shape (``0.500``, ``(4,)``), else None."""
    text = option.strip()
    if text[:1] in "([" or text.casefold().startswith(("torch.size", "size(")):
        return _quietly(_read_shape, text)
    if _BARE_NUMBER.fullmatch(text):
        return _quietly(lambda s: _read_decimal(s, comma_groups=False), text)
    return None


def _matches(typed: str, option: tuple[int, ...] | Decimal) -> bool:
    if isinstance(option, Decimal):
        number = _quietly(_read_float, typed)
        if number is None:
            return False
        return _float_ok(number[0], _places(number[1]), float(option), _places(option))
    shape = _quietly(_read_shape, typed)
    return shape is not None and shape == option


def _grade_choice(expected: Expected, text: str) -> Verdict:
    choices = expected.choices
    values = [_option_value(c) for c in choices]
    if any(v is not None for v in values) and _choice_by_text(text, choices) is None:
        # Value first: "4" typed for the options (4,) / (3, 4) / error means the shape (4,),
        # and "2" for 0.750 / 0.500 means the value 2, never "option 2".
        hit = next((i for i, v in enumerate(values) if v is not None and _matches(text, v)), None)
        if hit is not None:
            return _verdict(expected, hit == expected.value, _show_choice(hit, choices))
        if _BARE_NUMBER.fullmatch(text) or _quietly(_read_shape, text) not in (None, ()):
            return _verdict(expected, False, text, " (no option has that value)")
    index = _read_choice(text, choices)
    return _verdict(expected, index == expected.value, _show_choice(index, choices))


def _grade_text(expected: Expected, text: str) -> Verdict:
    if not _term_key(text):
        raise _Unreadable
    names = (str(expected.value), *expected.aliases)
    verdict = _verdict(expected, match_term(text, names), text)
    if verdict.status == "wrong" and expected.aliases:
        also = ", ".join(expected.aliases)
        return Verdict("wrong", f"{verdict.message[:-1]} (also: {also}).", text)
    return verdict


_GRADERS: dict[str, Callable[[Expected, str], Verdict]] = {
    "shape": _grade_shape,
    "int": _grade_int,
    "float": _grade_float,
    "floats": _grade_floats,
    "choice": _grade_choice,
    "text": _grade_text,
}


def check(expected: Expected, typed: str) -> Verdict:
    """Grade ``typed`` against ``expected``; never raises on any typed text."""
    grade = _GRADERS.get(expected.kind)
    if grade is None:
        raise ValueError(f"unknown answer kind {expected.kind!r}")
    try:
        return grade(expected, _prepare(typed))
    except _Unreadable as err:
        hint = _hint(expected)
        message = f"{err.problem} {hint}" if err.problem else hint
        return Verdict("unparsed", message, None)


# ------------------------------------------------- whole questions: slips and near misses


def _close(expected: Expected, typed: str) -> bool:
    """One unit off in the last stated decimal, on every entry (rounded intermediates)."""
    if expected.kind not in ("float", "floats") or not expected.decimals:
        return False
    unit = 10.0**-expected.decimals
    if expected.kind == "float":
        value = parse_float(typed)
        return value is not None and abs(value - float(expected.value)) <= 1.5 * unit + 1e-9
    values = parse_floats(typed)
    answer = [float(v) for v in expected.value]
    return (
        values is not None
        and len(values) == len(answer)
        and all(abs(t - v) <= 1.5 * unit + 1e-9 for t, v in zip(values, answer, strict=True))
    )


def _exact(expected: Expected) -> str:
    """The answer with one more place than asked, for "close — the exact value is ..."."""
    places = (expected.decimals or 0) + 1
    if expected.kind == "float":
        return f"{float(expected.value):.{places}f}"
    return "[" + ", ".join(f"{float(v):.{places}f}" for v in expected.value) + "]"


def grade(question: Question, typed: str) -> Verdict:
    """Grade ``typed`` for ``question``: right, close, a named slip, plain wrong or unreadable.

    Never raises on any typed text. A wrong answer equal to one of ``question.mistakes`` (read
    with the same tolerance as the answer) carries that mistake and its feedback.
    """
    expected = question.expected
    verdict = check(expected, typed)
    if verdict.status != "wrong":
        return verdict
    for mistake in question.mistakes:
        if check(replace(expected, value=mistake.value), typed).status == "correct":
            return Verdict(
                "wrong", f"{verdict.message} {mistake.feedback}", verdict.understood, False, mistake
            )
    if _close(expected, typed):
        message = f"Close — the exact value is {_exact(expected)}."
        return Verdict("correct", message, verdict.understood, close=True)
    return verdict
