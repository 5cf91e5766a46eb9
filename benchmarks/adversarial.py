"""How little change fools the network, whether the not-a-digit guard notices, and whether training
with augmentation makes it harder; with the time one `fool` call takes.

    python -m benchmarks.adversarial [--digits 1000] [--epochs 2] [--targeted 200]

Models: the shipped default, and cnn-fast trained twice on the demo recipe with the default share
of non-digits, once with drawn-digit augmentation and once without: same data, epochs and seed.
On the first N MNIST test digits, those each model reads right:
- FGSM (Goodfellow et al. 2015, one signed-gradient step): the share read as another digit at
  epsilon 0.05, 0.1, 0.2 and 0.3;
- `fool`: the median smallest epsilon (one not fooled within 0.3 counts as more), the share
  fooled within 0.3, and the same pushed towards a chosen digit (the next one) on fewer digits;
- the not-a-digit guard: the share of `fool`'s copies it turns away, beside that of the digits
  themselves;
- the time of one `fool` call, p50 and p95, against one forward pass of one image (what
  `classify` costs the network) measured between the same calls.
"""

from __future__ import annotations

import argparse
import os
import time
from dataclasses import dataclass

import numpy as np

from mnist_core.adversarial import MAX_EPSILON, attacked, fool
from mnist_core.config import PRESETS
from mnist_core.data import Mnist, load_mnist
from mnist_core.predict import Classifier, load_classifier
from mnist_core.train import train_and_test

FGSM_BUDGETS = (0.05, 0.1, 0.2, 0.3)
CHUNK = 250  # images per FGSM call: bounds the gradient's memory


@dataclass(frozen=True)
class Robustness:
    """One model's figures on the digits it reads right."""

    accuracy: float  # on the N test digits
    fgsm_fooled: tuple[float, ...]  # share fooled at each of FGSM_BUDGETS
    median_epsilon: float  # inf: most were not fooled within MAX_EPSILON
    fooled: float  # share `fool` fooled within MAX_EPSILON
    targeted_median_epsilon: float
    targeted_fooled: float
    guard_on_fooled: float  # share of fool's successful copies turned away as no digit
    guard_on_digits: float  # share of the digits themselves turned away
    fool_ms: tuple[float, float]  # p50, p95
    forward_ms: tuple[float, float]


def fgsm_fooled(classifier: Classifier, images: np.ndarray, labels: np.ndarray) -> list[float]:
    """The share of `images` read otherwise after one FGSM step, at each of FGSM_BUDGETS."""
    shares = []
    for epsilon in FGSM_BUDGETS:
        read = []
        for start in range(0, len(images), CHUNK):
            chunk = images[start : start + CHUNK]
            changed = attacked(classifier, chunk, np.full(len(chunk), epsilon), steps=1)
            read.append(classifier.predict_proba(changed).argmax(axis=1))
        shares.append(float(np.mean(np.concatenate(read) != labels)))
    return shares


def milliseconds(times: list[float]) -> tuple[float, float]:
    p50, p95 = np.percentile(times, [50, 95]) * 1000
    return float(p50), float(p95)


def robustness(classifier: Classifier, mnist: Mnist, digits: int, targeted: int) -> Robustness:
    images = mnist.x_test[:digits] / 255.0
    answers = classifier.predict_proba(images)
    right = answers.argmax(axis=1) == mnist.y_test[:digits]
    images, labels = images[right], mnist.y_test[:digits][right]
    fool(classifier, images[0])  # tracing
    epsilons, guarded, fool_times, forward_times = [], [], [], []
    for image in images:
        started = time.perf_counter()
        result = fool(classifier, image)
        fool_times.append(time.perf_counter() - started)
        started = time.perf_counter()
        classifier.predict_proba(image[np.newaxis])
        forward_times.append(time.perf_counter() - started)
        epsilons.append(result.epsilon if result.succeeded else np.inf)
        if result.succeeded:
            guarded.append(not result.is_digit)
    pushed = [
        fool(classifier, image, int(label + 1) % 10)
        for image, label in zip(images[:targeted], labels[:targeted], strict=True)
    ]
    pushed_epsilons = [result.epsilon if result.succeeded else np.inf for result in pushed]
    return Robustness(
        accuracy=float(right.mean()),
        fgsm_fooled=tuple(fgsm_fooled(classifier, images, labels)),
        median_epsilon=float(np.median(epsilons)),
        fooled=float(np.isfinite(epsilons).mean()),
        targeted_median_epsilon=float(np.median(pushed_epsilons)) if pushed else np.nan,
        targeted_fooled=float(np.isfinite(pushed_epsilons).mean()) if pushed else np.nan,
        guard_on_fooled=float(np.mean(guarded)) if guarded else np.nan,
        guard_on_digits=float(1 - classifier.is_digit(answers[right]).mean()),
        fool_ms=milliseconds(fool_times),
        forward_ms=milliseconds(forward_times),
    )


def trained(mnist: Mnist, epochs: int, augment: bool) -> Classifier:
    """cnn-fast on the demo recipe with the default share of non-digits, calibrated."""
    config = PRESETS["demo"].config(epochs=epochs, augment=augment, non_digits=0.5)
    started = time.perf_counter()
    result = train_and_test(config, mnist)
    print(f"trained cnn-fast, augment={augment}, {epochs} epochs: "
          f"{time.perf_counter() - started:.0f} s", flush=True)  # fmt: skip
    return Classifier(result.model, result.info)


def epsilon_text(value: float) -> str:
    return f">{MAX_EPSILON}" if np.isinf(value) else f"{value:.2f}"


def print_table(rows: dict[str, Robustness]) -> None:
    fgsm = "".join(f"{f'FGSM {e}':>10}" for e in FGSM_BUDGETS)
    print(f"\n{'model':<26}{'acc':>7}{fgsm}{'med eps':>9}{'fooled':>8}{'to next':>9}"
          f"{'fooled':>8}{'guard':>7}{'(digits)':>9}")  # fmt: skip
    for name, row in rows.items():
        shares = "".join(f"{share:>10.1%}" for share in row.fgsm_fooled)
        print(
            f"{name:<26}{row.accuracy:>7.2%}{shares}{epsilon_text(row.median_epsilon):>9}"
            f"{row.fooled:>8.1%}{epsilon_text(row.targeted_median_epsilon):>9}"
            f"{row.targeted_fooled:>8.1%}{row.guard_on_fooled:>7.1%}{row.guard_on_digits:>9.1%}"
        )
    print(f"\n{'model':<26}{'fool p50 ms':>12}{'p95 ms':>8}{'forward p50 ms':>16}{'p95 ms':>8}"
          f"{'p50 ratio':>11}")  # fmt: skip
    for name, row in rows.items():
        (fool_p50, fool_p95), (forward_p50, forward_p95) = row.fool_ms, row.forward_ms
        print(f"{name:<26}{fool_p50:>12.1f}{fool_p95:>8.1f}{forward_p50:>16.1f}"
              f"{forward_p95:>8.1f}{fool_p50 / forward_p50:>10.0f}x")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--digits", type=int, default=1000, help="MNIST test digits to fool")
    parser.add_argument("--epochs", type=int, default=2, help="epochs of each cnn-fast")
    parser.add_argument(
        "--targeted", type=int, default=200, help="of those, how many to push to the next digit"
    )
    args = parser.parse_args()
    mnist = load_mnist()
    classifiers = {"shipped default": load_classifier()}
    classifiers["cnn-fast, augmented"] = trained(mnist, args.epochs, augment=True)
    classifiers["cnn-fast, not augmented"] = trained(mnist, args.epochs, augment=False)
    rows = {}
    for name, classifier in classifiers.items():
        started = time.perf_counter()
        rows[name] = robustness(classifier, mnist, args.digits, args.targeted)
        print(f"measured {name}: {time.perf_counter() - started:.0f} s", flush=True)
    print(
        f"\nOn the first {args.digits} MNIST test digits, those each model reads right; "
        f"'to next': pushed to the next digit, on {args.targeted} of them; 'guard': share of "
        f"fooled copies the not-a-digit guard turns away, '(digits)': of the digits themselves."
    )
    print_table(rows)
    print(f"\nload average over the last 1/5/15 minutes: {os.getloadavg()} on {os.cpu_count()} "
          f"CPUs")  # fmt: skip


if __name__ == "__main__":
    main()
