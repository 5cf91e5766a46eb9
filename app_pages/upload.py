"""Recognize digits in image files: photos of handwriting, scans, drawings."""

import streamlit as st

from digit_studio.resources import cached_classifier
from digit_studio.text import plain
from digit_studio.widgets import (
    answer_caption,
    choose_model,
    page_title,
    rejection_note,
    upload_answer,
)
from mnist_core.errors import ImageError
from mnist_core.figures import pixelated, probability_bars
from mnist_core.preprocess import preview, read_image

FILE_TYPES = ["png", "jpg", "jpeg", "bmp", "gif", "webp"]

page_title("Recognize image files", "MNIST", "model", "pixel", "confidence", "not-a-digit")
st.caption(
    "Upload photos or scans of single handwritten digits: dark ink on light paper works as well "
    "as light on dark. Each file is cut to its digit and scaled to 28 × 28, as MNIST was."
)

info = choose_model()
classifier = cached_classifier(info) if info else None
uploads = st.file_uploader("Images", type=FILE_TYPES, accept_multiple_files=True)
if classifier is not None:
    rejection_note(classifier)

if classifier is not None:
    for index, upload in enumerate(uploads or []):
        name = plain(upload.name)
        with st.container(border=True):
            try:
                pixels = read_image(upload.getvalue())  # decoded once, then classified and shown
                prediction = classifier.classify(pixels)
            except ImageError as error:
                st.error(f"**{name}**: {plain(error)}")
                continue
            original, seen, chart = st.columns([1, 1, 3])
            original.image(preview(pixels), caption=name, width="stretch")
            seen.image(pixelated(prediction.image, 140), caption="What the network sees")
            with chart:
                st.markdown(f"### {name}: {upload_answer(prediction)}")
                st.caption(answer_caption(prediction))
                st.plotly_chart(
                    probability_bars(
                        prediction.probabilities, height=220, is_digit=prediction.is_digit
                    ),
                    key=f"upload-{index}",
                    config={"displayModeBar": False},
                )
