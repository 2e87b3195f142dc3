"""Content loading, validation messages, and the built-in content itself."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from dlquiz import paths
from dlquiz.cards import Kind, build_deck, name_choices
from dlquiz.content import SCHEMA_VERSION, Content, load, load_builtin

# The 100 terms of the seed glossary (shared/seeds), by their slugs.
SEED_SLUGS = [
    "activation-function",
    "adagrad",
    "adam",
    "autoencoder",
    "backpropagation",
    "batch-normalization",
    "bias",
    "bidirectional-rnn",
    "bleu-score",
    "bounding-box",
    "convolutional-neural-network",
    "cost-function",
    "cross-entropy-loss",
    "data-augmentation",
    "deep-learning",
    "dense-layer",
    "dropout",
    "epoch",
    "exploding-gradient",
    "feature-map",
    "filter",
    "fine-tuning",
    "fully-connected-layer",
    "gan",
    "global-average-pooling",
    "gradient-descent",
    "gradient-vanishing",
    "graph-neural-network",
    "hyperparameters",
    "imagenet",
    "instance-normalization",
    "keras",
    "learning-rate",
    "learning-rate-decay",
    "leaky-relu",
    "lstm",
    "margin",
    "max-pooling",
    "mean-squared-error",
    "momentum",
    "neural-architecture-search",
    "normalization",
    "one-hot-encoding",
    "overfitting",
    "parameter-sharing",
    "perceptron",
    "pooling-layer",
    "precision",
    "recurrent-neural-network",
    "relu",
    "residual-network",
    "ridge-regression",
    "rmsprop",
    "roc-curve",
    "semantic-segmentation",
    "sensitivity",
    "sigmoid-function",
    "softmax-function",
    "sparse-coding",
    "spectral-normalization",
    "stride",
    "svm",
    "transfer-learning",
    "true-positive-rate",
    "underfitting",
    "upsampling",
    "vanishing-gradient",
    "weight-initialization",
    "weight-sharing",
    "word-embedding",
    "zero-padding",
    "attention-mechanism",
    "bag-of-words",
    "bayesian-neural-network",
    "bert",
    "capsule-network",
    "catastrophic-forgetting",
    "class-imbalance",
    "class-weighting",
    "clipping",
    "collaborative-filtering",
    "compositionality",
    "contrastive-loss",
    "data-preprocessing",
    "dropconnect",
    "dynamic-routing",
    "early-stopping",
    "elastic-net",
    "encoder-decoder-architecture",
    "entropy",
    "feature-extraction",
    "generative-model",
    "gradient-clipping",
    "hinge-loss",
    "knowledge-distillation",
    "latent-space",
    "local-response-normalization",
    "meta-learning",
    "nesterov-momentum",
    "objective-function",
]

# Seed pairs that meant (nearly) the same. Each is now either a same_as pair with a
# distinct focus or a broader/narrower pair; either way never a distractor for the other.
SAME_AS_PAIRS = [
    ("dense-layer", "fully-connected-layer"),
    ("sensitivity", "true-positive-rate"),
    ("weight-sharing", "parameter-sharing"),
    ("gradient-vanishing", "vanishing-gradient"),
]
BROADER_PAIRS = [  # (narrower, broader)
    ("cost-function", "objective-function"),
    ("gradient-clipping", "clipping"),
    ("max-pooling", "pooling-layer"),
    ("fine-tuning", "transfer-learning"),
    ("autoencoder", "encoder-decoder-architecture"),
]


@pytest.fixture(scope="module")
def builtin() -> Content:
    return load_builtin()


def test_builtin_content_is_valid(builtin: Content) -> None:
    assert builtin.problems == []


def test_all_100_seed_terms_are_present(builtin: Content) -> None:
    assert len(SEED_SLUGS) == 100
    missing = [s for s in SEED_SLUGS if s not in builtin.terms]
    assert missing == []


def test_key_aliases_are_recorded(builtin: Content) -> None:
    for slug, alias in [
        ("convolutional-neural-network", "CNN"),
        ("relu", "Rectified Linear Unit"),
        ("mean-squared-error", "MSE"),
        ("true-positive-rate", "TPR"),
        ("gan", "Generative Adversarial Network"),
    ]:
        names = {n.casefold() for n in builtin.terms[slug].names}
        assert alias.casefold() in names, (slug, alias)


def test_seed_synonyms_are_linked_both_ways(builtin: Content) -> None:
    for a, b in SAME_AS_PAIRS:
        assert b in builtin.terms[a].same_as and a in builtin.terms[b].same_as


def test_kinds_are_linked_to_their_broader_term(builtin: Content) -> None:
    relations = builtin.relations()
    for narrow, broad in BROADER_PAIRS:
        assert broad in relations.broader(narrow) and narrow in relations.narrower(broad)
        assert broad not in builtin.terms[narrow].same_as


def test_seed_terms_are_atomic_cards_with_notes(builtin: Content) -> None:
    for slug in SEED_SLUGS:
        term = builtin.terms[slug]
        assert len(term.definition.split()) <= 30, slug
        assert term.notes, slug


def test_seed_names_resolve_to_one_term_each(builtin: Content) -> None:
    by_name = builtin.relations().by_name
    for slug in SEED_SLUGS:
        for name in builtin.terms[slug].names:
            assert by_name[name.casefold()] == [slug], (slug, name)


def test_builtin_content_has_no_warnings(builtin: Content) -> None:
    from dlquiz.content_lint import lint

    assert [str(w) for w in lint(builtin)] == []


def test_at_least_60_concept_cards(builtin: Content) -> None:
    assert len(builtin.concepts) >= 60
    with_choices = [c for c in builtin.concepts.values() if c.choices]
    assert with_choices and all(c.answer in c.choices for c in with_choices)


def test_no_name_card_offers_a_second_right_answer(builtin: Content) -> None:
    relations = builtin.relations()
    for slug, term in builtin.terms.items():
        never = relations.confusable(term)
        names = {n.casefold() for n in term.names}
        for seed in range(40):
            choices, right = name_choices(builtin, slug, seed)
            assert choices[right] is term
            assert len(choices) == 4 and len({c.slug for c in choices}) == 4
            others = [c for c in choices if c is not term]
            for other in others:
                assert other.slug not in never, (slug, other.slug)
                assert not names & {n.casefold() for n in other.names}
                assert not relations.confusable(other) & {o.slug for o in others}


def test_name_choices_are_deterministic_and_vary_with_the_seed(builtin: Content) -> None:
    a = name_choices(builtin, "relu", 1)
    assert a == name_choices(builtin, "relu", 1)
    assert any(name_choices(builtin, "relu", s) != a for s in range(2, 10))


def test_deck_ids_are_stable_and_cover_every_entry(builtin: Content) -> None:
    deck = build_deck(builtin)
    assert "term/relu/recall" in deck and "term/relu/name" in deck
    assert deck["term/relu/name"].requires == "term/relu/recall"
    n_concepts = sum(1 for spec in deck.values() if spec.kind is Kind.CONCEPT)
    assert n_concepts == len(builtin.concepts)
    assert len(deck) == 2 * len(builtin.terms) + len(builtin.concepts)


def _write(tmp_path: Path, text: str, name: str = "deck.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_error_names_file_entry_and_field(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        '[[term]]\nslug = "widget"\nterm = "Widget"\ndefinition = ""\n',
    )
    content = load([path])
    [problem] = content.problems
    assert problem.file == path and problem.entry == "term 'widget'"
    assert problem.field == "definition" and problem.line == 2
    assert str(problem).startswith(f"{path}:2: term 'widget', field 'definition'")


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ('[[term]]\nslug = "a"\nterm = "A"\ndefinition = "x"\nsame_as = ["zz"]\n', "unknown term"),
        ('[[term]]\nslug = "a"\nterm = "A"\ndefinition = "x"\nrelated = ["a"]\n', "itself"),
        ('[[term]]\nslug = "a"\nterm = "A"\ndefinition = "x"\nbroader = ["zz"]\n', "unknown term"),
        ('[[term]]\nslug = "a"\nterm = "A"\ndefinition = "x"\nbroader = ["a"]\n', "itself"),
        (
            '[[term]]\nslug = "gizmo"\nterm = "Gizmo"\ndefinition = "A gizmo does x."\n',
            "gives away",
        ),
        ('[[term]]\nslug = "a"\nterm = "A"\ndefinition = "x"\ntags = ["No Tag"]\n', "a tag is"),
        ('[[term]]\nslug = "Bad Slug"\nterm = "A"\ndefinition = "x"\n', "lowercase words"),
        ('[[term]]\nslug = "a"\nterm = "A"\n', "required field is missing"),
        ('[[term]]\nslug = "a"\nterm = "A"\ndefinition = "x"\ncolour = 1\n', "unknown field"),
        ("[[term]\nslug=", "not valid TOML"),
        (
            '[[concept]]\nslug = "c"\nquestion = "q"\nanswer = "a"\nexplanation = "e"\n'
            'choices = ["b", "c"]\n',
            "not one of the choices",
        ),
        ('[[widget]]\nslug = "a"\n', "unknown table"),
    ],
)
def test_each_kind_of_error_is_reported(tmp_path: Path, text: str, fragment: str) -> None:
    content = load([_write(tmp_path, text)])
    assert not content.ok
    assert any(fragment in str(p) for p in content.problems), content.problems


def test_notes_and_broader_are_read(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        '[[term]]\nslug = "pool"\nterm = "Pool"\ndefinition = "x"\n'
        '[[term]]\nslug = "maxp"\nterm = "Maxp"\ndefinition = "y"\nnotes = "more"\n'
        'broader = ["pool"]\ntags = ["attention", "transformers", "normalization", "history"]\n',
    )
    content = load([path])
    assert content.problems == []
    assert content.terms["maxp"].notes == "more"
    assert content.terms["maxp"].broader == ("pool",)
    assert content.terms["pool"].notes == "" and content.terms["pool"].broader == ()


def test_content_pickled_by_another_schema_is_refused(builtin: Content) -> None:
    import pickle

    assert pickle.loads(pickle.dumps(builtin)).terms == builtin.terms
    stale = Content(schema=SCHEMA_VERSION - 1)
    with pytest.raises(ValueError, match="schema"):
        pickle.loads(pickle.dumps(stale))


def test_duplicate_slug_across_files(tmp_path: Path) -> None:
    entry = '[[term]]\nslug = "a"\nterm = "A"\ndefinition = "x"\n'
    _write(tmp_path, entry, "one.toml")
    _write(tmp_path, entry, "two.toml")
    content = load([tmp_path])
    assert any("duplicate slug" in str(p) and "one.toml" in str(p) for p in content.problems)


def test_not_utf8_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_bytes(b"\xff\xfe[[term]]")
    assert any("UTF-8" in str(p) for p in load([path]).problems)


def _check(*args: str, data: Path | None = None) -> subprocess.CompletedProcess[str]:
    folder = ["--data-dir", str(data)] if data is not None else []
    return subprocess.run(
        [sys.executable, "-m", "dlquiz", *folder, "check", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_check_command_on_builtin_content(tmp_path: Path) -> None:
    proc = _check(data=tmp_path / "data")  # no decks of the user's
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("built-in content: OK")
    assert len(proc.stdout.splitlines()) == 1


def test_check_command_with_no_path_checks_the_users_decks_too(tmp_path: Path) -> None:
    # The notice of a deck with errors says "Run `dlquiz check`": with no path, check
    # looked at the built-in content only and said OK.
    decks = paths.decks_dir(tmp_path / "data")
    decks.mkdir(parents=True)
    good = '[[term]]\nslug = "zq-a"\nterm = "Alpha Thing"\ndefinition = "x"\n'
    _write(decks, good, "good.toml")
    proc = _check(data=tmp_path / "data")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[1] == f"{decks}: OK (1 terms, 0 concepts)"
    _write(decks, '[[term]]\nslug = "zq-b"\nterm = "B"\ndefinition = ""\n', "bad.toml")
    proc = _check(data=tmp_path / "data")
    assert proc.returncode == 1
    assert proc.stdout.startswith("built-in content: OK")
    assert f"{decks / 'bad.toml'}:2: term 'zq-b', field 'definition': is empty" in proc.stderr
    assert f"{decks}: 1 error(s)" in proc.stderr


def test_check_command_reports_a_users_errors(tmp_path: Path) -> None:
    _write(tmp_path, '[[term]]\nslug = "a"\nterm = "A"\ndefinition = "x"\nrelated = ["zz"]\n')
    proc = _check(str(tmp_path))
    assert proc.returncode == 1
    assert "deck.toml:2: term 'a', field 'related': unknown term 'zz'" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_user_deck_may_link_to_builtin_terms(tmp_path: Path) -> None:
    _write(
        tmp_path,
        '[[term]]\nslug = "user-gelu"\nterm = "User GELU"\n'
        'definition = "A smooth activation x·Φ(x)."\n'
        'related = ["relu"]\n',
    )
    proc = _check(str(tmp_path))
    assert proc.returncode == 0, proc.stderr


def test_builtin_content_dir_exists() -> None:
    assert (paths.builtin_content_dir() / "glossary").is_dir()


def test_check_command_prints_warnings_but_passes(tmp_path: Path) -> None:
    _write(
        tmp_path,
        '[[term]]\nslug = "mp"\nterm = "Widget Sieve"\ndefinition = "It sieves things."\n',
    )
    proc = _check(str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert (
        "deck.toml:2: term 'mp', field 'definition': warning: gives the name away: "
        "'sieves' echoes 'Widget Sieve'"
    ) in proc.stderr
    assert "OK (" in proc.stdout and "1 warning(s)" in proc.stdout


def test_check_command_does_not_repeat_an_error_as_a_warning(tmp_path: Path) -> None:
    _write(tmp_path, '[[term]]\nslug = "g"\nterm = "Gizmo"\ndefinition = "A gizmo thing."\n')
    proc = _check(str(tmp_path))
    assert proc.returncode == 1
    assert "gives away the name" in proc.stderr and "warning" not in proc.stderr


def test_a_users_deck_may_use_tags_of_its_own_and_builtin_content_may_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = '[[term]]\nslug = "a"\nterm = "A"\ndefinition = "x"\ntags = ["my-topic", "cnn"]\n'
    path = _write(tmp_path, text)
    assert load([path]).problems == []
    # The built-in content keeps its closed list: a typo there is a bug.
    monkeypatch.setattr(paths, "builtin_content_dir", lambda: tmp_path)
    [problem] = load([path]).problems
    assert "unknown tag 'my-topic'" in problem.message


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("definition", '""', "is empty"),
        ("term", "5", "must be text in quotes"),
        ("tags", '"cnn"', 'must be a list in brackets, like ["a", "b"]'),
        ("aliases", "[1]", "must be text in quotes"),
        ("slug", '"' + "a" * 81 + '"', "is too long (at most 80 characters)"),
    ],
)
def test_messages_speak_the_deck_authors_language(
    tmp_path: Path, field: str, value: str, message: str
) -> None:
    entry = {"slug": '"a"', "term": '"A"', "definition": '"x"', field: value}
    text = "[[term]]\n" + "".join(f"{k} = {v}\n" for k, v in entry.items())
    [problem] = load([_write(tmp_path, text)]).problems
    assert problem.message == message


def test_check_says_what_is_wrong_with_a_path_that_holds_no_deck(tmp_path: Path) -> None:
    # An empty folder (or one named like a deck) said "OK (0 terms)"; a FIFO "no such
    # file"; '' checked every TOML file under the working folder.
    empty = tmp_path / "mine.toml"
    empty.mkdir()
    proc = _check(str(empty))
    assert proc.returncode == 1
    assert f"{empty}: folder: no deck files (*.toml) in it" in proc.stderr
    fifo = tmp_path / "pipe.toml"
    os.mkfifo(fifo)
    proc = _check(str(fifo))
    assert proc.returncode == 1
    assert f"{fifo}: path: not a file or a folder" in proc.stderr
    proc = _check("")
    assert proc.returncode == 2
    assert "the path is empty" in proc.stderr and "Traceback" not in proc.stderr


def test_check_and_a_start_agree_on_a_users_decks(tmp_path: Path) -> None:
    # A start loads the decks together (a link may cross files) and leaves out an entry
    # with an error and the entries that link to it: check says the same, a deck file
    # linked in from elsewhere included. It said OK for the linked file, reported a
    # link to a later file that the start loaded file by file as broken, and never
    # named the entries left out for their links.
    data = tmp_path / "data"
    decks = paths.decks_dir(data)
    decks.mkdir(parents=True)
    _write(
        decks,
        '[[term]]\nslug = "zq-alpha"\nterm = "Alpha Thing"\ndefinition = "x"\n'
        'related = ["zq-beta"]\n',
        "a.toml",
    )
    _write(decks, '[[term]]\nslug = "zq-beta"\nterm = "Beta Thing"\ndefinition = "y"\n', "b.toml")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    _write(
        elsewhere,
        '[[term]]\nslug = "zq-gamma"\nterm = "Gamma Thing"\ndefinition = ""\n'
        '[[term]]\nslug = "zq-delta"\nterm = "Delta Thing"\ndefinition = "z"\n'
        'broader = ["zq-gamma"]\n',
        "real.toml",
    )
    (decks / "linked.toml").symlink_to(elsewhere / "real.toml")
    proc = _check(data=data)
    assert proc.returncode == 1
    linked = decks / "linked.toml"
    assert f"{linked}:2: term 'zq-gamma', field 'definition': is empty" in proc.stderr
    assert (
        f"{linked}:6: term 'zq-delta', field 'broader': links to 'zq-gamma', which is left out"
        in proc.stderr
    )
    assert "zq-alpha" not in proc.stderr and "zq-beta" not in proc.stderr
    from dlquiz.study import Study

    with Study.open(data, with_skills=False, read_only=True) as study:
        assert {"zq-alpha", "zq-beta"} <= set(study.content.terms)
        assert not {"zq-gamma", "zq-delta"} & set(study.content.terms)
        assert {p.entry for p in study.content_problems} == {"term 'zq-gamma'", "term 'zq-delta'"}
