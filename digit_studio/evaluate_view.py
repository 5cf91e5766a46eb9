"""The Evaluate page's parts: a confusion matrix whose cells can be clicked, the test digits
behind a cell page by page, and two models compared."""

from __future__ import annotations

import numpy as np
import streamlit as st

from mnist_core.data import NUM_CLASSES
from mnist_core.evaluate import EvaluationResult, digits_where, page_count, page_of
from mnist_core.figures import confusion_matrix_figure

GALLERY_SIZE = 24  # test digits a page: three rows of eight
GALLERY_COLUMNS = 8
DIGIT_CHOICES = list(range(NUM_CLASSES))


def picked_cell() -> tuple[int, int] | None:
    """The confusion-matrix cell chosen so far (true, answered), or None."""
    true, answered = st.session_state.get("cell_true"), st.session_state.get("cell_answered")
    return None if true is None or answered is None else (true, answered)


def _pick_from_chart() -> None:
    """A click on the matrix chooses its cell: the digit pills follow, the gallery starts over."""
    points = st.session_state["confusion"].selection.points
    if points:
        st.session_state["cell_true"] = int(points[0]["y"])
        st.session_state["cell_answered"] = int(points[0]["x"])
    _first_page()


def _first_page() -> None:
    st.session_state["gallery_page"] = 0


def clickable_matrix(evaluation: EvaluationResult, height: int = 520) -> None:
    """The confusion matrix; clicking a cell shows its digits in the gallery below."""
    st.plotly_chart(
        confusion_matrix_figure(evaluation, height, picked=picked_cell()),
        key="confusion",
        on_select=_pick_from_chart,
        selection_mode="points",
        config={"displayModeBar": False},
    )


def gallery_title(true: int | None, answered: int | None, count: int) -> str:
    """What the gallery shows, in words."""
    if true is not None and answered is not None:
        if true == answered:
            return f"{count:,} test {true}s read right"
        return f"{count:,} test {true}s read as {answered}"
    if true is not None:
        return f"{count:,} test {true}s misread"
    if answered is not None:
        return f"{count:,} wrong answers of {answered}"
    return f"All {count:,} misread test digits"


def digit_gallery(evaluation: EvaluationResult, images: np.ndarray) -> None:
    """The test digits of the chosen cell (or every misread one), most confident answer first,
    a page at a time."""
    st.session_state.setdefault("gallery_page", 0)
    true_pick, answered_pick = st.columns(2)
    true = true_pick.pills("True digit", DIGIT_CHOICES, key="cell_true", on_change=_first_page)
    answered = answered_pick.pills(
        "Read as", DIGIT_CHOICES, key="cell_answered", on_change=_first_page
    )
    chosen = digits_where(evaluation, true, answered)
    pages = page_count(chosen, GALLERY_SIZE)
    page = min(st.session_state["gallery_page"], pages - 1)
    st.markdown(f"**{gallery_title(true, answered, len(chosen))}**, most confident first")
    if not len(chosen):
        st.caption("None: pick other digits, or click another cell of the matrix.")
        return
    columns = st.columns(GALLERY_COLUMNS)
    for position, index in enumerate(page_of(chosen, page, GALLERY_SIZE)):
        predicted = evaluation.predictions[index]
        confidence = evaluation.probabilities[index, predicted]
        label = evaluation.labels[index]
        columns[position % GALLERY_COLUMNS].image(
            images[index],
            caption=f"{label} read as {predicted} ({confidence:.0%})"
            if label != predicted
            else f"{label} ({confidence:.0%})",
            width="stretch",
        )
    if pages > 1:
        back, where, forward = st.columns([1, 2, 1], vertical_alignment="center")
        back.button(
            "Previous",
            icon=":material/chevron_left:",
            disabled=page == 0,
            on_click=_turn,
            args=(page - 1,),
            key="gallery-back",
        )
        where.caption(f"Page {page + 1} of {pages}")
        forward.button(
            "Next",
            icon=":material/chevron_right:",
            disabled=page == pages - 1,
            on_click=_turn,
            args=(page + 1,),
            key="gallery-next",
        )


def _turn(page: int) -> None:
    st.session_state["gallery_page"] = page
