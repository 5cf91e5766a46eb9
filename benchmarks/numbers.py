"""How well whole numbers are read: numbers of 2 to 5 MNIST test digits written side by side on
the number canvas, some with two digits touching, some with a digit in two pieces.

    python -m benchmarks.numbers [--count 500]

Digit accuracy counts a digit right when the number was split into the right count of digits
and that position reads right; number accuracy needs every digit right.
"""

from __future__ import annotations

import argparse
import time

from benchmarks.drawn import written_numbers
from mnist_core.data import load_mnist
from mnist_core.predict import load_classifier
from mnist_core.segment import read_number


def main(count: int) -> None:
    classifier = load_classifier()
    numbers = written_numbers(load_mnist(), count)
    kinds = {"all": [], "touching": [], "broken": [], "neither": []}
    started = time.perf_counter()
    for number in numbers:
        read = read_number(classifier, number.image).text
        right = (
            sum(a == b for a, b in zip(read, number.text, strict=True))
            if len(read) == len(number.text)
            else 0
        )
        result = (right, len(number.text), read == number.text, len(read) == len(number.text))
        kinds["all"].append(result)
        if number.touching:
            kinds["touching"].append(result)
        if number.broken:
            kinds["broken"].append(result)
        if not (number.touching or number.broken):
            kinds["neither"].append(result)
    seconds = time.perf_counter() - started
    print(
        f"{count} numbers read by {classifier.info.name} in {seconds:.1f} s "
        f"({1000 * seconds / count:.0f} ms each)"
    )
    print(f"{'numbers':<10}{'count':>6}{'split right':>13}{'digits':>9}{'numbers':>9}")
    for kind, results in kinds.items():
        if not results:
            continue
        digits = sum(r[0] for r in results) / sum(r[1] for r in results)
        whole = sum(r[2] for r in results) / len(results)
        split = sum(r[3] for r in results) / len(results)
        print(f"{kind:<10}{len(results):>6}{split:>13.1%}{digits:>9.1%}{whole:>9.1%}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=500)
    main(parser.parse_args().count)
