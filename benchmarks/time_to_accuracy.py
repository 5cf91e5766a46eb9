"""Test accuracy against training seconds for every architecture and preset, in one run.

    python -m benchmarks.time_to_accuracy [--seconds-per-run 150] [--check-every 25]
        [--runs demo full ...] [--only curves | start-to-saved]

Curves: each run trains with `mnist_core.train.train`; every `--check-every` batches and at each
epoch's end a callback measures accuracy on MNIST's 10,000 test digits with the training clock
paused (batch-norm statistics recomputed first, as training does before it saves). A run ends at
its last epoch or after `--seconds-per-run` training seconds. The table is printed; the curves go
to docs/time_to_accuracy.html (plotly.js inline) and, screenshot in headless Chromium, to
docs/time_to_accuracy.png.

Start to saved: whole `mnist-core train` processes, the demo preset against the reference
(`cnn-classic`, constant Adam 1e-3, batch 128, no augmentation, 30,000 images), alternating,
twice each, timed from process start to the "saved" line.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import keras
import plotly.graph_objects as go

from benchmarks.serve import save_figure
from mnist_core.config import PRESETS, TrainingConfig
from mnist_core.data import Mnist, load_mnist
from mnist_core.evaluate import evaluate
from mnist_core.models import ARCHITECTURES
from mnist_core.predict import Classifier
from mnist_core.train import PreciseBatchNorm, train

ROOT = Path(__file__).resolve().parents[1]
FIGURE = ROOT / "docs" / "time_to_accuracy.html"
TARGETS = (0.98, 0.99, 0.995)
REFERENCE = "reference"
REFERENCE_IMAGES = 30_000  # the yardstick: the classic CNN on half an epoch
FIGURE_SIZE = {"width": 1100, "height": 620}
Y_RANGE = (0.95, 1.0)  # where the runs differ; lower curves enter from below
TRAIN_COMMANDS = {
    "demo": ["train", "--preset", "demo"],
    REFERENCE: [
        "train", "--architecture", "cnn-classic", "--lr-schedule", "constant",
        "--learning-rate", "0.001", "--batch-size", "128", "--no-augment",
        "--train-size", str(REFERENCE_IMAGES), "--epochs", "1", "--patience", "none",
    ],
}  # fmt: skip


@dataclass(frozen=True)
class Run:
    name: str
    label: str
    config: TrainingConfig


@dataclass(frozen=True)
class Check:
    seconds: float  # of training, measuring left out
    images: int  # training images seen so far
    accuracy: float  # on MNIST's 10,000 test digits


@dataclass(frozen=True)
class Curve:
    run: Run
    checks: list[Check]
    epochs_run: float  # whole epochs and the part of one the time limit cut short
    timed_out: bool  # ended by --seconds-per-run, not by its epochs
    seconds_to_reference_images: float | None  # training seconds to see 30,000 images


def all_runs() -> list[Run]:
    """Every preset, the reference, and each architecture neither covers with the demo recipe."""
    runs = [
        Run(name, f"{name} preset ({preset.config().architecture})", preset.config())
        for name, preset in PRESETS.items()
    ]
    runs.append(
        Run(
            REFERENCE,
            "reference (cnn-classic, constant Adam 1e-3, batch 128)",
            TrainingConfig(
                architecture="cnn-classic",
                epochs=12,  # as many as the time allows: a constant rate needs no end
                batch_size=128,
                learning_rate=1e-3,
                lr_schedule="constant",
                augment=False,
                early_stopping_patience=None,
            ),
        )
    )
    covered = {run.config.architecture for run in runs}
    runs += [
        Run(name, f"{name} (demo recipe)", PRESETS["demo"].config(architecture=name))
        for name in ARCHITECTURES
        if name not in covered
    ]
    return runs


class TestAccuracyCurve(keras.callbacks.Callback):
    """Test accuracy every `check_every` batches and at each epoch's end, the clock paused while
    it measures; stops training after `seconds_limit` training seconds."""

    def __init__(
        self, mnist: Mnist, config: TrainingConfig, check_every: int, seconds_limit: float
    ) -> None:
        super().__init__()
        self.mnist = mnist
        self.train_size = config.train_size or (len(mnist.x_train) - config.validation_size)
        self.batch_size = config.batch_size
        self.check_every = check_every
        self.seconds_limit = seconds_limit
        self.precise = PreciseBatchNorm(mnist.x_train)  # the images training itself uses
        self.checks: list[Check] = []
        self.timed_out = False
        self.seconds_to_reference_images: float | None = None

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.classifier = Classifier(self.model)
        self.precise.set_model(self.model)
        self.epoch = 0
        self.images = 0
        self.measuring = 0.0
        self.started = time.perf_counter()

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self.epoch = epoch

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        seen_this_epoch = min((batch + 1) * self.batch_size, self.train_size)
        self.images = self.epoch * self.train_size + seen_this_epoch
        seconds = self.training_seconds()
        if self.seconds_to_reference_images is None and self.images >= REFERENCE_IMAGES:
            self.seconds_to_reference_images = seconds
        if seconds >= self.seconds_limit:
            self.timed_out = True
            self.model.stop_training = True
            self.measure()
        elif (batch + 1) % self.check_every == 0:
            self.measure()

    def on_test_batch_end(self, batch: int, logs: dict | None = None) -> None:
        # Keras validates even an epoch the time limit cut short: nothing here needs it.
        if self.timed_out:
            self.model.stop_evaluating = True

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if not self.checks or self.checks[-1].images != self.images:
            self.measure()

    def training_seconds(self) -> float:
        return time.perf_counter() - self.started - self.measuring

    def measure(self) -> None:
        began = time.perf_counter()
        seconds = self.training_seconds()
        self.precise.on_train_end()
        accuracy = evaluate(self.classifier, self.mnist).accuracy
        self.checks.append(Check(seconds, self.images, accuracy))
        self.measuring += time.perf_counter() - began
        print(f"  {seconds:7.1f} s {self.images:8,} images  test {accuracy:.2%}", flush=True)


def curve(run: Run, mnist: Mnist, check_every: int, seconds_limit: float) -> Curve:
    """Train `run` and measure its test accuracy along the way."""
    print(f"{run.label}: load average {os.getloadavg()[0]:.1f}", flush=True)
    meter = TestAccuracyCurve(mnist, run.config, check_every, seconds_limit)
    train(run.config, mnist, callbacks=[meter])
    epochs_run = meter.images / meter.train_size
    return Curve(run, meter.checks, epochs_run, meter.timed_out, meter.seconds_to_reference_images)


def seconds_to(curve: Curve, target: float) -> float | None:
    """Training seconds at the first check at or above `target`; None if never."""
    return next((check.seconds for check in curve.checks if check.accuracy >= target), None)


def table(curves: list[Curve], seconds_limit: float) -> str:
    """A Markdown table: speed, time to each target, final accuracy, and the reference ratio."""
    reference = next((found for found in curves if found.run.name == REFERENCE), None)
    yardstick = reference.seconds_to_reference_images if reference else None
    header = (
        "| run | ran | images/s | "
        + " | ".join(f"to {target:.1%}" for target in TARGETS)
        + " | final | to 99% / reference's 30,000 images |"
    )
    rows = [header, "|" + " --- |" * (len(TARGETS) + 5)]
    for found in curves:
        last = found.checks[-1]
        ran = f"{found.epochs_run:.2f} of {found.run.config.epochs} epochs"
        if found.timed_out:
            ran += f", stopped at {seconds_limit:.0f} s"
        times = [seconds_to(found, target) for target in TARGETS]
        cells = [
            f"{seconds:.1f} s" if seconds is not None else f"not reached in {last.seconds:.0f} s"
            for seconds in times
        ]
        to_99 = times[TARGETS.index(0.99)]
        ratio = f"{to_99 / yardstick:.2f}" if to_99 is not None and yardstick else "-"
        rate = last.images / last.seconds
        rows.append(
            f"| {found.run.label} | {ran} | {rate:,.0f} | {' | '.join(cells)} | "
            f"{last.accuracy:.2%} | {ratio} |"
        )
    if yardstick:
        rows.append(f"\nreference: {yardstick:.1f} training seconds for 30,000 images")
    return "\n".join(rows)


def accuracy_figure(curves: list[Curve]) -> go.Figure:
    """Test accuracy against training seconds, one line per run, the targets as guide lines."""
    figure = go.Figure()
    for found in curves:
        figure.add_trace(
            go.Scatter(
                x=[check.seconds for check in found.checks],
                y=[check.accuracy for check in found.checks],
                mode="lines+markers",
                name=f"{found.run.label}: {found.checks[-1].accuracy:.2%}",
            )
        )
    for target in TARGETS:
        figure.add_hline(
            y=target, line_dash="dot", line_color="grey",
            annotation_text=f"{target:.1%}", annotation_position="bottom right",
        )  # fmt: skip
    reference = next((found for found in curves if found.run.name == REFERENCE), None)
    if reference and reference.seconds_to_reference_images:
        figure.add_vline(
            x=reference.seconds_to_reference_images, line_dash="dash", line_color="black",
            annotation_text="reference: 30,000 images", annotation_position="top left",
        )  # fmt: skip
    figure.update_layout(
        **FIGURE_SIZE,
        title="MNIST test accuracy against training seconds (measuring left out)",
        xaxis={"title": "training seconds", "rangemode": "tozero"},
        yaxis={
            "title": "test accuracy (below 95%: off the chart)",
            "range": Y_RANGE,
            "tickformat": ".1%",
        },
        legend={"x": 0.99, "xanchor": "right", "y": 0.02, "yanchor": "bottom"},
        template="plotly_white",
    )
    return figure


@dataclass(frozen=True)
class Process:
    seconds: float  # from process start to the "saved" line
    accuracy: str  # as the CLI printed it


def start_to_saved(command: list[str]) -> Process:
    """Run `mnist-core` into a fresh model store; time it until it says the model is saved."""
    with tempfile.TemporaryDirectory() as models:
        began = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "-m", "mnist_core", "--models-dir", models, *command],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"},
        )
        output, saved = [], None
        for line in process.stdout or ():
            output.append(line)
            if saved is None and line.startswith("saved "):
                saved = time.perf_counter() - began
        if process.wait() != 0 or saved is None:
            raise SystemExit(f"mnist-core {' '.join(command)} failed:\n{''.join(output[-20:])}")
    found = re.search(r"test accuracy (\d+\.\d+%)", "".join(output))
    return Process(saved, found.group(1) if found else "?")


def compare_start_to_saved(rounds: int = 2) -> None:
    """The demo preset against the reference, alternating, `rounds` times each."""
    timed: dict[str, list[Process]] = {name: [] for name in TRAIN_COMMANDS}
    for round_number in range(1, rounds + 1):
        for name, command in TRAIN_COMMANDS.items():
            load = os.getloadavg()[0]
            timed[name].append(start_to_saved(command))
            last = timed[name][-1]
            print(
                f"round {round_number} {name:<9} {last.seconds:6.1f} s start to saved, "
                f"test accuracy {last.accuracy} (load average before {load:.1f})",
                flush=True,
            )
    demo, reference = (statistics.mean(p.seconds for p in timed[name]) for name in TRAIN_COMMANDS)
    print(f"\nmnist-core train --preset demo: {demo:.1f} s on average")
    reference_options = " ".join(TRAIN_COMMANDS[REFERENCE][1:])
    print(f"mnist-core train {reference_options}: {reference:.1f} s on average")
    print(f"demo / reference: {demo / reference:.2f} (the goal: at most 1)")


def main() -> None:
    runs = {run.name: run for run in all_runs()}
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds-per-run", type=float, default=150)
    parser.add_argument("--check-every", type=int, default=25, help="batches between checks")
    parser.add_argument("--runs", nargs="+", choices=runs, default=list(runs))
    parser.add_argument("--only", choices=["curves", "start-to-saved"])
    parser.add_argument("--figure", type=Path, default=FIGURE, help="the HTML; the PNG beside it")
    args = parser.parse_args()
    if args.only != "start-to-saved":
        mnist = load_mnist()
        curves = [
            curve(runs[name], mnist, args.check_every, args.seconds_per_run) for name in args.runs
        ]
        print()
        print(table(curves, args.seconds_per_run))
        png = save_figure(accuracy_figure(curves), args.figure, FIGURE_SIZE)
        print(f"\nfigure: {args.figure}, {png}")
    if args.only != "curves":
        print()
        compare_start_to_saved()


if __name__ == "__main__":
    main()
