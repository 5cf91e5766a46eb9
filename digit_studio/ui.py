"""What every page shares, written once: page set-up, the model chooser, cached models."""

from __future__ import annotations

import gc
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import streamlit as st
from streamlit.runtime import Runtime
from streamlit.runtime.scriptrunner import get_script_run_ctx

from digit_studio.text import plain
from mnist_core.data import Mnist, load_mnist
from mnist_core.errors import MnistCoreError
from mnist_core.evaluate import EvaluationResult, evaluate
from mnist_core.explain import FirstLayer, Inspector
from mnist_core.figures import weight_grid
from mnist_core.predict import Classifier, load_classifier
from mnist_core.samples import SampleStore, samples_db_path
from mnist_core.store import ModelInfo, ModelStore

T = TypeVar("T")

APP_NAME = "Digit Studio"
APP_ICON = "✍️"


@dataclass(frozen=True)
class Page:
    path: str
    label: str
    icon: str
    summary: str  # one line for the home page


PAGES = (
    Page("app.py", "Home", ":material/home:", "What Digit Studio is"),
    Page(
        "pages/1_Draw.py", "Draw", ":material/draw:", "Draw a digit, see what the network answers"
    ),
    Page(
        "pages/2_Train.py", "Train", ":material/model_training:", "Train a network, watch it learn"
    ),
    Page("pages/3_Upload.py", "Upload", ":material/upload_file:", "Recognize photos of digits"),
    Page(
        "pages/4_Evaluate.py", "Evaluate", ":material/analytics:", "Score a model on 10,000 digits"
    ),
    Page("pages/5_Models.py", "Models", ":material/inventory_2:", "The saved networks"),
    Page(
        "pages/6_My_handwriting.py",
        "My handwriting",
        ":material/person_edit:",
        "Your corrected drawings: teach a network your handwriting",
    ),
)


def setup_page(label: str) -> None:
    """Page config, title and the sidebar's page links: the first call on every page.

    Our own links rather than Streamlit's list, which would call the home page "app".
    """
    page = next(page for page in PAGES if page.label == label)
    st.set_page_config(
        page_title=f"{page.label} · {APP_NAME}", page_icon=page.icon, layout="wide", menu_items={}
    )
    with st.sidebar:
        st.markdown(f"### {APP_ICON} {APP_NAME}")
        for entry in PAGES:
            st.page_link(entry.path, label=entry.label, icon=entry.icon)
        st.caption("See how a neural network reads handwriting.")


def big_digit(text: str, muted: bool = False) -> None:
    """The answer, sized for the back row of a classroom.

    Styled inline, not by a stylesheet element, so it never renders unstyled mid-rerun.
    """
    style = (
        "font-size:2.2rem;line-height:4.1;color:#8c9bb0;"
        if muted
        else "font-size:9rem;line-height:1;font-weight:700;"
    )
    st.markdown(
        f'<p class="big-digit" style="{style}text-align:center;margin:0">{text}</p>',
        unsafe_allow_html=True,
    )


def caption_line(text: str) -> None:
    """A centred line under the big digit; a blank one keeps the height when there is none."""
    st.markdown(
        f'<p style="font-size:1.4rem;text-align:center;min-height:2rem;margin:0">{text}</p>',
        unsafe_allow_html=True,
    )


def session_id() -> str:
    """A random id for this browser session: who owns a training run."""
    return st.session_state.setdefault("session_id", uuid.uuid4().hex)


def tab_open() -> Callable[[], bool]:
    """A check, safe from any thread, that this browser tab is still connected to the server.

    Streamlit has no hook for a closed tab; a training job asks this instead. Always true
    where no server runs (AppTest).
    """
    context = get_script_run_ctx()
    if context is None or not Runtime.exists():
        return lambda: True
    runtime, session = Runtime.instance(), context.session_id
    return lambda: runtime.is_active_session(session)


def model_store() -> ModelStore:
    return ModelStore()


def describe(info: ModelInfo) -> str:
    accuracy = "untested" if info.test_accuracy is None else f"{info.test_accuracy:.2%}"
    return f"{info.name} ({info.architecture}, {accuracy})"


def choose_model(label: str = "Model") -> ModelInfo | None:
    """A select box of the store's models, the default preselected; the choice follows the user
    from page to page. None (with a message) when the store is empty."""
    store = model_store()
    infos = {info.name: info for info in store.list_models()}
    if not infos:
        st.warning("There is no model yet: train one on the **Train** page.")
        return None
    names = list(infos)
    chosen = st.session_state.get("chosen_model")
    if chosen not in infos:
        chosen = store.default_name()
    name = st.selectbox(
        label,
        names,
        index=names.index(chosen) if chosen in names else 0,
        format_func=lambda name: describe(infos[name]),
    )
    st.session_state["chosen_model"] = name
    return infos[name]


@st.cache_resource(max_entries=8, show_spinner="Loading the model…")
def _classifier(name: str, file: str) -> Classifier:
    # `file` changes when a model is saved again under the same name: a new cache entry.
    classifier = load_classifier(name, model_store())
    # After every script run Streamlit calls keras' clear_session and both run a full garbage
    # collection, which walks TensorFlow's millions of objects: ~300 ms of CPU per run, the
    # server's main cost. Frozen objects are skipped by the collector; the model and TensorFlow
    # live as long as the server anyway.
    gc.freeze()
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


def show_first_layer(view: FirstLayer, caption: str) -> None:
    """The first layer's filters or weight images, red positive and blue negative."""
    columns = 10 if len(view.images) == 10 else 8
    st.image(weight_grid(view.images, columns=columns), caption=caption)


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
def _sample_store(path: str) -> SampleStore:
    return SampleStore(path)  # opened, checked and migrated once per server


def sample_store() -> SampleStore | None:
    """The handwriting samples database, shared by every session; None (with a message) when
    it can't be opened."""
    return _or_message(lambda: _sample_store(str(samples_db_path())))


def writer_name() -> str:
    """An optional name saved with each corrected drawing, kept from page to page."""
    # The widget's own key is dropped on pages without it; "writer_name" outlives it.
    st.session_state.setdefault("writer_input", st.session_state.get("writer_name", ""))
    st.text_input(
        "Your name (optional)",
        key="writer_input",
        max_chars=64,
        help="Saved with your drawings, so a class can tell its handwritings apart.",
    )
    return current_writer()


def current_writer() -> str:
    """The name typed so far, also from a callback that runs before the page does."""
    name = str(st.session_state.get("writer_input", st.session_state.get("writer_name", "")))
    st.session_state["writer_name"] = name.strip()
    return name.strip()
