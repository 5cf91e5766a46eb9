"""`mnist-core`: train, evaluate, predict, list models, manage handwriting samples and
fine-tune on them, from a terminal."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

from mnist_core.errors import MnistCoreError, SampleStoreError
from mnist_core.samples import SampleStore, read_samples_file
from mnist_core.store import ModelStore

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
    from mnist_core.config import LR_SCHEDULES, FinetuneConfig, TrainingConfig
    from mnist_core.models import ARCHITECTURES

    defaults, finetune_defaults = TrainingConfig(), FinetuneConfig()
    parser = argparse.ArgumentParser(
        prog="mnist-core", description="Train, evaluate and use MNIST digit classifiers."
    )
    parser.add_argument(
        "--models-dir", type=Path, help="model store folder (default: $MNIST_MODELS_DIR or models/)"
    )
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    train = commands.add_parser("train", help="train a model and save it in the store")
    train.add_argument("--architecture", choices=list(ARCHITECTURES), default=defaults.architecture)
    train.add_argument("--epochs", type=int, default=defaults.epochs)
    train.add_argument("--batch-size", type=int, default=defaults.batch_size)
    train.add_argument("--learning-rate", type=float, default=defaults.learning_rate)
    train.add_argument("--lr-schedule", choices=LR_SCHEDULES, default=defaults.lr_schedule)
    train.add_argument(
        "--augment",
        action=argparse.BooleanOptionalAction,
        default=defaults.augment,
        help="drawn-digit augmentation: shifts, tilts, sizes, pen widths",
    )
    train.add_argument("--train-size", type=int, help="train on the first N images only")
    train.add_argument("--validation-size", type=int, default=defaults.validation_size)
    train.add_argument(
        "--patience",
        type=int,
        default=defaults.early_stopping_patience,
        help="early-stopping patience in epochs; 0 turns it off",
    )
    train.add_argument("--seed", type=int, default=defaults.seed)
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
        "--db", type=Path, help="samples database (default: $DIGIT_STUDIO_SAMPLES_DB or data/)"
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
    finetune.add_argument("--db", type=Path, help="samples database (default as for samples)")
    finetune.add_argument("--writer", help="only this writer's samples")
    finetune.add_argument("--epochs", type=int, default=finetune_defaults.epochs)
    finetune.add_argument("--learning-rate", type=float, default=finetune_defaults.learning_rate)
    finetune.add_argument("--seed", type=int, default=finetune_defaults.seed)
    finetune.add_argument(
        "--mnist", type=Path, help="an mnist.npz or IDX folder (default: bundled)"
    )
    finetune.set_defaults(command=_finetune)
    return parser


def _train(args: argparse.Namespace) -> int:
    from mnist_core.config import TrainingConfig
    from mnist_core.data import load_mnist
    from mnist_core.evaluate import evaluate
    from mnist_core.predict import Classifier
    from mnist_core.store import validate_name
    from mnist_core.train import train

    config = TrainingConfig(
        architecture=args.architecture,
        epochs=args.epochs,
        batch_size=args.batch_size,
        learning_rate=args.learning_rate,
        lr_schedule=args.lr_schedule,
        augment=args.augment,
        train_size=args.train_size,
        validation_size=args.validation_size,
        early_stopping_patience=args.patience or None,
        seed=args.seed,
    )
    name = validate_name(args.name or f"{args.architecture}-{datetime.now():%Y%m%d-%H%M%S}")
    store = ModelStore(args.models_dir)
    store.check_writable()  # now, not after minutes of training
    mnist = load_mnist(args.mnist)

    stop = threading.Event()
    previous_handler = signal.signal(signal.SIGINT, _stop_on_first_interrupt(stop))
    try:
        result = train(config, mnist, on_progress=ProgressPrinter(), stop=stop)
    finally:
        signal.signal(signal.SIGINT, previous_handler)
    evaluation = evaluate(Classifier(result.model), mnist)
    print(f"test accuracy {evaluation.accuracy:.2%}, loss {evaluation.loss:.4f}")
    saved = store.save(name, result.model, result.model_info(evaluation.accuracy, evaluation.loss))
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
        from mnist_core.train import (
            BatchEnded,
            EpochEnded,
            TrainingEnded,
            TrainingStarted,
            clock,
        )

        if isinstance(event, TrainingStarted):
            print(
                f"training on {event.train_size} images, validating on {event.validation_size}, "
                f"{event.epochs} epochs of {event.steps_per_epoch} steps"
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
            print(f"trained {event.epochs_run} epochs in {clock(event.elapsed)}{reason}")


def _evaluate(args: argparse.Namespace) -> int:
    from mnist_core.data import load_mnist
    from mnist_core.evaluate import evaluate
    from mnist_core.predict import load_classifier

    classifier = load_classifier(args.name, ModelStore(args.models_dir))
    result = evaluate(classifier, load_mnist(args.mnist))
    print(f"{classifier.info.name}: test accuracy {result.accuracy:.2%}, loss {result.loss:.4f}")
    print("digit  precision  recall")
    for digit in range(10):
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
        print(f"{printable(path)}: {prediction.label} ({prediction.confidence:.2%})")
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
            str(info.epochs_run),
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
    store = SampleStore(args.db)
    counts = store.counts(args.writer)
    print(f"{counts.sum()} samples in {printable(store.path)}")
    print("digit  " + "  ".join(f"{digit:>4}" for digit in range(10)))
    print("count  " + "  ".join(f"{count:>4}" for count in counts))
    if args.writer is None:
        for writer in store.writers():
            print(f"{printable(writer) or '(no name)'}: {store.counts(writer).sum()}")
    return 0


def _samples_export(args: argparse.Namespace) -> int:
    store = SampleStore(args.db)
    data = store.export_npz(args.writer)
    try:
        args.file.write_bytes(data)
    except OSError as error:
        raise SampleStoreError(f"cannot write {args.file}: {error.strerror}") from error
    print(f"wrote {store.counts(args.writer).sum()} samples to {printable(args.file)}")
    return 0


def _samples_import(args: argparse.Namespace) -> int:
    data = read_samples_file(args.file)  # before the database is opened or made
    added = SampleStore(args.db).import_npz(data, writer=args.writer or "")
    print(f"added {added} samples from {printable(args.file)}")
    return 0


def _finetune(args: argparse.Namespace) -> int:
    from mnist_core.config import FinetuneConfig
    from mnist_core.data import load_mnist
    from mnist_core.finetune import finetune
    from mnist_core.store import validate_name

    config = FinetuneConfig(epochs=args.epochs, learning_rate=args.learning_rate, seed=args.seed)
    store = ModelStore(args.models_dir)
    store.check_writable()
    model, base = store.load(args.model)
    name = validate_name(args.name or f"{base.name}-mine-{datetime.now():%Y%m%d-%H%M%S}")
    images, labels = SampleStore(args.db).arrays(args.writer)
    stop = threading.Event()
    previous_handler = signal.signal(signal.SIGINT, _stop_on_first_interrupt(stop))
    try:
        result = finetune(
            model, base, images, labels, load_mnist(args.mnist), config, ProgressPrinter(), stop
        )
    finally:
        signal.signal(signal.SIGINT, previous_handler)
    print(f"held-out samples ({result.personal_held_out}) and MNIST test, before -> after:")
    print(f"  your handwriting {result.before.personal:.2%} -> {result.after.personal:.2%}")
    print(f"  MNIST test       {result.before.mnist:.2%} -> {result.after.mnist:.2%}")
    saved = store.save(name, model, result.model_info())
    print(f"saved {saved.name} in {printable(store.root)}")
    return 0


def main_exit() -> None:
    """Console-script entry point: exit with main()'s status."""
    sys.exit(main())
