"""Widgets more than one page shows: the big answer (or "not a digit"), the model chooser, the
writer's name, the first layer's weights."""

from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st

from digit_studio.glossary import help_for
from digit_studio.resources import model_store
from mnist_core.explain import FirstLayer
from mnist_core.figures import weight_grid
from mnist_core.store import ModelInfo

if TYPE_CHECKING:
    from mnist_core.predict import Classifier, Prediction


# Muted text: 5.4:1 on white, legible on a washed-out projector (WCAG asks 4.5:1).
MUTED_TEXT = "#5f6b7a"
# The answer's size: beside the canvas, under it on a phone, and in the presenter view.
ANSWER_SIZES = {"page": 9.0, "compact": 3.6, "presenter": 13.0}  # rem


def big_digit(text: str, muted: bool = False, size: str = "page") -> None:
    """The answer, sized for the back row of a classroom (`size` one of ANSWER_SIZES).

    Styled inline, not by a stylesheet element, so it never renders unstyled mid-rerun.
    """
    rem = ANSWER_SIZES[size]
    # Muted text may wrap ("That doesn't look like a digit"): centred in the digit's height, so
    # the page does not jump between an answer and none.
    style = (
        f"font-size:{max(1.4, rem / 4):.2f}rem;line-height:1.2;min-height:{rem:g}rem;"
        f"display:flex;align-items:center;justify-content:center;color:{MUTED_TEXT};"
        if muted
        else f"font-size:{rem:g}rem;line-height:1;font-weight:700;"
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


NOT_A_DIGIT = "That doesn't look like a digit"
WORDS = "Words"  # short: it shares the Draw page's title row with Present on a 1024-px projector
# Next to every model chooser: the kinds of network its choices name.
MODEL_KINDS = help_for("perceptron", "MLP", "CNN")


def answer_caption(prediction: Prediction) -> str:
    """The line under an answer: how sure, which two digits when unsure, the muted best
    guesses of a non-digit (the network can only answer 0 to 9)."""
    if not prediction.is_digit:
        guesses = " or ".join(
            f"{digit} ({chance:.0%})" for digit, chance in prediction.best_guesses()
        )
        return f"Best guesses: {guesses}. It only knows 0 to 9."
    if prediction.unsure:
        first, second = (digit for digit, _ in prediction.best_guesses())
        return f"Not sure: {first} or {second}? · {prediction.confidence:.0%} sure"
    return f"{prediction.confidence:.1%} sure"


def upload_answer(prediction: Prediction) -> str:
    """An uploaded file's answer as a heading's Markdown: the digit, or that it is none."""
    return f"**{prediction.label}**" if prediction.is_digit else NOT_A_DIGIT


def show_answer(prediction: Prediction | None, prompt: str, size: str = "page") -> None:
    """The big answer and its caption line; `prompt` (muted) while there is none."""
    if prediction is None:
        big_digit(prompt, muted=True, size=size)
        caption_line("&nbsp;")
    elif not prediction.is_digit:
        big_digit(NOT_A_DIGIT, muted=True, size=size)
        caption_line(answer_caption(prediction))
    else:
        big_digit(str(prediction.label), size=size)
        caption_line(answer_caption(prediction))


def rejection_note(classifier: Classifier) -> None:
    """Say so when the chosen model cannot tell non-digits (saved before it could, trained
    with no non-digits or too few validation images) or tells them badly (a perceptron)."""
    calibration = classifier.calibration
    if calibration is None or not classifier.rejects_non_digits:
        st.caption(
            "This model was not taught what is not a digit: it gives a digit for anything "
            "but a speck. Models trained here with non-digits (the default) can say so."
        )
    elif calibration.rejects_weakly:
        st.caption(
            f"This model turns away only {calibration.non_digits_rejected or 0:.0%} of the "
            "non-digits it was shown in training: a smiley may still get a digit. Deeper "
            "networks learn the difference better."
        )


def describe(info: ModelInfo) -> str:
    """A model in one line: its name, architecture and test accuracy."""
    accuracy = "untested" if info.test_accuracy is None else f"{info.test_accuracy:.2%}"
    return f"{info.name} ({info.architecture}, {accuracy})"


def choose_model(label: str = "Model", chooser: bool = True) -> ModelInfo | None:
    """A select box of the store's models, the default preselected; the choice follows the user
    from page to page. Without `chooser` (a lesson's link hides it) the choice so far answers.
    None (with a message) when the store is empty."""
    store = model_store()
    infos = {info.name: info for info in store.list_models()}
    if not infos:
        st.warning("There is no model yet: train one on the **Train** page.")
        return None
    names = list(infos)
    chosen = st.session_state.get("chosen_model")
    if chosen not in infos:
        chosen = store.default_name()
    if not chooser:
        return infos.get(chosen or "", infos[names[0]])
    name = st.selectbox(
        label,
        names,
        index=names.index(chosen) if chosen in names else 0,
        format_func=lambda name: describe(infos[name]),
        help=MODEL_KINDS,
    )
    st.session_state["chosen_model"] = name
    return infos[name]


def show_first_layer(view: FirstLayer, caption: str) -> None:
    """The first layer's filters or weight images, red positive and blue negative."""
    columns = 10 if len(view.images) == 10 else 8
    st.image(weight_grid(view.images, columns=columns), caption=caption)


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


def choose_other_model(chosen: ModelInfo | None, label: str = "Compare with") -> ModelInfo | None:
    """An optional second model, any but `chosen`; None until one is picked."""
    others = {
        info.name: info
        for info in model_store().list_models()
        if chosen is None or info.name != chosen.name
    }
    if chosen is None or not others:
        return None
    name = st.selectbox(
        label,
        list(others),
        index=None,
        placeholder="another model (optional)",
        format_func=lambda name: describe(others[name]),
        help=MODEL_KINDS,
        key="compare_with",
    )
    return others.get(name) if name else None


def words_on_this_page(*names: str) -> None:
    """A button whose popover explains each term the page shows, in words a 12-year-old
    understands; the page's main terms also get a tooltip where they are."""
    with st.popover(
        WORDS,
        icon=":material/menu_book:",
        help="Every term on this page, explained",
        width="stretch",
    ):
        st.markdown(help_for(*names))


def page_title(title: str, *words: str) -> None:
    """The page's title, and beside it the words it uses, explained: no sidebar, whose third of
    a projector's width the page needs."""
    heading, glossary = st.columns([3, 1], vertical_alignment="center")
    heading.title(title)
    with glossary:
        words_on_this_page(*words)
