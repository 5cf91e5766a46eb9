"""The My handwriting page's rules: reading the drawings, the gallery's pages, deleting a drawing
with Undo, and what Fine-tune trains."""

from __future__ import annotations

import math
from collections.abc import Callable
from enum import Enum
from typing import TypeVar

import numpy as np
import streamlit as st

from digit_studio.resources import model_store
from digit_studio.text import plain
from mnist_core.class_board import class_training_set
from mnist_core.config import FinetuneConfig
from mnist_core.errors import MnistCoreError
from mnist_core.finetune import FinetuneTask
from mnist_core.samples import Sample, SampleStore
from mnist_core.store import ModelInfo

GALLERY_PAGE = 48  # drawings a page of the gallery shows, newest first: six rows of eight
GALLERY_COLUMNS = 8
UNDO_DEPTH = 20  # deletions a session can undo, the latest first

T = TypeVar("T")


def read_or_stop(read: Callable[[], T]) -> T:
    """What `read` returns from the samples database; on failure the error, and the page ends."""
    try:
        return read()
    except MnistCoreError as error:
        st.error(plain(error))
        st.stop()


def page_count(total: int) -> int:
    """How many gallery pages `total` drawings fill; one even when there are none."""
    return max(1, math.ceil(total / GALLERY_PAGE))


def clamped_page(requested: int, pages: int) -> int:
    """The page to show: one past the end (after deletions) becomes the last."""
    return min(max(1, requested), pages)


def with_deleted(deleted: list[Sample], sample: Sample) -> list[Sample]:
    """The undo stack with `sample` on top, the oldest dropped beyond UNDO_DEPTH."""
    return [*deleted, sample][-UNDO_DEPTH:]


def delete_sample(store: SampleStore, sample_id: int) -> None:
    """Delete a drawing, kept in this session so that Undo can put it back."""
    try:
        deleted = store.delete(sample_id)
    except MnistCoreError as error:
        st.session_state["gallery_error"] = str(error)
        return
    if deleted is not None:
        st.session_state["deleted_samples"] = with_deleted(
            st.session_state["deleted_samples"], deleted
        )
        st.session_state.pop("export", None)


def undo_delete(store: SampleStore) -> None:
    """Put the last deleted drawing back, with its label, name, time and drawing."""
    deleted = st.session_state["deleted_samples"]
    try:
        store.restore(deleted[-1])
    except MnistCoreError as error:
        st.session_state["gallery_error"] = str(error)
        return
    st.session_state["deleted_samples"] = deleted[:-1]
    st.session_state.pop("export", None)


class Source(Enum):
    """Fine-tune's drawings other than a writer's: never equal to a name a writer typed."""

    CLASS = "the class board's checked drawings"


CLASS = Source.CLASS


def drawings_to_learn(
    store: SampleStore, source: str | Source | None
) -> tuple[np.ndarray, np.ndarray]:
    """Images and labels to fine-tune on: a writer's saved drawings (None: everyone's), or with
    CLASS the drawings this class checked on the board since it was last cleared."""
    if isinstance(source, Source):
        return class_training_set(store.class_answers(with_images=None))
    return store.arrays(source)


def finetune_task(
    store: SampleStore, source: str | Source | None, base: ModelInfo, epochs: int
) -> Callable[[], FinetuneTask]:
    """What Fine-tune trains when pressed: `base` on the drawings of `source` (a writer, None
    for everyone's, CLASS for the class board's), read only then."""

    def task() -> FinetuneTask:
        images, labels = drawings_to_learn(store, source)
        config = FinetuneConfig(epochs=epochs)
        return FinetuneTask(base.name, str(model_store().root), images, labels, config)

    return task
