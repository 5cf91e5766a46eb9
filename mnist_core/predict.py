"""A trained model as a classifier: probabilities for batches, a Prediction for one image."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from mnist_core.calibrate import Calibration, probabilities
from mnist_core.data import IMAGE_SHAPE, MODEL_INPUT_SHAPE, NUM_CLASSES
from mnist_core.errors import EmptyImageError, InvalidImageError
from mnist_core.preprocess import ImageInput, digit_ink, fit_to_mnist, is_speck
from mnist_core.store import ModelInfo, ModelStore

CHUNK = 1024  # images per model call: bounds memory on large batches
UNSURE_BELOW = 0.8  # a digit read with less confidence than this is marked for the reader


@dataclass(frozen=True)
class Prediction:
    label: int
    confidence: float  # the winning probability, 0-1, calibrated where the model is
    probabilities: np.ndarray  # (10,), sums to 1
    image: np.ndarray  # the (28, 28) input the model saw
    is_digit: bool = True  # False: the input does not look like a handwritten digit

    @property
    def unsure(self) -> bool:
        """A digit read with low confidence: the reader is told which digits it hesitates over."""
        return self.is_digit and self.confidence < UNSURE_BELOW

    def best_guesses(self, count: int = 2) -> list[tuple[int, float]]:
        """The `count` likeliest digits and their probabilities, likeliest first."""
        order = np.argsort(self.probabilities)[::-1][:count]
        return [(int(digit), float(self.probabilities[digit])) for digit in order]


class Classifier:
    """Wraps a Keras model that maps (N, 28, 28, 1) images to 10 logits, and its calibration
    (by default the one in `info`): the temperature of its probabilities and the confidence
    below which an input is not a digit."""

    def __init__(
        self,
        model: keras.Model,
        info: ModelInfo | None = None,
        calibration: Calibration | None = None,
    ) -> None:
        self.model = model
        self.info = info
        if calibration is None and info is not None:
            calibration = Calibration.from_dict(info.calibration)
        self.calibration = calibration
        # One traced graph for every batch size: a direct call costs a few ms where
        # model.predict costs ~60 ms of per-call overhead on two cores.
        self._forward = tf.function(
            lambda images: model(images, training=False),
            input_signature=[tf.TensorSpec([None, *MODEL_INPUT_SHAPE], tf.float32)],
            reduce_retracing=True,
        )

    @property
    def rejects_non_digits(self) -> bool:
        """Whether the model can say "not a digit" beyond specks: one taught non-digits."""
        return self.calibration is not None and self.calibration.rejects

    def predict_proba(self, batch: np.ndarray) -> np.ndarray:
        """(N, 28, 28) floats in [0, 1] → (N, 10) probabilities, calibrated where the model is."""
        temperature = self.calibration.temperature if self.calibration else 1.0
        return probabilities(self.logits(batch), temperature).astype(np.float32)

    def is_digit(self, answers: np.ndarray) -> np.ndarray:
        """(N,) whether each row of `predict_proba`'s answers is sure enough to be a digit."""
        if self.calibration is None:
            return np.ones(len(answers), bool)
        return self.calibration.is_digit(answers)

    def logits(self, batch: np.ndarray) -> np.ndarray:
        """(N, 28, 28) floats in [0, 1] → (N, 10) logits, before any softmax."""
        images = np.asarray(batch, dtype=np.float32)
        if images.ndim == 4 and images.shape[-1] == 1:
            images = images[..., 0]
        if images.ndim != 3 or images.shape[1:] != IMAGE_SHAPE:
            raise InvalidImageError(f"expected a batch of (N, 28, 28) images, got {images.shape}")
        if not np.isfinite(images).all():
            raise InvalidImageError("the batch holds NaN or infinite values")
        images = np.clip(images, 0, 1)[..., np.newaxis]
        if len(images) == 0:
            return np.zeros((0, NUM_CLASSES), dtype=np.float32)
        chunks = [
            self._forward(tf.constant(images[start : start + CHUNK])).numpy()
            for start in range(0, len(images), CHUNK)
        ]
        return np.concatenate(chunks)

    def classify(self, image: ImageInput, canvas: bool = False) -> Prediction:
        """Preprocess any image of one digit, recognize it, and say whether it is one; `canvas`:
        the image is a whole drawing canvas, where a mark too small for a digit is a speck."""
        ink = digit_ink(image)
        return self.classify_seen(fit_to_mnist(ink), speck=is_speck(ink, canvas))

    def classify_seen(self, seen: np.ndarray, speck: bool = False) -> Prediction:
        """The Prediction for one already preprocessed (28, 28) image; `speck`: too small a mark
        to be a digit, whatever the model says."""
        answer = self.predict_proba(seen[np.newaxis])
        label = int(np.argmax(answer[0]))
        is_digit = bool(self.is_digit(answer)[0]) and not speck
        return Prediction(label, float(answer[0, label]), answer[0], seen, is_digit)

    def classify_drawing(self, image: np.ndarray | None) -> Prediction | None:
        """Like classify, for a whole canvas: None while nothing is drawn."""
        if image is None:
            return None
        try:
            return self.classify(image, canvas=True)
        except EmptyImageError:
            return None


@dataclass(frozen=True)
class Comparison:
    """One drawing answered by several models, and the server time that took."""

    predictions: list[Prediction]  # in the order the classifiers were given
    milliseconds: float  # preprocessing once plus one call per model


def compare_on_drawing(classifiers: Sequence[Classifier], image: np.ndarray) -> Comparison | None:
    """A whole canvas (RGBA) answered by each classifier: preprocessed once, then one call per
    model, so that the answers differ only by the models. None while nothing is drawn."""
    started = time.perf_counter()
    try:
        ink = digit_ink(image)
    except EmptyImageError:
        return None
    seen, speck = fit_to_mnist(ink), is_speck(ink, canvas=True)
    predictions = [classifier.classify_seen(seen, speck) for classifier in classifiers]
    return Comparison(predictions, (time.perf_counter() - started) * 1000)


def load_classifier(name: str | None = None, store: ModelStore | Path | None = None) -> Classifier:
    """The named model from the store (None: the default model) as a Classifier."""
    model_store = store if isinstance(store, ModelStore) else ModelStore(store)
    model, info = model_store.load(name)
    return Classifier(model, info)
