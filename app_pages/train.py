"""Train a network and watch its loss and accuracy move, live; save it when it is done."""

import dataclasses
import functools
from typing import Any

import streamlit as st

from digit_studio.resources import training_hall
from digit_studio.text import plain
from digit_studio.train_settings import (
    config_from_query,
    config_to_query,
    offered_range,
    offered_steps,
)
from digit_studio.training_jobs import TrainingJob
from digit_studio.training_view import job_view, race_view, start_and_stop
from digit_studio.widgets import page_title
from mnist_core.config import (
    LR_SCHEDULES,
    MIN_CALIBRATION_DIGITS,
    PRESETS,
    TrainingConfig,
    check_fits_mnist,
    preset_for,
)
from mnist_core.errors import MnistCoreError
from mnist_core.models import ARCHITECTURES, parameter_count
from mnist_core.progress import duration_text

page_title(
    "Train a network",
    "neural network",
    "model",
    "perceptron",
    "MLP",
    "CNN",
    "convolution",
    "filter",
    "dense layer",
    "weight",
    "epoch",
    "batch",
    "batch size",
    "step",
    "loss",
    "accuracy",
    "validation",
    "overfitting",
    "learning rate",
    "learning-rate schedule",
    "augmentation",
    "not-a-digit",
    "early stopping",
    "patience",
    "random seed",
    "pixel",
)
st.caption(
    "Pick a network and how long to train it, press **Start**, and watch it learn. "
    "Training goes on if you visit another page; come back to see it."
)


@st.cache_data
def parameters(architecture: str) -> int:
    return parameter_count(architecture)


def initial_config() -> TrainingConfig:
    """The settings in the link, if it carries valid ones; else the demo."""
    demo = PRESETS["demo"].config()
    if not st.query_params:
        return demo
    try:
        return config_from_query(st.query_params.to_dict())
    except MnistCoreError as error:
        st.warning(f"{plain(error)}; using the demo's settings instead.")
        return demo


def time_label(config: TrainingConfig) -> str:
    """How long `config` takes on this server, from the pace measured here."""
    seconds = training_hall().expected_seconds(config)
    return "time not measured yet" if seconds is None else duration_text(seconds)


def settings_form(start: TrainingConfig, disabled: bool) -> TrainingConfig | None:
    """The widgets for every setting, filled in from `start`; None while they don't fit."""
    chosen: dict[str, Any] = {}  # TrainingConfig's fields, as the widgets set them
    start_preset = preset_for(start)
    preset = st.radio(
        "What to train",
        [*PRESETS, "custom"],
        index=list(PRESETS).index(start_preset.name) if start_preset else len(PRESETS),
        format_func=lambda key: (
            f"{PRESETS[key].label} · {time_label(PRESETS[key].config())}"
            if key in PRESETS
            else "Custom: choose every setting"
        ),
        disabled=disabled,
        key="preset",  # its labels' times change as they are measured: keep the choice
    )
    # A preset's recipe, or the link's settings; the widgets below start from it.
    base = start
    if preset in PRESETS and PRESETS[preset] is not start_preset:
        base = PRESETS[preset].config(seed=start.seed)
    architectures = list(ARCHITECTURES)
    chosen["architecture"] = architecture = st.selectbox(
        "Network",
        architectures,
        index=architectures.index(base.architecture),
        disabled=disabled,
    )
    st.caption(f"{ARCHITECTURES[architecture].description} · {parameters(architecture):,} weights")
    if preset in PRESETS:
        chosen["train_size"] = base.train_size
        chosen["validation_size"] = base.validation_size
    else:
        chosen["train_size"] = st.number_input(
            "Training images",
            *offered_range("train_size"),
            base.train_size or 50_000,
            step=1000,
            disabled=disabled,
        )
        chosen["validation_size"] = st.number_input(
            "Validation images",
            *offered_range("validation_size"),
            base.validation_size,
            step=1000,
            disabled=disabled,
        )
    with st.expander("More settings"):
        chosen["epochs"] = st.slider(
            "Epochs", *offered_range("epochs"), base.epochs, disabled=disabled
        )
        chosen["batch_size"] = st.select_slider(
            "Batch size", offered_steps("batch_size"), base.batch_size, disabled=disabled
        )
        chosen["learning_rate"] = st.select_slider(
            "Learning rate",
            offered_steps("learning_rate"),
            base.learning_rate,
            format_func=lambda rate: f"{rate:g}",
            disabled=disabled,
        )
        chosen["lr_schedule"] = st.radio(
            "Learning-rate schedule",
            LR_SCHEDULES,
            LR_SCHEDULES.index(base.lr_schedule),
            horizontal=True,
            disabled=disabled,
        )
        chosen["augment"] = st.toggle(
            "Augment: shifted, tilted, resized, thicker and thinner digits",
            base.augment,
            disabled=disabled,
        )
        chosen["non_digits"] = st.select_slider(
            "Non-digits mixed in: letters, shapes, doodles",
            offered_steps("non_digits"),
            base.non_digits,
            format_func=lambda share: f"{share:.0%}",
            help="Taught as no digit in particular, they let the model say \"that doesn't "
            'look like a digit". Shown as a share of the training digits.',
            disabled=disabled,
        )
        early_stopping = st.toggle(
            "Stop early when validation accuracy stops improving",
            base.early_stopping_patience is not None,
            disabled=disabled or chosen["validation_size"] == 0,
        )
        patience = st.number_input(
            "Patience (epochs)",
            *offered_range("early_stopping_patience"),
            base.early_stopping_patience or 3,
            disabled=disabled or not early_stopping,
        )
        chosen["early_stopping_patience"] = patience if early_stopping else None
        chosen["seed"] = st.number_input(
            "Random seed", *offered_range("seed"), base.seed, disabled=disabled
        )
    try:
        config = TrainingConfig(**chosen)
        check_fits_mnist(config)
    except MnistCoreError as error:
        st.error(plain(error))
        return None
    if not config.rejects_non_digits:
        st.caption(
            'This model will not be able to say "that doesn\'t look like a digit": that '
            f"needs non-digits mixed in and at least {MIN_CALIBRATION_DIGITS} validation "
            "images to set its threshold on."
        )
    seconds = training_hall().expected_seconds(config)
    st.caption(
        "This server is still timing this network."
        if seconds is None
        else f"Start to finish on this server: {duration_text(seconds)}, from its measured pace."
    )
    return config


job: TrainingJob | None = st.session_state.get("training_job")
running = job is not None and not job.done

settings, progress = st.columns([1, 2], gap="large")
with settings:
    shown = job.task if job is not None and isinstance(job.task, TrainingConfig) else None
    config = settings_form(shown or initial_config(), disabled=running)
    if config is not None and not running:
        st.query_params.from_dict(config_to_query(config))
    # Start trains a copy of the settings shown when it is pressed.
    start = None if config is None else functools.partial(dataclasses.replace, config)
    start_and_stop("training_job", "Start", start)
    with st.expander("A race: why convolutions win"):
        st.caption(
            "The perceptron, the MLP and the CNN, one after the other, on the same images "
            "with the same settings: their accuracy on one chart."
        )
        race_view(None if running else config)

with progress:
    job_view(
        "training_job",
        "Press **Start** to train. The charts fill in as the network learns.",
        "Training",
    )
