"""What the Train and My handwriting pages show of a training job: Start and Stop, the queue,
live progress (one's own, or the one that runs for someone else), the result, and a form to save
the model."""

from __future__ import annotations

from collections.abc import Callable

import plotly.graph_objects as go
import streamlit as st

from digit_studio.resources import model_store, training_hall
from digit_studio.session import session_id, tab_open
from digit_studio.text import plain
from digit_studio.training_jobs import JobSnapshot, JobState, TrainingJob
from digit_studio.widgets import current_writer, show_first_layer
from mnist_core.config import RACE_ARCHITECTURES, TrainingConfig, race
from mnist_core.errors import MnistCoreError
from mnist_core.figures import race_curves, training_curves
from mnist_core.progress import clock, duration_text, epochs_text
from mnist_core.run import TrainingTask

WATCH_SECONDS = 2.0  # how often a watcher's view of someone else's training redraws


def request_training(task: TrainingTask) -> TrainingJob:
    """This session's job for `task`: started now, or queued behind the others."""
    return training_hall().request(
        task, owner=session_id(), owner_present=tab_open(), owner_name=current_writer()
    )


def start_and_stop(
    job_key: str,
    start_label: str,
    task: Callable[[], TrainingTask] | None,
) -> None:
    """Start and Stop for this session's job kept under `job_key`, and where it is in the queue
    while another session trains. `task` makes what to train when Start is pressed; None
    disables Start."""
    hall = training_hall()
    job: TrainingJob | None = st.session_state.get(job_key)
    queued = job is not None and job.snapshot().state is JobState.QUEUED
    running = job is not None and not job.done
    if queued and job is not None:
        show_place_in_queue(job)
    elif not running and hall.busy_for(session_id()):
        wait = hall.expected_wait()
        when = "" if wait is None else f", {duration_text(wait)} from now"
        st.info(
            "The server is training a model for someone else; you can watch it. Press "
            f"**{plain(start_label)}** to queue yours: it starts when the server is free{when}."
        )
    # One above the other: side by side, a narrow settings column cuts their labels.
    start = st.button(
        start_label,
        type="primary",
        icon=":material/play_arrow:",
        disabled=running or task is None,
        width="stretch",
    )
    if queued and job is not None:
        if st.button("Leave the queue", icon=":material/close:", width="stretch"):
            if hall.leave(job):  # else it has just started: the rerun shows it
                st.session_state.pop(job_key)
            st.rerun()
    elif (
        st.button("Stop", icon=":material/stop:", disabled=not running, width="stretch")
        and job is not None
    ):
        job.stop()
    if not running and hall.running is None and not hall.warm():
        st.caption("The trainer is still loading TensorFlow: a Start now waits for it.")
    start = confirm_discard(job_key, start, disabled=task is None)
    if start and task is not None:
        try:
            model_store().check_writable()  # before minutes of training, not after
            started = request_training(task())
        except MnistCoreError as error:
            st.error(plain(error))
        else:
            if job is not None:  # only now: a refused start keeps the unsaved result
                job.discard()
            st.session_state[job_key] = started
            st.session_state.pop(f"{job_key}-saved-as", None)
            st.rerun()


def show_place_in_queue(job: TrainingJob) -> None:
    hall = training_hall()
    ahead = hall.position(job)
    wait = hall.expected_wait(job)
    when = "" if wait is None else f": it should start in {duration_text(wait)}"
    others = "1 training is" if ahead == 1 else f"{ahead} trainings are"
    st.info(f"Your training is in the queue. {others} ahead of it{when}.")


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
    """The job's live charts while it runs; then how it ended, its charts and the save form.
    While it waits, or before there is one, the training that runs for someone else."""
    job: TrainingJob | None = st.session_state.get(job_key)
    if job is None or job.snapshot().state is JobState.QUEUED:
        others = training_hall().running
        if others is not None and others.owner != session_id():
            watch(others, job)
        elif job is None:
            st.info(waiting)
    elif not job.done:
        live_progress(job)
    else:
        show_result(job, what)
        show_progress(job)
        save_form(job, saved_key=f"{job_key}-saved-as")


def status_line(snapshot: JobSnapshot) -> tuple[float, str]:
    """The progress bar's fill and text: where training is, or how it ended, in one place."""
    latest, ended = snapshot.latest, snapshot.ended
    if latest is None:
        return 0.0, "Starting: building the network…"
    where = f"epoch {latest.epoch}/{latest.epochs} · step {latest.step}/{latest.steps}"
    if ended is not None:
        how = "Stopped" if ended.stopped_by_request else "Trained"
        done = 1.0 if not ended.stopped_by_request else latest.fraction_done
        return done, f"{how} at {where}: {epochs_text(ended.epochs_run)} in {clock(ended.elapsed)}"
    text = f"{where.capitalize()} · {latest.images_per_second:,.0f} images/s · "
    text += f"{clock(latest.elapsed)} elapsed"
    if snapshot.stop_requested:
        return latest.fraction_done, f"{text} · stopping after this batch…"
    if latest.epoch == 1 and latest.step == 1:  # that step also built the graph: no pace yet
        return latest.fraction_done, f"{text} · timing the pace…"
    return latest.fraction_done, f"{text} · about {clock(latest.eta)} to go"


@st.cache_resource(max_entries=16, show_spinner=False)
def _curves(number: int, batches: int, epochs: int, _snapshot: JobSnapshot) -> go.Figure:
    """One figure per job and progress, shared by all who watch it: thirty watchers, one build."""
    return training_curves(_snapshot.batches, _snapshot.epochs)


def show_progress(job: TrainingJob) -> None:
    """Progress bar, status line and charts, from one snapshot of the job."""
    snapshot = job.snapshot()
    fill, text = status_line(snapshot)
    st.progress(min(fill, 1.0), text=text)
    if snapshot.state is JobState.TESTING:
        st.info("Trained. Measuring accuracy on the 10,000 test digits…")
    figure = _curves(job.number, len(snapshot.batches), len(snapshot.epochs), snapshot)
    st.plotly_chart(figure, key="training_curves", config={"displayModeBar": False})
    if snapshot.first_layer is not None:
        epoch = snapshot.first_layer.epoch
        when = "as initialized, at random" if epoch == 0 else f"after epoch {epoch}"
        show_first_layer(snapshot.first_layer.view, f"First layer, {when}")


@st.fragment(run_every=0.5)
def live_progress(job: TrainingJob) -> None:
    """Redraws twice a second without rerunning the page; reruns it once training ends."""
    show_progress(job)
    if job.done:
        st.rerun(scope="app")


@st.fragment(run_every=WATCH_SECONDS)
def watch(running: TrainingJob, mine: TrainingJob | None) -> None:
    """Someone else's training, redrawn every two seconds; the page reruns when it ends or
    when this session's queued job starts."""
    if running.done or (mine is not None and mine.snapshot().state is not JobState.QUEUED):
        st.rerun(scope="app")
    who = running.owner_name or "someone else"
    st.subheader(f"Training now, for {plain(who)}")
    left = training_hall().seconds_left(running)
    when = "" if left is None else f" · {duration_text(left)} left"
    st.caption(f"{describe(running.task)}{when}")
    show_progress(running)


def describe(task: TrainingTask) -> str:
    """What a job trains, in a line."""
    if isinstance(task, TrainingConfig):
        return f"{task.architecture}, {epochs_text(task.epochs)}, batches of {task.batch_size}"
    return "fine-tuning a model on someone's handwriting"


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
        f"{what} {how} after {epochs_text(info.epochs_run)} in "
        f"{clock(info.training_seconds)}: **{info.test_accuracy:.2%}** of the 10,000 test "
        "digits recognized."
    )
    if outcome.before is not None and outcome.after is not None:
        st.table(
            {
                "accuracy on": ["your held-out drawings", "MNIST's 10,000 test digits"],
                "before": [f"{outcome.before.personal:.1%}", f"{outcome.before.mnist:.2%}"],
                "after": [f"{outcome.after.personal:.1%}", f"{outcome.after.mnist:.2%}"],
            }
        )


def race_view(config: TrainingConfig | None) -> None:
    """A race: the same settings for the perceptron, the MLP and the CNN, one after the other,
    their accuracy on one chart, then each one's test accuracy and time."""
    jobs: list[TrainingJob] = st.session_state.get("race", [])
    racing = any(not job.done for job in jobs)
    names = ", ".join(RACE_ARCHITECTURES)
    if st.button(
        f"Race {names} on these settings",
        icon=":material/sports_score:",
        disabled=racing or config is None,
        width="stretch",
    ):
        try:
            started = training_hall().request_all(
                race(config),  # type: ignore[arg-type]
                owner=session_id(),
                owner_present=tab_open(),
                owner_name=current_writer(),
            )
        except MnistCoreError as error:
            st.error(plain(error))
        else:
            for job in jobs:
                job.discard()
            st.session_state["race"] = started
            st.rerun()
    if racing:
        live_race(jobs)
    elif jobs:
        show_race(jobs)


def show_race(jobs: list[TrainingJob]) -> None:
    snapshots = [job.snapshot() for job in jobs]
    names = [describe_network(job.task) for job in jobs]
    st.plotly_chart(
        race_curves([(name, s.batches) for name, s in zip(names, snapshots, strict=True)]),
        key="race_curves",
        config={"displayModeBar": False},
    )
    results = [job.outcome.info if job.outcome else None for job in jobs]
    st.table(
        {
            "network": names,
            "test accuracy": [f"{i.test_accuracy:.2%}" if i else "…" for i in results],
            "training time": [clock(i.training_seconds) if i else "…" for i in results],
        }
    )


@st.fragment(run_every=1.0)
def live_race(jobs: list[TrainingJob]) -> None:
    """The race as it runs, redrawn every second; the page reruns once it is over."""
    show_race(jobs)
    if all(job.done for job in jobs):
        st.rerun(scope="app")


def describe_network(task: TrainingTask) -> str:
    return task.architecture if isinstance(task, TrainingConfig) else "fine-tuning"


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
