"""Shared fixtures: Keras imported once, small data, a throwaway model store."""

from __future__ import annotations

import base64
import dataclasses
import io
import itertools
import os
from collections.abc import Iterator

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.pop("DIGIT_STUDIO_DATABASE_URL", None)  # the tests pick their databases, never a class's

import keras
import numpy as np
import pytest
from PIL import Image

from digit_studio.postgres_server import TemporaryPostgres, postgres_binaries
from mnist_core import data
from mnist_core.config import TrainingConfig
from mnist_core.data import Mnist, load_mnist
from mnist_core.samples import (
    DATABASE_URL_VARIABLE,
    SAMPLES_DB_VARIABLE,
    SampleStore,
    open_sample_store,
)
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


# A perceptron for one epoch on 2,000 images: a real model in about a second.
QUICK_PERCEPTRON = TrainingConfig(
    architecture="perceptron",
    epochs=1,
    train_size=2000,
    validation_size=1000,
    augment=False,
    lr_schedule="constant",
    learning_rate=5e-3,
    non_digits=0.0,  # a plain perceptron: the tests of non-digits train their own
)


@pytest.fixture(scope="session")
def quick_training(small_mnist: Mnist):
    """QUICK_PERCEPTRON, trained."""
    return train(QUICK_PERCEPTRON, small_mnist)


@pytest.fixture(scope="session")
def weaker_training(small_mnist: Mnist):
    """A second perceptron, on 300 images at Adam's usual step: a model that answers differently
    from the quick one."""
    config = dataclasses.replace(
        QUICK_PERCEPTRON, train_size=300, learning_rate=TrainingConfig().learning_rate
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


def chart_array(array) -> np.ndarray:
    """An array as a chart's JSON holds it: a list, or plotly's base64 typed array."""
    if isinstance(array, dict):
        flat = np.frombuffer(base64.b64decode(array["bdata"]), dtype=array["dtype"])
        shape = array.get("shape", len(flat))
        return flat.reshape([int(size) for size in str(shape).split(",")])
    return np.asarray(array)


__all__ = ["keras", "png_bytes"]

NO_POSTGRES = "PostgreSQL is not installed (make test installs it: scripts/ensure_package.sh)"
_database_numbers = itertools.count()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[TemporaryPostgres]:
    """One throwaway PostgreSQL server for the run; its tests skip where it isn't installed."""
    if postgres_binaries() is None:
        pytest.skip(NO_POSTGRES)
    with TemporaryPostgres() as server:
        yield server


@pytest.fixture
def postgres_database(postgres_server: TemporaryPostgres) -> str:
    """The URL of a new, empty database on the session's PostgreSQL server."""
    return postgres_server.create_database(f"test_{next(_database_numbers)}")


@pytest.fixture(params=["sqlite", "postgresql"])
def sample_database(request, tmp_path) -> str:
    """Where a test's samples live, once of each kind: a new SQLite file, then a new PostgreSQL
    database (a URL)."""
    if request.param == "sqlite":
        return str(tmp_path / "samples.sqlite3")
    return request.getfixturevalue("postgres_database")


@pytest.fixture
def samples(sample_database, tmp_path, monkeypatch) -> SampleStore:
    """An empty handwriting database of either kind, also what the app opens."""
    # SQLite's variable points into tmp_path either way: nothing may reach data/ by mistake.
    monkeypatch.setenv(SAMPLES_DB_VARIABLE, str(tmp_path / "samples.sqlite3"))
    if sample_database.startswith("postgresql://"):
        monkeypatch.setenv(DATABASE_URL_VARIABLE, sample_database)
    return open_sample_store()
