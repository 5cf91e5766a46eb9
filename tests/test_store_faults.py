"""The store against hostile files and a process killed in the middle of saving."""

from __future__ import annotations

import errno
import json
import os
import re
import resource
import signal
import subprocess
import sys
import time
import zipfile

import keras
import numpy as np
import pytest

from benchmarks.store_race import SAVER
from mnist_core.errors import ModelLoadError, ModelStoreError
from mnist_core.store import ModelStore

KILLS = 8
RACE_SECONDS = 3  # loads while another process saves over and over


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


@pytest.mark.parametrize("damage", ["truncated", "absent", "a folder", "not UTF-8"])
def test_a_save_keeps_weights_whose_metadata_is_unreadable(store, quick_training, damage):
    """Saving another model must not take weights whose metadata is mid-edit for leftovers."""
    store.save("cnn-default", quick_training.model, quick_training.model_info(0.9))
    metadata = store.root / "cnn-default.json"
    content = metadata.read_bytes()
    weights = store.root / store.info("cnn-default").file
    os.utime(weights, (0, 0))  # saved long ago
    metadata.unlink()
    if damage == "truncated":
        metadata.write_bytes(content[:40])
    elif damage == "a folder":
        metadata.mkdir()
    elif damage == "not UTF-8":
        metadata.write_bytes(b"\xff" + content)
    store.save("other", quick_training.model, quick_training.model_info(0.5))
    assert weights.exists()
    if metadata.is_dir():
        metadata.rmdir()
    metadata.write_bytes(content)
    store.load("cnn-default")


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES])
def test_write_errors_say_what_to_do(store, quick_training, monkeypatch, code):
    store.save("m", quick_training.model, quick_training.model_info(0.5))
    store.save("n", quick_training.model, quick_training.model_info(0.6))
    before = sorted(path.name for path in store.root.iterdir())

    def failing(*args):
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(os, "fsync", failing)
    with pytest.raises(
        ModelStoreError, match=re.escape(f"cannot write to the model store {store.root}: ")
    ):
        store.save("m", keras.models.clone_model(quick_training.model), store.info("n"))
    with pytest.raises(ModelStoreError, match="MNIST_MODELS_DIR"):
        store.set_default("n")
    with pytest.raises(ModelStoreError, match="MNIST_MODELS_DIR"):
        store.check_writable()
    monkeypatch.setattr(os, "unlink", failing)
    with pytest.raises(ModelStoreError, match="MNIST_MODELS_DIR"):
        store.delete("n")
    monkeypatch.undo()
    assert sorted(path.name for path in store.root.iterdir()) == before
    assert store.info("m").test_accuracy == 0.5
    store.load("m")


def test_disk_full_message(store, monkeypatch):
    def full(*args):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "write", full)
    with pytest.raises(ModelStoreError, match="disk full — free some space or set MNIST_MODELS"):
        store.check_writable()


def test_a_real_write_failure_during_a_save(store, quick_training):
    """Writes that fail in Keras's own code (a file size limit: EFBIG) become our error too."""
    store.save("m", quick_training.model, quick_training.model_info(0.5))
    before = sorted(path.name for path in store.root.iterdir())
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (4096, hard))
    try:
        with pytest.raises(ModelStoreError, match="file too large"):
            store.save("m", keras.models.clone_model(quick_training.model), store.info("m"))
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, handler)
    assert sorted(path.name for path in store.root.iterdir()) == before
    store.load("m")


def test_a_store_path_that_is_a_file(tmp_path, quick_training):
    (tmp_path / "models").write_text("not a folder")
    store = ModelStore(tmp_path / "models")
    for attempt in (
        store.check_writable,
        lambda: store.save("m", quick_training.model, quick_training.model_info(0.5)),
    ):
        with pytest.raises(ModelStoreError, match=r"a file is in the way .* move that file away"):
            attempt()
    assert store.list_models() == [] and store.default_name() is None


def test_check_writable_leaves_nothing_behind(tmp_path, monkeypatch):
    store = ModelStore(tmp_path / "new" / "models")
    store.check_writable()
    assert list(store.root.iterdir()) == []

    class Nearly:
        f_blocks, f_bavail, f_frsize = 1_000_000, 700, 4096  # 3 MB left

    monkeypatch.setattr(os, "statvfs", lambda path: Nearly)
    with pytest.raises(ModelStoreError, match=r"disk full \(only 3 MB free\)"):
        store.check_writable()
    assert list(store.root.iterdir()) == []


@pytest.mark.parametrize("damage", ["not UTF-8", "a folder", "a FIFO", "huge"])
def test_an_unreadable_default_mark_falls_back(store, quick_training, damage):
    store.save("low", quick_training.model, quick_training.model_info(0.5))
    store.save("high", quick_training.model, quick_training.model_info(0.9))
    mark = store.root / "default.txt"
    if damage == "not UTF-8":
        mark.write_bytes(b"low\xff")
    elif damage == "a folder":
        mark.mkdir()
    elif damage == "a FIFO":
        os.mkfifo(mark)  # would block a reader forever
    else:
        mark.write_bytes(b"low" + b" " * 10_000_000)
    assert store.default_name() == "high"
    assert store.load()[1].name == "high"
    if damage != "a folder":
        store.set_default("low")
        assert store.default_name() == "low"


def test_metadata_naming_another_models_weights_is_refused(store, quick_training):
    store.save("a", quick_training.model, quick_training.model_info(0.5))
    store.save("b", keras.models.clone_model(quick_training.model), quick_training.model_info(0.5))
    metadata = json.loads((store.root / "b.json").read_text())
    metadata["file"] = store.info("a").file
    (store.root / "b.json").write_text(json.dumps(metadata))
    assert "weights of its own" in store.broken_models()["b"]
    with pytest.raises(ModelLoadError, match="weights of its own"):
        store.delete("b")
    store.load("a")


def test_a_load_sees_the_model_a_save_put_in_between(store, quick_training, monkeypatch):
    """Another process replaces the model after the load read its metadata, before its weights."""
    store.save("m", quick_training.model, quick_training.model_info(0.5))
    replacement = keras.Sequential(
        [keras.Input((28, 28, 1)), keras.layers.Flatten(), keras.layers.Dense(10)]
    )
    read_metadata = ModelStore.info

    def info_then_save(self, name):
        info = read_metadata(self, name)
        monkeypatch.setattr(ModelStore, "info", read_metadata)
        ModelStore(self.root).save(name, replacement, info)
        return info

    monkeypatch.setattr(ModelStore, "info", info_then_save)
    model, info = store.load("m")
    assert info == store.info("m")
    assert model.count_params() == replacement.count_params()


def test_weights_that_are_really_missing(store, quick_training):
    store.save("m", quick_training.model, quick_training.model_info(0.5))
    (store.root / store.info("m").file).unlink()
    with pytest.raises(ModelLoadError, match="is missing"):
        store.load("m")
    with pytest.raises(ModelLoadError, match="is missing"):
        store.read_weights("m")


def test_loads_during_saves_by_another_process_never_fail(tmp_path):
    root = tmp_path / "models"
    saver = subprocess.Popen(
        [sys.executable, "-c", SAVER, str(root)],
        stdout=subprocess.PIPE,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
    )
    try:
        assert saver.stdout.readline() == b"saved\n"
        store, loads, failures = ModelStore(root), 0, []
        deadline = time.monotonic() + RACE_SECONDS
        while time.monotonic() < deadline:
            try:
                store.load("m")
                store.read_weights("m")
            except ModelLoadError as error:
                failures.append(str(error))
            loads += 1
    finally:
        saver.kill()
        saver.wait()
    assert loads > 10 and failures == []
