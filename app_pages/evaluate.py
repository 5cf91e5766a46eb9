"""How good is a model? Its test accuracy, where it goes wrong, and the digits it gets wrong."""

import streamlit as st

from digit_studio.resources import cached_classifier, cached_evaluation, cached_mnist
from digit_studio.widgets import choose_model
from mnist_core.figures import confusion_matrix_figure, per_class_figure, reliability_figure

GALLERY_SIZE = 24
GALLERY_COLUMNS = 8

st.title("Evaluate a model")
st.caption("Each model is scored once on MNIST's 10,000 test digits, which it never trained on.")

info = choose_model()
evaluation = cached_evaluation(info) if info else None
if evaluation is not None:
    accuracy, loss, wrong = st.columns(3)
    accuracy.metric("Test accuracy", f"{evaluation.accuracy:.2%}")
    loss.metric("Test loss", f"{evaluation.loss:.4f}")
    wrong.metric("Digits misread", f"{len(evaluation.misclassified):,} of {evaluation.size:,}")

    matrix, per_class = st.columns([3, 2], gap="large")
    with matrix:
        st.subheader("Confusion matrix")
        st.caption(
            "Rows: the true digit. Columns: what the model answered. Off the diagonal: mistakes."
        )
        st.plotly_chart(confusion_matrix_figure(evaluation), config={"displayModeBar": False})
    with per_class:
        st.subheader("Per digit")
        st.caption(
            "Precision: of the answers 'd', how many were right. "
            "Recall: of the true d's, how many were found."
        )
        st.plotly_chart(per_class_figure(evaluation), config={"displayModeBar": False})

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

    st.subheader("The digits it got wrong, most confident first")
    images = cached_mnist().x_test
    columns = st.columns(GALLERY_COLUMNS)
    for position, index in enumerate(evaluation.misclassified[:GALLERY_SIZE]):
        predicted = evaluation.predictions[index]
        confidence = evaluation.probabilities[index, predicted]
        columns[position % GALLERY_COLUMNS].image(
            images[index],
            caption=f"true {evaluation.labels[index]} → {predicted} ({confidence:.0%})",
            width="stretch",
        )
