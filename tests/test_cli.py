from __future__ import annotations

import os
import re
import subprocess
import sys

import numpy as np
import pytest

from mnist_core.cli import main

from conftest import png_bytes


@pytest.fixture
def digit_files(tmp_path, mnist):
    paths = []
    for index in range(3):
        path = tmp_path / f"digit{index}.png"
        path.write_bytes(png_bytes(mnist.x_test[index]))
        paths.append(path)
    return paths


def test_models_lists_the_store(store, stored_model, capsys):
    assert main(["models"]) == 0
    output = capsys.readouterr().out
    assert "name" in output and "test acc" in output
    line = next(line for line in output.splitlines() if stored_model in line)
    assert line.startswith("*") and "perceptron" in line and "90.00%" in line


def test_models_on_an_empty_store(store, capsys):
    assert main(["models"]) == 0
    assert "no models" in capsys.readouterr().out


def test_predict_prints_one_line_per_file(store, stored_model, digit_files, mnist, capsys):
    assert main(["predict", *map(str, digit_files)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3
    for line, path in zip(lines, digit_files, strict=True):
        name, result = line.split(": ")
        assert name == str(path)
        label, confidence = result.split(" ")
        assert label.isdigit() and confidence.startswith("(") and confidence.endswith("%)")


def test_predict_reports_bad_files_and_continues(
    store, stored_model, digit_files, tmp_path, capsys
):
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not a png")
    empty = tmp_path / "empty.png"
    empty.write_bytes(png_bytes(np.zeros((50, 50), np.uint8)))
    status = main(["predict", str(broken), str(digit_files[0]), str(empty), "missing.png"])
    captured = capsys.readouterr()
    assert status == 1
    assert len(captured.out.splitlines()) == 1 and captured.out.startswith(str(digit_files[0]))
    errors = captured.err.splitlines()
    assert len(errors) == 3 and "Traceback" not in captured.err
    assert errors[0].startswith(f"{broken}: error: ") and "no ink" in errors[1]


def test_unknown_model_is_one_line(store, stored_model, digit_files, capsys):
    assert main(["predict", "--model", "nope", str(digit_files[0])]) == 1
    assert capsys.readouterr().err.strip() == (
        f"mnist-core: error: no model named 'nope' in {store.root}"
    )


@pytest.mark.parametrize(
    "arguments",
    [["train", "--epochs", "many"], ["train", "--architecture", "resnet"], ["frobnicate"], []],
)
def test_bad_arguments_exit_two(arguments, capsys):
    with pytest.raises(SystemExit) as exit:
        main(arguments)
    assert exit.value.code == 2
    assert "usage:" in capsys.readouterr().err


def test_bad_values_are_one_line_errors(store, capsys):
    assert main(["train", "--epochs", "0"]) == 1
    assert capsys.readouterr().err.strip() == "mnist-core: error: epochs must be 1 to 1000"
    assert main(["train", "--name", "../evil", "--epochs", "1"]) == 1
    assert "invalid model name" in capsys.readouterr().err


def test_train_saves_a_model_and_evaluate_reads_it(store, capsys):
    status = main(
        [
            "train",
            "--architecture",
            "perceptron",
            "--epochs",
            "2",
            "--train-size",
            "1000",
            "--validation-size",
            "500",
            "--no-augment",
            "--name",
            "cli-model",
            "--set-default",
        ]
    )
    output = capsys.readouterr().out
    assert status == 0
    assert "epoch 1/2" in output and "epoch 2/2" in output and "test accuracy" in output
    assert store.default_name() == "cli-model"
    assert store.info("cli-model").train_size == 1000
    assert main(["evaluate"]) == 0
    evaluation = capsys.readouterr().out
    assert evaluation.startswith("cli-model: test accuracy") and "precision" in evaluation


def test_a_preset_is_the_start_and_given_options_override_it(store, capsys):
    args = ["--preset", "demo", "--train-size", "1000", "--validation-size", "500", "--name", "d"]
    assert main(["train", *args]) == 0
    assert "test accuracy" in capsys.readouterr().out
    settings = store.info("d").hyperparameters
    assert settings["architecture"] == "cnn-fast" and settings["lr_schedule"] == "one-cycle"
    assert settings["batch_size"] == 256 and settings["train_size"] == 1000
    assert settings["epochs"] == 2 and settings["augment"] is False


def test_module_entry_point_runs(store, stored_model):
    result = subprocess.run(
        [sys.executable, "-m", "mnist_core", "models"],
        capture_output=True,
        text=True,
        env={**os.environ, "MNIST_MODELS_DIR": str(store.root)},
        check=False,
    )
    assert result.returncode == 0 and stored_model in result.stdout


def test_samples_export_import_and_list(samples, tmp_path, mnist, capsys):
    samples.add_many(mnist.x_test[:12], mnist.y_test[:12], writer="ada")
    exported = tmp_path / "ada.npz"
    assert main(["samples", "export", str(exported), "--writer", "ada"]) == 0
    other = tmp_path / "other.sqlite3"
    assert main(["samples", "import", str(exported), "--db", str(other), "--writer", "bob"]) == 0
    assert "added 12 samples" in capsys.readouterr().out
    assert main(["samples", "list", "--db", str(other)]) == 0
    output = capsys.readouterr().out
    assert "12 samples" in output and "bob: 12" in output
    expected = " ".join(f"{count:>4}" for count in np.bincount(mnist.y_test[:12], minlength=10))
    assert expected.split() == output.splitlines()[2].split()[1:]


def test_samples_import_of_a_bad_file_is_one_line(samples, tmp_path, capsys):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip")
    assert main(["samples", "import", str(bad)]) == 1
    assert capsys.readouterr().err.startswith("mnist-core: error: not a samples .npz")
    assert samples.counts().sum() == 0


def test_finetune_saves_a_new_model_and_reports_before_and_after(
    store, stored_model, samples, mnist, capsys
):
    samples.add_many(mnist.x_train[-40:], mnist.y_train[-40:])
    assert main(["finetune", "--name", "mine", "--epochs", "2"]) == 0
    output = capsys.readouterr().out
    assert "your handwriting" in output and "MNIST test" in output and "saved mine" in output
    info = store.info("mine")
    assert info.hyperparameters["fine_tuned_from"] == stored_model and info.epochs_run == 2


def test_finetune_with_too_few_samples_is_refused(store, stored_model, samples, mnist, capsys):
    samples.add_many(mnist.x_train[:5], mnist.y_train[:5])
    assert main(["finetune"]) == 1
    assert "at least 20" in capsys.readouterr().err
    assert [info.name for info in store.list_models()] == [stored_model]


def _never(what: str):
    def fail(*args, **kwargs):
        pytest.fail(f"{what} ran although the command should have stopped before it")

    return fail


def test_file_names_are_printed_escaped(store, stored_model, mnist, tmp_path, capsys):
    good = tmp_path / "seven\x1b[31m\nfake.png: 9 (100.00%).png"
    good.write_bytes(png_bytes(mnist.x_test[0]))
    bad = tmp_path / "bad\x1b[2J.png"
    bad.write_bytes(b"not a png")
    assert main(["predict", str(good), str(bad)]) == 1
    captured = capsys.readouterr()
    assert "\x1b" not in captured.out + captured.err
    [line] = captured.out.splitlines()
    assert line.startswith(f"{tmp_path}/seven\\x1b[31m\\nfake.png: 9 (100.00%).png: 7 (")
    assert len(captured.err.splitlines()) == 1
    assert captured.err.startswith(f"{tmp_path}/bad\\x1b[2J.png: error: ")


def test_error_lines_quoting_a_path_are_escaped(store, capsys):
    assert main(["train", "--epochs", "1", "--mnist", "/nowhere/\x1b[31mred\nline"]) == 1
    error = capsys.readouterr().err
    assert error == "mnist-core: error: MNIST not found at /nowhere/\\x1b[31mred\\nline\n"


def test_writer_names_are_printed_escaped(samples, mnist, capsys):
    samples.add_many(mnist.x_test[:2], mnist.y_test[:2], writer="eve\x1b[2J\nmallory")
    assert main(["samples", "list"]) == 0
    output = capsys.readouterr().out
    assert "\x1b" not in output and output.splitlines()[-1] == "eve\\x1b[2J\\nmallory: 2"


def test_a_label_out_of_range_is_named_as_a_plain_number(samples, tmp_path, capsys):
    path = tmp_path / "ten.npz"
    np.savez(path, x=np.zeros((1, 28, 28), np.uint8), y=np.array([10]))
    assert main(["samples", "import", str(path)]) == 1
    assert capsys.readouterr().err == "mnist-core: error: label 10 is not a digit 0-9\n"


def test_an_mnist_file_without_test_images_is_refused(store, stored_model, mnist, tmp_path, capsys):
    path = tmp_path / "no-test.npz"
    np.savez(path, x_train=mnist.x_train[:10], y_train=mnist.y_train[:10],
             x_test=mnist.x_test[:0], y_test=mnist.y_test[:0])  # fmt: skip
    assert main(["evaluate", "--mnist", str(path)]) == 1
    captured = capsys.readouterr()
    assert "nan" not in captured.out and captured.err.endswith(" holds no test images\n")


def test_tensorflow_keeps_quiet_on_stderr(store, stored_model, digit_files):
    environment = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    result = subprocess.run(
        [sys.executable, "-m", "mnist_core", "predict", str(digit_files[0])],
        capture_output=True,
        text=True,
        env={**environment, "MNIST_MODELS_DIR": str(store.root)},
        check=False,
    )
    assert result.returncode == 0 and result.stdout.startswith(str(digit_files[0]))
    assert result.stderr == ""


def test_train_into_an_unwritable_store_stops_before_training(tmp_path, monkeypatch, capsys):
    import mnist_core.train

    in_the_way = tmp_path / "models"
    in_the_way.write_text("a file where the store's folder should be")
    monkeypatch.setenv("MNIST_MODELS_DIR", str(in_the_way))
    monkeypatch.setattr(mnist_core.train, "train", _never("training"))
    assert main(["train", "--epochs", "1"]) == 1
    error = capsys.readouterr().err
    assert len(error.splitlines()) == 1 and "cannot write to the model store" in error


def test_finetune_into_an_unwritable_store_stops_before_training(
    store, stored_model, samples, mnist, monkeypatch, capsys
):
    import mnist_core.finetune

    samples.add_many(mnist.x_train[-40:], mnist.y_train[-40:])
    monkeypatch.setattr(mnist_core.finetune, "finetune", _never("fine-tuning"))
    # A store with no room left; raising=False so that the old code, without the check, trains.
    monkeypatch.setattr("mnist_core.store.MIN_FREE_BYTES", 1 << 62, raising=False)
    assert main(["finetune", "--name", "mine"]) == 1
    error = capsys.readouterr().err
    assert len(error.splitlines()) == 1 and "cannot write to the model store" in error


@pytest.mark.parametrize(
    ("arguments", "target"),
    [
        (["train", "--seed", "4294967296"], "mnist_core.train.train"),
        (["train", "--seed", "-1"], "mnist_core.train.train"),
        (["finetune", "--seed", "-1"], "mnist_core.finetune.finetune"),
        (["finetune", "--seed", "4294967296"], "mnist_core.finetune.finetune"),
    ],
)
def test_seeds_out_of_range_stop_before_training(store, monkeypatch, capsys, arguments, target):
    monkeypatch.setattr(target, _never("training"))
    assert main(arguments) == 1
    error = capsys.readouterr().err
    assert len(error.splitlines()) == 1 and error.startswith("mnist-core: error: seed must be")


@pytest.fixture
def tasks(monkeypatch) -> list:
    """The tasks a command would train, recorded instead of run (the command then fails)."""
    from mnist_core.errors import MnistCoreError

    recorded = []

    def record(task, *args, **kwargs):
        recorded.append(task)
        raise MnistCoreError("recorded, not trained")

    monkeypatch.setattr("mnist_core.run.run_training", record)
    return recorded


def test_every_training_setting_is_an_option_with_the_configs_default(store, tasks):
    from mnist_core.config import TrainingConfig

    assert main(["train"]) == 1
    assert main(["train", "--patience", "0", "--train-size", "1000", "--no-augment"]) == 1
    assert main(["train", "--patience", "none", "--lr-schedule", "constant"]) == 1
    assert tasks == [
        TrainingConfig(),
        TrainingConfig(early_stopping_patience=None, train_size=1000, augment=False),
        TrainingConfig(early_stopping_patience=None, lr_schedule="constant"),
    ]


def test_every_fine_tuning_setting_is_an_option(store, stored_model, samples, mnist, tasks, capsys):
    from mnist_core.config import FinetuneConfig

    samples.add_many(mnist.x_train[-40:], mnist.y_train[-40:])
    arguments = ["--holdout", "0.5", "--min-mnist", "100", "--batch-size", "32", "--no-augment"]
    assert main(["finetune", *arguments]) == 1
    [task] = tasks
    assert task.base_name == stored_model and len(task.images) == 40
    assert task.config == FinetuneConfig(holdout=0.5, min_mnist=100, batch_size=32, augment=False)
    capsys.readouterr()
    assert main(["finetune", "--holdout", "1"]) == 1
    assert capsys.readouterr().err == (
        "mnist-core: error: held-out share must be between 0 and 1\n"
    )


def test_predict_says_when_a_file_is_not_a_digit(store, stored_model, tmp_path, capsys):
    dot = np.zeros((280, 280), np.uint8)
    dot[130:150, 130:150] = 255
    path = tmp_path / "dot.png"
    path.write_bytes(png_bytes(dot))
    assert main(["predict", str(path)]) == 0
    line = capsys.readouterr().out.strip()
    assert re.fullmatch(rf"{re.escape(str(path))}: not a digit \(best guess \d, \d+%\)", line)


@pytest.mark.parametrize("command", [[], ["train"], ["evaluate"], ["finetune"]])
def test_help_prints_for_every_command(command, capsys):
    """The Demo recipe's "99%" once crashed `train --help` (argparse reads % as a format)."""
    with pytest.raises(SystemExit) as exit:
        main([*command, "--help"])
    assert exit.value.code == 0
    assert "usage:" in capsys.readouterr().out
