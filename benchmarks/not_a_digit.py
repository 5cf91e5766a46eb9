"""Does the network say "not a digit" for non-digits it was never shown, and keep real digits?

    python -m benchmarks.not_a_digit [--count 2000] [--figure docs/not_a_digit.html]

1. Methods, on families of non-digits held out from training. Each method trains the demo
   recipe (cnn-fast, 2 epochs) with the default share of non-digits twice: once with fold A's
   families and random strokes (rubbish of no family, always taught), once with fold B's and
   random strokes; each is tested on the other fold's families, freshly drawn:
   - max softmax (Hendrycks & Gimpel 2017) and energy (Liu et al. 2020) of a network trained on
     digits alone: no non-digits seen at all;
   - outlier exposure (Hendrycks et al. 2019), what `non_digits` in TrainingConfig does:
     non-digits taught as no digit in particular, then max softmax or energy;
   - a rubbish class (Bromley & Denker 1993): an eleventh output trained on the non-digits.
   Each threshold is set as training sets it: to keep `ACCEPT_DIGITS` of the validation digits
   and `ACCEPT_DRAWN` of drawn digits of another seed; the table says what share of MNIST
   test and of the drawn digits it keeps, and of each held-out family it rejects.
2. The shipped model, on fresh drawings of every family (all seen in training, other drawings),
   with its expected calibration error on MNIST test and the drawn digits.
3. ROC curves of both, saved as HTML and a PNG screenshot of it.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import keras
import numpy as np
from scipy import special

from benchmarks.drawn import drawn_digits, mnist_on_canvas
from benchmarks.serve import save_figure
from mnist_core.calibrate import ACCEPT_DIGITS, ACCEPT_DRAWN, probabilities, reliability
from mnist_core.config import PRESETS, TrainingConfig
from mnist_core.data import NUM_CLASSES, Mnist, load_mnist, make_dataset, split_validation
from mnist_core.figures import roc_figure
from mnist_core.models import build_model
from mnist_core.non_digits import FAMILIES, non_digit, non_digit_images, training_non_digits
from mnist_core.predict import Classifier, load_classifier
from mnist_core.preprocess import digit_ink, is_speck, to_mnist
from mnist_core.sketches import calibration_drawings
from mnist_core.train import optimizer_for, train

FOLDS = {
    "A": ("shapes", "scribbles", "noise", "specks"),
    "B": ("letters", "doodles", "partial strokes", "overlapping digits"),
}
ALWAYS_TAUGHT = ("random strokes",)
FIGURE_SIZE = {"width": 900, "height": 620}
Scorer = Callable[[np.ndarray], np.ndarray]  # logits → how digit-like, higher is more


@dataclass(frozen=True)
class Sets:
    """What every method is measured on, as the network sees it."""

    validation: tuple[np.ndarray, np.ndarray]
    calibration_drawn: np.ndarray  # drawn digits of another seed, as training calibrates on
    test: tuple[np.ndarray, np.ndarray]
    drawn: tuple[np.ndarray, np.ndarray]
    non_digits: np.ndarray
    families: np.ndarray  # index into FAMILIES of each non-digit


@dataclass(frozen=True)
class Outcome:
    """One method on one set of held-out families."""

    method: str
    families: Sequence[str]
    rejected: dict[str, float]  # per family
    test_accepted: float
    test_accuracy_accepted: float
    drawn_accepted: float
    roc: tuple[np.ndarray, np.ndarray]  # false and true positive rates, digits as positives

    @property
    def held_out_rejected(self) -> float:
        return float(np.mean(list(self.rejected.values())))


def max_softmax(logits: np.ndarray) -> np.ndarray:
    return special.softmax(logits, axis=1).max(axis=1)


def energy(logits: np.ndarray) -> np.ndarray:
    return special.logsumexp(logits, axis=1)  # minus the energy: higher is more digit-like


def not_rubbish(logits: np.ndarray) -> np.ndarray:
    return 1 - special.softmax(logits, axis=1)[:, NUM_CLASSES]


def outcome(
    method: str, logits_of: Callable[[np.ndarray], np.ndarray], score: Scorer,
    sets: Sets, families: Sequence[str], threshold: float | None = None,
) -> Outcome:  # fmt: skip
    """`score` thresholded as training calibrates (ACCEPT_DIGITS of the validation digits,
    ACCEPT_DRAWN of other drawn digits) or at `threshold`, measured."""
    if threshold is None:
        threshold = min(
            np.quantile(score(logits_of(sets.validation[0])), 1 - ACCEPT_DIGITS),
            np.quantile(score(logits_of(sets.calibration_drawn)), 1 - ACCEPT_DRAWN),
        )
    test_logits = logits_of(sets.test[0])
    test_kept = score(test_logits) >= threshold
    right = test_logits[:, :NUM_CLASSES].argmax(axis=1) == sets.test[1]
    drawn_scores = score(logits_of(sets.drawn[0]))
    rejected, negative_scores = {}, []
    for family in families:
        members = sets.non_digits[sets.families == FAMILIES.index(family)]
        scores = score(logits_of(members))
        rejected[family] = float(np.mean(scores < threshold))
        negative_scores.append(scores)
    positives = np.concatenate([score(test_logits), drawn_scores])
    return Outcome(
        method, families, rejected, float(test_kept.mean()), float(right[test_kept].mean()),
        float(np.mean(drawn_scores >= threshold)), roc(positives, np.concatenate(negative_scores)),
    )  # fmt: skip


def roc(positives: np.ndarray, negatives: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(false positive rate, true positive rate) at every threshold, digits as positives."""
    thresholds = np.unique(np.concatenate([positives, negatives]))[::-1]
    true = np.searchsorted(np.sort(positives), thresholds, side="left")
    false = np.searchsorted(np.sort(negatives), thresholds, side="left")
    return 1 - false / len(negatives), 1 - true / len(positives)


def area(curve: tuple[np.ndarray, np.ndarray]) -> float:
    false, true = curve
    return float(np.trapezoid(np.r_[0, true, 1], np.r_[0, false, 1]))


def rubbish_class_model(config: TrainingConfig, mnist: Mnist, families: Sequence[str]):
    """The demo network with an eleventh output, "rubbish", trained on `families`' drawings."""
    split = split_validation(mnist, config.validation_size, config.train_size)
    keras.utils.set_random_seed(config.seed)
    base = build_model(config.architecture)
    model = keras.Sequential([*base.layers[:-1], keras.layers.Dense(NUM_CLASSES + 1)])
    model.build((None, 28, 28, 1))
    extra = training_non_digits(
        round(config.non_digits * len(split.x_train)), config.seed, families
    )
    labels = np.concatenate([split.y_train, np.full(len(extra), NUM_CLASSES)]).astype(np.int64)
    steps = -(-len(labels) // config.batch_size)
    model.compile(
        optimizer=optimizer_for(config, steps),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    dataset = make_dataset(
        np.concatenate([split.x_train, extra]), labels, config.batch_size, config.seed
    )
    model.fit(dataset, epochs=config.epochs, shuffle=False, verbose=0)  # tf.data shuffles
    return model


def logits_function(model: keras.Model) -> Callable[[np.ndarray], np.ndarray]:
    return Classifier(model).logits


def drawn_set(count: int) -> tuple[np.ndarray, np.ndarray]:
    digits = drawn_digits(count, seed=2026)
    return np.stack([to_mnist(d.image) for d in digits]), np.array([d.label for d in digits])


def method_outcomes(mnist: Mnist, sets: Sets) -> list[Outcome]:
    """Section 1: every method, each fold's families held out."""
    demo = PRESETS["demo"].config(non_digits=TrainingConfig().non_digits)
    outcomes = []
    plain = logits_function(train(replace(demo, non_digits=0.0), mnist).model)
    for fold, families in FOLDS.items():
        held_out = FOLDS["B" if fold == "A" else "A"]
        taught_families = families + ALWAYS_TAUGHT
        print(f"fold {fold}: training on {', '.join(taught_families)}", flush=True)
        taught = logits_function(train(demo, mnist, non_digit_families=taught_families).model)
        rubbish = logits_function(rubbish_class_model(demo, mnist, taught_families))
        for method, logits_of, score in (
            ("max softmax, digits only", plain, max_softmax),
            ("energy, digits only", plain, energy),
            ("outlier exposure + max softmax", taught, max_softmax),
            ("outlier exposure + energy", taught, energy),
            ("rubbish class", rubbish, not_rubbish),
        ):
            outcomes.append(outcome(method, logits_of, score, sets, held_out))
    return outcomes


def every_architecture(mnist: Mnist, sets: Sets, names: Sequence[str]) -> None:
    """Section 1b: outlier exposure and max softmax on each network, fold B held out."""
    print("\n1b. Every network: the demo recipe, the default share, fold B held out:")
    for name in names:
        config = PRESETS["demo"].config(architecture=name, non_digits=TrainingConfig().non_digits)
        trained = train(config, mnist, non_digit_families=FOLDS["A"] + ALWAYS_TAUGHT).model
        result = outcome(name, logits_function(trained), max_softmax, sets, FOLDS["B"])
        print(
            f"   {name:<12} rejected {result.held_out_rejected:.1%}, MNIST kept "
            f"{result.test_accepted:.2%} (accuracy on those {result.test_accuracy_accepted:.2%}),"
            f" drawn kept {result.drawn_accepted:.1%}",
            flush=True,
        )


def print_methods(outcomes: list[Outcome]) -> None:
    print(
        f"\n1. Held-out families; thresholds keep {ACCEPT_DIGITS:.1%} of validation digits and "
        f"{ACCEPT_DRAWN:.1%} of other drawn digits, as training does."
    )
    print(f"{'method':<32}{'held out':<10}{'rejected':>9}{'MNIST kept':>11}{'acc kept':>9}"
          f"{'drawn kept':>11}{'AUROC':>7}  per family")  # fmt: skip
    for item in outcomes:
        fold = "B" if item.families == FOLDS["B"] else "A"
        families = ", ".join(f"{f} {v:.0%}" for f, v in item.rejected.items())
        print(
            f"{item.method:<32}{fold:<10}{item.held_out_rejected:>9.1%}"
            f"{item.test_accepted:>11.2%}{item.test_accuracy_accepted:>9.2%}"
            f"{item.drawn_accepted:>11.1%}{area(item.roc):>7.3f}  {families}"
        )
    print("mean over both folds:")
    for method in dict.fromkeys(item.method for item in outcomes):
        both = [item for item in outcomes if item.method == method]
        print(
            f"  {method:<32} rejected {np.mean([i.held_out_rejected for i in both]):.1%}, "
            f"MNIST kept {np.mean([i.test_accepted for i in both]):.2%}, "
            f"drawn kept {np.mean([i.drawn_accepted for i in both]):.1%}"
        )


def shipped_outcome(classifier: Classifier, sets: Sets) -> Outcome:
    """Section 2: the shipped model at its own calibration, its ECE printed."""
    if classifier.calibration is None:
        raise SystemExit("the default model has no calibration")
    temperature = classifier.calibration.temperature
    for name, (images, labels) in (("MNIST test", sets.test), ("drawn digits", sets.drawn)):
        logits = classifier.logits(images)
        after = reliability(probabilities(logits, temperature), labels).ece
        before = reliability(probabilities(logits), labels).ece
        print(f"   ECE on {name}: {after:.2%} calibrated (temperature {temperature:.2f}), "
              f"{before:.2%} before")  # fmt: skip

    def calibrated(logits: np.ndarray) -> np.ndarray:
        return probabilities(logits, temperature).max(axis=1)

    threshold = classifier.calibration.min_confidence
    return outcome("shipped", classifier.logits, calibrated, sets, FAMILIES, threshold)


def speck_rule(count: int) -> None:
    """What `is_speck` rejects before the network is asked: specks, and real digits."""
    rng = np.random.default_rng(2026)
    specks = [non_digit("specks", rng) for _ in range(count)]
    digits = [digit.image for digit in drawn_digits(1000, seed=2026)]
    mnist_digits = [mnist_on_canvas(image) for image in load_mnist().x_test[:2000]]
    for name, images in (
        ("specks", specks),
        ("drawn digits", digits),
        ("MNIST on the canvas", mnist_digits),
    ):
        share = np.mean([is_speck(digit_ink(image), canvas=True) for image in images])
        print(f"   speck rule: {share:.1%} of {len(images)} {name} are called specks")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2000, help="fresh non-digits to test on")
    parser.add_argument("--figure", type=Path, default=Path("docs/not_a_digit.html"))
    parser.add_argument("--skip-methods", action="store_true", help="only the shipped model")
    parser.add_argument(
        "--networks",
        nargs="*",
        default=["perceptron", "mlp", "cnn-fast"],
        help="networks for section 1b (cnn and cnn-classic take minutes each); none to skip",
    )
    args = parser.parse_args()
    mnist = load_mnist()
    split = split_validation(mnist, PRESETS["demo"].config().validation_size)
    non_digits, families = non_digit_images(FAMILIES, args.count, seed=2026)
    sets = Sets(
        (split.x_val / 255.0, split.y_val),
        calibration_drawings()[0],
        (mnist.x_test / 255.0, mnist.y_test),
        drawn_set(1000),
        non_digits / 255.0,
        families,
    )
    curves = []
    if not args.skip_methods:
        outcomes = method_outcomes(mnist, sets)
        print_methods(outcomes)
        every_architecture(mnist, sets, args.networks)
        curves += [
            (f"{item.method}, fold {'BA'[item.families == FOLDS['A']]} held out", item.roc)
            for item in outcomes
            if item.method.startswith("outlier exposure + max") or item.method.startswith("max")
        ]
    classifier = load_classifier()
    print(f"\n2. The shipped model ({classifier.info.name}), fresh drawings of every family:")
    shipped = shipped_outcome(classifier, sets)
    for family, share in shipped.rejected.items():
        print(f"   {family:<20} rejected {share:.1%}")
    print(
        f"   MNIST test kept {shipped.test_accepted:.2%} (accuracy on those "
        f"{shipped.test_accuracy_accepted:.2%}), drawn digits kept {shipped.drawn_accepted:.1%}, "
        f"AUROC {area(shipped.roc):.4f}; the network alone, before the speck rule:"
    )
    speck_rule(500)
    curves.append(("shipped model, every family (seen in training)", shipped.roc))
    png = save_figure(roc_figure(curves), args.figure, FIGURE_SIZE)
    print(f"\nfigure: {args.figure}, {png}")


if __name__ == "__main__":
    main()
