"""Form warnings (content_lint), term relations, and distractors that are never right."""

from __future__ import annotations

from pathlib import Path

import pytest

from dlquiz.cards import name_choices
from dlquiz.content import Content, load
from dlquiz.content_lint import giveaway, lint, stem


def _term(slug: str, name: str, definition: str = "Something else entirely.", **extra: str) -> str:
    lines = [f'[[term]]\nslug = "{slug}"\nterm = "{name}"\ndefinition = "{definition}"']
    lines += [f"{key} = {value}" for key, value in extra.items()]
    return "\n".join(lines) + "\n"


def _load(tmp_path: Path, *entries: str) -> Content:
    path = tmp_path / "deck.toml"
    path.write_text("\n".join(entries), encoding="utf-8")
    content = load([path])
    assert content.problems == []
    return content


@pytest.mark.parametrize(
    ("a", "b"),
    [("pooling", "pools"), ("pooled", "pool"), ("filtering", "filters"), ("encoder", "encoding")],
)
def test_stem_joins_forms_of_one_word(a: str, b: str) -> None:
    assert stem(a) == stem(b)


def test_stem_keeps_different_words_apart() -> None:
    assert stem("generative") != stem("general")
    assert stem("dropout") != stem("drop")


def test_giveaway_catches_a_word_of_the_name_or_an_alias_and_its_stem(tmp_path: Path) -> None:
    content = _load(
        tmp_path,
        _term(
            "svm",
            "SVM",
            "A classifier defined by its support vectors.",
            aliases='["Support Vector Machine"]',
        ),
        _term("pool", "Max Pooling", "Keeps the largest value of each window it pools."),
        _term("fc", "Dense Layer", "A layer whose outputs each see every input."),
        _term("ok", "Dropout", "Zeroes random units during training."),
    )
    assert giveaway(content.terms["svm"]) == ("support", "Support Vector Machine")
    assert giveaway(content.terms["pool"]) == ("pools", "Max Pooling")
    # "layer" names the category every choice shares: not a giveaway.
    assert giveaway(content.terms["fc"]) is None
    assert giveaway(content.terms["ok"]) is None


def test_lint_warns_about_length_giveaway_and_links(tmp_path: Path) -> None:
    long = " ".join(["word"] * 31)
    content = _load(
        tmp_path,
        _term("a", "Alpha", long),
        _term("b", "Beta", "Another thing.", broader='["c"]', same_as='["c"]'),
        _term("c", "Gamma", "A third thing.", broader='["b"]', same_as='["b"]'),
        _term("d", "Delta", "Delta-like.", aliases='["gamma"]'),
        '[[concept]]\nslug = "q"\nquestion = "?"\nexplanation = "e"\n'
        f'answer = "{" ".join(["w"] * 41)}"\n',
    )
    found = {(p.entry, p.field, p.message.split(":")[0]) for p in lint(content)}
    assert ("term 'a'", "definition", "31 words (at most 30") in found
    assert ("term 'd'", "definition", "gives the name away") in found
    assert ("term 'b'", "broader", "'c' is also a same_as synonym") in found
    assert ("term 'c'", "aliases", "shares the name 'gamma' with term 'd' (which is meant?)") in {
        (p.entry, p.field, p.message) for p in lint(content)
    }
    assert ("concept 'q'", "answer", "41 words (at most 40") in found
    assert all(not p.fatal for p in lint(content))
    assert all(p.line for p in lint(content))


def test_lint_reports_a_broader_cycle(tmp_path: Path) -> None:
    content = _load(
        tmp_path,
        _term("x", "Xa", broader='["y"]'),
        _term("y", "Ya", "Other words.", broader='["z"]'),
        _term("z", "Za", "More words.", broader='["x"]'),
    )
    cycles = [p for p in lint(content) if "circle" in p.message]
    assert {p.entry for p in cycles} == {"term 'x'", "term 'y'", "term 'z'"}


def test_lint_flags_a_broader_term_among_a_concepts_choices(tmp_path: Path) -> None:
    content = _load(
        tmp_path,
        _term("pooling-layer", "Pooling Layer"),
        _term(
            "max-pooling", "Max Pooling", "Largest value per window.", broader='["pooling-layer"]'
        ),
        _term("relu", "ReLU", "Zero below zero."),
        '[[concept]]\nslug = "q"\nquestion = "Which keeps the largest value?"\n'
        'answer = "Max pooling"\nexplanation = "e"\n'
        'choices = ["Max pooling", "Pooling layer", "ReLU"]\n',
    )
    [warning] = lint(content)
    assert warning.field == "choices" and "'Pooling layer'" in warning.message


def test_lint_flags_synonyms_with_nearly_the_same_definition(tmp_path: Path) -> None:
    text = "The share of real positives that the classifier finds."
    content = _load(
        tmp_path,
        _term("tpr", "Hit Share", text, same_as='["sens"]'),
        _term("sens", "Detection Share", text + " Also said of tests.", same_as='["tpr"]'),
    )
    [warning] = [p for p in lint(content) if "synonym" in p.message]
    assert warning.entry == "term 'tpr'"


def _family(tmp_path: Path) -> Content:
    """A small tree: layer > pooling > max/avg pooling, with synonyms and a shared alias."""
    return _load(
        tmp_path,
        _term("layer", "Stage", tags='["cnn"]'),
        _term("pooling", "Pooling Layer", "Downsizes.", broader='["layer"]', tags='["cnn"]'),
        _term(
            "pool-synonym", "Subsampling", "Downsizes too.", same_as='["pooling"]', tags='["cnn"]'
        ),
        _term("max-pooling", "Max Pooling", "Largest.", broader='["pool-synonym"]', tags='["cnn"]'),
        _term("avg-pooling", "Average Pooling", "Mean.", broader='["pooling"]', tags='["cnn"]'),
        _term("kernel", "Kernel", "Weights.", tags='["cnn"]', aliases='["filter"]'),
        _term("filter", "Filter", "Weights too.", tags='["cnn"]'),
        *[_term(f"t{i}", f"Other {i}", "Unrelated.", tags='["cnn"]') for i in range(6)],
    )


def test_relations_are_transitive_and_join_synonyms(tmp_path: Path) -> None:
    rel = _family(tmp_path).relations()
    assert rel.broader("max-pooling") == {"pooling", "pool-synonym", "layer"}
    assert rel.narrower("layer") == {"pooling", "pool-synonym", "max-pooling", "avg-pooling"}
    assert rel.synonyms("pooling") == {"pool-synonym"}
    assert rel.broader("avg-pooling") & rel.broader("max-pooling") == rel.broader("max-pooling")
    assert "avg-pooling" not in rel.broader("max-pooling") | rel.narrower("max-pooling")


@pytest.mark.parametrize("slug", ["max-pooling", "layer", "pooling", "kernel", "filter"])
def test_no_distractor_is_a_second_right_answer(tmp_path: Path, slug: str) -> None:
    content = _family(tmp_path)
    rel = content.relations()
    never = rel.confusable(content.terms[slug])
    assert never  # every slug tested has something that must be kept out
    for seed in range(300):
        choices, right = name_choices(content, slug, seed)
        assert choices[right].slug == slug and len(choices) == 4
        distractors = [c for i, c in enumerate(choices) if i != right]
        assert not {d.slug for d in distractors} & never
        for d in distractors:  # nor can one distractor be another's kind or synonym
            assert not rel.confusable(d) & {e.slug for e in distractors}


def _broken_deck(n: int) -> str:
    """n entries, each with exactly one error, in four kinds."""
    out = []
    for i in range(n):
        kind = i % 4
        if kind == 0:
            out.append(
                f'[[term]]\nslug = "t{i}"\nterm = "T{i}"\ndefinition = "x"\nrelated = ["no-{i}"]'
            )
        elif kind == 1:
            out.append(f'[[term]]\nslug = "Bad {i}"\nterm = "T{i}"\ndefinition = "x"')
        elif kind == 2:
            out.append(f'[[term]]\nterm = "T{i}"\ndefinition = """a\n[[term]]\nslug = "fake"\n"""')
        else:
            out.append(
                f'[[concept]]\nslug = "c{i}"\nquestion = "q"\nanswer = "a"\nexplanation = "e"\n'
                'choices = ["b"]'
            )
    return "\n\n".join(out) + "\n"


@pytest.mark.parametrize("n", [40, 160])
def test_every_problem_of_a_large_deck_is_reported_at_its_line(tmp_path: Path, n: int) -> None:
    text = _broken_deck(n)
    path = tmp_path / "deck.toml"
    path.write_text(text, encoding="utf-8")
    content = load([path])
    assert len(content.problems) == n  # one each: 4× the entries, 4× the problems
    lines = text.split("\n")
    for problem in content.problems:
        assert problem.line is not None
        # The line named is the entry's slug line, or its header when it has no slug.
        line = lines[problem.line - 1]
        assert line.startswith(("slug = ", "[[term]]", "[[concept]]")), (problem, line)
        if problem.entry.startswith(("term '", "concept '")):
            assert problem.entry.split("'")[1] in line


def test_a_repeated_slug_in_one_file_points_at_the_repeat(tmp_path: Path) -> None:
    entry = '[[term]]\nslug = "a"\nterm = "A"\ndefinition = "x"\n'
    path = tmp_path / "deck.toml"
    path.write_text(entry + "\n" + entry, encoding="utf-8")
    [problem] = load([path]).problems
    assert "duplicate slug" in problem.message and problem.line == 7


def test_distractors_drawn_from_a_large_tag_are_never_right_either(tmp_path: Path) -> None:
    # 300 terms under one tag: distractors are sampled, not shuffled from the full list.
    entries = [_term("root", "Root Kind", "Top.", tags='["cnn"]')]
    entries += [_term(f"other{i}", f"Other {i}", "Apart.", tags='["cnn"]') for i in range(20)]
    for i in range(30):
        entries.append(_term(f"mid{i}", f"Middle {i}", "Mid.", broader='["root"]', tags='["cnn"]'))
        for j in range(9):
            entries.append(
                _term(
                    f"leaf{i}-{j}", f"Leaf {i} {j}", "Leaf.", broader=f'["mid{i}"]', tags='["cnn"]'
                )
            )
    content = _load(tmp_path, *entries)
    rel = content.relations()
    for slug in ["root", "mid3", "leaf7-2"]:
        never = rel.confusable(content.terms[slug])
        seen: set[str] = set()
        for seed in range(200):
            choices, right = name_choices(content, slug, seed)
            assert choices[right].slug == slug and len(choices) == 4
            distractors = [c.slug for i, c in enumerate(choices) if i != right]
            assert not set(distractors) & never
            for d in distractors:
                assert not rel.confusable(content.terms[d]) & set(distractors)
            seen.update(distractors)
        allowed = set(content.terms) - never - {slug}
        # Drawn from across the tag, not from a fixed few.
        assert len(seen) >= min(50, len(allowed))


def test_a_long_same_as_chain_warns_once_per_link_not_per_pair(tmp_path: Path) -> None:
    """Each term names the next as a synonym (the last names the first): n links, n²/2
    synonym pairs. A warning per pair made `dlquiz check` quadratic (4,000 terms: minutes
    and ten million lines); one per link written is what the author can act on."""
    n = 200
    content = _load(
        tmp_path,
        *(
            _term(
                f"x-{i}",
                f"T x{i}",
                "A thing about the same subject here.",
                same_as=f'["x-{(i + 1) % n}"]',
                broader=f'["x-{(i + 2) % n}"]',
            )
            for i in range(n)
        ),
    )
    messages = [p.message for p in lint(content)]
    assert sum("nearly the same as its synonym" in m for m in messages) == n
    # Linked through the chain only, the broader term is still found to be a synonym.
    assert sum("is also a same_as synonym" in m for m in messages) == n
