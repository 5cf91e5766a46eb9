"""Arbitrary arrays and bytes: a result of the right shape and range, or one of our errors."""

from __future__ import annotations

import contextlib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from mnist_core.errors import ImageError
from mnist_core.predict import Classifier
from mnist_core.preprocess import to_mnist

DTYPES = st.sampled_from(
    [np.uint8, np.uint16, np.int32, np.int64, np.float16, np.float32, np.float64, np.bool_]
)
SHAPES = st.one_of(
    hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=64),
    st.tuples(st.integers(1, 40), st.integers(1, 40), st.sampled_from([1, 2, 3, 4])),
    hnp.array_shapes(min_dims=0, max_dims=5, min_side=0, max_side=6),
)
ARRAYS = st.builds(
    lambda dtype, shape, seed, kind: _array(dtype, shape, seed, kind),
    DTYPES,
    SHAPES,
    st.integers(0, 2**32 - 1),
    st.sampled_from(["random", "zeros", "ones", "extreme", "specials", "stripe"]),
)


@np.errstate(over="ignore", invalid="ignore")  # casting 1e30 to float16 is part of the test
def _array(dtype, shape, seed, kind) -> np.ndarray:
    rng = np.random.default_rng(seed)
    info = np.iinfo(dtype) if np.issubdtype(dtype, np.integer) else None
    if kind == "zeros":
        return np.zeros(shape, dtype)
    if kind == "ones":
        return np.ones(shape, dtype)
    if kind == "extreme" and info is not None:
        return np.full(shape, info.max, dtype)
    if kind == "specials" and np.issubdtype(dtype, np.floating):
        return rng.choice(np.array([np.nan, np.inf, -np.inf, 0, 1, -1e30, 1e30]), shape).astype(
            dtype
        )
    if kind == "stripe" and len(shape) >= 2 and shape[0] and shape[1]:
        array = np.zeros(shape, dtype)
        array[shape[0] // 3 : 2 * shape[0] // 3 + 1] = 1 if info is None else info.max
        return array
    values = (
        rng.normal(0, 300, shape)
        if info is None
        else rng.integers(info.min, info.max, shape, endpoint=True)
    )
    return np.asarray(values).astype(dtype)


def _check(result: np.ndarray) -> None:
    assert result.shape == (28, 28) and result.dtype == np.float32
    assert np.isfinite(result).all() and result.min() >= 0 and result.max() <= 1


@settings(max_examples=300, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
@given(ARRAYS)
def test_to_mnist_on_any_array(array):
    try:
        result = to_mnist(array)
    except ImageError:
        return
    _check(result)


@pytest.mark.parametrize(
    "array",
    [
        np.ones((1, 1)),
        np.ones((10_000, 10), np.uint8) * 255,
        np.pad(np.ones((10, 10)), ((5_000, 4_990), (0, 0))),
        np.full((280, 280), 255, np.uint8),
        np.eye(400, dtype=np.float64),
        np.random.default_rng(0).random((3000, 3000)),
    ],
)
def test_to_mnist_on_awkward_sizes(array):
    with contextlib.suppress(ImageError):
        _check(to_mnist(array))


@settings(max_examples=300, deadline=2000)
@given(st.binary(max_size=4096))
def test_to_mnist_on_any_bytes(data):
    with contextlib.suppress(ImageError):
        _check(to_mnist(data))


@settings(
    max_examples=100, deadline=5000, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ARRAYS)
def test_the_classifier_on_any_batch(quick_training, array):
    classifier = Classifier(quick_training.model)
    try:
        probabilities = classifier.predict_proba(array)
    except ImageError:
        return
    assert probabilities.shape == (len(array), 10)
    assert np.isfinite(probabilities).all() and np.allclose(probabilities.sum(axis=1), 1, atol=1e-4)
