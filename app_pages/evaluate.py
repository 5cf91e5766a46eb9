"""How good is a model? Its test accuracy, where it goes wrong, the digits behind each mistake,
and how it compares with another model."""

import streamlit as st

from digit_studio.evaluate_view import clickable_matrix, digit_gallery
from digit_studio.resources import cached_classifier, cached_evaluation, cached_mnist
from digit_studio.text import plain
from digit_studio.widgets import choose_model, choose_other_model, page_title
from mnist_core.evaluate import confusion_change
from mnist_core.figures import (
    confusion_change_figure,
    confusion_matrix_figure,
    per_class_figure,
    reliability_figure,
)

MATRIX_CAPTION = (
    "Rows: the true digit. Columns: what the model answered. Off the diagonal: mistakes. "
    "Click a cell to see its digits below."
)
PER_DIGIT_CAPTION = (
    "Precision: of the answers 'd', how many were right. "
    "Recall: of the true d's, how many were found."
)
COMPARED_HEIGHT = 380  # three matrices side by side on a 1024-pixel projector

page_title(
    "Evaluate a model",
    "model",
    "MNIST",
    "test set",
    "accuracy",
    "loss",
    "confusion matrix",
    "precision",
    "recall",
    "confidence",
    "calibration",
    "not-a-digit",
)
st.caption("Each model is scored once on MNIST's 10,000 test digits, which it never trained on.")

chosen, compared = st.columns(2)
with chosen:
    info = choose_model()
with compared:
    other = choose_other_model(info)
evaluation = cached_evaluation(info) if info else None
against = cached_evaluation(other) if other else None
if info is not None and evaluation is not None:
    accuracy, loss, wrong = st.columns(3)
    accuracy.metric("Test accuracy", f"{evaluation.accuracy:.2%}")
    loss.metric("Test loss", f"{evaluation.loss:.4f}")
    wrong.metric("Digits misread", f"{len(evaluation.misclassified):,} of {evaluation.size:,}")

    if other is None or against is None:
        matrix, per_class = st.columns([3, 2], gap="large")
        with matrix:
            st.subheader("Confusion matrix")
            st.caption(MATRIX_CAPTION)
            clickable_matrix(evaluation)
        with per_class:
            st.subheader("Per digit")
            st.caption(PER_DIGIT_CAPTION)
            st.plotly_chart(per_class_figure(evaluation), config={"displayModeBar": False})
    else:
        first, second = plain(info.name), plain(other.name)
        st.subheader("Confusion matrices")
        st.caption(MATRIX_CAPTION.replace("Click a cell", f"Click a cell of {first}'s"))
        mine, theirs, change = st.columns(3)
        with mine:
            st.markdown(f"**{first}**: {evaluation.accuracy:.2%}")
            clickable_matrix(evaluation, height=COMPARED_HEIGHT)
        with theirs:
            st.markdown(f"**{second}**: {against.accuracy:.2%}")
            st.plotly_chart(
                confusion_matrix_figure(against, height=COMPARED_HEIGHT, clickable=False),
                config={"displayModeBar": False},
                key="their-confusion",
            )
        with change:
            st.markdown(f"**{second} minus {first}**: green better, red worse")
            st.plotly_chart(
                confusion_change_figure(
                    confusion_change(evaluation, against),
                    (info.name, other.name),
                    height=COMPARED_HEIGHT,
                ),
                config={"displayModeBar": False},
            )
        st.subheader("Per digit")
        st.caption(PER_DIGIT_CAPTION + " Both charts share one scale.")
        mine, theirs = st.columns(2)
        for column, name, result, key in (
            (mine, first, evaluation, "mine"),
            (theirs, second, against, "theirs"),
        ):
            column.markdown(f"**{name}**")
            column.plotly_chart(
                per_class_figure(result), config={"displayModeBar": False}, key=f"per-digit-{key}"
            )

    st.subheader(
        "The digits behind the matrix"
        if against is None
        else f"The digits behind {plain(info.name)}'s matrix"
    )
    digit_gallery(evaluation, cached_mnist().x_test)

    st.subheader('Does "% sure" mean what it says?')
    honest, kept = st.columns([3, 2], gap="large")
    with honest:
        st.plotly_chart(
            reliability_figure(evaluation.reliability), config={"displayModeBar": False}
        )
    with kept:
        st.caption(
            "Each bar: the test digits the model answered at that confidence, and how many of "
            'those answers were right. A model whose "90% sure" is right nine times in ten '
            "follows the dashed line; the calibration error is the average gap."
        )
        classifier = cached_classifier(info) if info else None
        if classifier is not None and classifier.rejects_non_digits:
            st.metric(
                "Test digits taken for non-digits",
                f"{1 - evaluation.kept.mean():.2%}",
                help='The price of saying "that doesn\'t look like a digit": the least '
                "digit-like real digits are turned away too.",
            )
        else:
            st.caption("This model was not taught non-digits: it never turns a drawing away.")
