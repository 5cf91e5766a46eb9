"""Train a network and watch its loss and accuracy move, live; save it when it is done."""

import streamlit as st

from digit_studio.text import plain
from digit_studio.training_view import job_view, start_and_stop
from digit_studio.ui import setup_page
from mnist_core.config import (
    BATCH_SIZES,
    EPOCHS_RANGE,
    LEARNING_RATES,
    LR_SCHEDULES,
    PATIENCE_RANGE,
    PRESETS,
    SEED_RANGE,
    TRAIN_SIZE_RANGE,
    VALIDATION_SIZE_RANGE,
    TrainingConfig,
    check_fits_mnist,
    config_from_query,
    config_to_query,
)
from mnist_core.errors import MnistCoreError
from mnist_core.jobs import TrainingJob
from mnist_core.models import ARCHITECTURES, parameter_count

setup_page("Train")
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
    architectures = list(ARCHITECTURES)
    architecture = st.selectbox(
        "Network",
        architectures,
        index=architectures.index(start.architecture),
        disabled=disabled,
    )
    st.caption(f"{ARCHITECTURES[architecture].description} · {parameters(architecture):,} weights")
    preset_keys = [*PRESETS, "custom"]
    preset_index = next(
        (
            i
            for i, key in enumerate(PRESETS)
            if PRESETS[key].train_size == start.train_size
            and PRESETS[key].validation_size == start.validation_size
        ),
        len(PRESETS),
    )
    preset = st.radio(
        "Training set",
        preset_keys,
        index=preset_index,
        format_func=lambda key: PRESETS[key].label if key in PRESETS else "Custom size",
        disabled=disabled,
    )
    if preset in PRESETS:
        train_size, validation_size = PRESETS[preset].train_size, PRESETS[preset].validation_size
        default_epochs = (
            PRESETS[preset].epochs if preset_index != preset_keys.index(preset) else start.epochs
        )
    else:
        train_size = st.number_input(
            "Training images",
            *TRAIN_SIZE_RANGE,
            start.train_size or 50_000,
            step=1000,
            disabled=disabled,
        )
        validation_size = st.number_input(
            "Validation images",
            *VALIDATION_SIZE_RANGE,
            start.validation_size,
            step=1000,
            disabled=disabled,
        )
        default_epochs = start.epochs
    with st.expander("More settings"):
        epochs = st.slider("Epochs", *EPOCHS_RANGE, default_epochs, disabled=disabled)
        batch_size = st.select_slider(
            "Batch size", BATCH_SIZES, start.batch_size, disabled=disabled
        )
        learning_rate = st.select_slider(
            "Learning rate",
            LEARNING_RATES,
            start.learning_rate,
            format_func=lambda rate: f"{rate:g}",
            disabled=disabled,
        )
        schedule = st.radio(
            "Learning-rate schedule",
            LR_SCHEDULES,
            LR_SCHEDULES.index(start.lr_schedule),
            horizontal=True,
            disabled=disabled,
        )
        augment = st.toggle(
            "Augment: shifted, tilted, resized, thicker and thinner digits",
            start.augment,
            disabled=disabled,
        )
        early_stopping = st.toggle(
            "Stop early when validation accuracy stops improving",
            start.early_stopping_patience is not None,
            disabled=disabled or validation_size == 0,
        )
        patience = st.number_input(
            "Patience (epochs)",
            *PATIENCE_RANGE,
            start.early_stopping_patience or 3,
            disabled=disabled or not early_stopping,
        )
        seed = st.number_input("Random seed", *SEED_RANGE, start.seed, disabled=disabled)
    try:
        config = TrainingConfig(
            architecture=architecture,
            epochs=int(epochs),
            batch_size=int(batch_size),
            learning_rate=float(learning_rate),
            lr_schedule=schedule,
            augment=augment,
            train_size=None if train_size is None else int(train_size),
            validation_size=int(validation_size),
            early_stopping_patience=int(patience) if early_stopping else None,
            seed=int(seed),
        )
        check_fits_mnist(config)
    except MnistCoreError as error:
        st.error(plain(error))
        return None
    return config


job: TrainingJob | None = st.session_state.get("training_job")
running = job is not None and not job.done

settings, progress = st.columns([1, 2], gap="large")
with settings:
    config = settings_form(job.config if job else initial_config(), disabled=running)
    if config is not None and not running:
        st.query_params.from_dict(config_to_query(config))
    start_and_stop("training_job", "Start", None if config is None else lambda: config)

with progress:
    job_view(
        "training_job",
        "Press **Start** to train. The charts fill in as the network learns.",
        "Training",
    )
