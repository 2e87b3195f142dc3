"""Load and validate the TOML content (glossary terms and concept cards).

Content is data, never code. Each file under a content folder may hold
``[[term]]`` and ``[[concept]]`` tables; every entry is validated by pydantic and
every problem is reported with its file, entry and field so that a person can
fix it without reading a traceback.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ClassVar

from dlquiz import paths
from dlquiz.content_relations import Relations

if TYPE_CHECKING:
    from annotated_types import MaxLen, MinLen, Predicate
    from pydantic import TypeAdapter

# The entry types are plain frozen dataclasses whose constraints pydantic reads
# when it validates a file. Start-up (served from the content cache) therefore
# never imports pydantic (~100 ms), nor tomllib or annotated_types (~7 ms): the
# annotations below stay strings until ``_adapter`` defines the names they use.

_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def lowercase_words_joined_by_hyphens(value: str) -> bool:
    return _SLUG.fullmatch(value) is not None


if TYPE_CHECKING:
    Slug = Annotated[str, Predicate(lowercase_words_joined_by_hyphens), MaxLen(80)]
    Text = Annotated[str, MinLen(1)]


def _define_constraints() -> None:
    """Define ``Slug`` and ``Text`` in this module, where pydantic resolves the entry
    types' (string) annotations; done once, before the first validation."""
    from annotated_types import MaxLen, MinLen, Predicate

    names = globals()
    if "Slug" not in names:
        names["Text"] = Annotated[str, MinLen(1)]
        names["Slug"] = Annotated[str, Predicate(lowercase_words_joined_by_hyphens), MaxLen(80)]


_CONFIG: dict[str, object] = {"extra": "forbid", "str_strip_whitespace": True}

TAGS = frozenset(
    {
        "optimization",
        "regularization",
        "architecture",
        "cnn",
        "rnn",
        "nlp",
        "generative",
        "losses",
        "metrics",
        "training",
        "data",
        "math",
        "tensors",
        "resnet",
        "attention",
        "transformers",
        "normalization",
        "history",
    }
)

# Bumped whenever Term, Concept or Content change shape: a content cache pickled by
# another schema then fails to load (see Content.__setstate__) and is rebuilt.
SCHEMA_VERSION = 3
MAX_TAG_LENGTH = 40


@dataclass(frozen=True)
class Term:
    """A glossary term: recalled from its name, and named from its definition."""

    __pydantic_config__: ClassVar[dict[str, object]] = _CONFIG

    slug: Slug
    term: Text
    definition: Text
    aliases: tuple[Text, ...] = ()
    formula: str = ""
    tags: tuple[str, ...] = ()
    same_as: tuple[Slug, ...] = ()
    related: tuple[Slug, ...] = ()
    # Longer text shown after the answer is revealed; the definition stays short.
    notes: str = ""
    # Terms this one is a kind of (max-pooling -> pooling-layer): never a distractor.
    broader: tuple[Slug, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        """Every name a person may type for this term."""
        return (self.term, *self.aliases)


@dataclass(frozen=True)
class Concept:
    """A question about an idea, with its answer and a longer explanation."""

    __pydantic_config__: ClassVar[dict[str, object]] = _CONFIG

    slug: Slug
    question: Text
    answer: Text
    explanation: Text
    choices: tuple[Text, ...] = ()
    tags: tuple[str, ...] = ()
    related: tuple[Slug, ...] = ()


_ADAPTERS: dict[type, TypeAdapter[Any]] = {}


def _adapter(model: type) -> TypeAdapter[Any]:
    if model not in _ADAPTERS:
        from pydantic import TypeAdapter

        _define_constraints()
        _ADAPTERS[model] = TypeAdapter(model)
    return _ADAPTERS[model]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the content, located as precisely as we can."""

    file: Path
    entry: str
    field: str
    message: str
    line: int | None = None
    fatal: bool = True

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else str(self.file)
        what = f"{self.entry}" + (f", field '{self.field}'" if self.field else "")
        kind = "" if self.fatal else "warning: "
        return f"{where}: {what}: {kind}{self.message}"


@dataclass
class Content:
    """Everything loaded from one or more content folders."""

    terms: dict[str, Term] = field(default_factory=dict)
    concepts: dict[str, Concept] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    # slug -> file it came from, to report duplicates and to locate entries
    origin: dict[str, Path] = field(default_factory=dict)
    schema: int = SCHEMA_VERSION

    def __setstate__(self, state: dict[str, Any]) -> None:
        # An old pickle (content cache) must not pass for current content.
        if state.get("schema") != SCHEMA_VERSION:
            raise ValueError("content pickled by another schema version")
        self.__dict__.update(state)

    @property
    def ok(self) -> bool:
        return not any(p.fatal for p in self.problems)

    def __getstate__(self) -> dict[str, Any]:
        # Indexes kept beside the fields ("_relations", "_lines") are rebuilt on demand.
        return {k: v for k, v in self.__dict__.items() if not k.startswith("_")}

    def relations(self) -> Relations:
        """The same_as, broader and name links between terms, indexed once (O(terms))."""
        cached: Relations | None = self.__dict__.get("_relations")
        if cached is None or not cached.describes(self.terms):
            cached = Relations.build(self.terms)
            self.__dict__["_relations"] = cached
        return cached

    def synonyms(self, slug: str) -> set[str]:
        """Slugs that mean the same as ``slug`` (``same_as`` in either direction, transitively)."""
        return self.relations().synonyms(slug)


class ContentError(Exception):
    """Built-in content failed to load; carries every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


_TABLE_HEADER = re.compile(r"\s*\[\[\s*([A-Za-z_][\w-]*)\s*\]\]")
_SLUG_LINE = re.compile(r"""\s*slug\s*=\s*(?:"([^"\\]*)"|'([^']*)')""")


@dataclass
class LineIndex:
    """Where each entry of one TOML file is, found in one pass over its text.

    Problems are located through this index, never by searching the text once per
    problem: that made 50k broken entries take minutes (quadratic).
    """

    tables: dict[str, list[int]]  # kind -> line of each entry (its slug line, else its header)
    slugs: dict[str, int]  # slug -> line of its first definition

    @classmethod
    def of(cls, text: str) -> LineIndex:
        tables: dict[str, list[int]] = {}
        slugs: dict[str, int] = {}
        kind: str | None = None
        has_slug = False
        quote: str | None = None  # the delimiter of an open multi-line string
        for number, line in enumerate(text.split("\n"), start=1):
            if quote is not None:
                if line.count(quote) % 2:
                    quote = None
                continue
            if header := _TABLE_HEADER.match(line):
                kind = header.group(1)
                tables.setdefault(kind, []).append(number)
                has_slug = False
                continue
            if slug_line := _SLUG_LINE.match(line):
                slug = slug_line.group(1) if slug_line.group(1) is not None else slug_line.group(2)
                slugs.setdefault(slug, number)
                if kind is not None and not has_slug:
                    tables[kind][-1] = number
                    has_slug = True
                continue
            for delimiter in ('"""', "'''"):
                if line.count(delimiter) % 2:
                    quote = delimiter
                    break
        return cls(tables, slugs)

    def entry_line(self, kind: str, index: int, count: int, slug: object) -> int | None:
        """Line of the ``index``-th of ``count`` ``[[kind]]`` entries (by slug if the
        headers cannot be matched to the parsed entries)."""
        lines = self.tables.get(kind, [])
        if len(lines) == count:
            return lines[index]
        return self.slugs.get(slug) if isinstance(slug, str) else None


def _plain_message(err: Any, kind: str) -> str:
    """pydantic's message, reworded where it would puzzle a content author."""
    kinds = {
        "unexpected_keyword_argument": f"unknown field (a {kind} has no such field)",
        "predicate_failed": "must be lowercase words joined by hyphens, like 'batch-normalization'",
        "missing": "required field is missing",
        "missing_argument": "required field is missing",
        "string_too_short": "is empty",
        "string_type": "must be text in quotes",
        "tuple_type": 'must be a list in brackets, like ["a", "b"]',
    }
    if err["type"] in ("string_too_long", "too_long"):
        return f"is too long (at most {err['ctx']['max_length']} characters)"
    return kinds.get(err["type"], str(err["msg"]))


def _entry_label(kind: str, index: int, raw: dict[str, object]) -> str:
    slug = raw.get("slug")
    return f"{kind} '{slug}'" if isinstance(slug, str) and slug else f"{kind} #{index + 1}"


MAX_FILE_BYTES = 256 << 20


def _load_file(path: Path, content: Content) -> list[str]:
    """Add the entries of one file to ``content``; returns the slugs added."""
    import tomllib

    try:
        from dlquiz.safe_io import read_regular

        # Never a FIFO or device (it would block every start), never a huge file; a deck
        # linked in from elsewhere is read. utf-8-sig: a byte-order mark is not an error.
        text = read_regular(path, MAX_FILE_BYTES, follow_links=True).decode("utf-8-sig")
        data = tomllib.loads(text)
    except RecursionError:
        content.problems.append(Problem(path, "file", "", "nested too deeply to read"))
        return []
    except UnicodeDecodeError as exc:
        content.problems.append(Problem(path, "file", "", f"not UTF-8 text ({exc.reason})"))
        return []
    except tomllib.TOMLDecodeError as exc:
        content.problems.append(Problem(path, "file", "", f"not valid TOML: {exc}"))
        return []
    except OSError as exc:
        content.problems.append(Problem(path, "file", "", f"cannot read: {exc.strerror}"))
        return []
    from pydantic import ValidationError

    unknown = sorted(set(data) - {"term", "concept"})
    for key in unknown:
        content.problems.append(
            Problem(path, "file", key, "unknown table (expected [[term]] or [[concept]])")
        )
    tables: dict[str, list[Any]] = {}
    for key in ("term", "concept"):
        value = data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            content.problems.append(
                Problem(path, "file", key, f"write entries as [[{key}]] tables")
            )
            value = []
        tables[key] = value

    index: LineIndex | None = None

    def line_of(kind: str, position: int, raw: dict[str, object]) -> int | None:
        # Indexed once per file, and only for a file with a problem.
        nonlocal index
        if index is None:
            index = LineIndex.of(text)
            content.__dict__.setdefault("_lines", {})[path] = index  # reused by Locator
        return index.entry_line(kind, position, len(tables[kind]), raw.get("slug"))

    added: list[str] = []
    for kind, model, target in (
        ("term", Term, content.terms),
        ("concept", Concept, content.concepts),
    ):
        for position, raw in enumerate(tables[kind]):
            label = _entry_label(kind, position, raw)
            try:
                entry = _adapter(model).validate_python(raw)
            except ValidationError as exc:
                line = line_of(kind, position, raw)
                for err in exc.errors():
                    loc = ".".join(str(part) for part in err["loc"])
                    content.problems.append(
                        Problem(path, label, loc, _plain_message(err, kind), line)
                    )
                if isinstance(raw.get("slug"), str):  # its links say why it is missing
                    content.__dict__.setdefault("_refused", set()).add(raw["slug"])
                continue
            if entry.slug in content.origin:
                first = content.origin[entry.slug]
                content.problems.append(
                    Problem(
                        path,
                        label,
                        "slug",
                        f"duplicate slug (first defined in {first})",
                        line_of(kind, position, raw),
                    )
                )
                continue
            content.origin[entry.slug] = path
            target[entry.slug] = entry
            added.append(entry.slug)
    return added


def deck_files(root: Path) -> list[Path]:
    """The TOML files a deck path stands for: the file itself, or a folder's, in order
    (anything but a folder: a FIFO named x.toml is read, and reported, not skipped)."""
    if root.is_file():
        return [root]
    return sorted(p for p in root.rglob("*.toml") if not p.is_dir()) if root.is_dir() else []


# problem(slug, kind, field, message)
_Report = Callable[[str, str, str, str], None]


class Locator:
    """Lines of entries by slug, reading and indexing each file at most once."""

    def __init__(self, content: Content) -> None:
        self.content = content
        self._files: dict[Path, LineIndex | None] = {}

    def line(self, slug: str) -> int | None:
        path = self.content.origin.get(slug)
        if path is None:
            return None
        if path not in self._files:
            known = self.content.__dict__.get("_lines", {})
            if path in known:
                self._files[path] = known[path]
                line: int | None = known[path].slugs.get(slug)
                return line
            try:
                self._files[path] = LineIndex.of(path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError):
                self._files[path] = None
        index = self._files[path]
        return index.slugs.get(slug) if index is not None else None

    def problem(self, slug: str, kind: str, fld: str, message: str, fatal: bool = True) -> Problem:
        path = self.content.origin[slug]
        return Problem(path, f"{kind} '{slug}'", fld, message, self.line(slug), fatal)


def _check_links(content: Content, slugs: Iterable[str] | None = None) -> set[str]:
    """Cross-entry rules that a single entry cannot check on its own; returns the slugs
    of the entries found wrong.

    ``slugs``: check only these entries (those just added to valid content).
    """
    locator = Locator(content)
    wrong: set[str] = set()

    def problem(slug: str, kind: str, fld: str, message: str) -> None:
        content.problems.append(locator.problem(slug, kind, fld, message))
        wrong.add(slug)

    builtin_dir = paths.builtin_content_dir().resolve()
    builtin_files: dict[Path, bool] = {}  # resolved once per file, not once per entry

    def is_builtin(slug: str) -> bool:
        path = content.origin[slug]
        if path not in builtin_files:
            builtin_files[path] = builtin_dir in path.resolve().parents
        return builtin_files[path]

    todo = list(content.terms) + list(content.concepts) if slugs is None else list(slugs)
    for slug in todo:
        if slug in content.terms:
            _check_term(content.terms[slug], content, problem, is_builtin(slug))
        elif slug in content.concepts:
            _check_concept(content.concepts[slug], content, problem, is_builtin(slug))
    return wrong


def _tag_problem(tag: str, builtin: bool) -> str | None:
    """What is wrong with ``tag``, if anything. A user's deck may name tags of its own
    (cram and browse list every tag the deck uses); the built-in content keeps to
    ``TAGS``, where a tag outside the list is a typo."""
    if not lowercase_words_joined_by_hyphens(tag) or len(tag) > MAX_TAG_LENGTH:
        return f"a tag is lowercase words joined by hyphens, like 'my-topic', not '{tag}'"
    if builtin and tag not in TAGS:
        return f"unknown tag '{tag}' (known: {', '.join(sorted(TAGS))})"
    return None


def _missing(content: Content, target: str, what: str) -> str:
    """Why a link's target is not there: refused for an error of its own, or unknown."""
    if target in content.__dict__.get("_refused", ()):
        return f"links to '{target}', which is left out"
    return f"unknown {what} '{target}'"


def _check_term(term: Term, content: Content, problem: _Report, builtin: bool) -> None:
    slug = term.slug
    for fld in ("same_as", "related", "broader"):
        for target in getattr(term, fld):
            if target == slug:
                problem(slug, "term", fld, "links to itself")
            elif target in content.terms:
                continue
            elif fld == "related" and target in content.concepts:
                continue  # a term may point at a concept card about it
            else:
                problem(slug, "term", fld, _missing(content, target, "term"))
    for tag in term.tags:
        if (message := _tag_problem(tag, builtin)) is not None:
            problem(slug, "term", "tags", message)
    leak = _leaked_name(term)
    if leak:
        problem(slug, "term", "definition", f"gives away the name: contains '{leak}'")


def _check_concept(concept: Concept, content: Content, problem: _Report, builtin: bool) -> None:
    slug = concept.slug
    for target in concept.related:
        if target not in content.terms and target not in content.concepts:
            problem(slug, "concept", "related", _missing(content, target, "slug"))
    for tag in concept.tags:
        if (message := _tag_problem(tag, builtin)) is not None:
            problem(slug, "concept", "tags", message)
    if concept.choices and concept.answer not in concept.choices:
        problem(slug, "concept", "choices", "the answer is not one of the choices")
    if len(set(concept.choices)) != len(concept.choices):
        problem(slug, "concept", "choices", "two choices are the same")


def _leaked_name(term: Term) -> str | None:
    """A name of the term that appears, as a whole word, in its own definition."""
    text = term.definition.casefold()
    for name in term.names:
        if len(name) < 3:  # too short to be a give-away ("L1" etc. would be noise)
            continue
        # str.find, not a regex per name: compiling one per term dominated large decks.
        needle = name.casefold()
        start = text.find(needle)
        while start >= 0:
            end = start + len(needle)
            if not _is_word_char(text[start - 1 : start]) and not _is_word_char(
                text[end : end + 1]
            ):
                return name
            start = text.find(needle, start + 1)
    return None


def _is_word_char(char: str) -> bool:
    return bool(char) and (char.isalnum() or char in "_-")


@contextmanager
def _bulk() -> Iterator[None]:
    """No cyclic garbage collection while loading: parsing creates many small objects
    and no cycles, and the collector's full passes (cost growing with the heap) made
    loading 50k entries superlinear."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def load(folders: Iterable[Path]) -> Content:
    """Load every TOML file in ``folders`` (folders or single files) into one ``Content``."""
    content = Content()
    with _bulk():
        for folder in folders:
            if folder.is_file():
                _load_file(folder, content)
            elif folder.is_dir():
                for path in deck_files(folder):
                    _load_file(path, content)
            else:
                what = "not a file or a folder" if folder.exists() else "no such file or folder"
                content.problems.append(Problem(folder, "path", "", what))
        _check_links(content)
    return content


def with_file(base: Content, path: Path) -> Content:
    """``base`` plus the entries of one more file, validated beside ``base``; only that
    file's problems in ``problems``.

    Used to check a deck before it is written (an import): the caller keeps ``base`` if
    the result has problems. Only the new entries are checked (cost linear in the file,
    not in ``base``): entries of ``base`` cannot gain a problem from new ones, since a
    repeated slug is refused.
    """
    merged, _, _ = _merged(base, [path], problems=[])
    return merged


def with_valid_entries(base: Content, files: Iterable[Path]) -> Content:
    """``base`` plus the valid entries of ``files`` (a user's decks, loaded together as
    one: an entry may link to one in any of them), their problems added to ``base``'s.
    An entry with an error is left out, and so is every entry whose links need one left
    out: one typo no longer takes a whole deck out of the day's study. A file that
    cannot be read or parsed adds nothing."""
    merged, added, wrong = _merged(base, files, problems=list(base.problems))
    if wrong:
        _leave_out(merged, added, wrong)
    return merged


def _merged(
    base: Content, files: Iterable[Path], problems: list[Problem]
) -> tuple[Content, list[str], set[str]]:
    """A copy of ``base`` with the entries of ``files`` added and checked; the slugs
    added, and those of them found wrong."""
    merged = Content(
        terms=dict(base.terms),
        concepts=dict(base.concepts),
        problems=problems,
        origin=dict(base.origin),
    )
    added: list[str] = []
    with _bulk():
        for path in files:
            added += _load_file(path, merged)
        wrong = _check_links(merged, added)
    return merged, added, wrong


def _leave_out(content: Content, added: list[str], wrong: set[str]) -> None:
    """Remove the ``wrong`` entries of ``added``, and the entries that link to a removed
    one (transitively: an index of who links to whom keeps this linear)."""
    linked_from: dict[str, list[str]] = {}
    for slug in added:
        entry: Term | Concept = content.terms.get(slug) or content.concepts[slug]
        links = [*entry.related] + (
            [*entry.same_as, *entry.broader] if isinstance(entry, Term) else []
        )
        for target in links:
            linked_from.setdefault(target, []).append(slug)
    locator = Locator(content)
    todo = list(wrong)
    while todo:
        gone = todo.pop()
        for slug in linked_from.get(gone, ()):
            if slug not in wrong:
                wrong.add(slug)
                todo.append(slug)
                kind = "term" if slug in content.terms else "concept"
                message = f"links to '{gone}', which is left out"
                content.problems.append(locator.problem(slug, kind, "", message))
    for slug in wrong:
        content.terms.pop(slug, None)
        content.concepts.pop(slug, None)
        content.origin.pop(slug, None)


def load_builtin() -> Content:
    """The content shipped with dlquiz; raises ``ContentError`` if it is broken."""
    content = load([paths.builtin_content_dir()])
    if not content.ok:
        raise ContentError(content.problems)
    return content
