"""Every term a page shows has its plain-words help on that page: in a tooltip next to it, or in
the page's "Words" list (digit_studio/glossary.py)."""

from __future__ import annotations

import pytest
from google.protobuf.json_format import MessageToDict

from benchmarks.drawn import mnist_on_canvas
from digit_studio.glossary import GLOSSARY, terms_in
from digit_studio.widgets import WORDS
from mnist_core.samples import SAMPLES_DB_VARIABLE

from conftest import canvas_value
from test_pages import ROOT, page

SHOWN = {"body", "label", "caption", "placeholder", "content", "text", "options"}
WORDS_LIST = WORDS


def _strings(value, keys: set[str], found: list[str], under: bool = False) -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            _strings(inner, keys, found, under or key in keys)
    elif isinstance(value, list):
        for inner in value:
            _strings(inner, keys, found, under)
    elif isinstance(value, str) and under:
        found.append(value)


def page_words(at) -> tuple[str, str]:
    """What a page shows, and the help it gives (tooltips and its words list)."""
    shown: list[str] = []
    helps: list[str] = []

    def walk(node, in_words_list: bool) -> None:
        proto = getattr(node, "proto", None)
        if proto is not None:
            fields = MessageToDict(proto)
            if in_words_list:
                _strings(fields, SHOWN, helps)
            else:
                _strings(fields, SHOWN, shown)
            _strings(fields, {"help"}, helps)
            in_words_list = in_words_list or WORDS_LIST in str(fields.get("popover", ""))
        for child in getattr(node, "children", {}).values():
            walk(child, in_words_list)

    walk(at._tree, False)
    shown = [text for text in shown if text != WORDS_LIST and not text.startswith("<style")]
    return "\n".join(shown), "\n".join(helps)


def unexplained(at) -> list[str]:
    shown, helps = page_words(at)
    return [term for term in terms_in(shown) if GLOSSARY[term].meaning not in helps]


def drawn(at, mnist) -> None:
    at.session_state["canvas-0"] = canvas_value(mnist_on_canvas(mnist.x_test[0]))
    at.session_state["inside"] = True
    at.session_state["side-by-side"] = True


def portraits(at, mnist) -> None:
    at.segmented_control(key="learn_look").set_value("What it thinks digits look like").run()
    at.button(key="paint").click()


def fooled(at, mnist) -> None:
    at.segmented_control(key="learn_look").set_value("Fool the network")


def compared(at, mnist) -> None:
    at.selectbox(key="compare_with").set_value("mlp")


def shipped_models_and_no_samples(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("MNIST_MODELS_DIR", str(ROOT / "models"))
    monkeypatch.setenv(SAMPLES_DB_VARIABLE, str(tmp_path / "samples.sqlite3"))


# Each page as a lesson shows it: the file, and what to do on it first.
PAGES = {
    "home": ("app.py", None),
    "draw": ("app_pages/draw.py", drawn),
    "learn, a convolution": ("app_pages/learn.py", None),
    "learn, portraits": ("app_pages/learn.py", portraits),
    "learn, fooled": ("app_pages/learn.py", fooled),
    "train": ("app_pages/train.py", None),
    "upload": ("app_pages/upload.py", None),
    "evaluate": ("app_pages/evaluate.py", None),
    "evaluate, two models": ("app_pages/evaluate.py", compared),
    "models": ("app_pages/models.py", None),
    "class board": ("app_pages/board.py", None),
    "my handwriting": ("app_pages/my_handwriting.py", None),
}


@pytest.mark.parametrize("view", PAGES)
def test_every_term_a_page_shows_is_explained_on_it(view, mnist, monkeypatch, tmp_path):
    shipped_models_and_no_samples(monkeypatch, tmp_path)
    path, setup = PAGES[view]
    at = page(path).run()
    if setup is not None:
        setup(at, mnist)
        at.run()
    assert not at.exception
    assert terms_in(page_words(at)[0])  # the page was read
    assert unexplained(at) == []


def test_a_term_without_its_help_is_caught(monkeypatch, tmp_path):
    """The check itself: the Evaluate page with its words list left out."""
    shipped_models_and_no_samples(monkeypatch, tmp_path)
    monkeypatch.setattr("digit_studio.widgets.help_for", lambda *names: "")
    at = page("app_pages/evaluate.py").run()
    assert {"accuracy", "confusion matrix", "precision"} <= set(unexplained(at))
