from __future__ import annotations

import numpy as np
import pytest

from mnist_core.errors import EmptyImageError, InvalidImageError, ModelNotFoundError
from mnist_core.predict import Classifier, Prediction, load_classifier


@pytest.fixture
def classifier(quick_training) -> Classifier:
    return Classifier(quick_training.model)


def test_predict_proba_gives_probabilities(classifier, small_mnist):
    batch = small_mnist.x_test[:37] / 255.0
    probabilities = classifier.predict_proba(batch)
    assert probabilities.shape == (37, 10)
    assert np.allclose(probabilities.sum(axis=1), 1, atol=1e-5)
    assert np.allclose(classifier.predict_proba(batch[..., None]), probabilities)
    assert classifier.predict_proba(np.zeros((0, 28, 28))).shape == (0, 10)


def test_direct_call_matches_model_predict(classifier, quick_training, small_mnist):
    batch = (small_mnist.x_test[:64] / 255.0).astype(np.float32)
    logits = quick_training.model.predict(batch[..., None], verbose=0)
    expected = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    assert np.allclose(classifier.predict_proba(batch), expected, atol=1e-5)


def test_large_batches_are_chunked(classifier, mnist):
    batch = mnist.x_test[:2500] / 255.0
    assert np.allclose(
        classifier.predict_proba(batch)[2000:], classifier.predict_proba(batch[2000:]), atol=1e-6
    )


@pytest.mark.parametrize(
    "bad", [np.zeros((28, 28)), np.zeros((2, 27, 28)), np.full((1, 28, 28), np.inf)]
)
def test_bad_batches(classifier, bad):
    with pytest.raises(InvalidImageError):
        classifier.predict_proba(bad)


def test_classify_recognizes_mnist_digits(classifier, mnist):
    predictions = [classifier.classify(image) for image in mnist.x_test[:50]]
    assert all(isinstance(p, Prediction) for p in predictions)
    first = predictions[0]
    assert first.image.shape == (28, 28) and first.probabilities.shape == (10,)
    assert first.confidence == pytest.approx(first.probabilities.max())
    assert first.label == int(first.probabilities.argmax())
    accuracy = np.mean([p.label == y for p, y in zip(predictions, mnist.y_test[:50], strict=True)])
    assert accuracy > 0.7


def test_classify_empty_image(classifier):
    with pytest.raises(EmptyImageError):
        classifier.classify(np.zeros((280, 280, 4), np.uint8))


def test_load_classifier_uses_the_default(store, stored_model):
    classifier = load_classifier(store=store)
    assert classifier.info.name == stored_model
    assert load_classifier(stored_model, store.root).info.name == stored_model
    with pytest.raises(ModelNotFoundError):
        load_classifier("missing", store)
