"""Train a network and watch its loss and accuracy move, live; save it when it is done."""

import streamlit as st

from digit_studio.ui import model_store, session_id, setup_page, show_first_layer, tab_open
from mnist_core.config import (
    LR_SCHEDULES,
    PRESETS,
    TrainingConfig,
    config_from_query,
    config_to_query,
)
from mnist_core.errors import MnistCoreError
from mnist_core.figures import training_curves
from mnist_core.jobs import JobState, TrainingJob, busy_for, start_training
from mnist_core.models import ARCHITECTURES, parameter_count
from mnist_core.train import clock

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
        st.warning(f"{error}; using the default settings instead.")
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
            "Training images", 100, 59_000, start.train_size or 50_000, step=1000, disabled=disabled
        )
        validation_size = st.number_input(
            "Validation images", 0, 20_000, start.validation_size, step=1000, disabled=disabled
        )
        default_epochs = start.epochs
    with st.expander("More settings"):
        epochs = st.slider("Epochs", 1, 30, default_epochs, disabled=disabled)
        batch_size = st.select_slider(
            "Batch size", [16, 32, 64, 128, 256, 512], start.batch_size, disabled=disabled
        )
        learning_rate = st.select_slider(
            "Learning rate",
            [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2],
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
            1,
            10,
            start.early_stopping_patience or 3,
            disabled=disabled or not early_stopping,
        )
        seed = st.number_input("Random seed", 0, 2**31 - 1, start.seed, disabled=disabled)
    try:
        return TrainingConfig(
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
    except MnistCoreError as error:
        st.error(str(error))
        return None


def show_progress(job: TrainingJob) -> None:
    """Progress bar, status line and charts, from one snapshot of the job."""
    snapshot = job.snapshot()
    latest = snapshot.latest
    if latest is None:
        st.progress(0.0, text="Starting: loading TensorFlow, MNIST and the network…")
    else:
        st.progress(
            min(latest.fraction_done, 1.0),
            text=(
                f"Epoch {latest.epoch}/{latest.epochs} · step {latest.step}/{latest.steps} · "
                f"{latest.images_per_second:,.0f} images/s · "
                f"{clock(latest.elapsed)} elapsed · about {clock(latest.eta)} to go"
            ),
        )
    if snapshot.state is JobState.TESTING:
        st.info("Trained. Measuring accuracy on the 10,000 test digits…")
    elif snapshot.stop_requested and snapshot.state is JobState.RUNNING:
        st.info("Stopping after this batch…")
    charts, weights = st.columns([3, 1])
    charts.plotly_chart(
        training_curves(snapshot.batches, snapshot.epochs),
        key="training_curves",
        config={"displayModeBar": False},
    )
    if snapshot.first_layer is not None:
        with weights:
            epoch = snapshot.first_layer.epoch
            when = "as initialized, at random" if epoch == 0 else f"after epoch {epoch}"
            show_first_layer(snapshot.first_layer.view, f"First layer, {when}")


@st.fragment(run_every=0.5)
def live_progress(job: TrainingJob) -> None:
    """Redraws twice a second without rerunning the page; reruns it once training ends."""
    show_progress(job)
    if job.done:
        st.rerun(scope="app")


def save_form(job: TrainingJob) -> None:
    outcome = job.outcome
    if outcome is None:
        return
    info = outcome.info
    how = (
        "stopped on request"
        if outcome.stopped_by_request
        else "stopped early"
        if outcome.stopped_early
        else "finished"
    )
    st.success(
        f"Training {how} after {info.epochs_run} epochs in {clock(info.training_seconds)}: "
        f"**{info.test_accuracy:.2%}** of the 10,000 test digits recognized."
    )
    saved = st.session_state.get("saved_as")
    if saved:
        st.info(f"Saved as **{saved}**: it is in every model chooser now.")
        return
    with st.form("save"):
        default_name = f"{info.architecture}-{int(job.created)}"
        name = st.text_input("Name", default_name, help="Letters, digits, - and _")
        make_default = st.checkbox("Make it the default model")
        if st.form_submit_button("Save", icon=":material/save:"):
            store = model_store()
            try:
                saved_info = store.save(name, job.model_file, info)
                if make_default:
                    store.set_default(saved_info.name)
            except MnistCoreError as error:
                st.error(str(error))
            else:
                st.session_state["saved_as"] = saved_info.name
                st.rerun()


job: TrainingJob | None = st.session_state.get("training_job")
running = job is not None and not job.done
someone_else = busy_for(session_id())

settings, progress = st.columns([1, 2], gap="large")
with settings:
    config = settings_form(job.config if job else initial_config(), disabled=running)
    if config is not None and not running:
        st.query_params.from_dict(config_to_query(config))
    if someone_else and not running:
        st.warning("The server is busy training a model for someone else. Try again in a while.")
    start_column, stop_column = st.columns(2)
    start = start_column.button(
        "Start",
        type="primary",
        icon=":material/play_arrow:",
        disabled=running or someone_else or config is None,
        width="stretch",
    )
    if stop_column.button("Stop", icon=":material/stop:", disabled=not running, width="stretch"):
        job.stop()
    if start and config is not None:
        try:
            if job is not None:
                job.discard()
            st.session_state["training_job"] = start_training(
                config, owner=session_id(), owner_present=tab_open()
            )
            st.session_state.pop("saved_as", None)
            st.rerun()
        except MnistCoreError as error:
            st.error(str(error))

with progress:
    if job is None:
        st.info("Press **Start** to train. The charts fill in as the network learns.")
    elif running:
        live_progress(job)
    else:
        snapshot = job.snapshot()
        if snapshot.state is JobState.FAILED:
            st.error(f"Training failed: {snapshot.error}")
        show_progress(job)
        save_form(job)
