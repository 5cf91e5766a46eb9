"""What the Train and My handwriting pages show of a training job: Start and Stop, live
progress, the result, and a form to save the model."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from digit_studio.resources import model_store
from digit_studio.session import session_id, tab_open
from digit_studio.text import plain
from digit_studio.training_jobs import JobState, TrainingJob
from digit_studio.training_slot import busy_for, start_training
from digit_studio.widgets import show_first_layer
from mnist_core.errors import MnistCoreError
from mnist_core.figures import training_curves
from mnist_core.progress import clock
from mnist_core.run import TrainingTask


def start_and_stop(
    job_key: str,
    start_label: str,
    task: Callable[[], TrainingTask] | None,
) -> None:
    """Start and Stop for this session's job kept under `job_key`, and a message while another
    session trains. `task` makes what to train when Start is pressed; None disables Start."""
    job: TrainingJob | None = st.session_state.get(job_key)
    running = job is not None and not job.done
    someone_else = busy_for(session_id())
    if someone_else and not running:
        st.warning("The server is busy training a model for someone else. Try again in a while.")
    start_column, stop_column = st.columns(2)
    start = start_column.button(
        start_label,
        type="primary",
        icon=":material/play_arrow:",
        disabled=running or someone_else or task is None,
        width="stretch",
    )
    stopping = stop_column.button(
        "Stop", icon=":material/stop:", disabled=not running, width="stretch"
    )
    if stopping and job is not None:
        job.stop()
    start = confirm_discard(job_key, start, disabled=someone_else or task is None)
    if start and task is not None:
        try:
            model_store().check_writable()  # before minutes of training, not after
            started = start_training(task(), owner=session_id(), owner_present=tab_open())
        except MnistCoreError as error:
            st.error(plain(error))
        else:
            if job is not None:  # only now: a refused start keeps the unsaved result
                job.discard()
            st.session_state[job_key] = started
            st.session_state.pop(f"{job_key}-saved-as", None)
            st.rerun()


def confirm_discard(job_key: str, start: bool, disabled: bool) -> bool:
    """Whether to start now: a finished model not yet saved is only thrown away when the user
    says so, after a second question."""
    job: TrainingJob | None = st.session_state.get(job_key)
    asking = f"{job_key}-confirm-discard"
    unsaved = (
        job is not None
        and job.done
        and job.outcome is not None
        and not st.session_state.get(f"{job_key}-saved-as")
    )
    if not unsaved:
        st.session_state.pop(asking, None)
        return start
    if not (start or st.session_state.get(asking)):
        return False
    st.session_state[asking] = True
    st.warning("Your last model is not saved. Save it first, or discard it and start again?")
    discard_column, keep_column = st.columns(2)
    discard = discard_column.button(
        "Discard it and start",
        key=f"{asking}-yes",
        icon=":material/delete:",
        disabled=disabled,
        width="stretch",
    )
    if keep_column.button("Keep it", key=f"{asking}-no", width="stretch"):
        st.session_state.pop(asking)
        st.rerun()
    if discard:
        st.session_state.pop(asking)
    return discard


def job_view(job_key: str, waiting: str, what: str) -> None:
    """The job's live charts while it runs; then how it ended, its charts and the save form."""
    job: TrainingJob | None = st.session_state.get(job_key)
    if job is None:
        st.info(waiting)
    elif not job.done:
        live_progress(job)
    else:
        show_result(job, what)
        show_progress(job)
        save_form(job, saved_key=f"{job_key}-saved-as")


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


def show_result(job: TrainingJob, what: str) -> None:
    """How the job ended and its test accuracy (and a fine-tuning's before and after), or its
    failure's message."""
    snapshot = job.snapshot()
    if snapshot.state is JobState.FAILED:
        st.error(f"{what} failed: {plain(snapshot.error)}")
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
        f"{what} {how} after {info.epochs_run} epochs in {clock(info.training_seconds)}: "
        f"**{info.test_accuracy:.2%}** of the 10,000 test digits recognized."
    )
    if outcome.before is not None and outcome.after is not None:
        st.table(
            {
                "accuracy on": ["your held-out drawings", "MNIST's 10,000 test digits"],
                "before": [f"{outcome.before.personal:.1%}", f"{outcome.before.mnist:.2%}"],
                "after": [f"{outcome.after.personal:.1%}", f"{outcome.after.mnist:.2%}"],
            }
        )


def save_form(job: TrainingJob, saved_key: str) -> None:
    """Name the finished job's model and save it to the store (once: `saved_key` remembers)."""
    if job.outcome is None:
        return
    saved = st.session_state.get(saved_key)
    if saved:
        # A stored name is letters, digits, - and _: nothing in a code span is Markdown.
        st.info(f"Saved as `{saved}`: it is in every model chooser now.")
        return
    with st.form(f"save-{saved_key}"):
        name = st.text_input("Name", job.suggested_name, help="Letters, digits, - and _")
        make_default = st.checkbox("Make it the default model")
        if st.form_submit_button("Save", icon=":material/save:"):
            store = model_store()
            try:
                saved_info = store.save(name, job.model_file, job.outcome.info)
                if make_default:
                    store.set_default(saved_info.name)
            except MnistCoreError as error:
                st.error(plain(error))
            else:
                st.session_state[saved_key] = saved_info.name
                st.rerun()
