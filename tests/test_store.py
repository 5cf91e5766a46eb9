from __future__ import annotations

import dataclasses
import json
import os

import keras
import numpy as np
import pytest

from mnist_core.errors import (
    InvalidModelNameError,
    ModelLoadError,
    ModelNotFoundError,
    ModelStoreError,
)
from mnist_core.store import ModelStore, one_of_each_architecture, validate_name


def _probabilities(model, images):
    return np.asarray(model(images[..., None] / 255.0, training=False))


def test_round_trip(store, quick_training, small_mnist):
    info = quick_training.model_info(0.91, 0.3)
    saved = store.save("first", quick_training.model, info)
    assert (
        saved.name == "first" and saved.file.startswith("first.") and saved.file.endswith(".keras")
    )
    model, loaded = store.load("first")
    assert loaded == saved
    images = small_mnist.x_test[:50]
    assert np.allclose(_probabilities(model, images), _probabilities(quick_training.model, images))
    assert [i.name for i in store.list_models()] == ["first"]
    metadata = json.loads((store.root / "first.json").read_text())
    for key in (
        "architecture",
        "parameters",
        "hyperparameters",
        "train_size",
        "epochs_run",
        "training_seconds",
        "test_accuracy",
        "created",
        "tensorflow_version",
        "keras_version",
    ):
        assert key in metadata


def test_default_delete_and_fallback(store, quick_training):
    store.save("low", quick_training.model, quick_training.model_info(0.5))
    store.save("high", quick_training.model, quick_training.model_info(0.9))
    assert store.default_name() == "high"  # nothing marked: the most accurate
    store.set_default("low")
    assert store.default_name() == "low"
    assert store.load()[1].name == "low"
    store.delete("low")
    assert [i.name for i in store.list_models()] == ["high"]
    assert store.default_name() == "high"
    assert sorted(p.name for p in store.root.iterdir()) == sorted(
        ["high.json", store.info("high").file]
    )
    with pytest.raises(ModelNotFoundError, match="no model named 'low'"):
        store.load("low")
    with pytest.raises(ModelNotFoundError):
        store.set_default("low")


def test_empty_store(tmp_path):
    store = ModelStore(tmp_path / "nothing")
    assert store.list_models() == [] and store.default_name() is None
    with pytest.raises(ModelNotFoundError, match="train one first"):
        store.load()


def test_folder_comes_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("MNIST_MODELS_DIR", str(tmp_path / "elsewhere"))
    assert ModelStore().root == tmp_path / "elsewhere"


def test_without_the_variable_the_folder_is_in_the_working_directory(tmp_path, monkeypatch):
    """Not beside the package, which a non-editable install puts in site-packages."""
    monkeypatch.delenv("MNIST_MODELS_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    assert ModelStore().root.resolve() == tmp_path / "models"


def test_overwrite_replaces_and_removes_the_old_weights(store, quick_training):
    store.save("m", quick_training.model, quick_training.model_info(0.5))
    old_file = store.info("m").file
    quick_training.model.layers[-1].bias.assign(np.arange(10, dtype=np.float32))
    try:
        store.save("m", quick_training.model, quick_training.model_info(0.6))
    finally:
        quick_training.model.layers[-1].bias.assign(np.zeros(10, dtype=np.float32))
    assert store.info("m").test_accuracy == 0.6
    assert store.info("m").file != old_file and not (store.root / old_file).exists()


def test_crash_before_the_commit_leaves_the_previous_model_whole(
    store, quick_training, monkeypatch
):
    store.save("m", quick_training.model, quick_training.model_info(0.5))
    before = store.info("m")
    real_replace = os.replace

    def crash_on_metadata(source, target):
        if str(target).endswith(".json"):
            raise OSError("simulated crash")
        real_replace(source, target)

    monkeypatch.setattr(os, "replace", crash_on_metadata)
    changed = keras.models.clone_model(quick_training.model)
    with pytest.raises(ModelStoreError, match="simulated crash"):
        store.save("m", changed, quick_training.model_info(0.7))
    monkeypatch.setattr(os, "replace", real_replace)

    assert store.info("m") == before
    model, _ = store.load("m")
    assert model.count_params() == quick_training.model.count_params()
    assert not list(store.root.glob(".tmp-*"))


def test_crash_while_writing_the_weights_leaves_nothing_half_written(
    store, quick_training, monkeypatch
):
    store.save("m", quick_training.model, quick_training.model_info(0.5))
    files_before = sorted(p.name for p in store.root.iterdir())

    def failing_save(self, path, *args, **kwargs):
        with open(path, "wb") as file:
            file.write(b"PK\x03\x04 half a zip")
        raise KeyboardInterrupt  # a stop in the middle of the write

    monkeypatch.setattr(type(quick_training.model), "save", failing_save)
    with pytest.raises(KeyboardInterrupt):
        store.save("m", quick_training.model, quick_training.model_info(0.7))
    with pytest.raises(KeyboardInterrupt):
        store.save("new", quick_training.model, quick_training.model_info(0.7))
    monkeypatch.undo()
    assert sorted(p.name for p in store.root.iterdir()) == files_before
    assert [i.name for i in store.list_models()] == ["m"]
    store.load("m")


def test_leftovers_of_a_crashed_save_are_cleaned_once_stale(store, quick_training):
    store.save("m", quick_training.model, quick_training.model_info(0.5))
    leftover = store.root / ".tmp-abcd1234.keras"
    replaced = store.root / "m.0123456789ab.keras"  # m.json names other weights: the old ones
    for path in (leftover, replaced):
        path.write_bytes(b"partial")
        os.utime(path, (0, 0))
    fresh = store.root / ".tmp-fresh123.keras"
    fresh.write_bytes(b"a save in flight")
    store.save("other", quick_training.model, quick_training.model_info(0.5))
    assert not leftover.exists() and not replaced.exists() and fresh.exists()
    assert [i.name for i in store.list_models()] == ["m", "other"]


def test_the_sweep_keeps_what_is_not_provably_a_leftover(store, quick_training):
    store.root.mkdir(parents=True)
    kept = {
        "ghost.0123456789ab.keras": b"weights whose metadata is not (yet) there",
        "mine.keras": b"a file someone put here",
        ".tmp-notes.txt": b"not a name our saves give",
    }
    for name, content in kept.items():
        (store.root / name).write_bytes(content)
        os.utime(store.root / name, (0, 0))
    (store.root / ".tmp-abcd1234.keras").mkdir()  # a folder, not our file
    os.utime(store.root / ".tmp-abcd1234.keras", (0, 0))
    store.save("m", quick_training.model, quick_training.model_info(0.5))
    for name, content in kept.items():
        assert (store.root / name).read_bytes() == content
    assert (store.root / ".tmp-abcd1234.keras").is_dir()


def test_deleting_the_default_unmarks_it(store, quick_training):
    store.save("a", quick_training.model, quick_training.model_info(0.5))
    store.save("b", quick_training.model, quick_training.model_info(0.9))
    store.set_default("a")
    store.delete("a")
    assert not (store.root / "default.txt").exists()
    store.save("a", quick_training.model, quick_training.model_info(0.1))
    assert store.default_name() == "b"  # the most accurate, not the newcomer of that name


def test_a_stale_default_mark_does_not_adopt_a_new_model(store, quick_training):
    store.save("b", quick_training.model, quick_training.model_info(0.9))
    (store.root / "default.txt").write_text("gone")  # left by a delete of an older version
    store.save("gone", quick_training.model, quick_training.model_info(0.1))
    assert store.default_name() == "b"
    store.set_default("gone")
    store.save("gone", quick_training.model, quick_training.model_info(0.2))  # an overwrite
    assert store.default_name() == "gone"


@pytest.mark.parametrize(
    "name", ["", "../x", "/etc/passwd", "a/b", "a b", ".hidden", "x" * 65, "na\x00me", "é"]
)
def test_invalid_names_are_refused(store, quick_training, name):
    with pytest.raises(InvalidModelNameError, match="invalid model name"):
        validate_name(name)
    with pytest.raises(InvalidModelNameError):
        store.save(name, quick_training.model, quick_training.model_info(0.5))
    with pytest.raises(InvalidModelNameError):
        store.load(name)
    assert not store.root.exists() or not any(store.root.iterdir())


def test_valid_names():
    for name in ("cnn", "my-model_2", "A", "7"):
        assert validate_name(name) == name


def test_corrupt_weights_get_a_clear_error_and_others_still_list(store, quick_training):
    store.save("good", quick_training.model, quick_training.model_info(0.5))
    store.save("bad", quick_training.model, quick_training.model_info(0.5))
    weights = store.root / store.info("bad").file
    weights.write_bytes(b"this is not a keras file")
    with pytest.raises(ModelLoadError, match=f"{weights.name} is not a .keras file"):
        store.load("bad")
    assert {i.name for i in store.list_models()} == {"good", "bad"}
    store.load("good")


def test_corrupt_metadata_is_reported_not_listed(store, quick_training):
    store.save("good", quick_training.model, quick_training.model_info(0.5))
    (store.root / "broken.json").write_text("{not json")
    assert [i.name for i in store.list_models()] == ["good"]
    assert "broken.json is not valid model metadata" in store.broken_models()["broken"]
    with pytest.raises(ModelLoadError, match=r"broken\.json"):
        store.load("broken")


def test_metadata_pointing_outside_the_store_is_refused(store, quick_training):
    saved = store.save("good", quick_training.model, quick_training.model_info(0.5))
    metadata = json.loads((store.root / "good.json").read_text())
    metadata["file"] = "../" + saved.file
    (store.root / "good.json").write_text(json.dumps(metadata))
    with pytest.raises(ModelLoadError, match="does not describe"):
        store.load("good")


def test_a_model_of_another_shape_is_refused(store, quick_training):
    foreign = keras.Sequential(
        [keras.Input((32, 32, 3)), keras.layers.Flatten(), keras.layers.Dense(10)]
    )
    store.save("foreign", foreign, quick_training.model_info(None))
    with pytest.raises(ModelLoadError, match="not an MNIST classifier"):
        store.load("foreign")


def test_one_of_each_architecture_simplest_first(store, stored_model, quick_training):
    infos = [
        dataclasses.replace(store.info(stored_model), name=name, architecture=architecture)
        for name, architecture in [("big", "cnn"), ("p", "perceptron"), ("p2", "perceptron"),
                                   ("m", "mlp"), ("f", "cnn-fast"), ("c", "cnn-classic")]
    ]  # fmt: skip
    assert one_of_each_architecture(infos, None, 4) == ["p", "m", "c", "f"]
    assert one_of_each_architecture(infos, infos[2], 3) == ["p2", "m", "c"]  # the chosen one
    assert one_of_each_architecture(infos[:1], infos[0], 4) == ["big"]
