from __future__ import annotations

import numpy as np
import pytest

from mnist_core.non_digits import (
    BANK_ORDER,
    BANK_SEED,
    FAMILIES,
    bank,
    non_digit,
    non_digit_images,
    training_non_digits,
)
from mnist_core.preprocess import digit_ink, is_speck
from mnist_core.segment import DIGIT_CANVAS


@pytest.mark.parametrize("family", FAMILIES)
def test_every_family_draws_ink_on_a_canvas(family):
    rng = np.random.default_rng(1)
    drawings = [non_digit(family, rng) for _ in range(6)]
    for drawing in drawings:
        assert drawing.shape == (DIGIT_CANVAS, DIGIT_CANVAS, 4) and drawing.dtype == np.uint8
        assert digit_ink(drawing).max() > 0.5
    assert not all(np.array_equal(drawings[0], other) for other in drawings[1:])


def test_an_unknown_family_is_refused():
    with pytest.raises(ValueError, match="unknown family"):
        non_digit("dinosaurs", np.random.default_rng(0))


def test_the_same_seed_draws_the_same_images():
    first, kinds = non_digit_images(FAMILIES, 16, seed=3)
    again, _ = non_digit_images(FAMILIES, 16, seed=3)
    other, _ = non_digit_images(FAMILIES, 16, seed=4)
    assert np.array_equal(first, again) and not np.array_equal(first, other)
    assert kinds.tolist() == [i % len(FAMILIES) for i in range(16)]
    assert first.shape == (16, 28, 28) and first.dtype == np.uint8


def test_the_shipped_bank_is_what_the_generator_draws():
    """The bank is not hand-edited or stale: its first drawings are redrawn, the same but for
    what another Pillow or SciPy might anti-alias differently."""
    images, families = bank()
    share = len(images) // len(BANK_ORDER)
    assert len(images) == len(families) >= 1000 * len(BANK_ORDER)
    assert np.bincount(families).tolist() == [share * BANK_ORDER.count(f) for f in FAMILIES]
    redrawn, order = non_digit_images(BANK_ORDER, 24, BANK_SEED)
    difference = np.abs(images[:24].astype(int) - redrawn).mean(axis=(1, 2))
    assert difference.max() < 4  # grey levels of 255; other drawings differ by 28 or more
    assert [FAMILIES[k] for k in families[:24]] == [BANK_ORDER[k] for k in order]


def test_training_picks_only_the_families_asked_for():
    images, families = bank()
    letters = set(map(bytes, images[families == FAMILIES.index("letters")]))
    picked = training_non_digits(300, seed=1, families=["letters"])
    assert len(picked) == 300 and set(map(bytes, picked)) <= letters
    assert np.array_equal(picked, training_non_digits(300, seed=1, families=["letters"]))


def test_specks_are_specks_and_drawn_digits_are_not():
    rng = np.random.default_rng(5)
    assert all(is_speck(digit_ink(non_digit("specks", rng)), canvas=True) for _ in range(40))
    from benchmarks.drawn import drawn_digits

    drawn = drawn_digits(200, seed=5)
    assert not any(is_speck(digit_ink(digit.image), canvas=True) for digit in drawn)
