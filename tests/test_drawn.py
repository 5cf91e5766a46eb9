from __future__ import annotations

import numpy as np

from benchmarks.drawn import drawn_digits
from mnist_core.preprocess import resize_whole_canvas, to_mnist
from mnist_core.segment import DIGIT_CANVAS
from mnist_core.sketches import POLARITIES, SKELETONS


def test_the_set_is_reproducible_and_varied():
    first, again = drawn_digits(60, seed=1), drawn_digits(60, seed=1)
    other = drawn_digits(60, seed=2)
    assert all(np.array_equal(a.image, b.image) for a, b in zip(first, again, strict=True))
    assert not all(np.array_equal(a.image, b.image) for a, b in zip(first, other, strict=True))
    assert [d.label for d in first] == [i % 10 for i in range(60)]
    assert {d.polarity for d in first} == set(POLARITIES)
    pens = [d.pen_width for d in first]
    heights = [d.height for d in first]
    assert min(pens) < 12 < max(pens) and min(heights) < 120 < max(heights)
    for digit in first:
        assert digit.image.shape == (DIGIT_CANVAS, DIGIT_CANVAS, 4)
        assert digit.image.dtype == np.uint8


def test_every_skeleton_draws_inside_the_canvas():
    assert sorted(SKELETONS) == list(range(10))
    for digit in drawn_digits(200, seed=3):
        image = digit.image
        ink = image[..., 3] if digit.polarity == "ink in alpha" else image[..., 0]
        if digit.polarity == "dark on light":
            ink = 255 - ink
        rows, cols = np.nonzero(ink > 127)
        assert rows.size > 0
        assert rows.min() > 0 and cols.min() > 0
        assert rows.max() < DIGIT_CANVAS - 1 and cols.max() < DIGIT_CANVAS - 1


def test_to_mnist_gives_mnist_like_inputs_where_a_naive_resize_does_not(mnist):
    """After to_mnist, drawn digits are as big as MNIST's and as heavy; squeezed, they vary."""
    digits = drawn_digits(100, seed=4)
    mnist_mass = (mnist.x_test[:500] / 255).sum(axis=(1, 2)).mean()

    def heights(images):
        rows = [np.flatnonzero(image.max(axis=1) > 0.3) for image in images]
        return np.array([r[-1] - r[0] + 1 for r in rows])

    ours = [to_mnist(d.image) for d in digits]
    naive = [resize_whole_canvas(d.image) for d in digits]
    assert 0.6 * mnist_mass < np.mean([image.sum() for image in ours]) < 1.5 * mnist_mass
    assert 18 <= np.median(heights(ours)) <= 21  # MNIST's 20-pixel box
    assert np.std(heights(naive)) > 3 * np.std(heights(ours))
