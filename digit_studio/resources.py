"""What the server loads once and every session shares: st.cache_resource loaders for the model
store, the models, MNIST, evaluations, the handwriting samples database, the class board
and the trainings."""

from __future__ import annotations

import contextlib
import gc
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
import plotly.graph_objects as go
import streamlit as st
from streamlit.runtime import Runtime

from digit_studio.text import plain
from digit_studio.training_hall import (
    DEFAULT_SLOTS,
    TrainingHall,
    kinds_to_measure,
    training_slots,
)
from mnist_core.class_board import ClassBoard, class_board, wall_label
from mnist_core.convolution import FirstConvolution, first_convolution
from mnist_core.data import Mnist, load_mnist
from mnist_core.errors import MnistCoreError, NoConvolutionError
from mnist_core.evaluate import EvaluationResult, evaluate
from mnist_core.explain import Inspector
from mnist_core.figures import class_confusion_figure, drawing_wall, png
from mnist_core.portraits import DigitPortraits, PortraitPainter
from mnist_core.predict import Classifier, load_classifier
from mnist_core.samples import (
    SampleStore,
    open_sample_store,
    samples_database,
    samples_database_url,
)
from mnist_core.store import ModelInfo, ModelStore

T = TypeVar("T")
_LOGGER = logging.getLogger(__name__)


def model_store() -> ModelStore:
    return ModelStore()


def spare_the_garbage_collector() -> None:
    """Exempt every object alive now from garbage collection: called once a model is loaded.

    After every script run Streamlit calls keras' clear_session and both run a full garbage
    collection, which walks TensorFlow's millions of objects: ~300 ms of CPU per run, the
    server's main cost. TensorFlow and a cached model live as long as the server anyway.
    """
    gc.freeze()


def keep_compiled_models() -> None:
    """Stop Streamlit calling keras' clear_session after every script run.

    A fix from the days of TensorFlow 1's graphs (streamlit#843), it now empties TensorFlow's
    kernel cache: the next call of every cached model compiles its graph again, ~35 ms of CPU
    per answer where the call itself takes ~2. Our models live as long as the server, and the
    app never imports matplotlib, the other module that cleanup serves.
    """
    from streamlit.runtime.scriptrunner import script_runner

    if hasattr(script_runner, "_clean_problem_modules"):
        script_runner._clean_problem_modules = _clean_nothing


def _clean_nothing() -> None:
    """What Streamlit cleans after a run in a server whose models are kept: nothing."""


@st.cache_resource(max_entries=8, show_spinner="Loading the model…")
def _classifier(name: str, file: str) -> Classifier:
    # `file` changes when a model is saved again under the same name: a new cache entry.
    classifier = load_classifier(name, model_store())
    spare_the_garbage_collector()
    keep_compiled_models()
    return classifier


def _or_message(load: Callable[[], T]) -> T | None:
    """What `load` returns, or None with the error shown where the page expected the result."""
    try:
        return load()
    except MnistCoreError as error:
        st.error(plain(error))
        return None


def cached_classifier(info: ModelInfo) -> Classifier | None:
    """The model, loaded once per process for every session; None (with a message) on failure."""
    return _or_message(lambda: _classifier(info.name, info.file))


@st.cache_resource(max_entries=8, show_spinner=False)
def _inspector(name: str, file: str) -> Inspector:
    return Inspector(_classifier(name, file).model)


def cached_inspector(info: ModelInfo) -> Inspector | None:
    """Saliency and layer views for the model, built once per model."""
    return _or_message(lambda: _inspector(info.name, info.file))


@st.cache_resource(max_entries=8, show_spinner=False)
def _first_convolution(name: str, file: str) -> FirstConvolution:
    return first_convolution(_classifier(name, file).model)


def cached_first_convolution(info: ModelInfo) -> FirstConvolution | None:
    """The model's first convolution as it computes, once per model; None (with a message) when
    it cannot load. NoConvolutionError for a network without one: the page says why."""
    try:
        return _first_convolution(info.name, info.file)
    except NoConvolutionError:
        raise
    except MnistCoreError as error:
        st.error(plain(error))
        return None


@st.cache_resource(max_entries=8, show_spinner=False)
def _portrait_painter(name: str, file: str) -> PortraitPainter:
    return PortraitPainter(_classifier(name, file).model)


@dataclass(frozen=True)
class PaintedPortraits:
    portraits: DigitPortraits
    sure: np.ndarray  # (10,) how sure the model is of each portrait, calibrated as it answers
    seconds: float  # this server's time to paint them (and, the first time, to trace)


@st.cache_resource(
    max_entries=32, show_spinner="Painting what the network thinks digits look like…"
)
def _portraits(name: str, file: str, seed: int) -> PaintedPortraits:
    started = time.perf_counter()
    portraits = _portrait_painter(name, file).paint(seed=seed)
    answers = _classifier(name, file).predict_proba(portraits.images)
    own = np.arange(len(answers))
    return PaintedPortraits(portraits, answers[own, own], time.perf_counter() - started)


_warmed: set[tuple[str, str]] = set()  # the models whose painter is traced or being traced
_warming_lock = threading.Lock()


def warm_portrait_painter(info: ModelInfo) -> threading.Thread | None:
    """Trace the model's portrait painter in the background, once per model, while the page
    offers to paint: the first painting of a model costs its tracing too (2.7 s against 1 s
    here, benchmarks/predict_latency.py), which a click then no longer waits for. None when it
    is warm or warming already."""
    key = (info.name, info.file)
    with _warming_lock:
        if key in _warmed:
            return None
        _warmed.add(key)

    def warm() -> None:
        with contextlib.suppress(MnistCoreError):  # the page reports a model that cannot load
            _portrait_painter(*key).paint(steps=1)

    thread = threading.Thread(target=warm, name=f"warm-portraits-{info.name}", daemon=True)
    thread.start()
    return thread


def cached_portraits(info: ModelInfo, seed: int) -> PaintedPortraits | None:
    """What the model thinks each digit looks like, painted once per model and start (`seed`)
    for every session; None (with a message) when the model cannot load."""
    return _or_message(lambda: _portraits(info.name, info.file, seed))


@st.cache_resource(show_spinner="Loading MNIST…")
def cached_mnist() -> Mnist:
    return load_mnist()


@st.cache_resource(max_entries=8, show_spinner="Classifying the 10,000 test digits…")
def _evaluation(name: str, file: str) -> EvaluationResult:
    return evaluate(_classifier(name, file), cached_mnist())


def cached_evaluation(info: ModelInfo) -> EvaluationResult | None:
    """The test-set evaluation, computed once per model; None (with a message) on failure."""
    return _or_message(lambda: _evaluation(info.name, info.file))


@st.cache_resource(show_spinner=False)
def _sample_store(database: str) -> SampleStore:
    return open_sample_store(database)  # opened, checked and migrated once per server


def sample_store() -> SampleStore | None:
    """The handwriting samples database the environment names (PostgreSQL's URL or SQLite's
    file), shared by every session; None (with a message) when it can't be opened."""
    return _or_message(lambda: _sample_store(samples_database()))


BOARD_SECONDS = 1.0  # how long one reading of the class board serves every session watching it
WALL_SIZE = 30  # drawings on the wall: a class's latest
BOARD_HIDDEN = "board_hidden"  # the class setting: "1" while the teacher hides the board


@dataclass(frozen=True)
class BoardReading:
    """One reading of the class board, with what every watcher would otherwise redraw."""

    board: ClassBoard
    hidden: bool  # the teacher hid it from students
    wall: bytes | None  # the newest drawings with their labels, one PNG; None without any
    confusion: go.Figure | None  # None until a student checked an answer


@st.cache_resource(ttl=BOARD_SECONDS, show_spinner=False)
def _class_board(database: str) -> BoardReading:
    # One reading a second, however many watch: Streamlit runs it once per key and expiry while
    # the other sessions wait for its result. Drawing is part of it, and the wall is one
    # picture: 30 watchers redrawing every 2 s would otherwise encode and fetch 450 a second.
    store = _sample_store(database)
    board = class_board(store.class_answers(WALL_SIZE), taken=time.time())
    shown = [answer for answer in board.wall if answer.image is not None]
    wall = drawing_wall(
        [a.image for a in shown if a.image is not None], [wall_label(a) for a in shown]
    )
    return BoardReading(
        board,
        hidden=store.class_setting(BOARD_HIDDEN) == "1",
        wall=png(wall) if shown else None,
        confusion=class_confusion_figure(board.confusion) if board.checked else None,
    )


def cached_class_board() -> BoardReading | None:
    """The class board as every watcher shows it, at most BOARD_SECONDS old; None (with a
    message) when the database can't be read."""
    return _or_message(lambda: _class_board(samples_database()))


def forget_class_board() -> None:
    """Drop the board's last reading: after the teacher clears or hides it, the next is fresh."""
    _class_board.clear()


@st.cache_resource(show_spinner=False)
def training_hall() -> TrainingHall:
    """The server's trainings, with a worker warming up from the first page anyone opens; it
    times each kind of training while idle, except where no server runs (AppTest). Servers
    sharing a PostgreSQL database ($DIGIT_STUDIO_DATABASE_URL) share its queue of trainings."""
    cluster, slots = None, DEFAULT_SLOTS
    try:
        url = samples_database_url()
        if url is not None:
            cluster, slots = _sample_store(url), training_slots()
    except MnistCoreError as error:  # drawing must go on: this server queues on its own
        _LOGGER.warning("trainings queue on this server only: %s", error)
    return TrainingHall(
        measure=kinds_to_measure() if Runtime.exists() else (),
        cluster=cluster,
        slots=slots,
    )
