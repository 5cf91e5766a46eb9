"""Learn by looking: a convolution step by step on your own drawing, what the network thinks
each digit looks like, and the smallest change that fools it."""

import streamlit as st

from digit_studio.learn_view import (
    LEARN_WORDS,
    LOOKS,
    convolution_steps,
    digit_portraits,
    digit_to_look_at,
    fooled_drawing,
)
from digit_studio.resources import cached_classifier
from digit_studio.widgets import choose_model, page_title

page_title("Learn by looking", *LEARN_WORDS)

digit, views = st.columns([1, 2.6], gap="large")
with digit:
    info = choose_model()
    classifier = cached_classifier(info) if info else None
    image = digit_to_look_at(classifier) if classifier else None
if info is not None and image is not None:
    with views:
        look = st.segmented_control(
            "Look at", LOOKS, default=LOOKS[0], key="learn_look", required=True
        )
        if look == LOOKS[0]:
            convolution_steps(info, image)
        elif look == LOOKS[1]:
            digit_portraits(info)
        elif classifier is not None:
            fooled_drawing(classifier, image)
