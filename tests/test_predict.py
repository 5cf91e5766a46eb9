from __future__ import annotations

import json

import numpy as np
import pytest

from mnist_core.calibrate import Calibration
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


def test_a_calibrated_classifier_scales_its_logits_and_rejects_below_its_threshold(
    quick_training, small_mnist
):
    batch = small_mnist.x_test[:20] / 255.0
    plain = Classifier(quick_training.model)
    logits = plain.logits(batch)
    warm = Classifier(quick_training.model, calibration=Calibration(2.0, 0.5))
    expected = np.exp(logits / 2) / np.exp(logits / 2).sum(axis=1, keepdims=True)
    answers = warm.predict_proba(batch)
    assert np.allclose(answers, expected, atol=1e-5)
    assert warm.rejects_non_digits and not plain.rejects_non_digits
    assert warm.is_digit(answers).tolist() == (answers.max(axis=1) >= 0.5).tolist()
    assert plain.is_digit(answers).all()


def test_a_model_saved_before_calibration_still_answers(store, stored_model, mnist):
    """Its metadata has no calibration: probabilities as before, no rejection but specks."""
    metadata = store.root / f"{stored_model}.json"
    saved = json.loads(metadata.read_text())
    del saved["calibration"]  # as every model saved before issue 14
    metadata.write_text(json.dumps(saved))
    classifier = load_classifier(store=store)
    assert classifier.info.calibration is None and not classifier.rejects_non_digits
    prediction = classifier.classify(mnist.x_test[0])
    assert prediction.is_digit
    canvas = np.zeros((280, 280), np.uint8)
    canvas[100:112, 100:112] = 255  # one dot
    assert not classifier.classify(canvas).is_digit


def test_best_guesses_and_doubt():
    chances = np.array([0.05, 0.0, 0.0, 0.0, 0.55, 0.0, 0.0, 0.0, 0.0, 0.4])
    doubtful = Prediction(4, 0.55, chances, np.zeros((28, 28)))
    assert doubtful.best_guesses() == [(4, pytest.approx(0.55)), (9, pytest.approx(0.4))]
    assert doubtful.unsure
    assert not Prediction(4, 0.55, chances, np.zeros((28, 28)), is_digit=False).unsure
    assert not Prediction(4, 0.95, chances, np.zeros((28, 28))).unsure
