"""The store against hostile files and a process killed in the middle of saving."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
import zipfile

import numpy as np
import pytest

from mnist_core.errors import ModelLoadError
from mnist_core.store import ModelStore

KILLS = 8


def test_a_zip_bomb_named_keras_is_refused(store, quick_training):
    store.save("good", quick_training.model, quick_training.model_info(0.5))
    store.save("bomb", quick_training.model, quick_training.model_info(0.5))
    weights = store.root / store.info("bomb").file
    with zipfile.ZipFile(weights, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("config.json", b"\0" * 300_000_000)  # 300 MB of zeros, ~300 KB packed
    assert weights.stat().st_size < 1_000_000
    with pytest.raises(ModelLoadError, match="zip bomb"):
        store.load("bomb")
    store.load("good")


@pytest.mark.parametrize(
    "metadata", ["", "[1, 2]", '{"name": "m"}', '{"name": "other", "file": "x.keras"}', "\xff\xfe"]
)
def test_malformed_metadata(store, metadata):
    store.root.mkdir(parents=True)
    (store.root / "m.json").write_bytes(metadata.encode("utf-8", "surrogateescape"))
    assert store.list_models() == [] and "m" in store.broken_models()
    with pytest.raises(ModelLoadError):
        store.load("m")


def test_weights_without_metadata_are_not_listed(store, quick_training):
    store.save("m", quick_training.model, quick_training.model_info(0.5))
    (store.root / "m.json").unlink()
    assert store.list_models() == []


SAVER = textwrap.dedent(
    """
    import sys
    import keras
    from mnist_core.models import build_model
    from mnist_core.store import ModelInfo, ModelStore

    store = ModelStore(sys.argv[1])
    models = [build_model("perceptron"), build_model("mlp")]
    info = ModelInfo("", "perceptron", 0, {}, 1, 0, 1, 0.0, 0.5)
    for round in range(1_000_000):
        store.save("m", models[round % 2], info)
        print("saved", flush=True)
    """
)


def test_killed_mid_save_the_store_keeps_a_whole_model(tmp_path):
    """SIGKILL a process that saves over and over, at random moments, many times."""
    rng = np.random.default_rng(0)
    root = tmp_path / "models"
    for _ in range(KILLS):
        saver = subprocess.Popen(
            [sys.executable, "-c", SAVER, str(root)],
            stdout=subprocess.PIPE,
            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
        )
        assert saver.stdout.readline() == b"saved\n"  # one whole save before the first kill
        time.sleep(rng.uniform(0, 0.6))
        saver.send_signal(signal.SIGKILL)
        saver.wait()
        store = ModelStore(root)
        assert [info.name for info in store.list_models()] == ["m"]
        model, _ = store.load("m")
        assert model.count_params() in (7850, 235_146)
        listed = {path.name for path in root.iterdir()} - {"m.json"}
        assert store.info("m").file in listed
