"""`mnist-core`: train, evaluate, predict, list models, manage handwriting samples and
fine-tune on them, from a terminal."""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from mnist_core.data import NUM_CLASSES
from mnist_core.errors import MnistCoreError, SampleStoreError
from mnist_core.samples import open_sample_store, read_samples_file
from mnist_core.store import ModelStore

if TYPE_CHECKING:
    from mnist_core.config import SettingsConfig
    from mnist_core.data import Mnist
    from mnist_core.run import Trained, TrainingTask

C = TypeVar("C", bound="SettingsConfig")
BAR_WIDTH = 24
REDRAW_SECONDS = 0.2  # progress-bar refresh interval


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the exit status (0 ok, 1 failed, 2 bad arguments)."""
    _quiet_tensorflow()
    args = _parser().parse_args(argv)
    try:
        return args.command(args)
    except MnistCoreError as error:
        print(f"mnist-core: error: {printable(error)}", file=sys.stderr)
        return 1


def _quiet_tensorflow() -> None:
    """Keep TensorFlow's start-up log lines off stderr unless the user set their level; works
    only before TensorFlow is imported, so this module imports it on first use."""
    if "TF_CPP_MIN_LOG_LEVEL" not in os.environ:
        os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"  # C++ errors only: no INFO or WARNING lines
        logging.getLogger("tensorflow").setLevel(logging.ERROR)


def printable(text: object) -> str:
    """`text` with control and other non-printable characters escaped as repr() writes them,
    so a file or writer name can't move the cursor, recolour the terminal or add a line."""
    return "".join(
        character if character.isprintable() else repr(character)[1:-1] for character in str(text)
    )


def _parser() -> argparse.ArgumentParser:
    from mnist_core.config import PRESETS, FinetuneConfig, TrainingConfig

    parser = argparse.ArgumentParser(
        prog="mnist-core", description="Train, evaluate and use MNIST digit classifiers."
    )
    parser.add_argument(
        "--models-dir", type=Path, help="model store folder (default: $MNIST_MODELS_DIR or models/)"
    )
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    train = commands.add_parser("train", help="train a model and save it in the store")
    train.add_argument(
        "--preset",
        choices=PRESETS,
        help=_help_text(
            "start from a recipe; the options given override it. "
            + "; ".join(f"{name}: {preset.label}" for name, preset in PRESETS.items())
        ),
    )
    _add_settings(train, TrainingConfig)
    train.add_argument("--name", help="store it under this name (default: architecture and time)")
    train.add_argument("--set-default", action="store_true", help="make it the default model")
    train.add_argument("--mnist", type=Path, help="an mnist.npz or IDX folder (default: bundled)")
    train.set_defaults(command=_train)

    evaluate = commands.add_parser("evaluate", help="a model's accuracy on the MNIST test set")
    evaluate.add_argument("name", nargs="?", help="model name (default: the default model)")
    evaluate.add_argument(
        "--mnist", type=Path, help="an mnist.npz or IDX folder (default: bundled)"
    )
    evaluate.set_defaults(command=_evaluate)

    predict = commands.add_parser("predict", help="recognize the digit in image files")
    predict.add_argument("files", nargs="+", type=Path, metavar="FILE")
    predict.add_argument("--model", help="model name (default: the default model)")
    predict.set_defaults(command=_predict)

    models = commands.add_parser("models", help="list the models in the store")
    models.set_defaults(command=_models)

    samples = commands.add_parser("samples", help="the handwriting samples people labelled")
    database = argparse.ArgumentParser(add_help=False)  # options every action takes
    database.add_argument(
        "--db",
        help="samples database, a SQLite file or a postgresql:// URL (default:"
        " $DIGIT_STUDIO_DATABASE_URL, else $DIGIT_STUDIO_SAMPLES_DB, else data/)",
    )
    database.add_argument("--writer", help="only this writer's samples (import: theirs)")
    actions = samples.add_subparsers(required=True, metavar="ACTION")
    actions.add_parser(
        "list", parents=[database], help="counts per digit and per writer"
    ).set_defaults(command=_samples_list)
    export = actions.add_parser(
        "export", parents=[database], help="write the samples to a .npz (x, y)"
    )
    export.add_argument("file", type=Path)
    export.set_defaults(command=_samples_export)
    load = actions.add_parser("import", parents=[database], help="add the samples of a .npz")
    load.add_argument("file", type=Path)
    load.set_defaults(command=_samples_import)

    finetune = commands.add_parser(
        "finetune", help="fine-tune a model on the handwriting samples, mixed with MNIST"
    )
    finetune.add_argument("--model", help="the model to start from (default: the default model)")
    finetune.add_argument("--name", help="store the result under this name")
    finetune.add_argument("--db", help="samples database: a file or URL (default as for samples)")
    finetune.add_argument("--writer", help="only this writer's samples")
    _add_settings(finetune, FinetuneConfig)
    finetune.add_argument(
        "--mnist", type=Path, help="an mnist.npz or IDX folder (default: bundled)"
    )
    finetune.set_defaults(command=_finetune)
    return parser


def _add_settings(parser: argparse.ArgumentParser, config_type: type[SettingsConfig]) -> None:
    """An option for every setting of `config_type`: named, explained and read as its field
    says; the config checks the values."""
    from mnist_core.config import setting_text, settings_of

    defaults = config_type()
    for name, spec in settings_of(config_type).items():
        option = spec.flag or name.replace("_", "-")
        default = getattr(defaults, name)
        # Left out when not given, so that a preset's value is not overridden by a default.
        details: dict[str, Any] = {"dest": name, "default": argparse.SUPPRESS}
        details["help"] = _help_text(f"{spec.help} (default: {setting_text(default)})")
        if isinstance(default, bool):
            details["action"] = argparse.BooleanOptionalAction
        else:
            details["type"] = _reader(config_type, name)
            details["choices"] = spec.choices
            details["metavar"] = None if spec.choices else option.upper().replace("-", "_")
        parser.add_argument(f"--{option}", **details)


def _help_text(text: str) -> str:
    """Text for argparse's help, which reads "%" as the start of a format field."""
    return text.replace("%", "%%")


def _reader(config_type: type[SettingsConfig], name: str) -> Callable[[str], object]:
    """parse_setting for one setting, named as argparse names the type in its error message."""
    from mnist_core.config import parse_setting, value_types

    def read(text: str) -> object:
        return parse_setting(config_type, name, text)

    read.__name__ = value_types(config_type)[name][0].__name__
    return read


def _settings(config_type: type[C], args: argparse.Namespace, base: C | None = None) -> C:
    """`base` (by default the defaults) with the options _add_settings added that were given."""
    from mnist_core.config import settings_of

    given = {name: getattr(args, name) for name in settings_of(config_type) if name in args}
    return dataclasses.replace(base or config_type(), **given)


def _run(task: TrainingTask, mnist: Mnist) -> Trained:
    """run_training with a progress bar; the first Ctrl+C stops it after the batch."""
    from mnist_core.run import run_training

    stop = threading.Event()
    previous_handler = signal.signal(signal.SIGINT, _stop_on_first_interrupt(stop))
    try:
        return run_training(task, ProgressPrinter(), stop, mnist=mnist)
    finally:
        signal.signal(signal.SIGINT, previous_handler)


def _train(args: argparse.Namespace) -> int:
    from mnist_core.config import PRESETS, TrainingConfig
    from mnist_core.data import load_mnist
    from mnist_core.store import validate_name

    base = PRESETS[args.preset].config() if args.preset else TrainingConfig()
    config = _settings(TrainingConfig, args, base)
    name = validate_name(args.name or f"{config.name_stem}-{datetime.now():%Y%m%d-%H%M%S}")
    store = ModelStore(args.models_dir)
    store.check_writable()  # now, not after minutes of training
    trained = _run(config, load_mnist(args.mnist))
    print(f"test accuracy {trained.info.test_accuracy:.2%}, loss {trained.info.test_loss:.4f}")
    saved = store.save(name, trained.model, trained.info)
    print(f"saved {saved.name} in {printable(store.root)}")
    if args.set_default:
        store.set_default(saved.name)
        print(f"{saved.name} is now the default model")
    return 0


def _stop_on_first_interrupt(stop: threading.Event) -> Callable[[int, object], None]:
    def handle(signum: int, frame: object) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()
        print("\nstopping after this batch (Ctrl+C again to abort)", file=sys.stderr)

    return handle


class ProgressPrinter:
    """Prints a one-line progress bar per epoch, redrawn in place on a terminal."""

    def __init__(self) -> None:
        self.redrawn = 0.0
        self.interactive = sys.stdout.isatty()

    def __call__(self, event: object) -> None:
        from mnist_core.progress import (
            BatchEnded,
            EpochEnded,
            TrainingEnded,
            TrainingStarted,
            clock,
            epochs_text,
        )

        if isinstance(event, TrainingStarted):
            digits = event.train_size - event.non_digits
            print(
                f"training on {digits} digits and {event.non_digits} non-digits, validating on "
                f"{event.validation_size}, {event.epochs} epochs of {event.steps_per_epoch} steps"
            )
        elif isinstance(event, BatchEnded) and self.interactive:
            now = time.monotonic()
            if now - self.redrawn >= REDRAW_SECONDS or event.step == event.steps:
                self.redrawn = now
                filled = round(BAR_WIDTH * event.step / event.steps)
                bar = "#" * filled + "." * (BAR_WIDTH - filled)
                print(
                    f"\repoch {event.epoch}/{event.epochs} [{bar}] {event.step}/{event.steps} "
                    f"loss {event.loss:.4f} acc {event.accuracy:.3f} "
                    f"{event.images_per_second:.0f} img/s ETA {clock(event.eta)}",
                    end="",
                    flush=True,
                )
        elif isinstance(event, EpochEnded):
            validation = (
                ""
                if event.val_accuracy is None
                else f", val loss {event.val_loss:.4f} acc {event.val_accuracy:.4f}"
            )
            print(
                f"{chr(13) if self.interactive else ''}epoch {event.epoch}/{event.epochs}: "
                f"loss {event.loss:.4f} acc {event.accuracy:.4f}{validation} "
                f"({clock(event.elapsed)} elapsed, ETA {clock(event.eta)})".ljust(100),
                flush=True,
            )
        elif isinstance(event, TrainingEnded):
            reason = (
                " (stopped on request)"
                if event.stopped_by_request
                else " (early stopping)"
                if event.stopped_early
                else ""
            )
            print(f"trained {epochs_text(event.epochs_run)} in {clock(event.elapsed)}{reason}")


def _evaluate(args: argparse.Namespace) -> int:
    from mnist_core.data import load_mnist
    from mnist_core.evaluate import evaluate
    from mnist_core.predict import load_classifier

    classifier = load_classifier(args.name, ModelStore(args.models_dir))
    result = evaluate(classifier, load_mnist(args.mnist))
    name = classifier.info.name if classifier.info is not None else args.name
    print(f"{name}: test accuracy {result.accuracy:.2%}, loss {result.loss:.4f}")
    print("digit  precision  recall")
    for digit in range(NUM_CLASSES):
        print(f"{digit:>5}  {result.precision[digit]:>9.2%}  {result.recall[digit]:>6.2%}")
    return 0


def _predict(args: argparse.Namespace) -> int:
    from mnist_core.predict import load_classifier

    classifier = load_classifier(args.model, ModelStore(args.models_dir))
    failed = 0
    for path in args.files:
        try:
            prediction = classifier.classify(path)
        except MnistCoreError as error:
            print(f"{printable(path)}: error: {printable(error)}", file=sys.stderr)
            failed += 1
            continue
        if prediction.is_digit:
            print(f"{printable(path)}: {prediction.label} ({prediction.confidence:.2%})")
        else:
            print(
                f"{printable(path)}: not a digit "
                f"(best guess {prediction.label}, {prediction.confidence:.0%})"
            )
    return 1 if failed else 0


def _models(args: argparse.Namespace) -> int:
    store = ModelStore(args.models_dir)
    infos = store.list_models()
    default = store.default_name()
    if not infos:
        print(f"no models in {printable(store.root)}")
    header = ("", "name", "architecture", "params", "test acc", "epochs", "train s", "created")
    rows = [header] + [
        (
            "*" if info.name == default else "",
            info.name,
            printable(info.architecture),
            f"{info.parameters:,}",
            "-" if info.test_accuracy is None else f"{info.test_accuracy:.2%}",
            f"{info.epochs_run:g}",
            f"{info.training_seconds:.0f}",
            printable(info.created),  # names are validated; the metadata's other text is not
        )
        for info in infos
    ]
    if infos:
        widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
        for row in rows:
            print(
                "  ".join(
                    cell.ljust(width) for cell, width in zip(row, widths, strict=True)
                ).rstrip()
            )
    for name, reason in store.broken_models().items():
        print(f"mnist-core: warning: {printable(name)}: {printable(reason)}", file=sys.stderr)
    return 0


def _samples_list(args: argparse.Namespace) -> int:
    store = open_sample_store(args.db)
    counts = store.counts(args.writer)
    print(f"{counts.sum()} samples in {printable(store.location)}")
    print("digit  " + "  ".join(f"{digit:>4}" for digit in range(NUM_CLASSES)))
    print("count  " + "  ".join(f"{count:>4}" for count in counts))
    if args.writer is None:
        for writer in store.writers():
            print(f"{printable(writer) or '(no name)'}: {store.counts(writer).sum()}")
    return 0


def _samples_export(args: argparse.Namespace) -> int:
    store = open_sample_store(args.db)
    data = store.export_npz(args.writer)
    try:
        args.file.write_bytes(data)
    except OSError as error:
        raise SampleStoreError(f"cannot write {args.file}: {error.strerror}") from error
    print(f"wrote {store.counts(args.writer).sum()} samples to {printable(args.file)}")
    return 0


def _samples_import(args: argparse.Namespace) -> int:
    data = read_samples_file(args.file)  # before the database is opened or made
    added = open_sample_store(args.db).import_npz(data, writer=args.writer or "")
    print(f"added {added} samples from {printable(args.file)}")
    return 0


def _finetune(args: argparse.Namespace) -> int:
    from mnist_core.config import FinetuneConfig
    from mnist_core.data import load_mnist
    from mnist_core.finetune import FinetuneTask
    from mnist_core.store import validate_name

    config = _settings(FinetuneConfig, args)
    store = ModelStore(args.models_dir)
    store.check_writable()
    base = store.info(store.resolve(args.model))  # an unknown model stops it before anything
    images, labels = open_sample_store(args.db).arrays(args.writer)
    task = FinetuneTask(base.name, str(store.root), images, labels, config)
    name = validate_name(args.name or f"{task.name_stem}-{datetime.now():%Y%m%d-%H%M%S}")
    trained = _run(task, load_mnist(args.mnist))
    before, after = trained.before, trained.after
    assert before is not None and after is not None  # a FinetuneTask always measures both
    print(f"held-out samples ({trained.held_out}) and MNIST test, before -> after:")
    print(f"  your handwriting {before.personal:.2%} -> {after.personal:.2%}")
    print(f"  MNIST test       {before.mnist:.2%} -> {after.mnist:.2%}")
    saved = store.save(name, trained.model, trained.info)
    print(f"saved {saved.name} in {printable(store.root)}")
    return 0


def main_exit() -> None:
    """Console-script entry point: exit with main()'s status."""
    sys.exit(main())
