"""Shared fixtures: Keras imported once, small data, a throwaway model store."""

from __future__ import annotations

import base64
import io
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np
import pytest
from PIL import Image

from mnist_core import data
from mnist_core.config import TrainingConfig
from mnist_core.data import Mnist, load_mnist
from mnist_core.samples import SAMPLES_DB_VARIABLE, SampleStore
from mnist_core.store import ModelStore
from mnist_core.train import train


@pytest.fixture
def fresh_mnist_cache(monkeypatch):
    """The bundled MNIST, read afresh: no MNIST_PATH, nothing cached before or after."""
    monkeypatch.delenv("MNIST_PATH", raising=False)
    data._load_cached.cache_clear()
    yield
    data._load_cached.cache_clear()


@pytest.fixture(scope="session")
def mnist() -> Mnist:
    return load_mnist()


@pytest.fixture(scope="session")
def small_mnist(mnist: Mnist) -> Mnist:
    """3,000 training and 500 test images: enough to train something in seconds."""
    return Mnist(mnist.x_train[:3000], mnist.y_train[:3000], mnist.x_test[:500], mnist.y_test[:500])


@pytest.fixture
def store(tmp_path, monkeypatch) -> ModelStore:
    """An empty store in a temporary folder, also what MNIST_MODELS_DIR points at."""
    monkeypatch.setenv("MNIST_MODELS_DIR", str(tmp_path / "models"))
    return ModelStore(tmp_path / "models")


@pytest.fixture(scope="session")
def quick_training(small_mnist: Mnist):
    """A perceptron trained for one epoch on 2,000 images: a real model in about a second."""
    config = TrainingConfig(
        architecture="perceptron",
        epochs=1,
        train_size=2000,
        validation_size=1000,
        augment=False,
        lr_schedule="constant",
        learning_rate=5e-3,
        non_digits=0.0,  # a plain perceptron: the tests of non-digits train their own
    )
    return train(config, small_mnist)


@pytest.fixture
def stored_model(store: ModelStore, quick_training) -> str:
    """The quick model saved in the temporary store as the default; returns its name."""
    store.save("quick", quick_training.model, quick_training.model_info(0.9))
    store.set_default("quick")
    return "quick"


def png_bytes(image: np.ndarray, mode: str | None = None, format: str = "PNG") -> bytes:
    """Encode a uint8 array as an image file's bytes."""
    buffer = io.BytesIO()
    Image.fromarray(image, mode=mode).save(buffer, format=format)
    return buffer.getvalue()


def canvas_value(rgba: np.ndarray) -> dict:
    """What the canvas component sends back: the drawing as a PNG data URL."""
    encoded = base64.b64encode(png_bytes(rgba)).decode()
    return {
        "drawing": {
            "raw": {"objects": [], "background": ""},
            "data": f"data:image/png;base64,{encoded}",
        },
        "backgroundFit": None,
    }


__all__ = ["keras", "png_bytes"]


@pytest.fixture
def samples(tmp_path, monkeypatch) -> SampleStore:
    """An empty handwriting database in a temporary folder, also what the app opens."""
    path = tmp_path / "samples.sqlite3"
    monkeypatch.setenv(SAMPLES_DB_VARIABLE, str(path))
    return SampleStore(path)
