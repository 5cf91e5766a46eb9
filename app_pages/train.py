"""Train a network and watch its loss and accuracy move, live; save it when it is done."""

import dataclasses
import functools
from typing import Any

import streamlit as st

from digit_studio.text import plain
from digit_studio.train_settings import (
    config_from_query,
    config_to_query,
    offered_range,
    offered_steps,
)
from digit_studio.training_jobs import TrainingJob
from digit_studio.training_view import job_view, start_and_stop
from mnist_core.config import LR_SCHEDULES, PRESETS, TrainingConfig, check_fits_mnist, preset_for
from mnist_core.errors import MnistCoreError
from mnist_core.models import ARCHITECTURES, parameter_count

st.title("Train a network")
st.caption(
    "Pick a network and how long to train it, press **Start**, and watch it learn. "
    "Training goes on if you visit another page; come back to see it."
)


@st.cache_data
def parameters(architecture: str) -> int:
    return parameter_count(architecture)


def initial_config() -> TrainingConfig:
    """The settings in the link, if it carries valid ones."""
    try:
        return config_from_query(st.query_params.to_dict())
    except MnistCoreError as error:
        st.warning(f"{plain(error)}; using the default settings instead.")
        return TrainingConfig()


def settings_form(start: TrainingConfig, disabled: bool) -> TrainingConfig | None:
    """The widgets for every setting, filled in from `start`; None while they don't fit."""
    chosen: dict[str, Any] = {}  # TrainingConfig's fields, as the widgets set them
    architectures = list(ARCHITECTURES)
    chosen["architecture"] = architecture = st.selectbox(
        "Network",
        architectures,
        index=architectures.index(start.architecture),
        disabled=disabled,
    )
    st.caption(f"{ARCHITECTURES[architecture].description} · {parameters(architecture):,} weights")
    start_preset = preset_for(start)
    preset = st.radio(
        "Training set",
        [*PRESETS, "custom"],
        index=list(PRESETS).index(start_preset.name) if start_preset else len(PRESETS),
        format_func=lambda key: PRESETS[key].label if key in PRESETS else "Custom size",
        disabled=disabled,
    )
    if preset in PRESETS:
        chosen["train_size"] = PRESETS[preset].train_size
        chosen["validation_size"] = PRESETS[preset].validation_size
        default_epochs = start.epochs if PRESETS[preset] == start_preset else PRESETS[preset].epochs
    else:
        chosen["train_size"] = st.number_input(
            "Training images",
            *offered_range("train_size"),
            start.train_size or 50_000,
            step=1000,
            disabled=disabled,
        )
        chosen["validation_size"] = st.number_input(
            "Validation images",
            *offered_range("validation_size"),
            start.validation_size,
            step=1000,
            disabled=disabled,
        )
        default_epochs = start.epochs
    with st.expander("More settings"):
        chosen["epochs"] = st.slider(
            "Epochs", *offered_range("epochs"), default_epochs, disabled=disabled
        )
        chosen["batch_size"] = st.select_slider(
            "Batch size", offered_steps("batch_size"), start.batch_size, disabled=disabled
        )
        chosen["learning_rate"] = st.select_slider(
            "Learning rate",
            offered_steps("learning_rate"),
            start.learning_rate,
            format_func=lambda rate: f"{rate:g}",
            disabled=disabled,
        )
        chosen["lr_schedule"] = st.radio(
            "Learning-rate schedule",
            LR_SCHEDULES,
            LR_SCHEDULES.index(start.lr_schedule),
            horizontal=True,
            disabled=disabled,
        )
        chosen["augment"] = st.toggle(
            "Augment: shifted, tilted, resized, thicker and thinner digits",
            start.augment,
            disabled=disabled,
        )
        early_stopping = st.toggle(
            "Stop early when validation accuracy stops improving",
            start.early_stopping_patience is not None,
            disabled=disabled or chosen["validation_size"] == 0,
        )
        patience = st.number_input(
            "Patience (epochs)",
            *offered_range("early_stopping_patience"),
            start.early_stopping_patience or 3,
            disabled=disabled or not early_stopping,
        )
        chosen["early_stopping_patience"] = patience if early_stopping else None
        chosen["seed"] = st.number_input(
            "Random seed", *offered_range("seed"), start.seed, disabled=disabled
        )
    try:
        config = TrainingConfig(**chosen)
        check_fits_mnist(config)
    except MnistCoreError as error:
        st.error(plain(error))
        return None
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

with progress:
    job_view(
        "training_job",
        "Press **Start** to train. The charts fill in as the network learns.",
        "Training",
    )
