"""`digit_studio.glossary`: every word the app shows, explained for a 12-year-old, and found in
the app's own wording."""

from __future__ import annotations

import ast
import html
import re
import time
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from digit_studio import glossary
from digit_studio.glossary import GLOSSARY, help_for, meaning, terms_in

REQUIRED = (
    "neuron", "layer", "weight", "filter", "feature map", "softmax", "probability", "confidence",
    "epoch", "batch", "loss", "accuracy", "validation", "overfitting", "augmentation", "saliency",
    "learning rate", "fine-tuning", "not-a-digit",
    # and the other words the pages show
    "convolution", "pooling", "ReLU", "perceptron", "MLP", "CNN", "dropout",
    "batch normalization", "pixel", "confusion matrix", "precision", "recall", "test set",
    "training set", "calibration", "adversarial example", "feature visualization", "parameters",
    "optimizer", "learning-rate schedule", "early stopping", "score", "dense layer",
)  # fmt: skip
MAX_WORDS = 45
MAX_SENTENCES = 3
# Flesch-Kincaid grade of each meaning: a 12-year-old reads at grade 6-7. The meanings score 2.5
# to 7.8 (not-a-digit's quotes run long); those over 8 at first were rewritten, not let through.
MAX_GRADE = 8.0
# Words a meaning may not lean on: none has an entry a child could look up.
JARGON = (
    "gradient", "tensor", "vector", "activation", "backpropagation", "logit", "derivative",
    "hyperparameter", "sigmoid", "entropy", "regression", "kernel", "stochastic", "function",
    "matrix", "matrices", "array", "dimension", "algorithm", "normaliz", "optimiz", "iteration",
)  # fmt: skip
MATHS = set("=^+/*÷√∑Σ∂≤≥<>") | {"×"}  # "×" only in a size such as "28 × 28"


def all_forms() -> list[tuple[str, str]]:
    """(form, name) for every term's name and alias."""
    return [(form, term.name) for term in GLOSSARY.values() for form in (term.name, *term.aliases)]


def syllables(word: str) -> int:
    """Vowel groups, less a silent final e: the usual estimate, good enough for a grade."""
    word = word.lower()
    count = len(re.findall(r"[aeiouy]+", word))
    if word.endswith("e") and not word.endswith("le") and count > 1:
        count -= 1
    return max(count, 1)


def sentences(text: str) -> int:
    return max(1, len(re.findall(r"[.!?]+(?=\s|$)", text)))


def grade(text: str) -> float:
    """Flesch-Kincaid grade level of `text` (numbers do not count as words)."""
    words = re.findall(r"[A-Za-z]+(?:['’][A-Za-z]+)?", text)
    syllable_count = sum(syllables(word) for word in words)
    return 0.39 * len(words) / sentences(text) + 11.8 * syllable_count / len(words) - 15.59


def visible_text(markdown: str) -> str:
    """The text a reader sees once CommonMark has rendered `markdown`."""
    markup = MarkdownIt("commonmark").render(markdown)
    return html.unescape(re.sub(r"<[^>]+>", "", markup)).strip()


# --- The entries


def test_every_required_term_has_its_own_entry():
    assert [name for name in REQUIRED if name not in GLOSSARY] == []


def test_each_entry_is_keyed_by_its_name():
    assert all(name == term.name for name, term in GLOSSARY.items())


def test_no_form_belongs_to_two_entries():
    """Spaces, hyphens, apostrophes and case aside, each name or alias says one term."""
    seen: dict[str, str] = {}
    clashes = []
    for form, name in all_forms():
        key = re.sub(r"[\s\-]+", " ", form.lower()).replace("’", "'")
        if key in seen:
            clashes.append((form, seen[key], name))
        seen[key] = name
    assert clashes == []


# --- Finding them in the app's text


def test_every_name_and_alias_is_found_and_means_its_entry():
    wrong = [
        (form, found)
        for form, name in all_forms()
        for text in (form, form.upper(), f"Here: {form}, then more.")
        if (found := terms_in(text)) != [name]
    ]
    assert wrong == []


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("Learning-rate schedule", ["learning-rate schedule"]),
        ("Learning rate", ["learning rate"]),
        ("a rate of learning", []),
        ("Layer 1, 3×3 filters: 32 feature maps", ["layer", "filter", "feature map"]),
        ("a feature of the map", []),
        (
            "Multi-layer perceptron: two hidden layers of 256 and 128",
            ["MLP", "hidden layer"],
        ),
        ("Batch size", ["batch size"]),
        ("batches of 128", ["batch"]),
        ('says "not a digit"', ["not-a-digit"]),
        ("Test digits taken for non-digits", ["test set", "not-a-digit"]),
        ("That doesn’t look like a digit", ["not-a-digit"]),
        (
            "Our default: four 3x3 conv layers with batch norm, dropout, augmentation",
            ["convolution", "batch normalization", "dropout", "augmentation"],
        ),
        ("Stop early when validation accuracy stops improving",
         ["early stopping", "validation", "accuracy"]),
        ("Red: ink that raised the score of 3 (gradient × input)", ["score", "gradient × input"]),
    ],
)  # fmt: skip
def test_the_longest_form_wins(text, names):
    assert terms_in(text) == names


@pytest.mark.parametrize(
    ("text", "names"),
    [
        # What the pages show today
        ("97.3% sure", ["confidence"]),
        ("Not sure: 3 or 5? · 62% sure", ["confidence"]),
        ('Does "% sure" mean what it says?', ["confidence"]),
        (
            "Precision: of the answers 'd', how many were right. "
            "Recall: of the true d's, how many were found.",
            ["precision", "recall"],
        ),
        ("Each model is scored once on MNIST's 10,000 test digits", ["model", "MNIST", "test set"]),
        ("Epoch 2/12 · step 30/391 · 2,400 images/s", ["epoch", "step"]),
        ("Fine-tune a network on these drawings", ["fine-tuning", "neural network"]),
        ("Patience (epochs)", ["patience", "epoch"]),
        ("training, smoothed", ["smoothed"]),
        ("This network has no hidden layers: its first layer is all there is.",
         ["neural network", "hidden layer", "layer"]),
        ("First layer filters (3 x 3 or 5 x 5): red favours ink", ["layer", "filter"]),
        ("dense_1: 256 units", ["dense layer", "neuron"]),
        ("Random seed", ["random seed"]),
        ("the calibration error is the average gap", ["calibration"]),
        ("The classic TensorFlow CNN: two 5x5 conv + pool layers, dense 1024",
         ["CNN", "convolution", "pooling", "dense layer"]),
    ],
)  # fmt: skip
def test_the_apps_own_wording_is_found(text, names):
    assert terms_in(text) == names


def test_only_whole_words_count():
    assert terms_in("layered, weighty, recalled, stepping, filtered, pixelated, lossless") == []


def test_each_term_once_in_order_of_first_mention():
    assert terms_in("Epochs, then batches, then one more EPOCH and a batch.") == ["epoch", "batch"]


def test_any_spaces_and_hyphens_between_words():
    assert terms_in("learning\nrate, feature  maps, fine tune, non digits") == [
        "learning rate",
        "feature map",
        "fine-tuning",
        "not-a-digit",
    ]


def test_terms_in_reads_the_pages_quickly():
    """A page test asks it of every element a page shows: a page's worth must cost nothing."""
    root = Path(__file__).resolve().parents[1]
    text = "\n".join(path.read_text() for path in sorted((root / "app_pages").glob("*.py")))
    started = time.perf_counter()
    found = terms_in(text)
    elapsed = time.perf_counter() - started
    assert "learning rate" in found
    assert elapsed < 0.1, f"{elapsed:.3f} s for {len(text):,} characters"


# --- Looking them up


def test_meaning_takes_a_name_or_any_alias():
    assert meaning("feature map") == GLOSSARY["feature map"].meaning
    assert meaning("Feature maps") == GLOSSARY["feature map"].meaning
    assert meaning("non-digits") == GLOSSARY["not-a-digit"].meaning


def test_an_unknown_term_is_a_key_error_naming_the_known_ones():
    with pytest.raises(KeyError, match="backpropagation") as raised:
        meaning("backpropagation")
    assert "softmax" in str(raised.value)


def test_help_for_gives_each_term_in_bold_once_in_the_order_asked():
    text = help_for("epochs", "Batch", "epoch")
    assert text == (
        f"**Epoch**: {GLOSSARY['epoch'].meaning}\n\n**Batch**: {GLOSSARY['batch'].meaning}"
    )


def test_help_for_nothing_is_empty():
    assert help_for() == ""


def test_help_for_renders_as_exactly_its_words():
    """Nothing in a meaning is taken for Markdown: the reader sees every character."""
    for name, term in GLOSSARY.items():
        shown = visible_text(help_for(name))
        assert shown == f"{name[0].upper()}{name[1:]}: {term.meaning}", name


def test_no_meaning_holds_streamlit_markup():
    """Streamlit adds ":red[...]", ":material/x:", emoji ":smile:" and "$maths$" to Markdown."""
    for term in GLOSSARY.values():
        assert not re.search(r":[\w/+-]+[:\[]|[$`\\]", term.meaning), term.name


def test_the_module_stays_free_of_streamlit():
    tree = ast.parse(Path(glossary.__file__).read_text())
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    } | {
        (node.module or "").split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
    }
    assert "streamlit" not in imported


# --- Written for a 12-year-old


def test_each_meaning_is_one_to_three_short_sentences():
    too_long = [
        (term.name, len(term.meaning.split()), sentences(term.meaning))
        for term in GLOSSARY.values()
        if len(term.meaning.split()) > MAX_WORDS or sentences(term.meaning) > MAX_SENTENCES
    ]
    assert too_long == []


def test_each_meaning_is_a_sentence():
    assert [t.name for t in GLOSSARY.values() if not re.match(r"[A-Z].*\.$", t.meaning)] == []


def test_the_grade_level_tells_plain_words_from_jargon():
    """The measure itself: a child's sentence scores low, a paper's high."""
    plain = "The network looks at your drawing and says which digit it is."
    paper = (
        "Temperature scaling divides a network's logits by one number fitted on held-out "
        "validation examples, minimising the negative log-likelihood."
    )
    assert syllables("probability") == 5
    assert syllables("chance") == 1
    assert grade(plain) < 4 < MAX_GRADE < grade(paper)


def test_each_meaning_reads_at_grade_8_or_below():
    hard = {
        term.name: round(grade(term.meaning), 1)
        for term in GLOSSARY.values()
        if grade(term.meaning) > MAX_GRADE
    }
    assert hard == {}


def test_no_meaning_uses_jargon_without_an_entry():
    pattern = re.compile(r"\b(" + "|".join(JARGON) + ")", re.IGNORECASE)
    used = {
        term.name: pattern.findall(term.meaning)
        for term in GLOSSARY.values()
        if pattern.search(term.meaning)
    }
    assert used == {}


def test_no_meaning_uses_maths_notation():
    noted = {
        term.name: sorted(set(re.sub(r"\d+ × \d+", "", term.meaning)) & MATHS)
        for term in GLOSSARY.values()
        if set(re.sub(r"\d+ × \d+", "", term.meaning)) & MATHS
    }
    assert noted == {}
